#include "networks/networks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/graph.h"

namespace whoknows::networks {
namespace {

constexpr int64_t kDay = 86400;
// Dot edges drawn at most: beyond this a drawing is ink, not information.
constexpr size_t kMaxDrawnEdges = 4000;

bool IsActive(const v1::Person& p) { return !p.has_active() || p.active(); }

uint64_t PairKey(int a, int b) {
  if (a > b) std::swap(a, b);
  return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
}

const std::string& TeamOf(const v1::Person& p) {
  return p.team().empty() ? p.department() : p.team();
}

// Counts per group with the privacy rule applied: -1 for 0 < count < min.
int Cell(int count, int min_group) {
  return count > 0 && count < min_group ? -1 : count;
}

struct Labels {
  std::vector<std::string> departments;
  std::vector<std::string> sites;
};

void AddTies(std::map<std::pair<std::string, std::string>, GroupTie>& out,
             const std::string& a, const std::string& b, double w) {
  auto key = a < b ? std::pair{a, b} : std::pair{b, a};
  GroupTie& t = out[key];
  t.a = key.first;
  t.b = key.second;
  ++t.ties;
  t.weight += w;
}

PersonFigure FigureOf(const v1::Person& p, double value) {
  PersonFigure f;
  f.id = p.id();
  f.display_name = p.display_name();
  f.title = p.title();
  f.department = p.department();
  f.value = value;
  return f;
}

absl::StatusOr<WindowFigures> AnalyzeWindow(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions, TimeWindow window,
    const NetworkOptions& o, const Labels& labels) {
  WindowFigures f;
  f.window = window;
  PeopleGraph pg = BuildPeopleGraph(snapshot, interactions, window, o);
  const int n = pg.graph.num_vertices;
  f.people = n;
  f.interactions = pg.interactions;
  f.ties = static_cast<int>(pg.graph.edges.size());
  f.tie_weight = pg.graph.total_weight();
  std::vector<const v1::Person*> person(n);
  for (int v = 0; v < n; ++v) person[v] = snapshot.FindPerson(pg.person_ids[v]);

  std::vector<int> degree(n, 0);
  for (auto [u, v] : pg.graph.edges) {
    ++degree[u];
    ++degree[v];
  }
  // The connected people, renumbered: communities, betweenness and the
  // drawing only concern them.
  std::vector<int> sub_of(n, -1), vertex_of;
  for (int v = 0; v < n; ++v) {
    if (degree[v] == 0) continue;
    sub_of[v] = static_cast<int>(vertex_of.size());
    vertex_of.push_back(v);
  }
  f.connected_people = static_cast<int>(vertex_of.size());
  UndirectedGraph sub;
  sub.num_vertices = f.connected_people;
  for (size_t i = 0; i < pg.graph.edges.size(); ++i) {
    sub.edges.push_back(
        {sub_of[pg.graph.edges[i].first], sub_of[pg.graph.edges[i].second]});
    sub.weights.push_back(pg.graph.weights[i]);
  }

  // Communities against the org chart.
  auto communities = FindCommunities(sub, o.communities);
  if (!communities.ok()) return communities.status();
  f.communities_count = communities->count;
  f.modularity = communities->modularity;
  const auto& member = communities->membership;
  std::map<std::string, int> dept_col, site_col;
  for (size_t i = 0; i < labels.departments.size(); ++i)
    dept_col[labels.departments[i]] = static_cast<int>(i);
  for (size_t i = 0; i < labels.sites.size(); ++i)
    site_col[labels.sites[i]] = static_cast<int>(i);
  std::vector<std::vector<int>> by_dept(
      communities->count, std::vector<int>(labels.departments.size(), 0));
  std::vector<std::vector<int>> by_site(
      communities->count, std::vector<int>(labels.sites.size(), 0));
  std::vector<int> size(communities->count, 0);
  std::vector<int> comm_d, dept_d, comm_s, site_d, comm_t, team_d;
  std::map<std::string, int> team_id;
  for (int s = 0; s < sub.num_vertices; ++s) {
    const v1::Person& p = *person[vertex_of[s]];
    const int c = member[s];
    ++size[c];
    if (auto it = dept_col.find(p.department()); it != dept_col.end()) {
      ++by_dept[c][it->second];
      comm_d.push_back(c);
      dept_d.push_back(it->second);
    }
    if (!p.team().empty()) {
      comm_t.push_back(c);
      team_d.push_back(
          team_id.emplace(p.team(), static_cast<int>(team_id.size()))
              .first->second);
    }
    if (auto it = site_col.find(p.site()); it != site_col.end()) {
      ++by_site[c][it->second];
      comm_s.push_back(c);
      site_d.push_back(it->second);
    }
  }
  if (!comm_d.empty())
    f.nmi_department = NormalizedMutualInformation(comm_d, dept_d);
  if (!comm_t.empty()) f.nmi_team = NormalizedMutualInformation(comm_t, team_d);
  if (!comm_s.empty()) f.nmi_site = NormalizedMutualInformation(comm_s, site_d);
  for (int c = 0; c < communities->count; ++c) {
    CommunityFigure cf;
    cf.id = c;
    cf.size = size[c];
    cf.suppressed = size[c] < o.min_group_size;
    if (!cf.suppressed) {
      for (int x : by_dept[c])
        cf.by_department.push_back(Cell(x, o.min_group_size));
      for (int x : by_site[c]) cf.by_site.push_back(Cell(x, o.min_group_size));
    }
    f.communities.push_back(std::move(cf));
  }

  // Bridges and silos.
  std::map<std::string, int> dept_people, country_people;
  for (int v = 0; v < n; ++v) {
    if (!person[v]->department().empty())
      ++dept_people[person[v]->department()];
    if (!person[v]->country().empty()) ++country_people[person[v]->country()];
  }
  std::map<std::string, DepartmentFigure> depts;
  for (const auto& [name, count] : dept_people) {
    DepartmentFigure& d = depts[name];
    d.name = name;
    d.people = count;
    d.suppressed = count < o.min_group_size;
  }
  std::map<std::pair<std::string, std::string>, GroupTie> dept_ties,
      country_ties;
  std::vector<char> outside_team(n, 0);
  for (size_t i = 0; i < pg.graph.edges.size(); ++i) {
    auto [u, v] = pg.graph.edges[i];
    const v1::Person& a = *person[u];
    const v1::Person& b = *person[v];
    const double w = pg.graph.weights[i];
    if (TeamOf(a).empty() || TeamOf(a) != TeamOf(b)) outside_team[u] = 1;
    if (TeamOf(b).empty() || TeamOf(a) != TeamOf(b)) outside_team[v] = 1;
    if (!a.department().empty() && !b.department().empty()) {
      if (a.department() == b.department()) {
        ++depts[a.department()].internal_ties;
      } else {
        ++depts[a.department()].external_ties;
        ++depts[b.department()].external_ties;
        AddTies(dept_ties, a.department(), b.department(), w);
      }
    }
    if (!a.country().empty() && !b.country().empty() &&
        a.country() != b.country())
      AddTies(country_ties, a.country(), b.country(), w);
  }
  for (int v = 0; v < n; ++v) {
    if (person[v]->department().empty()) continue;
    DepartmentFigure& d = depts[person[v]->department()];
    if (degree[v] == 0)
      ++d.unconnected_people;
    else if (!outside_team[v])
      ++d.isolated_people;
  }
  for (auto& [name, d] : depts) {
    const int all = d.internal_ties + d.external_ties;
    d.ei_index =
        all > 0 ? static_cast<double>(d.external_ties - d.internal_ties) / all
                : 0;
    if (d.suppressed) {
      d.internal_ties = d.external_ties = d.isolated_people =
          d.unconnected_people = 0;
      d.ei_index = 0;
    }
    f.departments.push_back(d);
  }
  for (auto& [key, t] : dept_ties) {
    t.suppressed = dept_people[t.a] < o.min_group_size ||
                   dept_people[t.b] < o.min_group_size;
    if (t.suppressed) t.ties = 0, t.weight = 0;
    f.department_ties.push_back(t);
  }
  for (auto& [key, t] : country_ties) {
    t.suppressed = country_people[t.a] < o.min_group_size ||
                   country_people[t.b] < o.min_group_size;
    if (t.suppressed) t.ties = 0, t.weight = 0;
    f.country_ties.push_back(t);
  }
  auto by_weight = [](const GroupTie& x, const GroupTie& y) {
    return x.weight != y.weight ? x.weight > y.weight
                                : std::tie(x.a, x.b) < std::tie(y.a, y.b);
  };
  std::sort(f.department_ties.begin(), f.department_ties.end(), by_weight);
  std::sort(f.country_ties.begin(), f.country_ties.end(), by_weight);

  // New hires.
  std::vector<int> new_hires;
  for (int v = 0; v < n; ++v) {
    const v1::Person& p = *person[v];
    if (IsActive(p) && p.has_joined() &&
        p.joined().seconds() >= window.end - o.new_hire_days * kDay &&
        p.joined().seconds() < window.end)
      new_hires.push_back(v);
  }
  f.new_hires = static_cast<int>(new_hires.size());
  for (int v : new_hires)
    if (degree[v] < o.new_hire_min_ties) ++f.new_hires_unconnected;
  if (f.new_hires < o.min_group_size) {
    f.new_hires = f.new_hires > 0 ? -1 : 0;
    f.new_hires_unconnected = f.new_hires_unconnected > 0 ? -1 : 0;
  }

  if (o.person_level) {
    // Brokers: betweenness over the connected people.
    const int m = sub.num_vertices;
    BetweennessOptions bo;
    bo.threads = o.threads;
    if (m > o.exact_betweenness_limit) {
      bo.samples = o.betweenness_samples;
      f.betweenness_exact = false;
      f.betweenness_samples = bo.samples;
      f.betweenness_error_bound = BetweennessErrorBound(m, bo.samples, 0.05);
    }
    std::vector<double> b = Betweenness(sub, bo);
    const double norm = m > 2 ? (m - 1.0) * (m - 2.0) / 2 : 1;
    std::vector<int> order;
    for (int s = 0; s < m; ++s)
      if (b[s] > 0 && IsActive(*person[vertex_of[s]])) order.push_back(s);
    std::sort(order.begin(), order.end(), [&](int x, int y) {
      return b[x] != b[y]
                 ? b[x] > b[y]
                 : pg.person_ids[vertex_of[x]] < pg.person_ids[vertex_of[y]];
    });
    if (static_cast<int>(order.size()) > o.top_brokers)
      order.resize(o.top_brokers);
    for (int s : order) {
      PersonFigure pf = FigureOf(*person[vertex_of[s]], b[s]);
      pf.normalized = b[s] / norm;
      f.brokers.push_back(std::move(pf));
    }
    for (int v = 0; v < n; ++v) {
      if (degree[v] > 0 && !outside_team[v] && IsActive(*person[v]))
        f.isolated.push_back(FigureOf(*person[v], degree[v]));
    }
    for (int v : new_hires)
      if (degree[v] < o.new_hire_min_ties)
        f.new_hires_not_connected.push_back(FigureOf(*person[v], degree[v]));
  }

  if (o.layout) {
    auto pos = ForceLayout(sub, o.communities.seed);
    if (!pos.ok()) return pos.status();
    for (int s = 0; s < sub.num_vertices; ++s) {
      const int c = member[s];
      f.dots.push_back({(*pos)[s].first, (*pos)[s].second,
                        f.communities[c].suppressed ? -1 : c});
    }
    std::vector<size_t> order(sub.edges.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return sub.weights[x] > sub.weights[y];
    });
    if (order.size() > kMaxDrawnEdges) order.resize(kMaxDrawnEdges);
    for (size_t i : order) f.dot_edges.push_back(sub.edges[i]);
  }
  return f;
}

std::vector<TopicRisk> KnowledgeRisk(const index::Snapshot& snapshot,
                                     int64_t before, const NetworkOptions& o) {
  // topic -> person -> answers and articles on it.
  std::map<std::string, std::map<std::string, int>> count;
  for (const auto& [id, m] : snapshot.posts) {
    if (!m->is_public || m->created >= before) continue;
    if (m->kind != v1::POST_KIND_ANSWER && m->kind != v1::POST_KIND_ARTICLE)
      continue;
    std::set<std::string> topics(m->tags.begin(), m->tags.end());
    if (const index::PostMeta* root = snapshot.FindPost(m->thread_id))
      topics.insert(root->tags.begin(), root->tags.end());
    for (const auto& t : topics) ++count[t][m->author_id];
  }
  std::vector<TopicRisk> out;
  for (const auto& [topic, people] : count) {
    TopicRisk r;
    r.topic = topic;
    for (const auto& [id, posts] : people) {
      const v1::Person* p = snapshot.FindPerson(id);
      if (!p || p->opted_out() || !IsActive(*p) ||
          posts < o.expertise_min_posts)
        continue;
      ++r.holders;
      if (p->leaving()) ++r.leaving_holders;
      if (o.person_level) r.holder_ids.push_back(id);
    }
    r.bus_factor_risk = r.holders <= o.bus_factor;
    r.leaving_risk =
        r.leaving_holders > 0 && r.holders - r.leaving_holders <= o.bus_factor;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const TopicRisk& a, const TopicRisk& b) {
    const int ra = a.holders - a.leaving_holders,
              rb = b.holders - b.leaving_holders;
    if (ra != rb) return ra < rb;
    if (a.holders != b.holders) return a.holders < b.holders;
    return a.topic < b.topic;
  });
  if (static_cast<int>(out.size()) > o.max_topics) out.resize(o.max_topics);
  return out;
}

}  // namespace

