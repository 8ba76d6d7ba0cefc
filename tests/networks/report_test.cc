// The HR report rendered from hand-built analyses: what it draws, what it
// names and when, and that text from the data is escaped.
#include "networks/report.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/fixtures.h"

namespace whoknows::networks {
namespace {

using testing_util::Occurrences;

// Three connected people in one community of 3 (below the threshold of 5)
// plus a broker list, as an HR analysis would have it.
NetworkAnalysis SmallAnalysis(bool person_level) {
  NetworkAnalysis a;
  a.min_group_size = 5;
  a.person_level = person_level;
  a.departments = {"R&D <lab>"};
  a.current.window = {1690000000, 1700000000};
  a.current.dots = {{0.1, 0.2, -1}, {0.5, 0.5, -1}, {0.9, 0.8, -1}};
  a.current.dot_edges = {{0, 1}, {1, 2}};
  CommunityFigure c;
  c.size = 3;
  c.suppressed = true;
  a.current.communities = {c};
  PersonFigure broker;
  broker.id = "p1";
  broker.display_name = "Ann Broker";
  broker.value = 2;
  if (person_level) a.current.brokers = {broker};
  a.suppressed = {"1 communities of fewer than 5 people"};
  return a;
}

TEST(ReportTest, DrawsOneDotPerPersonAndTheEdgesGiven) {
  const std::string html = RenderReportHtml(SmallAnalysis(false));
  EXPECT_EQ(Occurrences(html, "<svg"), 1u);
  EXPECT_EQ(Occurrences(html, "<circle"), 3u);
  EXPECT_EQ(Occurrences(html, "<line"), 2u);
  EXPECT_EQ(Occurrences(html, "src="), 0u);  // self-contained
}

TEST(ReportTest, NamesPeopleOnlyAtPersonLevel) {
  const std::string anonymous = RenderReportHtml(SmallAnalysis(false));
  EXPECT_EQ(anonymous.find("Ann Broker"), std::string::npos);
  EXPECT_NE(anonymous.find("Named only for the HR role"), std::string::npos);
  const std::string hr = RenderReportHtml(SmallAnalysis(true));
  EXPECT_NE(hr.find("<h2>Brokers</h2>"), std::string::npos);
  EXPECT_NE(hr.find("Ann Broker"), std::string::npos);
}

TEST(ReportTest, EscapesTextFromTheData) {
  ReportOptions o;
  o.title = "Tom & Jerry's <company>";
  const std::string html = RenderReportHtml(SmallAnalysis(false), o);
  EXPECT_NE(html.find("<title>Tom &amp; Jerry&#39;s &lt;company&gt;</title>"),
            std::string::npos);
  EXPECT_NE(html.find("R&amp;D &lt;lab&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<lab>"), std::string::npos);
  EXPECT_NE(html.find("<li>1 communities of fewer than 5 people</li>"),
            std::string::npos);
}

}  // namespace
}  // namespace whoknows::networks
