// The HR report: one self-contained HTML page (inline CSS and SVG, no
// scripts, nothing fetched) drawn from a NetworkAnalysis.
#ifndef WHOKNOWS_NETWORKS_REPORT_H_
#define WHOKNOWS_NETWORKS_REPORT_H_

#include <string>

#include "networks/networks.h"

namespace whoknows::networks {

struct ReportOptions {
  // Page title, e.g. the company or data set.
  std::string title = "whoknows: how the company works";
  // Drawing size in CSS pixels.
  int width = 900;
  int height = 640;
  // Above this many dots they are drawn small (radius 2 instead of 5), so
  // that a big network stays readable; bigger keeps big dots longer and
  // lets them cover each other.
  int small_dots_above = 2000;
};

// Renders the analysis. People appear as unnamed dots in the drawing; names
// appear only in the person-level sections, which exist only when the
// analysis was run with person_level. Run the analysis with layout = true
// for the drawing.
std::string RenderReportHtml(const NetworkAnalysis& analysis,
                             const ReportOptions& options = {});

}  // namespace whoknows::networks

#endif  // WHOKNOWS_NETWORKS_REPORT_H_