absl::Status NetworkOptions::Validate() const {
  if (min_group_size < 1 || min_group_size > 1000)
    return absl::InvalidArgumentError("min_group_size: must be 1-1000");
  if (window_days < 0 || window_days > 36500)
    return absl::InvalidArgumentError("window_days: must be 0-36500");
  if (window_end < 0)
    return absl::InvalidArgumentError("window_end: must not be negative");
  if (compare_previous && window_days == 0)
    return absl::InvalidArgumentError(
        "window_days: comparing with the previous window needs a window "
        "length");
  if (top_brokers < 0 || top_brokers > 1000)
    return absl::InvalidArgumentError("top_brokers: must be 0-1000");
  if (betweenness_samples < 1)
    return absl::InvalidArgumentError("betweenness_samples: must be positive");
  if (!(interaction_weight > 0))
    return absl::InvalidArgumentError("interaction_weight: must be positive");
  if (new_hire_days < 0)
    return absl::InvalidArgumentError("new_hire_days: must not be negative");
  if (max_topics < 0)
    return absl::InvalidArgumentError("max_topics: must not be negative");
  return absl::OkStatus();
}

PeopleGraph BuildPeopleGraph(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions, TimeWindow window,
    const NetworkOptions& options) {
  PeopleGraph pg;
  for (const auto& [id, p] : snapshot.people)
    if (!p->opted_out()) pg.person_ids.push_back(id);
  std::sort(pg.person_ids.begin(), pg.person_ids.end());
  std::unordered_map<std::string, int> vertex;
  vertex.reserve(pg.person_ids.size());
  for (size_t i = 0; i < pg.person_ids.size(); ++i)
    vertex[pg.person_ids[i]] = static_cast<int>(i);
  auto in_window = [&](int64_t t) {
    return t >= window.start && (window.end == 0 || t < window.end);
  };
  std::unordered_map<uint64_t, double> weight;
  auto add = [&](const std::string& a, const std::string& b, double w) {
    auto ia = vertex.find(a), ib = vertex.find(b);
    if (ia == vertex.end() || ib == vertex.end()) {
      // Opted-out people are in the directory and dropped silently.
      if (!snapshot.FindPerson(a) || !snapshot.FindPerson(b))
        ++pg.unknown_endpoints;
      return;
    }
    if (ia->second == ib->second) return;
    weight[PairKey(ia->second, ib->second)] += w;
  };
  for (const auto& it : interactions) {
    if (!in_window(it.time)) continue;
    ++pg.interactions;
    for (const auto& to : it.to) add(it.from, to, options.interaction_weight);
  }
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  for (const auto& [id, m] : snapshot.posts)
    if (in_window(m->created)) posts.emplace(id, m);
  std::unordered_map<std::string, std::string> managers;
  if (options.include_manager_ties) {
    for (const auto& [id, p] : snapshot.people)
      if (!p->manager_id().empty()) managers[id] = p->manager_id();
  }
  if (!posts.empty() || !managers.empty()) {
    index::ColleagueGraph cg = index::ColleagueGraph::Build(posts, managers);
    cg.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
      add(cg.PersonId(from), cg.PersonId(to), e.weight);
    });
  }
  std::vector<std::pair<uint64_t, double>> sorted(weight.begin(), weight.end());
  std::sort(sorted.begin(), sorted.end());
  pg.graph.num_vertices = static_cast<int>(pg.person_ids.size());
  for (auto [key, w] : sorted) {
    pg.graph.edges.push_back(
        {static_cast<int>(key >> 32), static_cast<int>(key & 0xffffffffu)});
    pg.graph.weights.push_back(w);
  }
  return pg;
}

