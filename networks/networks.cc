#include "networks/networks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "index/clock.h"
#include "index/graph.h"
#include "index/people.h"

namespace whoknows::networks {
namespace {

constexpr int64_t kDay = 86400;
// Sampled betweenness is within its error bound with probability 1 - this
// (WindowFigures and the report say 95%).
constexpr double kErrorBoundDelta = 0.05;

using index::IsActive;

uint64_t PairKey(int a, int b) {
  if (a > b) std::swap(a, b);
  return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
}

const std::string& TeamOf(const v1::Person& p) {
  return p.team().empty() ? p.department() : p.team();
}

const std::string& DepartmentOf(const v1::Person& p) { return p.department(); }
const std::string& CountryOf(const v1::Person& p) { return p.country(); }

// Counts per group with the privacy rule applied: -1 for 0 < count < min.
std::vector<int> Cells(const std::vector<int>& counts, int min_group) {
  std::vector<int> out;
  for (int x : counts) out.push_back(x > 0 && x < min_group ? -1 : x);
  return out;
}

struct Labels {
  std::vector<std::string> departments;
  std::vector<std::string> sites;
};

PersonFigure FigureOf(const v1::Person& p, double value) {
  PersonFigure f;
  f.id = p.id();
  f.display_name = p.display_name();
  f.title = p.title();
  f.department = p.department();
  f.value = value;
  return f;
}

// One window's ties, with what the stages of AnalyzeWindow need to know
// about the people at their ends.
struct WindowGraph {
  PeopleGraph people;  // every person in the directory, not opted out
  std::vector<const v1::Person*> person;  // vertex -> person
  std::vector<int> degree;                // distinct colleagues
  std::vector<char> outside_team;         // a tie outside their TeamOf
  // The connected people, renumbered: communities, betweenness and the
  // drawing only concern them.
  UndirectedGraph connected;
  std::vector<int> vertex_of;  // connected vertex -> vertex
};

WindowGraph BuildWindowGraph(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions, TimeWindow window,
    const NetworkOptions& o) {
  WindowGraph g;
  g.people = BuildPeopleGraph(snapshot, interactions, window, o);
  const UndirectedGraph& all = g.people.graph;
  const int n = all.num_vertices;
  for (int v = 0; v < n; ++v)
    g.person.push_back(snapshot.FindPerson(g.people.person_ids[v]));
  g.degree.assign(n, 0);
  g.outside_team.assign(n, 0);
  for (auto [u, v] : all.edges) {
    ++g.degree[u];
    ++g.degree[v];
    const std::string& team_u = TeamOf(*g.person[u]);
    const std::string& team_v = TeamOf(*g.person[v]);
    if (team_u.empty() || team_u != team_v) g.outside_team[u] = 1;
    if (team_v.empty() || team_u != team_v) g.outside_team[v] = 1;
  }
  std::vector<int> sub_of(n, -1);
  for (int v = 0; v < n; ++v) {
    if (g.degree[v] == 0) continue;
    sub_of[v] = static_cast<int>(g.vertex_of.size());
    g.vertex_of.push_back(v);
  }
  g.connected.num_vertices = static_cast<int>(g.vertex_of.size());
  for (size_t i = 0; i < all.edges.size(); ++i) {
    g.connected.edges.push_back(
        {sub_of[all.edges[i].first], sub_of[all.edges[i].second]});
    g.connected.weights.push_back(all.weights[i]);
  }
  return g;
}

WindowFigures Totals(const WindowGraph& g, TimeWindow window) {
  WindowFigures f;
  f.window = window;
  f.people = g.people.graph.num_vertices;
  f.interactions = g.people.interactions;
  f.ties = static_cast<int>(g.people.graph.edges.size());
  f.tie_weight = g.people.graph.total_weight();
  f.connected_people = g.connected.num_vertices;
  return f;
}

// Two labelings of the same connected people, for NMI: their communities
// and their groups (department, team or site), people without one left out.
struct Labeling {
  std::vector<int> community;
  std::vector<int> group;
  void Add(int c, int g) {
    community.push_back(c);
    group.push_back(g);
  }
};

std::optional<double> Nmi(const Labeling& l) {
  if (l.community.empty()) return std::nullopt;
  return NormalizedMutualInformation(l.community, l.group);
}

// Connected people per community, per community and department or site
// column, and the labelings NMI compares.
struct OrgChartTally {
  std::vector<int> size;
  std::vector<std::vector<int>> by_department;
  std::vector<std::vector<int>> by_site;
  Labeling department, team, site;
};

std::map<std::string, int> ColumnOf(const std::vector<std::string>& labels) {
  std::map<std::string, int> column;
  for (size_t i = 0; i < labels.size(); ++i)
    column[labels[i]] = static_cast<int>(i);
  return column;
}

OrgChartTally TallyByOrgChart(const WindowGraph& g, const Communities& c,
                              const Labels& labels) {
  const std::map<std::string, int> dept_col = ColumnOf(labels.departments);
  const std::map<std::string, int> site_col = ColumnOf(labels.sites);
  OrgChartTally t;
  t.size.assign(c.count, 0);
  t.by_department.assign(c.count,
                         std::vector<int>(labels.departments.size(), 0));
  t.by_site.assign(c.count, std::vector<int>(labels.sites.size(), 0));
  std::map<std::string, int> team_id;
  for (int s = 0; s < g.connected.num_vertices; ++s) {
    const v1::Person& p = *g.person[g.vertex_of[s]];
    const int k = c.membership[s];
    ++t.size[k];
    if (auto it = dept_col.find(p.department()); it != dept_col.end()) {
      ++t.by_department[k][it->second];
      t.department.Add(k, it->second);
    }
    if (!p.team().empty())
      t.team.Add(k, team_id.emplace(p.team(), static_cast<int>(team_id.size()))
                        .first->second);
    if (auto it = site_col.find(p.site()); it != site_col.end()) {
      ++t.by_site[k][it->second];
      t.site.Add(k, it->second);
    }
  }
  return t;
}

// Communities of the connected people against the org chart; returns each
// connected person's community.
absl::StatusOr<std::vector<int>> AddCommunities(const WindowGraph& g,
                                                const Labels& labels,
                                                const NetworkOptions& o,
                                                WindowFigures* f) {
  CommunityOptions co = o.communities;
  co.cancelled = o.cancelled;
  const int64_t ties = std::max<int64_t>(1, g.connected.edges.size());
  co.seeds = static_cast<int>(std::min<int64_t>(
      o.communities.seeds, std::max<int64_t>(1, o.community_seed_ties / ties)));
  f->community_seeds = co.seeds;
  auto communities = FindCommunities(g.connected, co);
  if (!communities.ok()) return communities.status();
  f->communities_count = communities->count;
  f->modularity = communities->modularity;
  const OrgChartTally t = TallyByOrgChart(g, *communities, labels);
  f->nmi_department = Nmi(t.department);
  f->nmi_team = Nmi(t.team);
  f->nmi_site = Nmi(t.site);
  for (int c = 0; c < communities->count; ++c) {
    CommunityFigure cf;
    cf.id = c;
    cf.size = t.size[c];
    cf.suppressed = t.size[c] < o.min_group_size;
    if (!cf.suppressed) {
      cf.by_department = Cells(t.by_department[c], o.min_group_size);
      cf.by_site = Cells(t.by_site[c], o.min_group_size);
    }
    f->communities.push_back(std::move(cf));
  }
  return std::move(communities->membership);
}

// People per known group (department, country) in the window's directory.
template <typename GroupOf>
std::map<std::string, int> PeoplePer(const WindowGraph& g, GroupOf group_of) {
  std::map<std::string, int> people;
  for (const v1::Person* p : g.person)
    if (!group_of(*p).empty()) ++people[group_of(*p)];
  return people;
}

// Each vertex's group among `people`'s (their index in its order), -1
// for none: strings are looked up once per person, not once per tie.
template <typename GroupOf>
std::vector<int> GroupIndex(const WindowGraph& g, GroupOf group_of,
                            const std::map<std::string, int>& people) {
  std::unordered_map<std::string, int> index;
  for (const auto& [name, count] : people)
    index.emplace(name, static_cast<int>(index.size()));
  std::vector<int> out(g.person.size(), -1);
  for (size_t v = 0; v < g.person.size(); ++v)
    if (auto it = index.find(group_of(*g.person[v])); it != index.end())
      out[v] = it->second;
  return out;
}

std::vector<DepartmentFigure> DepartmentFigures(
    const WindowGraph& g, const std::map<std::string, int>& dept_people,
    int min_group) {
  std::vector<DepartmentFigure> depts;  // in dept_people's order
  for (const auto& [name, count] : dept_people) {
    DepartmentFigure& d = depts.emplace_back();
    d.name = name;
    d.people = count;
    d.suppressed = count < min_group;
  }
  const std::vector<int> dept = GroupIndex(g, DepartmentOf, dept_people);
  for (auto [u, v] : g.people.graph.edges) {
    const int a = dept[u], b = dept[v];
    if (a < 0 || b < 0) continue;
    if (a == b) {
      ++depts[a].internal_ties;
    } else {
      ++depts[a].external_ties;
      ++depts[b].external_ties;
    }
  }
  for (size_t v = 0; v < g.person.size(); ++v) {
    if (dept[v] < 0) continue;
    DepartmentFigure& d = depts[dept[v]];
    if (g.degree[v] == 0)
      ++d.unconnected_people;
    else if (!g.outside_team[v])
      ++d.isolated_people;
  }
  std::vector<DepartmentFigure> out;
  for (DepartmentFigure& d : depts) {
    const int all = d.internal_ties + d.external_ties;
    d.ei_index =
        all > 0 ? static_cast<double>(d.external_ties - d.internal_ties) / all
                : 0;
    if (d.suppressed) {
      d.internal_ties = d.external_ties = d.isolated_people =
          d.unconnected_people = 0;
      d.ei_index = 0;
    }
    out.push_back(d);
  }
  return out;
}

// Ties between people of two different known groups, summed per pair of
// groups, the heaviest first; withheld where either group has fewer than
// min_group people.
template <typename GroupOf>
std::vector<GroupTie> TiesBetween(const WindowGraph& g, GroupOf group_of,
                                  const std::map<std::string, int>& people,
                                  int min_group) {
  const UndirectedGraph& all = g.people.graph;
  const std::vector<int> group = GroupIndex(g, group_of, people);
  std::vector<const std::pair<const std::string, int>*> name;
  for (const auto& entry : people) name.push_back(&entry);
  std::map<std::pair<int, int>, GroupTie> ties;  // indices follow names
  for (size_t i = 0; i < all.edges.size(); ++i) {
    int a = group[all.edges[i].first], b = group[all.edges[i].second];
    if (a < 0 || b < 0 || a == b) continue;
    if (a > b) std::swap(a, b);
    GroupTie& t = ties[{a, b}];
    ++t.ties;
    t.weight += all.weights[i];
  }
  std::vector<GroupTie> out;
  for (auto& [key, t] : ties) {
    t.a = name[key.first]->first;
    t.b = name[key.second]->first;
    t.suppressed = name[key.first]->second < min_group ||
                   name[key.second]->second < min_group;
    if (t.suppressed) t.ties = 0, t.weight = 0;
    out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const GroupTie& x, const GroupTie& y) {
    return x.weight != y.weight ? x.weight > y.weight
                                : std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });
  return out;
}

void AddSilosAndBridges(const WindowGraph& g, const NetworkOptions& o,
                        WindowFigures* f) {
  const std::map<std::string, int> dept_people = PeoplePer(g, DepartmentOf);
  f->departments = DepartmentFigures(g, dept_people, o.min_group_size);
  f->department_ties =
      TiesBetween(g, DepartmentOf, dept_people, o.min_group_size);
  f->country_ties =
      TiesBetween(g, CountryOf, PeoplePer(g, CountryOf), o.min_group_size);
}

// Vertices of the active people who joined within new_hire_days before the
// window's end.
std::vector<int> NewHires(const WindowGraph& g, TimeWindow window,
                          const NetworkOptions& o) {
  std::vector<int> new_hires;
  for (size_t v = 0; v < g.person.size(); ++v) {
    const v1::Person& p = *g.person[v];
    if (IsActive(p) && p.has_joined() &&
        p.joined().seconds() >=
            index::SaturatingAdd(window.end, -o.new_hire_days * kDay) &&
        p.joined().seconds() < window.end)
      new_hires.push_back(static_cast<int>(v));
  }
  return new_hires;
}

void AddNewHireCounts(const WindowGraph& g, const std::vector<int>& new_hires,
                      const NetworkOptions& o, WindowFigures* f) {
  f->new_hires = static_cast<int>(new_hires.size());
  for (int v : new_hires)
    if (g.degree[v] < o.new_hire_min_ties) ++f->new_hires_unconnected;
  if (f->new_hires < o.min_group_size) {
    f->new_hires = f->new_hires > 0 ? -1 : 0;
    f->new_hires_unconnected = f->new_hires_unconnected > 0 ? -1 : 0;
  }
}

// Brokers: the active people with the highest betweenness over the
// connected people, exact or sampled.
absl::Status AddBrokers(const WindowGraph& g, const NetworkOptions& o,
                        WindowFigures* f) {
  const int m = g.connected.num_vertices;
  BetweennessOptions bo;
  bo.threads = o.threads;
  bo.cancelled = o.cancelled;
  const int samples = std::min(
      o.betweenness_samples,
      BetweennessSamplesFor(m, o.betweenness_relative_error, kErrorBoundDelta));
  if (m > o.exact_betweenness_limit && samples < m) {
    bo.samples = samples;
    f->betweenness_exact = false;
    f->betweenness_samples = bo.samples;
    f->betweenness_error_bound =
        BetweennessErrorBound(m, bo.samples, kErrorBoundDelta);
  }
  std::vector<double> b = Betweenness(g.connected, bo);
  if (b.size() != static_cast<size_t>(m))
    return absl::CancelledError("analysis stopped before betweenness was done");
  const double norm = m > 2 ? (m - 1.0) * (m - 2.0) / 2 : 1;
  auto id = [&](int s) -> const std::string& {
    return g.people.person_ids[g.vertex_of[s]];
  };
  std::vector<int> order;
  for (int s = 0; s < m; ++s)
    if (b[s] > 0 && IsActive(*g.person[g.vertex_of[s]])) order.push_back(s);
  std::sort(order.begin(), order.end(), [&](int x, int y) {
    return b[x] != b[y] ? b[x] > b[y] : id(x) < id(y);
  });
  if (static_cast<int>(order.size()) > o.top_brokers)
    order.resize(o.top_brokers);
  for (int s : order) {
    PersonFigure pf = FigureOf(*g.person[g.vertex_of[s]], b[s]);
    pf.normalized = b[s] / norm;
    f->brokers.push_back(std::move(pf));
  }
  return absl::OkStatus();
}

// People who talk only within their team, and new hires not yet connected.
void AddPersonLists(const WindowGraph& g, const std::vector<int>& new_hires,
                    const NetworkOptions& o, WindowFigures* f) {
  for (size_t v = 0; v < g.person.size(); ++v) {
    if (g.degree[v] > 0 && !g.outside_team[v] && IsActive(*g.person[v]))
      f->isolated.push_back(FigureOf(*g.person[v], g.degree[v]));
  }
  for (int v : new_hires)
    if (g.degree[v] < o.new_hire_min_ties)
      f->new_hires_not_connected.push_back(FigureOf(*g.person[v], g.degree[v]));
}

// A dot per connected person coloured by community, and the strongest ties.
absl::Status AddDrawing(const WindowGraph& g,
                        const std::vector<int>& membership,
                        const NetworkOptions& o, WindowFigures* f) {
  const UndirectedGraph& sub = g.connected;
  auto pos =
      ForceLayout(sub, o.communities.seed, o.layout_iterations, o.cancelled);
  if (!pos.ok()) return pos.status();
  for (int s = 0; s < sub.num_vertices; ++s) {
    const int c = membership[s];
    f->dots.push_back({(*pos)[s].first, (*pos)[s].second,
                       f->communities[c].suppressed ? -1 : c});
  }
  std::vector<size_t> order(sub.edges.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return sub.weights[x] > sub.weights[y];
  });
  if (order.size() > static_cast<size_t>(o.max_drawn_edges))
    order.resize(o.max_drawn_edges);
  for (size_t i : order) f->dot_edges.push_back(sub.edges[i]);
  return absl::OkStatus();
}

