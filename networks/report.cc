#include "networks/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time_format.h"

namespace whoknows::networks {
namespace {

// Colour-blind-safe qualitative palette (Okabe-Ito, then Tableau), by
// community id; small communities are grey.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#D55E00", "#56B4E9", "#F0E442", "#000000",
                                    "#8C564B", "#17BECF", "#BCBD22", "#7F7F7F"};
constexpr const char* kSmall = "#C8C8C8";

const char* Colour(int community) {
  if (community < 0) return kSmall;
  return kPalette[community % (sizeof kPalette / sizeof kPalette[0])];
}

std::string Esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Date(int64_t t) {
  if (t <= 0) return "the beginning";
  return FormatUtc(t, "%Y-%m-%d");
}

std::string WindowText(const TimeWindow& w) {
  // The end is exclusive; show the last day included.
  return absl::StrCat(Date(w.start), " to ", Date(w.end - 1));
}

std::string Count(int n) { return n < 0 ? "withheld" : absl::StrCat(n); }

std::string Opt(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.3f", *v) : "n/a";
}

std::string Drawing(const WindowFigures& f, const ReportOptions& o) {
  const double pad = 12;
  const double w = o.width - 2 * pad, h = o.height - 2 * pad;
  auto X = [&](double x) { return pad + x * w; };
  auto Y = [&](double y) { return pad + y * h; };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"The colleague "
      "network, one dot per person, coloured by community\">"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>"
      "<g stroke=\"#9aa0a6\" stroke-opacity=\"0.35\" stroke-width=\"0.7\">",
      o.width, o.height, o.width, o.height);
  for (auto [a, b] : f.dot_edges) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\"/>",
                          X(f.dots[a].x), Y(f.dots[a].y), X(f.dots[b].x),
                          Y(f.dots[b].y));
  }
  svg += "</g><g stroke=\"#ffffff\" stroke-width=\"0.8\">";
  const double r =
      static_cast<int>(f.dots.size()) > o.small_dots_above ? 2.0 : 5.0;
  for (const Dot& d : f.dots) {
    absl::StrAppendFormat(&svg,
                          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
                          "fill=\"%s\"/>",
                          X(d.x), Y(d.y), r, Colour(d.community));
  }
  svg += "</g></svg>";
  return svg;
}

std::string HeadlineRow(const char* name, const std::string& now,
                        const std::string& before) {
  return absl::StrCat(
      "<tr><th>", name, "</th><td>", now, "</td>",
      before.empty() ? "" : absl::StrCat("<td>", before, "</td>"), "</tr>");
}

std::string Headline(const NetworkAnalysis& a) {
  const WindowFigures& c = a.current;
  const WindowFigures* p = a.previous ? &*a.previous : nullptr;
  auto both = [&](auto get) -> std::pair<std::string, std::string> {
    return {get(c), p ? get(*p) : ""};
  };
  std::string out = "<table class=\"figures\"><tr><th></th><th>";
  absl::StrAppend(&out, Esc(WindowText(c.window)), "</th>");
  if (p) absl::StrAppend(&out, "<th>", Esc(WindowText(p->window)), "</th>");
  out += "</tr>";
  struct Row {
    const char* name;
    std::function<std::string(const WindowFigures&)> get;
  };
  const Row rows[] = {
      {"people", [](auto& f) { return absl::StrCat(f.people); }},
      {"connected people",
       [](auto& f) { return absl::StrCat(f.connected_people); }},
      {"interactions", [](auto& f) { return absl::StrCat(f.interactions); }},
      {"ties (pairs in touch)", [](auto& f) { return absl::StrCat(f.ties); }},
      {"communities",
       [](auto& f) { return absl::StrCat(f.communities_count); }},
      {"modularity Q (best of N Leiden runs)",
       [](auto& f) {
         return absl::StrFormat("%.3f (%d)", f.modularity, f.community_seeds);
       }},
      {"NMI communities / departments",
       [](auto& f) { return Opt(f.nmi_department); }},
      {"NMI communities / teams", [](auto& f) { return Opt(f.nmi_team); }},
      {"NMI communities / sites", [](auto& f) { return Opt(f.nmi_site); }},
      {"new hires (not yet connected)",
       [](auto& f) {
         return absl::StrCat(Count(f.new_hires), " (",
                             Count(f.new_hires_unconnected), ")");
       }},
  };
  for (const Row& r : rows) {
    auto [now, before] = both(r.get);
    out += HeadlineRow(r.name, now, before);
  }
  out += "</table>";
  return out;
}