absl::StatusOr<NetworkAnalysis> AnalyzeNetwork(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions,
    const NetworkOptions& options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  NetworkAnalysis a;
  a.min_group_size = options.min_group_size;
  a.person_level = options.person_level;
  std::set<std::string> depts, sites;
  for (const auto& [id, p] : snapshot.people) {
    if (p->opted_out()) {
      ++a.opted_out_excluded;
      continue;
    }
    if (!p->department().empty()) depts.insert(p->department());
    if (!p->site().empty()) sites.insert(p->site());
  }
  Labels labels{{depts.begin(), depts.end()}, {sites.begin(), sites.end()}};
  a.departments = labels.departments;
  a.sites = labels.sites;

  TimeWindow w;
  w.end = options.window_end;
  if (w.end == 0) {
    int64_t newest = 0;
    for (const auto& it : interactions) newest = std::max(newest, it.time);
    for (const auto& [id, m] : snapshot.posts)
      if (m->is_public) newest = std::max(newest, m->created);
    w.end = newest + 1;
  }
  if (options.window_days > 0) w.start = w.end - options.window_days * kDay;
  auto current = AnalyzeWindow(snapshot, interactions, w, options, labels);
  if (!current.ok()) return current.status();
  a.current = std::move(*current);
  if (options.compare_previous) {
    TimeWindow before{w.start - options.window_days * kDay, w.start};
    NetworkOptions o = options;
    o.layout = false;
    auto previous = AnalyzeWindow(snapshot, interactions, before, o, labels);
    if (!previous.ok()) return previous.status();
    a.previous = std::move(*previous);
  }
  a.unknown_endpoints =
      BuildPeopleGraph(snapshot, interactions, w, options).unknown_endpoints;
  a.topics = KnowledgeRisk(snapshot, w.end, options);

  // Say what was withheld.
  const int min = options.min_group_size;
  for (const auto& d : a.current.departments)
    if (d.suppressed)
      a.suppressed.push_back(absl::StrFormat(
          "department \"%s\": %d people (fewer than %d): ties, E-I index and "
          "isolation figures withheld",
          d.name, d.people, min));
  int small = 0, small_people = 0, cells = 0;
  for (const auto& c : a.current.communities) {
    if (c.suppressed) {
      ++small;
      small_people += c.size;
    }
    for (int x : c.by_department) cells += x < 0;
    for (int x : c.by_site) cells += x < 0;
  }
  if (small > 0)
    a.suppressed.push_back(absl::StrFormat(
        "%d communities of fewer than %d people (%d people in all): no "
        "breakdown",
        small, min, small_people));
  if (cells > 0)
    a.suppressed.push_back(absl::StrFormat(
        "%d community x department/site cells of 1-%d people withheld", cells,
        min - 1));
  int ties = 0;
  for (const auto& t : a.current.department_ties) ties += t.suppressed;
  for (const auto& t : a.current.country_ties) ties += t.suppressed;
  if (ties > 0)
    a.suppressed.push_back(absl::StrFormat(
        "%d ties between groups of which one has fewer than %d people "
        "withheld",
        ties, min));
  if (a.current.new_hires < 0)
    a.suppressed.push_back(
        absl::StrFormat("new hires: fewer than %d, counts withheld", min));
  if (!options.person_level)
    a.suppressed.push_back(
        "person-level lists (brokers, isolated people, unconnected new hires, "
        "topic holders) withheld: they need the HR role");
  if (a.opted_out_excluded > 0)
    a.suppressed.push_back(
        absl::StrFormat("%d people who opted out are left out of every figure",
                        a.opted_out_excluded));
  return a;
}

}  // namespace whoknows::networks
