// Tests ranking/expert_finder.cc on a small catalog with a planted expert.
#include "ranking/expert_finder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kT0 = 1'700'000'000;
constexpr int64_t kDay = 86400;

using testing_util::TestDir;

v1::Person Person(const std::string& id, const std::string& dept,
                  const std::string& site) {
  return testing_util::MakePerson(id, dept, site);
}

v1::Post Question(const std::string& id, const std::string& author,
                  const std::string& title, const std::string& body,
                  int64_t created) {
  return testing_util::MakePost(id, author, v1::POST_KIND_QUESTION, title, body,
                                created, "", "en");
}

v1::Post Answer(const std::string& id, const std::string& author,
                const std::string& question, const std::string& body,
                int64_t created, bool accepted = false) {
  v1::Post p = testing_util::MakePost(id, author, v1::POST_KIND_ANSWER, "",
                                      body, created, question, "en");
  p.set_accepted(accepted);
  return p;
}

v1::Post Private(v1::Post p) {
  p.set_visibility("group:platform-team");
  return p;
}

// The cast:
//   anna  asks everything (Sales, Stockholm)
//   erik  the planted kubernetes expert: accepted answers on 4 threads
//         (Engineering, Stockholm)
//   sara  one plain kubernetes answer (Engineering, Göteborg)
//   olle  answers printer questions, accepted (IT, Stockholm)
//   bo    answers a kubernetes question without its words (IT, Göteborg)
//   otto  opted out, accepted kubernetes answers (Engineering, Stockholm)
//   ida   inactive, accepted kubernetes answers (Engineering, Stockholm)
//   pia   answers kubernetes only in a private group (Engineering, Stockholm)
//   ghost answers kubernetes but is not in the directory
class ExpertFinderTest : public testing::Test {
 protected:
  // Long because it is the company (the cast above), not logic.
  void SetUp() override {
    catalog_ = testing_util::OpenCatalog(TestDir());
    ASSERT_NE(catalog_, nullptr);

    v1::Person otto = Person("otto", "Engineering", "Stockholm");
    otto.set_opted_out(true);
    v1::Person ida = Person("ida", "Engineering", "Stockholm");
    ida.set_active(false);
    std::vector<v1::Person> people = {
        Person("anna", "Sales", "Stockholm"),
        Person("erik", "Engineering", "Stockholm"),
        Person("sara", "Engineering", "Göteborg"),
        Person("olle", "IT", "Stockholm"),
        Person("bo", "IT", "Göteborg"),
        otto,
        ida,
        Person("pia", "Engineering", "Stockholm")};
    ASSERT_TRUE(catalog_->UpsertPeople(people).ok());

    int64_t t = kT0;
    std::vector<v1::Post> posts;
    // Kubernetes threads answered by erik, accepted.
    const char* k8s_titles[] = {
        "Pod stuck in ImagePullBackOff on kubernetes",
        "Kubernetes deployment cannot pull image from registry",
        "ImagePullBackOff after rotating the registry secret",
        "Kubernetes pods restart with ImagePullBackOff in prod"};
    for (int i = 0; i < 4; ++i) {
      const std::string q = "k" + std::to_string(i);
      posts.push_back(Question(q, "anna", k8s_titles[i],
                               "Our kubernetes pod shows ImagePullBackOff. "
                               "What is wrong with the image pull?",
                               t += kDay));
      posts.push_back(Answer(q + "-erik", "erik", q,
                             "ImagePullBackOff means kubernetes cannot pull "
                             "the image: check the imagePullSecret and the "
                             "registry credentials in the namespace.",
                             t += 3600, /*accepted=*/true));
    }
    // sara: one plain answer on k0.
    posts.push_back(Answer("k0-sara", "sara", "k0",
                           "Maybe the kubernetes node has no network to the "
                           "registry?",
                           t += 3600));
    // bo: answers a kubernetes question in words that do not match.
    posts.push_back(Question("k9", "anna", "Kubernetes ImagePullBackOff again",
                             "ImagePullBackOff on kubernetes once more.",
                             t += kDay));
    posts.push_back(Answer("k9-bo", "bo", "k9",
                           "Restart the runner and log in to the mirror.",
                           t += 3600));
    // olle: printers.
    for (int i = 0; i < 3; ++i) {
      const std::string q = "p" + std::to_string(i);
      posts.push_back(Question(q, "anna", "Printer on floor two jams",
                               "The printer jams on every duplex print job.",
                               t += kDay));
      posts.push_back(Answer(q + "-olle", "olle", q,
                             "Clean the printer rollers and reload the paper "
                             "tray; duplex jams come from dust.",
                             t += 3600, /*accepted=*/true));
    }
    // otto (opted out) and ida (inactive) answer kubernetes well.
    posts.push_back(Question("k5", "anna", "ImagePullBackOff in kubernetes",
                             "Kubernetes says ImagePullBackOff for my pod.",
                             t += kDay));
    posts.push_back(Answer("k5-otto", "otto", "k5",
                           "Kubernetes ImagePullBackOff: fix the image pull "
                           "secret for the registry.",
                           t += 3600, /*accepted=*/true));
    posts.push_back(Question("k6", "anna", "Kubernetes image pull fails",
                             "ImagePullBackOff on every kubernetes pod.",
                             t += kDay));
    posts.push_back(Answer("k6-ida", "ida", "k6",
                           "Kubernetes ImagePullBackOff: the registry "
                           "credentials expired, renew the pull secret.",
                           t += 3600, /*accepted=*/true));
    posts.push_back(Answer("k6-ghost", "ghost", "k6",
                           "Kubernetes ImagePullBackOff: check the image "
                           "name and tag.",
                           t += 3600));
    // pia: a private kubernetes thread, and a private answer in a public
    // kubernetes thread.
    posts.push_back(
        Private(Question("k7", "anna",
                         "Kubernetes ImagePullBackOff in the "
                         "platform cluster",
                         "ImagePullBackOff on kubernetes.", t += kDay)));
    posts.push_back(Private(Answer("k7-pia", "pia", "k7",
                                   "Kubernetes ImagePullBackOff: rotate the "
                                   "image pull secret.",
                                   t += 3600, /*accepted=*/true)));
    posts.push_back(Question("k8", "anna", "Kubernetes ImagePullBackOff",
                             "Kubernetes pod in ImagePullBackOff.", t += kDay));
    posts.push_back(Private(Answer("k8-pia", "pia", "k8",
                                   "Kubernetes ImagePullBackOff: the pull "
                                   "secret is in the wrong namespace.",
                                   t += 3600)));
    ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
    catalog_->Refresh();
    private_posts_ = {"k7", "k7-pia", "k8-pia"};
  }