std::string HeatMap(const NetworkAnalysis& a) {
  const WindowFigures& f = a.current;
  std::string out =
      "<table class=\"heat\"><tr><th>community</th><th>people</th>";
  for (const auto& d : a.departments)
    absl::StrAppend(&out, "<th>", Esc(d), "</th>");
  out += "</tr>";
  int small = 0, small_people = 0;
  for (const auto& c : f.communities) {
    if (c.suppressed) {
      ++small;
      small_people += c.size;
      continue;
    }
    absl::StrAppendFormat(
        &out,
        "<tr><th><span class=\"swatch\" style=\"background:%s\"></span>%d</th>"
        "<td>%d</td>",
        Colour(c.id), c.id + 1, c.size);
    for (int x : c.by_department) {
      if (x < 0) {
        absl::StrAppendFormat(&out,
                              "<td class=\"withheld\" title=\"fewer than %d "
                              "people\">&lt;%d</td>",
                              a.min_group_size, a.min_group_size);
        continue;
      }
      const double share = c.size > 0 ? static_cast<double>(x) / c.size : 0;
      absl::StrAppendFormat(
          &out,
          "<td style=\"background:rgba(0,114,178,%.2f);color:%s\">%d</td>",
          0.08 + 0.85 * share, share > 0.5 ? "#fff" : "#000", x);
    }
    out += "</tr>";
  }
  if (small > 0)
    absl::StrAppendFormat(&out,
                          "<tr><th><span class=\"swatch\" "
                          "style=\"background:%s\"></span>small</th><td "
                          "colspan=\"%d\">%d communities of fewer than %d "
                          "people (%d people): no breakdown</td></tr>",
                          kSmall, static_cast<int>(a.departments.size()) + 1,
                          small, a.min_group_size, small_people);
  out += "</table>";
  return out;
}

std::string Silos(const WindowFigures& f, const WindowFigures* before) {
  std::string out = absl::StrCat(
      "<table><tr><th>department</th><th>people</th><th>internal ties</th>"
      "<th>external ties</th><th>E-I index</th>",
      before ? "<th>E-I index before</th>" : "",
      "<th>talk only within their team</th><th>no ties</th></tr>");
  auto previous = [&](const std::string& name) -> std::string {
    if (!before) return "";
    for (const auto& d : before->departments)
      if (d.name == name && !d.suppressed)
        return absl::StrFormat("<td>%+.2f</td>", d.ei_index);
    return "<td class=\"withheld\">n/a</td>";
  };
  for (const auto& d : f.departments) {
    if (d.suppressed) {
      absl::StrAppendFormat(
          &out,
          "<tr><th>%s</th><td>%d</td><td colspan=\"%d\" "
          "class=\"withheld\">too few people: withheld</td></tr>",
          Esc(d.name), d.people, before ? 6 : 5);
      continue;
    }
    absl::StrAppendFormat(
        &out,
        "<tr><th>%s</th><td>%d</td><td>%d</td><td>%d</td><td><span "
        "class=\"bar\" style=\"width:%.0fpx;background:%s\"></span> "
        "%+.2f</td>%s<td>%d</td><td>%d</td></tr>",
        Esc(d.name), d.people, d.internal_ties, d.external_ties,
        std::fabs(d.ei_index) * 60, d.ei_index < 0 ? "#D55E00" : "#009E73",
        d.ei_index, previous(d.name), d.isolated_people, d.unconnected_people);
  }
  out += "</table>";
  return out;
}

std::string Ties(const std::vector<GroupTie>& ties, const char* what) {
  if (ties.empty()) return absl::StrCat("<p>No ties between ", what, ".</p>");
  std::string out = absl::StrCat("<table><tr><th>", what,
                                 "</th><th>ties</th><th>weight</th></tr>");
  int withheld = 0;
  for (const auto& t : ties) {
    if (t.suppressed) {
      ++withheld;
      continue;
    }
    absl::StrAppendFormat(
        &out, "<tr><th>%s &ndash; %s</th><td>%d</td><td>%.0f</td></tr>",
        Esc(t.a), Esc(t.b), t.ties, t.weight);
  }
  if (withheld > 0)
    absl::StrAppendFormat(&out,
                          "<tr><td colspan=\"3\" class=\"withheld\">%d pairs "
                          "involving a small group withheld</td></tr>",
                          withheld);
  out += "</table>";
  return out;
}

std::string People(const std::vector<PersonFigure>& people, const char* value,
                   bool normalized) {
  if (people.empty()) return "<p>Nobody.</p>";
  std::string out = absl::StrCat(
      "<table><tr><th>#</th><th>name</th><th>title</th><th>department</th><th>",
      value, "</th>", normalized ? "<th>share of paths</th>" : "", "</tr>");
  int rank = 0;
  for (const auto& p : people) {
    absl::StrAppendFormat(
        &out, "<tr><td>%d</td><th>%s</th><td>%s</td><td>%s</td><td>%.0f</td>",
        ++rank, Esc(p.display_name.empty() ? p.id : p.display_name),
        Esc(p.title), Esc(p.department), p.value);
    if (normalized) absl::StrAppendFormat(&out, "<td>%.3f</td>", p.normalized);
    out += "</tr>";
  }
  out += "</table>";
  return out;
}

