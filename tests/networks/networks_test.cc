// Network analyses on a small hand-built company whose answers are known.
#include "networks/networks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "index/graph.h"
#include "networks/report.h"
#include "tests/testing/fixtures.h"

namespace whoknows::networks {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kEnd = 1700000000;  // window end used throughout

// Eng: e1-e3 (team A) and e4-e6 (team B), Sweden; Sales: s1-s5, Norway;
// Legal: l1, l2, Sweden (too small to report on); x opted out.
class NetworksTest : public testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 6; ++i)
      Person("e" + std::to_string(i), "Eng", i <= 3 ? "A" : "B", "SE");
    for (int i = 1; i <= 5; ++i)
      Person("s" + std::to_string(i), "Sales", "", "NO");
    Person("l1", "Legal", "", "SE");
    Person("l2", "Legal", "", "SE");
    Person("x", "Sales", "", "NO").set_opted_out(true);
    people_["e2"]->set_leaving(true);
    people_["e6"]->mutable_joined()->set_seconds(kEnd - 10 * kDay);
    people_["l2"]->mutable_joined()->set_seconds(kEnd - 10 * kDay);
    for (auto [a, b] : std::vector<std::pair<const char*, const char*>>{
             {"e1", "e2"},
             {"e2", "e3"},
             {"e1", "e3"},  // team A
             {"e4", "e5"},
             {"e5", "e6"},
             {"e4", "e6"},  // team B
             {"e3", "e4"},  // across teams
             {"s1", "s2"},
             {"s2", "s3"},
             {"s3", "s4"},
             {"s4", "s5"},
             {"s1", "s5"},  // Sales ring
             {"e3", "s1"},  // Eng-Sales
             {"l1", "l2"},
             {"l1", "e1"},  // Legal
             {"x", "e6"},
             {"x", "s3"}}) {  // opted out
      interactions_.push_back({"", a, {b}, kEnd - 5 * kDay, "email"});
    }
    // Before the 30-day window: a question on SAP answered twice each by e1,
    // e2 (leaving) and x (opted out); one article on k8s by e4.
    Post("q1", "s2", v1::POST_KIND_QUESTION, "", {"sap"});
    for (const char* a : {"e1", "e2", "x"}) {
      Post(std::string("a1") + a, a, v1::POST_KIND_ANSWER, "q1", {});
      Post(std::string("a2") + a, a, v1::POST_KIND_ANSWER, "q1", {});
    }
    Post("k1", "e4", v1::POST_KIND_ARTICLE, "", {"k8s"});
    for (auto& [id, p] : people_) snapshot_.people[id] = p;
    options_.window_end = kEnd;
    options_.window_days = 30;
  }

  v1::Person& Person(const std::string& id, const std::string& dept,
                     const std::string& team, const std::string& country) {
    auto p = std::make_shared<v1::Person>();
    p->set_id(id);
    p->set_display_name("Name of " + id);
    p->set_title("Title of " + id);
    p->set_department(dept);
    p->set_team(team);
    p->set_country(country);
    people_[id] = p;
    return *p;
  }

  void Post(const std::string& id, const std::string& author, v1::PostKind kind,
            const std::string& parent, std::vector<std::string> tags) {
    auto m = testing_util::MakeMeta(id, author, kind, parent, kEnd - 40 * kDay);
    m->tags.assign(tags.begin(), tags.end());
    snapshot_.posts[id] = m;
  }

  NetworkAnalysis Analyze() {
    auto a = AnalyzeNetwork(snapshot_, interactions_, options_);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : NetworkAnalysis{};
  }

  static const DepartmentFigure& Dept(const WindowFigures& f,
                                      const std::string& name) {
    for (const auto& d : f.departments)
      if (d.name == name) return d;
    ADD_FAILURE() << "no department " << name;
    static DepartmentFigure none;
    return none;
  }

  std::map<std::string, std::shared_ptr<v1::Person>> people_;
  index::Snapshot snapshot_;
  std::vector<index::Interaction> interactions_;
  NetworkOptions options_;
};

TEST_F(NetworksTest, StatesTheWindowAndThreshold) {
  NetworkAnalysis a = Analyze();
  EXPECT_EQ(a.min_group_size, 5);
  EXPECT_EQ(a.current.window.end, kEnd);
  EXPECT_EQ(a.current.window.start, kEnd - 30 * kDay);
  EXPECT_EQ(a.current.people, 13);  // x left out
  EXPECT_EQ(a.current.connected_people, 13);
  EXPECT_EQ(a.current.ties, 15);
  EXPECT_EQ(a.opted_out_excluded, 1);
}