  FindResult Find(ExpertQuery q, RankingOptions options = {}) {
    ExpertFinder finder(*catalog_, options);
    auto r = finder.Find(q);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : FindResult{};
  }

  static ExpertQuery Query(const std::string& text) {
    ExpertQuery q;
    q.query = text;
    q.asker_id = "anna";
    return q;
  }

  static std::vector<std::string> Ids(const FindResult& r) {
    std::vector<std::string> ids;
    for (const auto& e : r.experts) ids.push_back(e.person_id);
    return ids;
  }

  static const ExpertResult* Expert(const FindResult& r,
                                    const std::string& id) {
    for (const auto& e : r.experts)
      if (e.person_id == id) return &e;
    return nullptr;
  }

  std::unique_ptr<index::Catalog> catalog_;
  std::set<std::string> private_posts_;
};

TEST_F(ExpertFinderTest, PlantedExpertRanksFirst) {
  FindResult r = Find(Query("Why does my pod get ImagePullBackOff?"));
  ASSERT_FALSE(r.experts.empty());
  EXPECT_EQ(r.experts[0].person_id, "erik");
  EXPECT_GT(r.matched_posts, 0);
  // Scores are sorted (they are log-linear and may be negative).
  for (size_t i = 1; i < r.experts.size(); ++i) {
    EXPECT_GE(r.experts[i - 1].score, r.experts[i].score);
  }
}