// CANCELLED, naming the stage it did not start, once the caller has asked
// to stop (NetworkOptions::cancelled).
absl::Status CheckCancelled(const NetworkOptions& o, const char* stage) {
  if (o.cancelled && o.cancelled())
    return absl::CancelledError(
        absl::StrCat("analysis stopped before ", stage));
  return absl::OkStatus();
}

// Tells NetworkOptions::on_stage how long each stage took.
class StageClock {
 public:
  explicit StageClock(const NetworkOptions& o) : o_(o) {}
  void Done(const char* stage) {
    const auto now = std::chrono::steady_clock::now();
    if (o_.on_stage)
      o_.on_stage(stage, std::chrono::duration<double>(now - since_).count());
    since_ = now;
  }

 private:
  const NetworkOptions& o_;
  std::chrono::steady_clock::time_point since_ =
      std::chrono::steady_clock::now();
};

absl::StatusOr<WindowFigures> AnalyzeWindow(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions, TimeWindow window,
    const NetworkOptions& o, const Labels& labels) {
  StageClock clock(o);
  // 1. The ties in the window between the people in the directory.
  const WindowGraph g = BuildWindowGraph(snapshot, interactions, window, o);
  WindowFigures f = Totals(g, window);
  f.unknown_endpoints = g.people.unknown_endpoints;
  clock.Done("graph");
  // 2. Communities against the org chart.
  WK_RETURN_IF_ERROR(CheckCancelled(o, "communities"));
  auto membership = AddCommunities(g, labels, o, &f);
  if (!membership.ok()) return membership.status();
  clock.Done("communities");
  // 3. Silos and bridges between departments and countries.
  AddSilosAndBridges(g, o, &f);
  // 4. New hires, and how many are not yet connected.
  const std::vector<int> new_hires = NewHires(g, window, o);
  AddNewHireCounts(g, new_hires, o, &f);
  clock.Done("silos, bridges, new hires");
  // 5. Person-level lists (the HR role only).
  if (o.person_level) {
    WK_RETURN_IF_ERROR(CheckCancelled(o, "brokers"));
    WK_RETURN_IF_ERROR(AddBrokers(g, o, &f));
    AddPersonLists(g, new_hires, o, &f);
    clock.Done("brokers (betweenness)");
  }
  // 6. The drawing.
  if (o.layout) {
    WK_RETURN_IF_ERROR(CheckCancelled(o, "the drawing"));
    WK_RETURN_IF_ERROR(AddDrawing(g, *membership, o, &f));
    clock.Done("drawing (layout)");
  }
  return f;
}