TEST_F(NetworksTest, EIIndexAndIsolation) {
  NetworkAnalysis a = Analyze();
  const DepartmentFigure& eng = Dept(a.current, "Eng");
  EXPECT_EQ(eng.people, 6);
  EXPECT_EQ(eng.internal_ties, 7);
  EXPECT_EQ(eng.external_ties, 2);
  EXPECT_DOUBLE_EQ(eng.ei_index, -5.0 / 9);
  // e2, e5 and e6 (x's tie does not count) talk only within their team.
  EXPECT_EQ(eng.isolated_people, 3);
  const DepartmentFigure& sales = Dept(a.current, "Sales");
  EXPECT_EQ(sales.people, 5);
  EXPECT_DOUBLE_EQ(sales.ei_index, -4.0 / 6);
  EXPECT_EQ(sales.isolated_people, 4);
}

TEST_F(NetworksTest, SmallGroupsAreSuppressedAndSaidSo) {
  NetworkAnalysis a = Analyze();
  const DepartmentFigure& legal = Dept(a.current, "Legal");
  EXPECT_TRUE(legal.suppressed);
  EXPECT_EQ(legal.people, 2);
  EXPECT_EQ(legal.internal_ties + legal.external_ties, 0);
  bool eng_sales = false;
  for (const auto& t : a.current.department_ties) {
    if (t.a == "Eng" && t.b == "Legal") {
      EXPECT_TRUE(t.suppressed);
      EXPECT_EQ(t.ties, 0);
    }
    if (t.a == "Eng" && t.b == "Sales") {
      eng_sales = true;
      EXPECT_FALSE(t.suppressed);
      EXPECT_EQ(t.ties, 1);
    }
  }
  EXPECT_TRUE(eng_sales);
  ASSERT_EQ(a.current.country_ties.size(), 1u);
  EXPECT_EQ(a.current.country_ties[0].a, "NO");
  EXPECT_EQ(a.current.country_ties[0].ties, 1);
  for (const auto& c : a.current.communities) {
    if (c.suppressed) {
      EXPECT_LT(c.size, 5);
      EXPECT_TRUE(c.by_department.empty());
    }
    for (int cell : c.by_department)
      EXPECT_TRUE(cell == -1 || cell == 0 || cell >= 5);
  }
  // Two new hires: fewer than 5, so not even their count is shown.
  EXPECT_EQ(a.current.new_hires, -1);
  auto said = [&](const std::string& what) {
    return std::any_of(a.suppressed.begin(), a.suppressed.end(),
                       [&](const std::string& s) {
                         return s.find(what) != std::string::npos;
                       });
  };
  EXPECT_TRUE(said("\"Legal\": 2 people"));
  EXPECT_TRUE(said("HR role"));
  EXPECT_TRUE(said("opted out"));
}

TEST_F(NetworksTest, NoPersonLevelResultsWithoutTheRole) {
  NetworkAnalysis a = Analyze();
  EXPECT_FALSE(a.person_level);
  EXPECT_TRUE(a.current.brokers.empty());
  EXPECT_TRUE(a.current.isolated.empty());
  EXPECT_TRUE(a.current.new_hires_not_connected.empty());
  for (const auto& t : a.topics) EXPECT_TRUE(t.holder_ids.empty());
}

TEST_F(NetworksTest, PersonLevelNeverNamesOptedOutPeople) {
  options_.person_level = true;
  options_.min_group_size = 1;
  NetworkAnalysis a = Analyze();
  ASSERT_FALSE(a.current.brokers.empty());
  EXPECT_EQ(a.current.brokers[0].id, "e3");  // joins team A, team B, Sales
  EXPECT_EQ(a.current.brokers[0].title, "Title of e3");
  std::vector<std::string> named;
  for (const auto* list : {&a.current.brokers, &a.current.isolated,
                           &a.current.new_hires_not_connected})
    for (const auto& p : *list) named.push_back(p.id);
  for (const auto& t : a.topics)
    named.insert(named.end(), t.holder_ids.begin(), t.holder_ids.end());
  EXPECT_EQ(std::count(named.begin(), named.end(), "x"), 0);
  ASSERT_EQ(a.current.new_hires_not_connected.size(), 1u);
  EXPECT_EQ(a.current.new_hires_not_connected[0].id, "l2");
  EXPECT_EQ(a.current.new_hires, 2);
  EXPECT_EQ(a.current.new_hires_unconnected, 1);
}