TEST_F(ExpertFinderTest, OffTopicExpertRanksFirstOnTheirTopic) {
  FindResult r = Find(Query("printer jams on duplex"));
  ASSERT_FALSE(r.experts.empty());
  EXPECT_EQ(r.experts[0].person_id, "olle");
  EXPECT_THAT(Ids(r), Not(Contains("erik")));
  // And olle is not an expert on kubernetes.
  EXPECT_THAT(Ids(Find(Query("kubernetes ImagePullBackOff"))),
              Not(Contains("olle")));
}

TEST_F(ExpertFinderTest, AskerIsNeverSuggested) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  EXPECT_THAT(Ids(Find(q)), Not(Contains("anna")));
  // Without an asker, anna's questions make her a (weak) candidate: the
  // asker filter is what keeps her out.
  q.asker_id.clear();
  EXPECT_THAT(Ids(Find(q)), Contains("anna"));
  // The asker is excluded even when they are the best expert.
  q.asker_id = "erik";
  FindResult r = Find(q);
  EXPECT_THAT(Ids(r), Not(Contains("erik")));
  EXPECT_FALSE(r.experts.empty());
}

TEST_F(ExpertFinderTest, OptedOutAndInactivePeopleAreNeverSuggested) {
  for (const char* text :
       {"kubernetes ImagePullBackOff", "image pull secret registry",
        "registry credentials expired renew"}) {
    ExpertQuery q = Query(text);
    q.limit = 100;
    FindResult r = Find(q);
    EXPECT_THAT(Ids(r), Not(Contains("otto"))) << text;
    EXPECT_THAT(Ids(r), Not(Contains("ida"))) << text;
    // Unknown authors are not suggested either.
    EXPECT_THAT(Ids(r), Not(Contains("ghost"))) << text;
  }
  // "renew" is only in ida's answer: it gives her no place.
  FindResult r = Find(Query("renew"));
  EXPECT_THAT(r.experts, IsEmpty());
}

TEST_F(ExpertFinderTest, PrivatePostsGiveNoCreditAndAreNoEvidence) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff pull secret namespace");
  q.limit = 100;
  FindResult r = Find(q);
  EXPECT_THAT(Ids(r), Not(Contains("pia")));
  for (const auto& e : r.experts) {
    for (const auto& ev : e.evidence) {
      EXPECT_EQ(private_posts_.count(ev.post_id), 0u)
          << e.person_id << " has private evidence " << ev.post_id;
    }
  }
  // A word only in the private thread finds nobody, not even through the
  // thread.
  FindResult only_private = Find(Query("cluster"));
  EXPECT_THAT(only_private.experts, IsEmpty());
  EXPECT_EQ(only_private.matched_posts, 0);
}

TEST_F(ExpertFinderTest, MatchingQuestionCreditsItsAnswerers) {
  // bo's answer shares no word with the query; the question it answers
  // does.
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  FindResult r = Find(q);
  const ExpertResult* bo = Expert(r, "bo");
  ASSERT_NE(bo, nullptr);
  ASSERT_FALSE(bo->evidence.empty());
  EXPECT_EQ(bo->evidence[0].post_id, "k9-bo");
  EXPECT_EQ(bo->evidence[0].role, Role::kAnswer);
  // With thread credit off, bo is not found.
  RankingOptions no_thread;
  no_thread.thread_answerers = 0;
  EXPECT_THAT(Ids(Find(q, no_thread)), Not(Contains("bo")));
}

