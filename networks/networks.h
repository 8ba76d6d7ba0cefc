// Network analyses for HR: communities against the org chart, brokers,
// bridges and silos between departments and countries, knowledge risk, over
// a time window and the window before it. Privacy is applied here, not in
// the callers: figures about groups smaller than `min_group_size` are
// suppressed, people who opted out are removed before anything is computed,
// and person-level lists exist only when `person_level` is set.
#ifndef WHOKNOWS_NETWORKS_NETWORKS_H_
#define WHOKNOWS_NETWORKS_NETWORKS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "index/graph_options.h"
#include "index/interactions.h"
#include "networks/graph_algorithms.h"

namespace whoknows::networks {

// Half-open interval [start, end) in unix seconds.
struct TimeWindow {
  int64_t start = 0;
  int64_t end = 0;
};

// Bounds NetworkOptions::Validate() enforces. A caller with a stricter
// boundary (the Networks service) passes its own copy rather than checking
// numbers of its own.
struct NetworkLimits {
  // Largest min_group_size. Bigger lets a caller ask for thresholds under
  // which almost every figure is withheld; it costs nothing to compute.
  int max_min_group_size = 1000;
  // Longest window_days (100 years). Bigger only admits windows before any
  // data; the cost grows with the interactions inside the window, not with
  // its length.
  int max_window_days = 36500;
  // Most brokers listed (top_brokers). Bigger lengthens the response and
  // the report by one named person each; betweenness costs the same.
  int max_top_brokers = 1000;
};

struct NetworkOptions {
  // Figures about a group (department, team, country, community, matrix
  // cell) of fewer people than this are suppressed. Bigger protects more
  // and shows less; below 2 names individuals. 1 to
  // limits.max_min_group_size.
  int min_group_size = 5;
  // End of the analysed window (exclusive, unix seconds); 0: one second
  // after the newest interaction or post.
  int64_t window_end = 0;
  // Length of the window in days, ending at window_end; 0: all time. At
  // most limits.max_window_days.
  int window_days = 0;
  // Also analyse the window of the same length just before (needs
  // window_days > 0). Doubles the cost.
  bool compare_previous = false;
  // Name people (brokers, isolated people, unconnected new hires, topic
  // holders). Only for callers with the HR role; opted-out people are never
  // named either way.
  bool person_level = false;
  // Count reporting lines as ties. Off: the informal network is what HR
  // wants to see, and manager ties would redraw the org chart.
  bool include_manager_ties = false;
  // Weight of one message to one receiver (e-mail, chat). Post-derived ties
  // keep the colleague graph's kind weights (`graph`).
  double interaction_weight = 1.0;
  // How posts make ties: the options the snapshot's colleague graph was
  // built with (the catalog's, index::CatalogOptions::graph). When the
  // window holds every public post, that graph is the window's post-derived
  // ties and is read as it is (no rebuild from the posts: 35 s at 1M
  // posts); other windows build theirs from their posts with these options.
  index::GraphOptions graph;
  // How many brokers to list (person_level only), 0 to
  // limits.max_top_brokers.
  int top_brokers = 10;
  // Exact betweenness up to this many connected people, sampled above
  // (when sampling takes fewer sources than there are people). Exact costs
  // one shortest-path search per person, O(V·E log V) in all.
  int exact_betweenness_limit = 2000;
  // Sampled betweenness takes enough sources for every estimate to be
  // within this fraction of the most paths one person can carry,
  // (n-1)(n-2)/2, with probability 95% (Hoeffding, BetweennessSamplesFor):
  // 0.1 takes 611 sources at 5,000 people and 726 at 50,000; the count
  // grows with ln n, the time linearly with it. Smaller is closer and
  // slower (half the error: four times the sources).
  double betweenness_relative_error = 0.1;
  // At most this many sources, whatever the error asks: a cap on the time
  // (one shortest-path search each). The bound reported is the one of the
  // sources taken.
  int betweenness_samples = 1000;
  // People who joined within this many days before window end are new
  // hires.
  int new_hire_days = 90;
  // A new hire with fewer distinct colleagues than this in the window is
  // "not yet connected".
  int new_hire_min_ties = 2;
  // A person holds a topic's expertise with at least this many answers or
  // articles in threads tagged with it (public posts before window end).
  int expertise_min_posts = 2;
  // Topics held by this many active people or fewer are flagged.
  int bus_factor = 2;
  // At most this many topics are reported, the most at risk first.
  int max_topics = 50;
  // Compute a force-directed layout of the network (for drawings).
  bool layout = false;
  // Iterations of the force-directed layout (Fruchterman-Reingold); more
  // settle the drawing further, and the time grows linearly with them.
  int layout_iterations = 500;
  // Dot edges kept for the drawing, the strongest first: beyond this a
  // drawing is ink, not information. Bigger makes the report bigger (one
  // SVG line each).
  int max_drawn_edges = 4000;
  CommunityOptions communities;
  // Leiden runs from communities.seeds seeds while seeds × ties stays
  // within this, from fewer above (at least one): 10 seeds up to 300,000
  // ties, 1 at 1,700,000 (the 1M-post company). Each seed is a full
  // Leiden run; more seeds rarely raise modularity by more than 0.5%.
  int64_t community_seed_ties = 3000000;
  // Threads for betweenness. With person-level lists, the communities'
  // Leiden runs on one more thread beside them.
  int threads = 2;
  // Asked between the stages of the analysis (windows, communities,
  // betweenness, ...) and inside their loops, from the analysis' threads
  // but one at a time; once it returns true the analysis stops with
  // CANCELLED. Null: never stops early. The API sets it from the call's
  // deadline and cancellation.
  std::function<bool()> cancelled;
  // Told the wall time of each stage once it is done (benchmarks and
  // `whoknows networks --timings`). Null: nothing is measured.
  std::function<void(const char* stage, double seconds)> on_stage;
  // Bounds of the fields above, checked by Validate().
  NetworkLimits limits;