TEST_F(NetworksTest, KnowledgeRiskFlagsBusFactorAndLeavers) {
  options_.person_level = true;
  NetworkAnalysis a = Analyze();
  const TopicRisk* sap = nullptr;
  for (const auto& t : a.topics)
    if (t.topic == "sap") sap = &t;
  ASSERT_NE(sap, nullptr);
  EXPECT_EQ(sap->holders, 2);  // e1 and e2; x opted out
  EXPECT_EQ(sap->leaving_holders, 1);
  EXPECT_TRUE(sap->bus_factor_risk);
  EXPECT_TRUE(sap->leaving_risk);
  EXPECT_EQ(sap->holder_ids, (std::vector<std::string>{"e1", "e2"}));
  // One article is not yet expertise (expertise_min_posts = 2).
  EXPECT_EQ(a.topics.front().topic, "k8s");
  EXPECT_EQ(a.topics.front().holders, 0);
}

TEST_F(NetworksTest, ComparesWithThePreviousWindow) {
  options_.compare_previous = true;
  NetworkAnalysis a = Analyze();
  ASSERT_TRUE(a.previous.has_value());
  EXPECT_EQ(a.previous->window.end, kEnd - 30 * kDay);
  EXPECT_EQ(a.previous->window.start, kEnd - 60 * kDay);
  // Then only the SAP thread: s2, e1, e2 replied and shared a thread.
  EXPECT_EQ(a.previous->interactions, 0);
  EXPECT_EQ(a.previous->connected_people, 3);
  EXPECT_EQ(a.previous->ties, 3);
}

// A caller that stops caring (deadline, cancellation) stops the analysis
// between stages: asked once per stage, and the first "yes" ends it.
TEST_F(NetworksTest, StopsBetweenStagesWhenCancelled) {
  options_.compare_previous = true;
  options_.person_level = true;
  int asked = 0;
  options_.cancelled = [&] { return ++asked > 2; };
  auto a = AnalyzeNetwork(snapshot_, interactions_, options_);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kCancelled) << a.status();
  EXPECT_THAT(std::string(a.status().message()),
              testing::StartsWith("analysis stopped before "));
  EXPECT_EQ(asked, 3);
  // Never cancelled: the whole analysis, having asked at every stage.
  asked = -100;
  ASSERT_TRUE(AnalyzeNetwork(snapshot_, interactions_, options_).ok());
  EXPECT_GE(asked, -100 + 5);
}

// Leiden's seeds shrink as the ties grow (community_seed_ties), at least
// one, and the figures say how many ran.
TEST_F(NetworksTest, FewerLeidenSeedsOnBigGraphs) {
  NetworkAnalysis all = Analyze();
  EXPECT_EQ(all.current.community_seeds, 10);
  options_.community_seed_ties = 3 * all.current.ties;
  EXPECT_EQ(Analyze().current.community_seeds, 3);
  options_.community_seed_ties = 1;
  NetworkAnalysis one = Analyze();
  EXPECT_EQ(one.current.community_seeds, 1);
  EXPECT_LE(one.current.modularity, all.current.modularity + 1e-12);
}

TEST_F(NetworksTest, ManagerTiesOnlyOnRequest) {
  people_["e1"]->set_manager_id("s5");
  NetworkAnalysis without = Analyze();
  options_.include_manager_ties = true;
  NetworkAnalysis with = Analyze();
  EXPECT_EQ(with.current.ties, without.current.ties + 1);
}

TEST_F(NetworksTest, LayoutHasADotPerConnectedPerson) {
  options_.layout = true;
  NetworkAnalysis a = Analyze();
  EXPECT_EQ(a.current.dots.size(), 13u);
  EXPECT_EQ(a.current.dot_edges.size(), 15u);
}

using testing_util::Occurrences;

TEST_F(NetworksTest, ReportDrawsUnnamedDotsAndNamesOnlyForHr) {
  options_.layout = true;
  const std::string html = RenderReportHtml(Analyze());
  EXPECT_EQ(Occurrences(html, "<circle"), 13u);
  EXPECT_EQ(Occurrences(html, "<svg"), 1u);
  EXPECT_EQ(Occurrences(html, "Name of"), 0u);
  EXPECT_EQ(Occurrences(html, "src="), 0u);  // self-contained
  EXPECT_NE(html.find("withheld"), std::string::npos);
  options_.person_level = true;
  const std::string hr = RenderReportHtml(Analyze());
  EXPECT_NE(hr.find("Name of e3"), std::string::npos);
  EXPECT_EQ(hr.find("Name of x"), std::string::npos);
}