TEST_F(ExpertFinderTest, DepartmentFilter) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  q.department = "IT";
  FindResult r = Find(q);
  ASSERT_FALSE(r.experts.empty());
  for (const auto& e : r.experts) {
    const v1::Person* p = catalog_->snapshot()->FindPerson(e.person_id);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->department(), "IT") << e.person_id;
  }
  EXPECT_EQ(r.experts[0].person_id, "bo");
  q.department = "Engineering";
  EXPECT_EQ(Find(q).experts[0].person_id, "erik");
  q.department = "Legal";
  EXPECT_THAT(Find(q).experts, IsEmpty());
  // Exact match.
  q.department = "engineering";
  EXPECT_THAT(Find(q).experts, IsEmpty());
}

TEST_F(ExpertFinderTest, SiteFilter) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  q.site = "Göteborg";
  FindResult r = Find(q);
  ASSERT_FALSE(r.experts.empty());
  for (const auto& e : r.experts) {
    EXPECT_EQ(catalog_->snapshot()->FindPerson(e.person_id)->site(), "Göteborg")
        << e.person_id;
  }
  EXPECT_THAT(Ids(r), Contains("sara"));
  EXPECT_THAT(Ids(r), Not(Contains("erik")));
  // Both filters at once.
  q.department = "Engineering";
  r = Find(q);
  ASSERT_EQ(r.experts.size(), 1u);
  EXPECT_EQ(r.experts[0].person_id, "sara");
}

TEST_F(ExpertFinderTest, BreakdownAddsUpToScore) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  FindResult r = Find(q);
  ASSERT_FALSE(r.experts.empty());
  for (const auto& e : r.experts) {
    ASSERT_EQ(e.breakdown.count("text"), 1u) << e.person_id;
    ASSERT_EQ(e.breakdown.count("recent"), 1u) << e.person_id;
    double sum = 0;
    for (const auto& [name, value] : e.breakdown) sum += value;
    EXPECT_NEAR(sum, e.score, 1e-9 * std::max(1.0, std::abs(e.score)))
        << e.person_id;
    // The best text evidence has feature log(1 + floor) ~ 0; the others
    // less.
    EXPECT_LE(e.breakdown.at("text"), std::log(1.01) + 1e-12) << e.person_id;
    EXPECT_GE(e.breakdown.at("recent"), 0) << e.person_id;
    // activity has weight 0 by default: computed, not in the breakdown.
    EXPECT_EQ(e.breakdown.count("activity"), 0u) << e.person_id;
  }
  // erik has answered: his activity feature is positive.
  EXPECT_GT(Expert(r, "erik")->features[static_cast<int>(Signal::kActivity)],
            0);
  // Signals with weight 0 leave the breakdown: text alone is the score.
  RankingOptions text_only;
  for (auto& w : text_only.weights.weight) w = 0;
  text_only.weights.weight[static_cast<int>(Signal::kText)] = 1;
  for (const auto& e : Find(q, text_only).experts) {
    EXPECT_EQ(e.breakdown.size(), 1u);
    EXPECT_NEAR(e.breakdown.at("text"), e.score, 1e-12);
  }
}

TEST_F(ExpertFinderTest, LanguageFilterAppliesToThreadAnswerers) {
  // A Swedish answer in an English thread whose question matches: with the
  // English filter it must not be credited through the thread.
  v1::Post sv =
      Answer("k1-sv", "sara", "k1",
             "Kolla att hemligheten finns i rätt namnrymd.", kT0 + 30 * kDay);
  sv.set_language("sv");
  ASSERT_TRUE(catalog_->UpsertPosts({&sv, 1}).ok());
  catalog_->Refresh();
  ExpertQuery q = Query("Kubernetes deployment cannot pull image");
  q.limit = 100;
  q.language = "en";
  for (const auto& e : Find(q).experts) {
    for (const auto& ev : e.evidence) EXPECT_NE(ev.post_id, "k1-sv");
  }
  q.language.clear();
  bool credited = false;
  for (const auto& e : Find(q).experts) {
    for (const auto& ev : e.evidence) credited |= ev.post_id == "k1-sv";
  }
  EXPECT_TRUE(credited) << "without a filter the thread credits the answer";
}