  // OK, or INVALID_ARGUMENT whose message starts with the first bad field
  // and says why ("top_brokers: must be 0-1000").
  absl::Status Validate() const;
};

// A figure about a group, or why it is withheld.
struct CommunityFigure {
  int id = 0;               // 0 = biggest
  int size = 0;             // people
  bool suppressed = false;  // size < min_group_size: no breakdown shown
  // People per department / site (columns of NetworkAnalysis::departments /
  // sites); -1 where the cell counts fewer than min_group_size people (but
  // more than 0).
  std::vector<int> by_department;
  std::vector<int> by_site;
};

struct DepartmentFigure {
  std::string name;
  int people = 0;           // in the directory, not opted out
  bool suppressed = false;  // people < min_group_size: the rest is unset
  int internal_ties = 0;    // ties with both ends in the department
  int external_ties = 0;    // ties to people of other known departments
  // (external - internal) / (external + internal), in [-1, 1]; -1 is a
  // closed silo, +1 all outward. 0 when the department has no ties.
  double ei_index = 0;
  // People with ties, none outside their team (team, or department when no
  // team is set).
  int isolated_people = 0;
  int unconnected_people = 0;  // people with no ties at all in the window
};

// Ties between two groups (departments or countries), a < b.
struct GroupTie {
  std::string a;
  std::string b;
  bool suppressed = false;  // either group smaller than min_group_size
  int ties = 0;             // distinct pairs of people in touch
  double weight = 0;        // summed tie weight
};

struct PersonFigure {
  std::string id;
  std::string display_name;
  std::string title;
  std::string department;
  double value = 0;       // what the list ranks by (betweenness, ties, ...)
  double normalized = 0;  // betweenness / ((n-1)(n-2)/2), else 0
};

struct Dot {
  double x = 0, y = 0;  // unit square
  int community = -1;   // -1: a community below min_group_size
};

// Everything about one time window.
struct WindowFigures {
  TimeWindow window;
  int people = 0;            // in the directory, not opted out
  int connected_people = 0;  // with at least one tie in the window
  int ties = 0;              // distinct pairs in touch
  double tie_weight = 0;
  int64_t interactions = 0;  // interactions in the window (after filtering)
  // Their ends not in the directory (a tie of someone who opted out is
  // left out, whoever is at the other end).
  int64_t unknown_endpoints = 0;
  int communities_count = 0;
  double modularity = 0;
  int community_seeds = 0;  // Leiden runs, the best kept
  // NMI between communities and departments (sites) over connected people
  // with a known department (site); unset when there is none.
  std::optional<double> nmi_department;
  std::optional<double> nmi_site;
  // The same against teams (Person.team; people without a team left out).
  std::optional<double> nmi_team;
  std::vector<CommunityFigure> communities;
  std::vector<DepartmentFigure> departments;
  std::vector<GroupTie> department_ties;
  std::vector<GroupTie> country_ties;
  // Betweenness: exact, or sampled with `samples` sources and a bound such
  // that every estimate is within `error_bound` paths of the exact value
  // with probability 95%.
  bool betweenness_exact = true;
  int betweenness_samples = 0;
  double betweenness_error_bound = 0;
  // New hires (joined within new_hire_days) and how many are not yet
  // connected; both suppressed (-1) below min_group_size.
  int new_hires = 0;
  int new_hires_unconnected = 0;
  // Person level (empty unless person_level).
  std::vector<PersonFigure> brokers;
  std::vector<PersonFigure> isolated;
  std::vector<PersonFigure> new_hires_not_connected;
  std::vector<Dot> dots;  // only with options.layout
  // Endpoints of the dots' edges (indices into dots), weight-sorted.
  std::vector<std::pair<int, int>> dot_edges;
};

struct TopicRisk {
  std::string topic;
  int holders = 0;               // active people holding the expertise
  int leaving_holders = 0;       // of whom marked as leaving
  bool bus_factor_risk = false;  // holders <= bus_factor
  // Would fall to bus_factor or fewer once the leavers have left.
  bool leaving_risk = false;
  std::vector<std::string> holder_ids;  // person_level only
};

struct NetworkAnalysis {
  int min_group_size = 0;
  bool person_level = false;
  std::vector<std::string> departments;  // column labels, sorted
  std::vector<std::string> sites;
  WindowFigures current;
  std::optional<WindowFigures> previous;
  std::vector<TopicRisk> topics;
  // Human-readable notes on what was withheld and why.
  std::vector<std::string> suppressed;
  int opted_out_excluded = 0;     // people removed before the analysis
  int64_t unknown_endpoints = 0;  // interaction ends not in the directory
};

// Runs every analysis on the snapshot's people and public posts plus the
// interactions. Deterministic for given inputs and options.
absl::StatusOr<NetworkAnalysis> AnalyzeNetwork(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions,
    const NetworkOptions& options);

// The weighted undirected graph of one window, with person ids per vertex;
// exposed for tests and benchmarks.
struct PeopleGraph {
  std::vector<std::string> person_ids;  // vertex -> person id (sorted)
  UndirectedGraph graph;
  int64_t interactions = 0;
  int64_t unknown_endpoints = 0;
};
PeopleGraph BuildPeopleGraph(
    const index::Snapshot& snapshot,
    const std::vector<index::Interaction>& interactions, TimeWindow window,
    const NetworkOptions& options);

}  // namespace whoknows::networks

#endif  // WHOKNOWS_NETWORKS_NETWORKS_H_