std::vector<TopicRisk> KnowledgeRisk(const index::Snapshot& snapshot,
                                     int64_t before, const NetworkOptions& o) {
  // topic -> person -> answers and articles on it. Hash maps and a small
  // vector per post (a post has a few tags): at 1M posts the ordered maps
  // and a std::set per post took seconds.
  std::unordered_map<std::string, std::unordered_map<std::string, int>> count;
  std::vector<const std::string*> topics;
  for (const auto& [id, m] : snapshot.posts) {
    if (!m->is_public || m->created >= before) continue;
    if (m->kind != v1::POST_KIND_ANSWER && m->kind != v1::POST_KIND_ARTICLE)
      continue;
    topics.clear();
    for (const auto& t : m->tags) topics.push_back(&t.str());
    if (const index::PostMeta* root = snapshot.FindPost(m->thread_id))
      for (const auto& t : root->tags) topics.push_back(&t.str());
    std::sort(
        topics.begin(), topics.end(),
        [](const std::string* a, const std::string* b) { return *a < *b; });
    for (size_t i = 0; i < topics.size(); ++i)
      if (i == 0 || *topics[i] != *topics[i - 1])
        ++count[*topics[i]][m->author_id];
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
    std::sort(r.holder_ids.begin(), r.holder_ids.end());
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

Labels OrgChartLabels(const index::Snapshot& snapshot, int* opted_out) {
  std::set<std::string> depts, sites;
  for (const auto& [id, p] : snapshot.people) {
    if (p->opted_out()) {
      ++*opted_out;
      continue;
    }
    if (!p->department().empty()) depts.insert(p->department());
    if (!p->site().empty()) sites.insert(p->site());
  }
  return {{depts.begin(), depts.end()}, {sites.begin(), sites.end()}};
}

// The analysed window: window_days ending at window_end, or one second
// after the newest interaction or public post.
TimeWindow WindowOf(const index::Snapshot& snapshot,
                    const std::vector<index::Interaction>& interactions,
                    const NetworkOptions& options) {
  TimeWindow w;
  w.end = options.window_end;
  if (w.end == 0) {
    int64_t newest = 0;
    for (const auto& it : interactions) newest = std::max(newest, it.time);
    for (const auto& [id, m] : snapshot.posts)
      if (m->is_public) newest = std::max(newest, m->created);
    // Saturating: a folder written before timestamps were validated may
    // hold any time.
    w.end = index::SaturatingAdd(newest, 1);
  }
  if (options.window_days > 0)
    w.start = index::SaturatingAdd(w.end, -options.window_days * kDay);
  return w;
}

// One line per privacy rule that withheld something from `a`'s current
// window.
std::vector<std::string> WithheldNotes(const NetworkAnalysis& a,
                                       const NetworkOptions& options) {
  std::vector<std::string> notes;
  const int min = options.min_group_size;
  for (const auto& d : a.current.departments)
    if (d.suppressed)
      notes.push_back(absl::StrFormat(
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
    notes.push_back(absl::StrFormat(
        "%d communities of fewer than %d people (%d people in all): no "
        "breakdown",
        small, min, small_people));
  if (cells > 0)
    notes.push_back(absl::StrFormat(
        "%d community x department/site cells of 1-%d people withheld", cells,
        min - 1));
  int ties = 0;
  for (const auto& t : a.current.department_ties) ties += t.suppressed;
  for (const auto& t : a.current.country_ties) ties += t.suppressed;
  if (ties > 0)
    notes.push_back(absl::StrFormat(
        "%d ties between groups of which one has fewer than %d people "
        "withheld",
        ties, min));
  if (a.current.new_hires < 0)
    notes.push_back(
        absl::StrFormat("new hires: fewer than %d, counts withheld", min));
  if (!options.person_level)
    notes.push_back(
        "person-level lists (brokers, isolated people, unconnected new hires, "
        "topic holders) withheld: they need the HR role");
  if (a.opted_out_excluded > 0)
    notes.push_back(
        absl::StrFormat("%d people who opted out are left out of every figure",
                        a.opted_out_excluded));
  return notes;
}

// One end of a tie: the person's vertex, or -1 when they are not one
// (opted out, or not in the directory: `known` tells which).
struct End {
  int vertex = -1;
  bool known = false;
};

End EndOf(const index::Snapshot& snapshot,
          const std::unordered_map<std::string, int>& vertex,
          const std::string& id) {
  if (auto it = vertex.find(id); it != vertex.end()) return {it->second, true};
  return {-1, snapshot.FindPerson(id) != nullptr};
}

// Ties as they are found, summed per pair by Graph() in the order they were
// added (the sums are reproducible).
class TieList {
 public:
  void Add(End a, End b, double w, int64_t* unknown_endpoints) {
    if (a.vertex < 0 || b.vertex < 0) {
      // A tie of someone who opted out is dropped silently, as if it had
      // never been (the snapshot's graph has no such tie either); one of
      // two people in the directory with no one outside it is counted.
      const bool opted_out =
          (a.known && a.vertex < 0) || (b.known && b.vertex < 0);
      if (!opted_out) ++*unknown_endpoints;
      return;
    }
    if (a.vertex != b.vertex) ties_.push_back({PairKey(a.vertex, b.vertex), w});
  }
  size_t size() const { return ties_.size(); }
  void Truncate(size_t n) { ties_.resize(n); }

  UndirectedGraph Graph(int num_vertices) {
    std::stable_sort(
        ties_.begin(), ties_.end(),
        [](const auto& x, const auto& y) { return x.first < y.first; });
    UndirectedGraph g;
    g.num_vertices = num_vertices;
    for (size_t i = 0; i < ties_.size();) {
      const uint64_t key = ties_[i].first;
      double w = 0;
      for (; i < ties_.size() && ties_[i].first == key; ++i)
        w += ties_[i].second;
      g.edges.push_back(
          {static_cast<int>(key >> 32), static_cast<int>(key & 0xffffffffu)});
      g.weights.push_back(w);
    }
    ties_ = {};
    return g;
  }

 private:
  std::vector<std::pair<uint64_t, double>> ties_;
};

// Adds the edges of a colleague graph, its people mapped to the analysis'
// vertices once (not once per edge); manager ties only when asked for.
// With `check_weights`, stops and returns false at the first edge whose
// weight is not what options.graph's kind weights make of its count.
bool AddColleagueTies(const index::Snapshot& snapshot,
                      const std::unordered_map<std::string, int>& vertex,
                      const index::ColleagueGraph& cg,
                      const NetworkOptions& options, bool check_weights,
                      TieList* ties, int64_t* unknown_endpoints) {
  std::vector<End> end(cg.num_people());
  for (size_t v = 0; v < end.size(); ++v)
    end[v] = EndOf(snapshot, vertex, cg.PersonId(static_cast<int64_t>(v)));
  bool same = true;
  cg.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& e) {
    if (!same) return;
    if (e.kind == index::EdgeKind::kManager && !options.include_manager_ties)
      return;
    if (check_weights) {
      const double w =
          e.count * options.graph.kind_weight[static_cast<int>(e.kind)];
      if (std::fabs(e.weight - w) > 1e-9 * std::max(1.0, std::fabs(w))) {
        same = false;
        return;
      }
    }
    ties->Add(end[from], end[to], e.weight, unknown_endpoints);
  });
  return same;
}

// The snapshot's colleague graph is built from every public post (and the
// manager tree) with the catalog's options, leaving out the people who
// opted out: the ties a window's posts make when the window holds every
// post, the options are the same (NetworkOptions::graph) and the edges
// weigh what they say. Adds its ties and returns true then; adds nothing
// and returns false otherwise.
bool AddSnapshotTies(const index::Snapshot& snapshot,
                     const std::unordered_map<std::string, int>& vertex,
                     TimeWindow window, const NetworkOptions& options,
                     TieList* ties, int64_t* unknown_endpoints) {
  if (!snapshot.graph) return false;
  for (const auto& [id, m] : snapshot.posts)
    if (m->is_public && (m->created < window.start ||
                         (window.end != 0 && m->created >= window.end)))
      return false;
  const size_t before = ties->size();
  int64_t unknown = 0;
  if (!AddColleagueTies(snapshot, vertex, *snapshot.graph, options,
                        /*check_weights=*/true, ties, &unknown)) {
    ties->Truncate(before);
    return false;
  }
  *unknown_endpoints += unknown;
  return true;
}

// The ties of the public posts created in the window (and the manager tree
// on request), from a colleague graph built from them.
template <typename InWindow>
void AddPostTies(const index::Snapshot& snapshot,
                 const std::unordered_map<std::string, int>& vertex,
                 InWindow in_window, const NetworkOptions& options,
                 TieList* ties, int64_t* unknown_endpoints) {
  std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>> posts;
  for (const auto& [id, m] : snapshot.posts)
    if (in_window(m->created)) posts.emplace(id, m);
  std::unordered_map<std::string, std::string> managers;
  if (options.include_manager_ties) {
    for (const auto& [id, p] : snapshot.people)
      if (!p->manager_id().empty()) managers[id] = p->manager_id();
  }
  if (posts.empty() && managers.empty()) return;
  const index::ColleagueGraph cg =
      index::ColleagueGraph::Build(posts, managers, options.graph);
  AddColleagueTies(snapshot, vertex, cg, options, /*check_weights=*/false, ties,
                   unknown_endpoints);
}

}  // namespace

absl::Status NetworkOptions::Validate() const {
  auto invalid = [](const char* field, auto... why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", why...));
  };
  if (min_group_size < 1 || min_group_size > limits.max_min_group_size)
    return invalid("min_group_size", "must be 1-", limits.max_min_group_size);
  if (window_days < 0 || window_days > limits.max_window_days)
    return invalid("window_days", "must be 0-", limits.max_window_days);
  if (window_end < 0) return invalid("window_end", "must not be negative");
  if (compare_previous && window_days == 0)
    return invalid("window_days",
                   "comparing with the previous window needs a window length");
  if (top_brokers < 0 || top_brokers > limits.max_top_brokers)
    return invalid("top_brokers", "must be 0-", limits.max_top_brokers);
  if (betweenness_samples < 1)
    return invalid("betweenness_samples", "must be positive");
  if (!(betweenness_relative_error > 0 && betweenness_relative_error <= 1))
    return invalid("betweenness_relative_error", "must be in (0, 1]");
  if (!(interaction_weight > 0))
    return invalid("interaction_weight", "must be positive");
  if (new_hire_days < 0)
    return invalid("new_hire_days", "must not be negative");
  if (max_topics < 0) return invalid("max_topics", "must not be negative");
  if (layout_iterations < 1)
    return invalid("layout_iterations", "must be positive");
  if (community_seed_ties < 1)
    return invalid("community_seed_ties", "must be positive");
  if (max_drawn_edges < 0)
    return invalid("max_drawn_edges", "must not be negative");
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
  TieList ties;
  for (const auto& it : interactions) {
    if (!in_window(it.time)) continue;
    ++pg.interactions;
    const End from = EndOf(snapshot, vertex, it.from);
    for (const auto& to : it.to)
      ties.Add(from, EndOf(snapshot, vertex, to), options.interaction_weight,
               &pg.unknown_endpoints);
  }
  if (!AddSnapshotTies(snapshot, vertex, window, options, &ties,
                       &pg.unknown_endpoints))
    AddPostTies(snapshot, vertex, in_window, options, &ties,
                &pg.unknown_endpoints);
  pg.graph = ties.Graph(static_cast<int>(pg.person_ids.size()));
  return pg;
}

absl::StatusOr<NetworkAnalysis> AnalyzeNetwork(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions,
    const NetworkOptions& options) {
  WK_RETURN_IF_ERROR(options.Validate());
  NetworkAnalysis a;
  a.min_group_size = options.min_group_size;
  a.person_level = options.person_level;
  // 1. The org chart's columns, without the people who opted out.
  const Labels labels = OrgChartLabels(snapshot, &a.opted_out_excluded);
  a.departments = labels.departments;
  a.sites = labels.sites;
  // 2. The window, and the one before it on request.
  const TimeWindow w = WindowOf(snapshot, interactions, options);
  WK_RETURN_IF_ERROR(CheckCancelled(options, "the current window"));
  auto current = AnalyzeWindow(snapshot, interactions, w, options, labels);
  if (!current.ok()) return current.status();
  a.current = std::move(*current);
  if (options.compare_previous) {
    TimeWindow before{
        index::SaturatingAdd(w.start, -options.window_days * kDay), w.start};
    NetworkOptions o = options;
    o.layout = false;
    WK_RETURN_IF_ERROR(CheckCancelled(options, "the previous window"));
    auto previous = AnalyzeWindow(snapshot, interactions, before, o, labels);
    if (!previous.ok()) return previous.status();
    a.previous = std::move(*previous);
  }
  // 3. Interaction ends missing from the directory, and knowledge risk.
  // The current window's graph counted them already.
  WK_RETURN_IF_ERROR(CheckCancelled(options, "knowledge risk"));
  StageClock clock(options);
  a.unknown_endpoints = a.current.unknown_endpoints;
  a.topics = KnowledgeRisk(snapshot, w.end, options);
  clock.Done("knowledge risk");
  // 4. Say what was withheld.
  a.suppressed = WithheldNotes(a, options);
  return a;
}

}  // namespace whoknows::networks