TEST_F(ExpertFinderTest, EvidenceIsCappedAndNamesTheAcceptedAnswer) {
  FindResult r = Find(Query("kubernetes ImagePullBackOff"));
  const ExpertResult* erik = Expert(r, "erik");
  ASSERT_NE(erik, nullptr);
  // erik has 4 matching accepted answers; 3 are shown.
  EXPECT_EQ(erik->evidence.size(), 3u);
  std::set<std::string> seen;
  for (const auto& ev : erik->evidence) {
    EXPECT_TRUE(seen.insert(ev.post_id).second) << "duplicate " << ev.post_id;
    EXPECT_EQ(ev.role, Role::kAcceptedAnswer) << ev.post_id;
    EXPECT_GT(ev.contribution, 0);
    const index::PostMeta* m = catalog_->snapshot()->FindPost(ev.post_id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->author_id, "erik");
    EXPECT_TRUE(m->accepted);
  }
  for (size_t i = 1; i < erik->evidence.size(); ++i) {
    EXPECT_GE(erik->evidence[i - 1].contribution,
              erik->evidence[i].contribution);
  }
  for (const auto& e : r.experts) EXPECT_LE(e.evidence.size(), 3u);
  // sara's plain answer is an answer, not an accepted one.
  ExpertQuery q = Query("kubernetes node network registry");
  q.limit = 100;
  FindResult network = Find(q);
  const ExpertResult* sara = Expert(network, "sara");
  ASSERT_NE(sara, nullptr);
  ASSERT_FALSE(sara->evidence.empty());
  EXPECT_EQ(sara->evidence[0].post_id, "k0-sara");
  EXPECT_EQ(sara->evidence[0].role, Role::kAnswer);
}

TEST_F(ExpertFinderTest, EvidencePerExpertOption) {
  RankingOptions one;
  one.evidence_per_expert = 1;
  FindResult r = Find(Query("kubernetes ImagePullBackOff"), one);
  ASSERT_FALSE(r.experts.empty());
  for (const auto& e : r.experts) EXPECT_LE(e.evidence.size(), 1u);
}

TEST_F(ExpertFinderTest, QuestionEvidenceForAskers) {
  ExpertQuery q = Query("printer duplex");
  q.asker_id.clear();
  q.limit = 100;
  FindResult printers = Find(q);
  const ExpertResult* anna = Expert(printers, "anna");
  ASSERT_NE(anna, nullptr);
  ASSERT_FALSE(anna->evidence.empty());
  for (const auto& ev : anna->evidence) EXPECT_EQ(ev.role, Role::kQuestion);
}

TEST_F(ExpertFinderTest, LimitIsRespected) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.limit = 100;
  const size_t all = Find(q).experts.size();
  ASSERT_GE(all, 3u);
  q.limit = 1;
  FindResult r = Find(q);
  ASSERT_EQ(r.experts.size(), 1u);
  EXPECT_EQ(r.experts[0].person_id, "erik");
  q.limit = 2;
  EXPECT_EQ(Find(q).experts.size(), 2u);
  // 0 means the default of 10; here fewer than 10 qualify.
  q.limit = 0;
  EXPECT_EQ(Find(q).experts.size(), std::min<size_t>(all, 10));
}

TEST_F(ExpertFinderTest, NothingMatchesGivesEmptyResult) {
  FindResult r = Find(Query("zebra giraffe"));
  EXPECT_THAT(r.experts, IsEmpty());
  EXPECT_EQ(r.matched_posts, 0);
  // Only stopwords.
  EXPECT_THAT(Find(Query("the and of")).experts, IsEmpty());
  EXPECT_THAT(Find(Query("")).experts, IsEmpty());
}

TEST_F(ExpertFinderTest, LanguageFilterUsesOnlyThatLanguagesEvidence) {
  ExpertQuery q = Query("kubernetes ImagePullBackOff");
  q.language = "sv";  // every post here is English
  EXPECT_THAT(Find(q).experts, IsEmpty());
  q.language = "en";
  ASSERT_FALSE(Find(q).experts.empty());
  EXPECT_EQ(Find(q).experts[0].person_id, "erik");
}