std::string Topics(const NetworkAnalysis& a) {
  if (a.topics.empty())
    return "<p>No topics: knowledge risk is computed from tagged answers and "
           "articles, and this data has none.</p>";
  std::string out =
      "<table><tr><th>topic</th><th>holders</th><th>leaving</th><th>risk</th>";
  if (a.person_level) out += "<th>held by</th>";
  out += "</tr>";
  for (const auto& t : a.topics) {
    std::string risk;
    if (t.bus_factor_risk) risk = "bus factor";
    if (t.leaving_risk) risk += risk.empty() ? "leavers" : ", leavers";
    absl::StrAppendFormat(&out,
                          "<tr><th>%s</th><td>%d</td><td>%d</td><td%s>%s</td>",
                          Esc(t.topic), t.holders, t.leaving_holders,
                          risk.empty() ? "" : " class=\"risk\"", risk);
    if (a.person_level) {
      std::string ids;
      for (const auto& id : t.holder_ids)
        absl::StrAppend(&ids, ids.empty() ? "" : ", ", Esc(id));
      absl::StrAppend(&out, "<td>", ids, "</td>");
    }
    out += "</tr>";
  }
  out += "</table>";
  return out;
}

// The document up to the title heading, with the page's style sheet.
std::string PageHead(const std::string& title) {
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>",
      Esc(title),
      "</title><style>"
      "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;"
      "max-width:1100px}"
      "h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
      "table{border-collapse:collapse;margin:8px 0}"
      "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
      "th{text-align:left;background:#fafafa}"
      ".heat td{min-width:56px;text-align:center}"
      ".withheld{color:#888;font-style:italic;background:#f3f3f3}"
      ".risk{color:#b00;font-weight:600}"
      ".swatch{display:inline-block;width:11px;height:11px;margin-right:6px;"
      "border-radius:50%}"
      ".bar{display:inline-block;height:9px}"
      ".note{color:#555}svg{border:1px solid #ddd}"
      "</style></head><body><h1>",
      Esc(title), "</h1>");
}

// What the report covers and what it withholds.
std::string About(const NetworkAnalysis& a) {
  std::string html = absl::StrFormat(
      "<p class=\"note\">Window: <b>%s</b>%s. Groups of fewer than <b>%d</b> "
      "people get no figures. Person-level results: <b>%s</b>. People who "
      "opted out are left out of everything.</p>",
      Esc(WindowText(a.current.window)),
      a.previous ? absl::StrCat(", compared with ",
                                Esc(WindowText(a.previous->window)))
                 : "",
      a.min_group_size, a.person_level ? "shown (HR role)" : "withheld");
  if (!a.suppressed.empty()) {
    html += "<details><summary>What was withheld</summary><ul>";
    for (const auto& s : a.suppressed)
      absl::StrAppend(&html, "<li>", Esc(s), "</li>");
    html += "</ul></details>";
  }
  return html;
}

// Brokers, people only within their team and unconnected new hires, named.
std::string PersonLevel(const WindowFigures& f) {
  std::string html = "<h2>Brokers</h2><p class=\"note\">";
  html += f.betweenness_exact
              ? "Exact betweenness: shortest paths (ties as length "
                "1/weight) between other people that run through them.</p>"
              : absl::StrFormat(
                    "Betweenness estimated from %d sampled people (of %d): "
                    "each value is within %.0f paths (%.0f%% of the most "
                    "one person can carry) with 95%% probability.</p>",
                    f.betweenness_samples, f.connected_people,
                    f.betweenness_error_bound,
                    100 * f.betweenness_error_bound /
                        std::max(1.0, (f.connected_people - 1.0) *
                                          (f.connected_people - 2.0) / 2));
  html += People(f.brokers, "betweenness", true);
  html += "<h2>Only within their team</h2>" +
          People(f.isolated, "colleagues", false);
  html += "<h2>New hires not yet connected</h2>" +
          People(f.new_hires_not_connected, "colleagues", false);
  return html;
}

}  // namespace

std::string RenderReportHtml(const NetworkAnalysis& a, const ReportOptions& o) {
  const WindowFigures& f = a.current;
  std::string html = PageHead(o.title) + About(a);
  html += "<h2>Headline figures</h2>" + Headline(a);
  html +=
      "<h2>The network</h2><p class=\"note\">One dot per connected person, "
      "coloured by community (grey: communities too small to show); lines "
      "are the strongest ties. Layout: Fruchterman&ndash;Reingold.</p>";
  if (f.dots.empty())
    html += "<p>No drawing: nobody is connected in this window.</p>";
  else
    html += Drawing(f, o);
  html +=
      "<h2>Communities &times; departments</h2><p class=\"note\">How many "
      "people of each department are in each community. NMI " +
      Opt(f.nmi_department) +
      " (1 would mean the communities are the departments).</p>" + HeatMap(a);
  html +=
      "<h2>Silos</h2><p class=\"note\">E-I index: (external &minus; "
      "internal ties) / all ties; &minus;1 is a closed silo.</p>" +
      Silos(f, a.previous ? &*a.previous : nullptr);
  html += "<h2>Bridges</h2>" + Ties(f.department_ties, "departments") +
          Ties(f.country_ties, "countries");
  if (a.person_level) {
    html += PersonLevel(f);
  } else {
    html +=
        "<h2>Brokers and isolated people</h2><p class=\"note\">Named only "
        "for the HR role.</p>";
  }
  html += "<h2>Knowledge risk</h2>" + Topics(a);
  html += "</body></html>\n";
  return html;
}

}  // namespace whoknows::networks