TEST_F(NetworksTest, RejectsBadOptionsNamingTheField) {
  options_.min_group_size = 0;
  auto a = AnalyzeNetwork(snapshot_, interactions_, options_);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(a.status().message()).rfind("min_group_size", 0), 0u);
  options_.min_group_size = 5;
  options_.window_days = 0;
  options_.compare_previous = true;
  a = AnalyzeNetwork(snapshot_, interactions_, options_);
  EXPECT_EQ(std::string(a.status().message()).rfind("window_days", 0), 0u);
}

TEST(NetworkOptionsTest, DefaultsAndBoundsAreValid) {
  EXPECT_TRUE(NetworkOptions{}.Validate().ok());
  NetworkOptions o;
  o.min_group_size = o.limits.max_min_group_size;
  o.window_days = o.limits.max_window_days;
  o.top_brokers = o.limits.max_top_brokers;
  o.compare_previous = true;
  EXPECT_TRUE(o.Validate().ok()) << o.Validate();
  o.min_group_size = 1;
  o.top_brokers = 0;
  o.max_topics = 0;
  o.max_drawn_edges = 0;
  o.new_hire_days = 0;
  EXPECT_TRUE(o.Validate().ok()) << o.Validate();
}

TEST(NetworkOptionsTest, ValidateNamesEachBadField) {
  struct Case {
    std::string field;
    std::function<void(NetworkOptions&)> set;
  } cases[] = {
      {"min_group_size", [](auto& o) { o.min_group_size = 0; }},
      {"min_group_size", [](auto& o) { o.min_group_size = 1001; }},
      {"window_days", [](auto& o) { o.window_days = -1; }},
      {"window_days", [](auto& o) { o.window_days = 36501; }},
      {"window_days", [](auto& o) { o.compare_previous = true; }},
      {"window_end", [](auto& o) { o.window_end = -1; }},
      {"top_brokers", [](auto& o) { o.top_brokers = -1; }},
      {"top_brokers", [](auto& o) { o.top_brokers = 1001; }},
      {"betweenness_samples", [](auto& o) { o.betweenness_samples = 0; }},
      {"interaction_weight", [](auto& o) { o.interaction_weight = 0; }},
      {"interaction_weight", [](auto& o) { o.interaction_weight = NAN; }},
      {"new_hire_days", [](auto& o) { o.new_hire_days = -1; }},
      {"max_topics", [](auto& o) { o.max_topics = -1; }},
      {"layout_iterations", [](auto& o) { o.layout_iterations = 0; }},
      {"max_drawn_edges", [](auto& o) { o.max_drawn_edges = -1; }},
  };
  for (const auto& c : cases) {
    NetworkOptions o;
    c.set(o);
    const absl::Status s = o.Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(s.message()), testing::StartsWith(c.field + ": "))
        << c.field;
  }
}

TEST(NetworkOptionsTest, LimitsAreTheBoundsChecked) {
  NetworkOptions o;
  o.top_brokers = 101;
  o.min_group_size = 50;
  o.window_days = 365;
  EXPECT_TRUE(o.Validate().ok());
  o.limits.max_top_brokers = 100;
  EXPECT_EQ(o.Validate().message(), "top_brokers: must be 0-100");
  o.top_brokers = 100;
  EXPECT_TRUE(o.Validate().ok());
  o.limits.max_min_group_size = 49;
  EXPECT_EQ(o.Validate().message(), "min_group_size: must be 1-49");
  o.limits.max_min_group_size = 50;
  o.limits.max_window_days = 364;
  EXPECT_EQ(o.Validate().message(), "window_days: must be 0-364");
}