// Once: decay and recency were measured from the newest post, so one post
// dated in the far future (accepted before timestamps were validated, and
// still in old data folders) aged everyone's evidence away. They are
// measured from the injected clock now: the post moves no one's score.
TEST(ExpertFinderClockTest, AFarFuturePostInTheFolderMovesNoScore) {
  constexpr int64_t kYear2200 = 7258118400;
  index::CatalogOptions o;
  o.data_dir = TestDir();
  o.refresh_interval = std::chrono::milliseconds(0);
  // A folder written as if before validation: the writer's clock is far
  // ahead, so 2200 is not "in the future" to it.
  o.validation.clock = index::FixedClock(kYear2200 + 365 * kDay);
  auto catalog = index::Catalog::Open(o);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  index::Catalog& c = **catalog;
  ASSERT_TRUE(c.UpsertPeople(std::vector<v1::Person>{
                                 Person("anna", "Sales", "Stockholm"),
                                 Person("erik", "Engineering", "Stockholm"),
                                 Person("sara", "Engineering", "Stockholm"),
                                 Person("mallory", "IT", "Stockholm")})
                  .ok());
  ASSERT_TRUE(
      c
          .UpsertPosts(std::vector<v1::Post>{
              Question("q1", "anna", "Kubernetes ImagePullBackOff",
                       "The pod cannot pull its image.", kT0),
              Answer("a1", "erik", "q1",
                     "ImagePullBackOff: renew the kubernetes pull secret.",
                     kT0 + kDay, true),
              Answer("a2", "sara", "q1",
                     "Kubernetes image pull: check the tag.",
                     kT0 + 200 * kDay)})
          .ok());
  c.Refresh();
  RankingOptions options;
  options.clock = index::FixedClock(kT0 + 365 * kDay);
  ExpertFinder finder(c, options);
  ExpertQuery query;
  query.query = "kubernetes image pull";
  query.asker_id = "anna";
  auto scores = [&] {
    auto r = finder.Find(query);
    EXPECT_TRUE(r.ok()) << r.status();
    std::map<std::string, std::vector<double>> out;
    for (const auto& e : r->experts)
      out[e.person_id].assign(e.features.begin(), e.features.end());
    return out;
  };
  // The same unrelated post, dated today and then 2200: the index
  // statistics are the same, only the date differs.
  auto lunch = [](int64_t created) {
    return std::vector<v1::Post>{
        testing_util::MakePost("lunch", "mallory", v1::POST_KIND_ARTICLE,
                               "Lunch menu", "Pea soup on Thursday.", created)};
  };
  ASSERT_TRUE(c.UpsertPosts(lunch(kT0 + 300 * kDay)).ok());
  c.Refresh();
  const auto before = scores();
  ASSERT_EQ(before.count("erik"), 1u);
  ASSERT_TRUE(c.UpsertPosts(lunch(kYear2200)).ok());
  c.Refresh();
  EXPECT_EQ(scores(), before);
  // The same when time itself is extreme: no overflow, no NaN.
  options.clock = index::FixedClock(std::numeric_limits<int64_t>::max());
  ExpertFinder late(c, options);
  auto r = late.Find(query);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& e : r->experts) EXPECT_TRUE(std::isfinite(e.score));
}