// A random company whose snapshot is built as the catalog builds it
// (index::BuildSnapshot): threads with replies, likes and mentions (some
// by people who opted out or are not in the directory), private posts,
// one thread too big for thread ties, and a manager tree.
class PeopleGraphTest : public testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(7);
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
    for (int i = 0; i < 60; ++i) {
      auto p = std::make_shared<v1::Person>();
      p->set_id("p" + std::to_string(i));
      if (i % 7 == 3) p->set_opted_out(true);
      if (i > 0)
        p->set_manager_id(i % 11 == 5 ? "gone" : "p" + std::to_string(i / 4));
      people[p->id()] = p;
    }
    auto who = [&] {
      // 60 people in the directory, "stranger0-2" outside it.
      const int k = static_cast<int>(rng() % 63);
      return k < 60 ? "p" + std::to_string(k)
                    : "stranger" + std::to_string(k - 60);
    };
    std::unordered_map<std::string, std::shared_ptr<const index::PostMeta>>
        posts;
    int n = 0;
    for (int thread = 0; thread < 80; ++thread) {
      const std::string root = "t" + std::to_string(thread);
      const int replies = thread == 0 ? 60 : static_cast<int>(rng() % 6);
      for (int r = 0; r <= replies; ++r) {
        const std::string id = r == 0 ? root : "r" + std::to_string(n++);
        auto m = testing_util::MakeMeta(
            id, thread == 0 && r > 0 ? "p" + std::to_string(r - 1) : who(),
            r == 0 ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER,
            r == 0 ? "" : root,
            kEnd - static_cast<int64_t>(rng() % 400) * kDay);
        if (thread % 9 == 4) {
          m->is_public = false;
          m->visibility = "group:hr";
        }
        for (int l = static_cast<int>(rng() % 3); l > 0; --l)
          m->liked_by.push_back(who());
        if (rng() % 4 == 0) m->mentioned.push_back(who());
        posts[id] = m;
      }
    }
    snapshot_ = index::BuildSnapshot(people, posts, index::GraphOptions{});
    ungraphed_ = *snapshot_;
    ungraphed_.graph = nullptr;  // what the analysis builds from the posts
    interactions_.push_back(
        {"", "p1", {"p2", "stranger1", "p4"}, kEnd - kDay, "email"});
    interactions_.push_back({"", "p2", {"p1"}, kEnd - 2 * kDay, "chat"});
  }

  static void ExpectSame(const PeopleGraph& a, const PeopleGraph& b) {
    EXPECT_EQ(a.person_ids, b.person_ids);
    EXPECT_EQ(a.graph.num_vertices, b.graph.num_vertices);
    EXPECT_EQ(a.graph.edges, b.graph.edges);
    EXPECT_EQ(a.graph.weights, b.graph.weights);
    EXPECT_EQ(a.interactions, b.interactions);
    EXPECT_EQ(a.unknown_endpoints, b.unknown_endpoints);
  }

  std::shared_ptr<index::Snapshot> snapshot_;
  index::Snapshot ungraphed_;
  std::vector<index::Interaction> interactions_;
};

TEST_F(PeopleGraphTest, AllTimeGraphFromTheSnapshotEqualsOneBuiltFromPosts) {
  ASSERT_NE(snapshot_->graph, nullptr);
  for (bool managers : {false, true}) {
    NetworkOptions o;
    o.include_manager_ties = managers;
    const PeopleGraph built =
        BuildPeopleGraph(ungraphed_, interactions_, {}, o);
    EXPECT_GT(built.graph.edges.size(), 100u);
    EXPECT_GT(built.unknown_endpoints, 0);
    ExpectSame(BuildPeopleGraph(*snapshot_, interactions_, {}, o), built);
  }
}

TEST_F(PeopleGraphTest, TheSnapshotsGraphIsReadForAnAllTimeWindow) {
  // Its ties are what the all-time graph holds: an empty one leaves only
  // the interactions.
  index::Snapshot empty = ungraphed_;
  empty.graph = std::make_shared<index::ColleagueGraph>();
  const PeopleGraph g = BuildPeopleGraph(empty, interactions_, {}, {});
  EXPECT_EQ(g.graph.edges.size(), 2u);  // p1-p2, p1-p4
}

TEST_F(PeopleGraphTest, OtherWindowsAndOptionsBuildFromThePosts) {
  // A window that leaves posts out, and kind weights other than the
  // snapshot graph's: built from the posts, as without the snapshot's.
  NetworkOptions o;
  ExpectSame(
      BuildPeopleGraph(*snapshot_, interactions_, {kEnd - 100 * kDay, kEnd}, o),
      BuildPeopleGraph(ungraphed_, interactions_, {kEnd - 100 * kDay, kEnd},
                       o));
  o.graph.kind_weight[static_cast<int>(index::EdgeKind::kLike)] = 3;
  const PeopleGraph built = BuildPeopleGraph(ungraphed_, interactions_, {}, o);
  ExpectSame(BuildPeopleGraph(*snapshot_, interactions_, {}, o), built);
  EXPECT_NE(built.graph.weights,
            BuildPeopleGraph(ungraphed_, interactions_, {}, {}).graph.weights);
}

}  // namespace
}  // namespace whoknows::networks