// The recent signal (answers in the last 30 days) tells who answers these
// weeks from who answered a lot this year: "yngve" answered 12 questions
// five months ago and none since, "ziva" 2 in the last fortnight. On the
// year's decayed activity yngve leads; on recent answers ziva does.
TEST(ExpertFinderRecentTest, RecentAnswersRankWhoAnswersNow) {
  auto catalog = testing_util::OpenCatalog(TestDir());
  ASSERT_NE(catalog, nullptr);
  index::Catalog& c = *catalog;
  ASSERT_TRUE(c.UpsertPeople(
                   std::vector<v1::Person>{Person("anna", "Sales", "Stockholm"),
                                           Person("yngve", "IT", "Stockholm"),
                                           Person("ziva", "IT", "Stockholm")})
                  .ok());
  const int64_t now = kT0 + 400 * kDay;
  std::vector<v1::Post> posts;
  for (int i = 0; i < 14; ++i) {
    const std::string q = "q" + std::to_string(i);
    const bool fresh = i >= 12;
    const int64_t asked = fresh ? now - (14 - i) * kDay : now - 150 * kDay + i;
    posts.push_back(Question(q, "anna", "Printer queue stuck",
                             "The office printer queue is stuck.", asked));
    posts.push_back(Answer(q + "-a", fresh ? "ziva" : "yngve", q,
                           "Restart the printer spooler service.",
                           asked + 3600));
  }
  ASSERT_TRUE(c.UpsertPosts(posts).ok());
  c.Refresh();
  auto first = [&](Signal only) {
    RankingOptions options;
    options.clock = index::FixedClock(now);
    options.weights.weight.fill(0);
    options.weights.weight[static_cast<int>(only)] = 1;
    ExpertQuery query;
    query.query = "printer spooler";
    query.asker_id = "anna";
    auto r = ExpertFinder(c, options).Find(query);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && !r->experts.empty() ? r->experts[0].person_id : "";
  };
  EXPECT_EQ(first(Signal::kActivity), "yngve");
  EXPECT_EQ(first(Signal::kRecent), "ziva");
}

// One finder keeps each person's activity features for the queries of one
// snapshot and one "now" (ExpertFinder's memo): after a publish or when the
// clock moves they are computed afresh, equal to a new finder's.
TEST(ExpertFinderActivityTest, ActivityFeaturesFollowTheSnapshotAndTheClock) {
  auto catalog = testing_util::OpenCatalog(TestDir());
  ASSERT_NE(catalog, nullptr);
  index::Catalog& c = *catalog;
  ASSERT_TRUE(c.UpsertPeople(
                   std::vector<v1::Person>{Person("anna", "Sales", "Stockholm"),
                                           Person("yngve", "IT", "Stockholm")})
                  .ok());
  auto answered = [&](int from, int to) {
    std::vector<v1::Post> posts;
    for (int i = from; i < to; ++i) {
      const std::string q = "q" + std::to_string(i);
      posts.push_back(Question(q, "anna", "Printer queue stuck",
                               "The office printer queue is stuck.",
                               kT0 + i * kDay));
      posts.push_back(Answer(q + "-a", "yngve", q,
                             "Restart the printer spooler service.",
                             kT0 + i * kDay + 3600));
    }
    ASSERT_TRUE(c.UpsertPosts(posts).ok());
    c.Refresh();
  };
  answered(0, 3);
  int64_t now = kT0 + 30 * kDay;
  RankingOptions options;
  options.clock = [&now] { return now; };
  const ExpertFinder kept(c, options);
  // yngve's activity and recency features, from `finder`.
  auto features = [&](const ExpertFinder& finder) {
    ExpertQuery query;
    query.query = "printer spooler";
    query.asker_id = "anna";
    auto r = finder.Find(query);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<double> out;
    if (!r.ok() || r->experts.empty()) return out;
    EXPECT_EQ(r->experts[0].person_id, "yngve");
    for (Signal s : {Signal::kActivity, Signal::kRecent, Signal::kRecency})
      out.push_back(r->experts[0].features[static_cast<int>(s)]);
    return out;
  };
  const std::vector<double> first = features(kept);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(features(kept), first);
  answered(3, 6);  // a new snapshot, the same "now"
  const std::vector<double> more = features(kept);
  EXPECT_EQ(more, features(ExpertFinder(c, options)));
  EXPECT_GT(more[0], first[0]);
  now += 400 * kDay;  // the same snapshot, later
  const std::vector<double> later = features(kept);
  EXPECT_EQ(later, features(ExpertFinder(c, options)));
  EXPECT_LT(later[0], more[0]);
}

}  // namespace
}  // namespace whoknows::ranking
