// Tests ranking/expertise_model.cc and the full ranker with every signal on
// a generated company: topics with known experts (company.h).
#include "ranking/expertise_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "index/dense_index.h"
#include "ranking/expert_finder.h"
#include "tests/testing/company.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using testing_util::TestDir;

TEST_F(CompanyTest, EmbeddingsPlaceEachExpertNearTheirTopic) {
  auto model = Model();
  ASSERT_TRUE(model->has_embeddings());
  for (const auto& topic : Topics()) {
    // A query in words the expert never wrote (only the questions had them)
    // still lands nearest the expert.
    Eigen::VectorXf q = model->EmbedQuery(
        catalog_->QueryTerms(topic.words[0] + " " + topic.words[1]));
    Eigen::VectorXf sim = model->Similarities(q);
    std::string best;
    float best_sim = -2;
    for (Eigen::Index i = 0; i < sim.size(); ++i) {
      const std::string& p = model->profile_people()[i];
      if (p == "newbie" || p == "helper" || p == "friend") continue;
      if (sim[i] > best_sim) best_sim = sim[i], best = p;
    }
    EXPECT_EQ(best, topic.expert) << topic.tag;
  }
  // Private posts teach the model nothing.
  EXPECT_EQ(model->space().TermId("Zzanzibar"), -1);
  EXPECT_THAT(model->profile_people(), Not(Contains("secret")));
}

// The ranker reads the best cosines and the candidates' instead of the whole
// vector: the same people in the order of sorting Similarities (cosine, then
// id), with the same values.
TEST_F(CompanyTest, TopSimilaritiesAreTheSortedSimilarities) {
  auto model = Model();
  const auto& people = model->profile_people();
  for (const auto& topic : Topics()) {
    const Eigen::VectorXf q =
        model->EmbedQuery(catalog_->QueryTerms(topic.words[0]));
    const Eigen::VectorXf sim = model->Similarities(q);
    std::vector<int32_t> order(people.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return sim[a] != sim[b] ? sim[a] > sim[b] : people[a] < people[b];
    });
    for (size_t k : {size_t{1}, size_t{3}, people.size() + 1}) {
      const auto top = model->TopSimilarities(q, k);
      ASSERT_EQ(top.size(), std::min(k, people.size()));
      for (size_t i = 0; i < top.size(); ++i) {
        EXPECT_EQ(top[i].first, order[i]) << topic.tag << " k=" << k;
        EXPECT_EQ(top[i].second, sim[order[i]]);
      }
    }
    std::vector<int32_t> rows = {-1};
    for (size_t i = 0; i < people.size(); ++i)
      rows.push_back(static_cast<int32_t>(i));
    const std::vector<float> some = model->Similarities(q, rows);
    ASSERT_EQ(some.size(), rows.size());
    EXPECT_EQ(some[0], 0.0f);
    for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(some[i], sim[rows[i]]);
  }
}

TEST_F(CompanyTest, TagsAuthorityAndTopAnswerers) {
  auto model = Model();
  auto tags = model->TagScores({"printer"});
  ASSERT_TRUE(tags.count("olle"));
  EXPECT_GT(tags["olle"], tags["helper"]);
  EXPECT_EQ(tags.count("erik"), 0u);
  // The experts are endorsed by the asker 12 times each; friend only
  // comments.
  EXPECT_GT(model->Authority("erik"), model->Authority("friend"));
  EXPECT_GT(model->Authority("erik"), 1.0) << "above the average person";
  EXPECT_EQ(model->Authority("nobody"), 0);
  ASSERT_GE(model->top_answerers().size(), 4u);
  EXPECT_THAT(model->top_answerers().back().first, "helper");
  EXPECT_TRUE(model->pagerank().converged);
}

// The look-ups by person number are the id look-ups, for everyone the
// snapshot numbers, and are built once a numbering.
TEST_F(CompanyTest, LookUpsByPersonNumberAreTheIdLookUps) {
  auto model = Model();
  v1::Person newbie;  // opted out: on no path, though a graph node
  newbie.set_id("newbie");
  newbie.set_opted_out(true);
  ASSERT_TRUE(catalog_->UpsertPeople({&newbie, 1}).ok());
  catalog_->Refresh();
  const auto dense = catalog_->snapshot()->dense;
  ASSERT_NE(dense, nullptr);
  const auto table = model->NumberedBy(dense);
  ASSERT_EQ(table->profile.size(), dense->num_people());
  int profiled = 0, with_node = 0;
  for (uint32_t n = 0; n < dense->num_people(); ++n) {
    const std::string& id = dense->person_id(n);
    EXPECT_EQ(table->profile[n], model->ProfileIndex(id)) << id;
    EXPECT_EQ(table->authority[n], model->Authority(id)) << id;
    EXPECT_EQ(table->node[n], model->ties().NodeOf(id)) << id;
    profiled += table->profile[n] >= 0;
    with_node += table->node[n] >= 0;
  }
  EXPECT_GT(profiled, 3);
  EXPECT_GT(with_node, 3);
  ASSERT_EQ(table->node_may_pass.size(),
            static_cast<size_t>(model->ties().num_nodes()));
  for (int32_t v = 0; v < model->ties().num_nodes(); ++v) {
    const std::string& id = model->ties().PersonOf(v);
    const v1::Person* p = catalog_->snapshot()->FindPerson(id);
    EXPECT_EQ(table->node_may_pass[v] != 0, p && !p->opted_out()) << id;
  }
  const int32_t newbie_node = model->ties().NodeOf("newbie");
  ASSERT_GE(newbie_node, 0) << "the model predates the opt-out";
  EXPECT_EQ(table->node_may_pass[newbie_node], 0);
  // Kept for the same numbering, rebuilt for another.
  EXPECT_EQ(model->NumberedBy(dense), table);
  auto other = index::DenseIndex::Build(*catalog_->snapshot());
  const auto rebuilt = model->NumberedBy(other);
  EXPECT_NE(rebuilt, table);
  EXPECT_EQ(rebuilt->dense.lock(), other);
  EXPECT_EQ(rebuilt->profile, table->profile);
  // The table kept does not keep its numbering alive: once the snapshots
  // (here, `other`) drop it, it is freed, and a query on a numbering at
  // the same address is not mistaken for it.
  const std::weak_ptr<const index::DenseIndex> numbering = other;
  other.reset();
  EXPECT_TRUE(numbering.expired()) << "the cached table holds its numbering";
  EXPECT_NE(model->NumberedBy(index::DenseIndex::Build(*catalog_->snapshot())),
            rebuilt);
}

TEST_F(CompanyTest, EmbeddingsSurviveSaveAndLoad) {
  auto model = Model();
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  ASSERT_TRUE(model->SaveEmbeddings(path).ok());
  auto loaded = ExpertiseModel::Load(path, catalog_->snapshot());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->profile_people(), model->profile_people());
  EXPECT_EQ((*loaded)->embedded_posts(), model->embedded_posts());
  Eigen::VectorXf q = model->EmbedQuery(catalog_->QueryTerms("toner duplex"));
  EXPECT_LT((model->Similarities(q) - (*loaded)->Similarities(q)).norm(), 1e-6);
  // A damaged file is an error, not a crash.
  std::ofstream(path, std::ios::trunc) << "garbage";
  EXPECT_EQ(ExpertiseModel::Load(path, catalog_->snapshot()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(CompanyTest, FullRankerExplainsWithEverySignalAndAPath) {
  auto model = Model();
  RankingOptions o;
  for (auto& w : o.weights.weight) w = 1;  // every signal in the breakdown
  ExpertFinder finder(*catalog_, o, [model] { return model; });
  ExpertQuery q;
  q.query = "helm ingress";
  q.asker_id = "friend";
  q.tags = {"kubernetes"};
  auto r = finder.Find(q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->experts.empty());
  const ExpertResult& top = r->experts[0];
  EXPECT_EQ(top.person_id, "erik");
  EXPECT_EQ(top.breakdown.size(), static_cast<size_t>(kNumSignals));
  double sum = 0;
  for (const auto& [name, v] : top.breakdown) sum += v;
  EXPECT_NEAR(sum, top.score, 1e-9);
  // friend -> newbie (commented on the questions) -> erik (answered them).
  EXPECT_THAT(top.path, ElementsAre("friend", "newbie", "erik"));
  EXPECT_GT(top.features[static_cast<int>(Signal::kProximity)], 0);
  // The private expert is never a candidate, whatever the signals.
  q.query = "zanzibar";
  q.tags.clear();
  auto hidden = finder.Find(q);
  ASSERT_TRUE(hidden.ok());
  for (const auto& e : hidden->experts) EXPECT_NE(e.person_id, "secret");
}

TEST_F(CompanyTest, PathNeverPassesThroughPeopleWhoOptedOut) {
  v1::Person newbie;
  newbie.set_id("newbie");
  newbie.set_opted_out(true);
  ASSERT_TRUE(catalog_->UpsertPeople({&newbie, 1}).ok());
  catalog_->Refresh();
  auto model = Model();
  ExpertFinder finder(*catalog_, {}, [model] { return model; });
  ExpertQuery q;
  q.query = "helm ingress";
  q.asker_id = "friend";
  auto r = finder.Find(q);
  ASSERT_TRUE(r.ok());
  for (const auto& e : r->experts) {
    EXPECT_THAT(e.path, Not(Contains("newbie"))) << e.person_id;
  }
}

// Opting out takes a person out of every computation: what the ranker
// derives from the graph (authority, proximity, paths) and from the posts
// that credit others (the newbie asked every question) is the same as if
// their posts had been erased. Without it, friend's proximity to erik ran
// through the newbie: a high proximity beside an empty path would reveal
// the hidden tie.
TEST_F(CompanyTest, OptedOutPersonCountsAsIfErased) {
  RankingOptions o;
  for (auto& w : o.weights.weight) w = 1;
  ExpertQuery q;
  q.query = "helm ingress";
  q.tags = {"kubernetes"};
  q.asker_id = "friend";
  auto rank = [&] {
    catalog_->Refresh();
    auto model = Model();
    ExpertFinder finder(*catalog_, o, [model] { return model; });
    auto r = finder.Find(q);
    EXPECT_TRUE(r.ok()) << r.status();
    std::map<std::string, ExpertResult> by_person;
    if (r.ok())
      for (const auto& e : r->experts) by_person[e.person_id] = e;
    return by_person;
  };
  const int kProx = static_cast<int>(Signal::kProximity);
  const int kAuth = static_cast<int>(Signal::kAuthority);
  auto stale_model = Model();
  auto before = rank();
  ASSERT_TRUE(before.count("erik"));
  ASSERT_THAT(before["erik"].path, ElementsAre("friend", "newbie", "erik"));
  ASSERT_GT(before["erik"].features[kProx], 0);

  v1::Person newbie;
  newbie.set_id("newbie");
  newbie.set_opted_out(true);
  ASSERT_TRUE(catalog_->UpsertPeople({&newbie, 1}).ok());
  auto opted_out = rank();
  // A model built before the opt-out still counts the newbie's ties: it is
  // not used (graph signals and paths wait for the rebuild).
  {
    ExpertFinder finder(*catalog_, o, [&] { return stale_model; });
    auto r = finder.Find(q);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->experts.empty());
    for (const auto& e : r->experts) {
      EXPECT_EQ(e.features[kProx], 0) << e.person_id;
      EXPECT_TRUE(e.path.empty()) << e.person_id;
    }
  }
  auto snap = catalog_->snapshot();
  EXPECT_EQ(snap->graph->VertexOf("newbie"), -1);
  EXPECT_EQ(snap->activity.count("newbie"), 0u);
  for (const auto& [id, m] : snap->posts) EXPECT_NE(m->author_id, "newbie");

  ASSERT_TRUE(catalog_->DeletePerson("newbie").ok());
  auto erased = rank();
  ASSERT_TRUE(opted_out.count("erik"));
  EXPECT_LT(opted_out["erik"].features[kProx], before["erik"].features[kProx]);
  int compared = 0;
  for (const auto& [person, e] : erased) {
    if (!opted_out.count(person)) continue;
    const ExpertResult& x = opted_out[person];
    EXPECT_EQ(x.path, e.path) << person;
    // Proximity is a local push, exact to its epsilon (1e-5) and numbered
    // in the order people were first seen, which erasure changes.
    EXPECT_NEAR(x.features[kProx], e.features[kProx], 1e-5) << person;
    EXPECT_NEAR(x.features[kAuth], e.features[kAuth], 1e-9) << person;
    ++compared;
  }
  EXPECT_GE(compared, 3);
}

TEST_F(CompanyTest, ClientVectorsFindExpertsInTheClientsSpace) {
  // The company's embedding service puts each topic on its own axis; the
  // vectors ride on new articles by each expert (and a private one).
  std::vector<v1::Post> posts;
  int axis = 0;
  for (const auto& topic : Topics()) {
    v1::Post p = Post("v-" + topic.expert, topic.expert, v1::POST_KIND_ARTICLE,
                      "", "Notes", "notes", kT0 + 500 * kHour);
    for (int i = 0; i < 3; ++i) p.add_embedding(i == axis ? 1.0f : 0.05f);
    posts.push_back(p);
    ++axis;
  }
  v1::Post hidden = Post("v-secret", "secret", v1::POST_KIND_ARTICLE, "",
                         "Notes", "notes", kT0 + 500 * kHour);
  hidden.set_visibility("group:platform");
  for (float x : {0.0f, 0.0f, 1.0f}) hidden.add_embedding(x);
  posts.push_back(hidden);
  // Another dimension: outvoted, ignored.
  v1::Post odd = Post("v-odd", "helper", v1::POST_KIND_ARTICLE, "", "Notes",
                      "notes", kT0 + 500 * kHour);
  for (float x : {1.0f, 1.0f}) odd.add_embedding(x);
  posts.push_back(odd);
  ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
  catalog_->Refresh();
  auto model = Model();
  EXPECT_EQ(model->client_dimensions(), 3);
  auto sims = model->ClientSimilarities({0, 0, 1});
  ASSERT_EQ(sims.size(), 3u) << "erik, olle, maja; not secret, not helper";
  for (const auto& [person, sim] : sims) {
    EXPECT_NE(person, "secret");
    if (person == "maja") {
      EXPECT_GT(sim, 0.9);
    } else {
      EXPECT_LT(sim, 0.2);
    }
  }
  EXPECT_TRUE(model->ClientSimilarities({1, 0}).empty()) << "wrong dimension";
  // A question whose words match nothing still finds maja through her
  // vector.
  RankingOptions o;
  o.weights.weight[static_cast<int>(Signal::kEmbedding)] = 1;
  ExpertFinder with_embedding(*catalog_, o, [model] { return model; });
  ExpertQuery q;
  q.query = "quokka";
  q.query_embedding = {0.0f, 0.1f, 0.9f};
  auto r = with_embedding.Find(q);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->experts.empty());
  EXPECT_EQ(r->experts[0].person_id, "maja");
  // Bad vectors are refused on ingest, naming the value.
  v1::Post bad = Post("bad", "maja", v1::POST_KIND_ARTICLE, "", "t", "b",
                      kT0 + 600 * kHour);
  bad.add_embedding(1);
  bad.add_embedding(std::nanf(""));
  absl::Status s = catalog_->UpsertPosts({&bad, 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("embedding[1]"));
}

// Field by field: what `updated` (ExpertiseModel::Update) knows equals what
// `scratch` (BuildInSpace of the same space, snapshot and clock) knows, to
// float rounding for the vectors and PageRank's tolerance for authority.
void ExpectSameModel(const ExpertiseModel& updated,
                     const ExpertiseModel& scratch,
                     const std::vector<std::string>& tags,
                     const std::string& round) {
  SCOPED_TRACE(round);
  EXPECT_EQ(updated.embedded_posts(), scratch.embedded_posts());
  EXPECT_EQ(updated.embedded_newest(), scratch.embedded_newest());
  ASSERT_EQ(updated.profile_people().size(), scratch.profile_people().size());
  const Eigen::VectorXf q = scratch.EmbedQuery({{"Ztoner"}, {"Zduplex"}});
  const Eigen::VectorXf su = updated.Similarities(q);
  const Eigen::VectorXf ss = scratch.Similarities(q);
  for (const auto& person : scratch.profile_people()) {
    const int32_t u = updated.ProfileIndex(person);
    ASSERT_GE(u, 0) << person;
    EXPECT_NEAR(su[u], ss[scratch.ProfileIndex(person)], 1e-5) << person;
  }
  for (const auto& tag : tags) {
    auto tu = updated.TagScores({tag});
    auto ts = scratch.TagScores({tag});
    ASSERT_EQ(tu.size(), ts.size()) << tag;
    for (const auto& [person, w] : ts) {
      ASSERT_TRUE(tu.contains(person)) << tag << " " << person;
      EXPECT_NEAR(tu[person], w, 1e-9 * std::max(1.0, w)) << tag << person;
    }
  }
  EXPECT_EQ(updated.top_answerers(), scratch.top_answerers());
  ASSERT_EQ(updated.ties().num_nodes(), scratch.ties().num_nodes());
  for (int32_t i = 0; i < scratch.ties().num_nodes(); ++i) {
    const std::string& person = scratch.ties().PersonOf(i);
    EXPECT_EQ(updated.ties().PersonOf(i), person);
    EXPECT_EQ(updated.ties().Strength(i), scratch.ties().Strength(i));
    EXPECT_NEAR(updated.Authority(person), scratch.Authority(person), 1e-6)
        << person;
  }
  EXPECT_TRUE(updated.pagerank().converged);
  EXPECT_EQ(updated.client_dimensions(), scratch.client_dimensions());
  auto cu = updated.ClientSimilarities({0, 0, 1});
  auto cs = scratch.ClientSimilarities({0, 0, 1});
  std::sort(cu.begin(), cu.end());
  std::sort(cs.begin(), cs.end());
  ASSERT_EQ(cu.size(), cs.size());
  for (size_t i = 0; i < cs.size(); ++i) {
    EXPECT_EQ(cu[i].first, cs[i].first);
    EXPECT_NEAR(cu[i].second, cs[i].second, 1e-5);
  }
}

// Several rounds of new posts of every kind, as ingest brings them, while
// the clock moves on: each round's Update of the previous model equals a
// model built from scratch in the same space. A restart (save and load) in
// the middle continues from the persisted sums. Rounds that change or
// delete a post are left to a full build (Update declines them).
TEST_F(CompanyTest, UpdatedModelsEqualModelsBuiltFromScratch) {
  int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [&now] { return now; };
  auto built = ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o);
  ASSERT_TRUE(built.ok()) << built.status();
  std::shared_ptr<const ExpertiseModel> model = *built;
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  std::vector<std::string> tags = {"printer", "vpn", "excel", "new-tag"};
  for (const auto& topic : Topics()) tags.push_back(topic.tag);
  int64_t t = kT0 + 500 * kHour;
  for (int round = 0; round < 8; ++round) {
    const std::string r = "r" + std::to_string(round);
    std::vector<v1::Post> posts;
    // A question with a new tag and answers (one accepted) by two people.
    posts.push_back(Post(r + "q", "friend", v1::POST_KIND_QUESTION, "",
                         "Toner trouble", "toner duplex printer", t += kHour,
                         {"printer", "new-tag"}));
    posts.push_back(Post(r + "a", "olle", v1::POST_KIND_ANSWER, r + "q", "",
                         "duplex toner fix", t += kHour, {}, true));
    posts.push_back(Post(r + "b", "maja", v1::POST_KIND_ANSWER, r + "q", "",
                         "vpn maybe", t += kHour));
    // Answers and comments on old questions, by a newcomer too.
    posts.push_back(Post(r + "old", "helper", v1::POST_KIND_ANSWER, "q3", "",
                         "toner again", t += kHour));
    posts.push_back(Post(r + "c", "newcomer" + std::to_string(round % 2),
                         v1::POST_KIND_COMMENT, "q5", "", "thanks",
                         t += kHour));
    // An answer whose question comes in the next round.
    posts.push_back(Post(r + "early", "erik", v1::POST_KIND_ANSWER, r + "late",
                         "", "printer duplex", t += kHour));
    if (round > 0) {
      const std::string prev = "r" + std::to_string(round - 1);
      posts.push_back(Post(prev + "late", "newbie", v1::POST_KIND_QUESTION, "",
                           "Late question", "toner", t - 5 * kHour, {"vpn"}));
    }
    // A client vector, and a private post that must change nothing.
    v1::Post v = Post(r + "v", "maja", v1::POST_KIND_ARTICLE, "", "Notes",
                      "notes toner", t += kHour);
    for (float x : {0.1f, 0.2f, 1.0f}) v.add_embedding(x);
    posts.push_back(v);
    v1::Post hidden = Post(r + "h", "secret", v1::POST_KIND_ANSWER, "p1", "",
                           "zanzibar toner", t += kHour);
    hidden.set_visibility("group:platform");
    posts.push_back(hidden);
    // Rounds 3 and 6 also edit an old question's tags and delete a post:
    // changes Update leaves to a full build.
    const bool changes = round == 3 || round == 6;
    if (changes) {
      posts.push_back(Post("q1", "newbie", v1::POST_KIND_QUESTION, "",
                           "Problem", "toner vpn", kT0 + kHour, {"excel"}));
    }
    ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
    if (changes) {
      ASSERT_TRUE(catalog_->DeletePost(r + "b").ok());
    }
    catalog_->Refresh();
    now += 10 * 24 * kHour;  // decay moves on between builds
    const auto snap = catalog_->snapshot();
    auto updated = ExpertiseModel::Update(*model, *catalog_, snap, o);
    ASSERT_TRUE(updated.ok()) << updated.status();
    auto scratch =
        ExpertiseModel::BuildInSpace(*catalog_, snap, model->space_ptr(), o);
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    if (changes) {
      EXPECT_EQ(*updated, nullptr) << r << ": a change is no addition";
      model = *scratch;
      continue;
    }
    ASSERT_NE(*updated, nullptr) << r;
    ExpectSameModel(**updated, **scratch, tags, r);
    model = *updated;
    if (round == 4) {  // a restart: the sums and ranks come from the file
      ASSERT_TRUE(model->SaveEmbeddings(path).ok());
      auto loaded = ExpertiseModel::Load(path, snap, o);
      ASSERT_TRUE(loaded.ok()) << loaded.status();
      ExpectSameModel(**loaded, **scratch, tags, r + " loaded");
      model = *loaded;
    }
  }
}

// Every tag of the snapshot's posts, for comparing tag profiles whole.
std::vector<std::string> AllTags(const index::Snapshot& snap) {
  std::set<std::string> tags;
  for (const auto& [id, m] : snap.posts)
    for (const auto& tag : m->tags) tags.insert(tag);
  return {tags.begin(), tags.end()};
}

// The tag profiles come back from embeddings.bin when its stamp is the
// snapshot's, rescaled to a later clock: equal to a rebuild at that clock
// up to rounding, the ties and the rest too.
TEST_F(CompanyTest, RestoredTagProfilesEqualRebuiltOnes) {
  int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [&now] { return now; };
  const auto snap = catalog_->snapshot();
  ASSERT_FALSE(snap->stamp.empty()) << "everything is committed";
  auto built = ExpertiseModel::Build(*catalog_, snap, o);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  const std::vector<std::string> tags = AllTags(*snap);
  ASSERT_GE(tags.size(), 3u);
  for (int64_t days : {0, 40, 800}) {
    now = kT0 + 1000 * kHour + days * 24 * kHour;
    auto loaded = ExpertiseModel::Load(path, snap, o);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_TRUE((*loaded)->tags_restored())
        << (*loaded)->tags_rebuilt_because();
    auto scratch =
        ExpertiseModel::BuildInSpace(*catalog_, snap, (*built)->space_ptr(), o);
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    ExpectSameModel(**loaded, **scratch, tags,
                    "restored " + std::to_string(days) + " days later");
    EXPECT_GT((*loaded)->TagScores({"printer"}).at("olle"), 0);
  }
  // An hour before the origin is no clock they can be scaled to.
  now = kT0 + 999 * kHour;
  auto early = ExpertiseModel::Load(path, snap, o);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_FALSE((*early)->tags_restored());
  EXPECT_THAT((*early)->tags_rebuilt_because(), HasSubstr("clock"));
  // Other options shape other profiles.
  now = kT0 + 1000 * kHour;
  ModelOptions shorter = o;
  shorter.half_life_days = 30;
  auto other = ExpertiseModel::Load(path, snap, shorter);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE((*other)->tags_restored());
  EXPECT_THAT((*other)->tags_rebuilt_because(), HasSubstr("half-life"));
  auto rebuilt = ExpertiseModel::BuildInSpace(*catalog_, snap,
                                              (*built)->space_ptr(), shorter);
  ASSERT_TRUE(rebuilt.ok());
  for (const auto& tag : tags) {  // the vectors are the file's, not these
    auto restored = (*other)->TagScores({tag});
    for (const auto& [person, w] : (*rebuilt)->TagScores({tag}))
      EXPECT_NEAR(restored[person], w, 1e-9 * std::max(1.0, w)) << tag;
  }
}

// Field by field, exactly: the tie graph and PageRank's result of `a` and
// `b`; PageRank to its tolerance only unless `exact_ranks` (a rebuild
// starts from the file's ranks).
void ExpectSameGraphSignals(const ExpertiseModel& a, const ExpertiseModel& b,
                            const std::string& round, bool exact_ranks = true) {
  SCOPED_TRACE(round);
  ASSERT_EQ(a.ties().num_nodes(), b.ties().num_nodes());
  for (int32_t i = 0; i < a.ties().num_nodes(); ++i) {
    EXPECT_EQ(a.ties().PersonOf(i), b.ties().PersonOf(i));
    EXPECT_EQ(a.ties().NodeOf(a.ties().PersonOf(i)), i);
    EXPECT_EQ(a.ties().Strength(i), b.ties().Strength(i));
    const std::string& person = a.ties().PersonOf(i);
    if (exact_ranks) {
      EXPECT_EQ(a.Authority(person), b.Authority(person)) << person;
    } else {
      EXPECT_NEAR(a.Authority(person), b.Authority(person), 1e-6) << person;
    }
  }
  EXPECT_EQ(a.ties().offsets(), b.ties().offsets());
  EXPECT_EQ(a.ties().targets(), b.ties().targets());
  EXPECT_EQ(a.ties().weights(), b.ties().weights());
  if (!exact_ranks) return;
  EXPECT_EQ(a.pagerank().rank, b.pagerank().rank);
  EXPECT_EQ(a.pagerank().iterations, b.pagerank().iterations);
  EXPECT_EQ(a.pagerank().residual, b.pagerank().residual);
  EXPECT_EQ(a.pagerank().converged, b.pagerank().converged);
}

// Each person's client similarity to `query`, by id.
std::map<std::string, float> ClientScores(const ExpertiseModel& m,
                                          const std::vector<float>& query) {
  std::map<std::string, float> out;
  for (const auto& [person, sim] : m.ClientSimilarities(query))
    out[person] = sim;
  return out;
}

// The ties, PageRank's result and the client vectors come back from
// embeddings.bin when its stamp is the snapshot's: the same bits as a
// rebuild at the clock they were built at, and the client vectors to
// rounding at a later one (their directions do not change with it).
TEST_F(CompanyTest, RestoredTiesPageRankAndClientVectorsEqualRebuiltOnes) {
  int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [&now] { return now; };
  std::vector<v1::Post> posts;
  int n = 0;
  for (const char* who : {"erik", "olle", "maja", "helper"}) {
    v1::Post v = Post(std::string("v-") + who, who, v1::POST_KIND_ARTICLE, "",
                      "Notes", "notes", kT0 + (400 + 10 * n) * kHour);
    for (int i = 0; i < 3; ++i) v.add_embedding(i == n % 3 ? 1.0f : 0.1f);
    posts.push_back(v);
    ++n;
  }
  ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
  catalog_->Refresh();
  const auto snap = catalog_->snapshot();
  auto built = ExpertiseModel::Build(*catalog_, snap, o);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_GT((*built)->ties().num_nodes(), 3);
  ASSERT_EQ((*built)->client_dimensions(), 3);
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  for (int64_t days : {0, 40}) {
    now = kT0 + 1000 * kHour + days * 24 * kHour;
    const std::string when = std::to_string(days) + " days later";
    auto loaded = ExpertiseModel::Load(path, snap, o);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const ExpertiseModel& m = **loaded;
    EXPECT_TRUE(m.ties_restored()) << m.ties_rebuilt_because();
    EXPECT_TRUE(m.pagerank_restored()) << m.pagerank_rebuilt_because();
    EXPECT_TRUE(m.clients_restored()) << m.clients_rebuilt_because();
    EXPECT_EQ(m.timings().pagerank_iterations, 0) << "none ran";
    auto scratch =
        ExpertiseModel::BuildInSpace(*catalog_, snap, (*built)->space_ptr(), o);
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    ExpectSameGraphSignals(m, **scratch, when);
    ExpectSameModel(m, **scratch, AllTags(*snap), when);
    for (const auto& query : std::vector<std::vector<float>>{
             {1, 0, 0}, {0, 1, 0}, {0.2f, 0.3f, 1}}) {
      const auto restored = ClientScores(m, query);
      const auto rebuilt = ClientScores(**scratch, query);
      ASSERT_EQ(restored.size(), rebuilt.size());
      for (const auto& [person, sim] : rebuilt) {
        ASSERT_TRUE(restored.contains(person)) << person;
        if (days == 0) {
          EXPECT_EQ(restored.at(person), sim) << person;
        } else {
          EXPECT_NEAR(restored.at(person), sim, 1e-6) << person;
        }
      }
    }
  }
  // PageRank computed with other options is computed again (from the saved
  // ranks), over the restored ties.
  now = kT0 + 1000 * kHour;
  ModelOptions other = o;
  other.pagerank.damping = 0.7;
  auto loaded = ExpertiseModel::Load(path, snap, other);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE((*loaded)->ties_restored());
  EXPECT_FALSE((*loaded)->pagerank_restored());
  EXPECT_THAT((*loaded)->pagerank_rebuilt_because(), HasSubstr("options"));
  auto scratch = ExpertiseModel::BuildInSpace(*catalog_, snap,
                                              (*built)->space_ptr(), other);
  ASSERT_TRUE(scratch.ok()) << scratch.status();
  EXPECT_NE((*scratch)->pagerank().rank, (*built)->pagerank().rank);
  for (int32_t i = 0; i < (*scratch)->ties().num_nodes(); ++i) {
    const std::string& person = (*scratch)->ties().PersonOf(i);
    EXPECT_NEAR((*loaded)->Authority(person), (*scratch)->Authority(person),
                1e-6)
        << person;
  }
}

// A file from another snapshot (a post written since, an opt-out, an
// erasure) has its tag profiles rebuilt: no cell of a person who left
// comes back from it.
TEST_F(CompanyTest, StaleTagProfilesAreRebuiltNotRestored) {
  const int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [now] { return now; };
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  auto save = [&] {
    auto built = ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o);
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  };
  auto load = [&] {
    auto loaded = ExpertiseModel::Load(path, catalog_->snapshot(), o);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *loaded : nullptr;
  };
  save();
  ASSERT_TRUE(load()->tags_restored());
  ASSERT_TRUE(load()->ties_restored());
  ASSERT_TRUE(load()->clients_restored());
  // Nothing of another snapshot is read: each part equals a fresh build.
  auto stale_everywhere = [&](const ExpertiseModel& m, const std::string& r) {
    EXPECT_FALSE(m.ties_restored()) << r;
    EXPECT_FALSE(m.pagerank_restored()) << r;
    EXPECT_FALSE(m.clients_restored()) << r;
    EXPECT_THAT(m.ties_rebuilt_because(), HasSubstr("another snapshot")) << r;
    EXPECT_THAT(m.clients_rebuilt_because(), HasSubstr("another snapshot"))
        << r;
    auto fresh = ExpertiseModel::BuildInSpace(*catalog_, catalog_->snapshot(),
                                              m.space_ptr(), o);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    ExpectSameGraphSignals(m, **fresh, r, /*exact_ranks=*/false);
  };
  // A new post.
  const std::vector<v1::Post> added = {Post("n1", "maja", v1::POST_KIND_ANSWER,
                                            "q0", "", "toner",
                                            kT0 + 900 * kHour)};
  ASSERT_TRUE(catalog_->UpsertPosts(added).ok());
  catalog_->Refresh();
  auto after_post = load();
  EXPECT_FALSE(after_post->tags_restored());
  EXPECT_THAT(after_post->tags_rebuilt_because(),
              HasSubstr("another snapshot"));
  stale_everywhere(*after_post, "a new post");
  const std::string q0_tag = catalog_->snapshot()->FindPost("q0")->tags.at(0);
  EXPECT_TRUE(after_post->TagScores({q0_tag}).contains("maja"));
  // An opt-out.
  save();
  ASSERT_TRUE(load()->TagScores({"printer"}).contains("olle"));
  ASSERT_GE(load()->ties().NodeOf("olle"), 0);
  v1::Person olle;
  olle.set_id("olle");
  olle.set_opted_out(true);
  ASSERT_TRUE(catalog_->UpsertPeople({&olle, 1}).ok());
  catalog_->Refresh();
  auto opted_out = load();
  EXPECT_FALSE(opted_out->tags_restored());
  EXPECT_FALSE(opted_out->TagScores({"printer"}).contains("olle"));
  stale_everywhere(*opted_out, "an opt-out");
  // An erasure.
  olle.set_opted_out(false);
  ASSERT_TRUE(catalog_->UpsertPeople({&olle, 1}).ok());
  catalog_->Refresh();
  save();
  ASSERT_TRUE(load()->TagScores({"printer"}).contains("olle"));
  ASSERT_TRUE(catalog_->DeletePerson("olle").ok());
  catalog_->Refresh();
  auto erased = load();
  EXPECT_FALSE(erased->tags_restored());
  EXPECT_FALSE(erased->TagScores({"printer"}).contains("olle"));
  stale_everywhere(*erased, "an erasure");
  EXPECT_EQ(erased->ties().NodeOf("olle"), -1);
  EXPECT_EQ(erased->Authority("olle"), 0);
  // A snapshot without a stamp (put together by hand) restores nothing.
  save();
  auto unstamped = std::make_shared<index::Snapshot>(*catalog_->snapshot());
  unstamped->stamp.clear();
  auto by_hand = ExpertiseModel::Load(path, unstamped, o);
  ASSERT_TRUE(by_hand.ok());
  EXPECT_FALSE((*by_hand)->tags_restored());
  EXPECT_FALSE((*by_hand)->ties_restored());
  EXPECT_FALSE((*by_hand)->clients_restored());
}

// A private group's posts never enter the tag profiles, the ties, PageRank
// or the client vectors, built or restored.
TEST_F(CompanyTest, PersistedTagProfilesLeavePrivatePostsOut) {
  v1::Post question =
      Post("pq", "newbie", v1::POST_KIND_QUESTION, "", "Tray", "toner tray",
           kT0 + 10 * kHour, {"printer", "private-tag"});
  question.set_visibility("group:platform");
  v1::Post answer = Post("pa", "secret", v1::POST_KIND_ANSWER, "pq", "",
                         "toner tray fix", kT0 + 11 * kHour, {}, true);
  answer.set_visibility("group:platform");
  for (float x : {0.0f, 0.0f, 1.0f}) answer.add_embedding(x);
  v1::Post reply = Post("pr", "newbie", v1::POST_KIND_COMMENT, "pq", "",
                        "thanks", kT0 + 12 * kHour);
  reply.set_visibility("group:platform");
  reply.set_parent_id("pa");
  // A public vector, so that the client vectors are not empty.
  v1::Post open = Post("open", "maja", v1::POST_KIND_ARTICLE, "", "Notes",
                       "notes", kT0 + 13 * kHour);
  for (float x : {1.0f, 0.0f, 0.0f}) open.add_embedding(x);
  const std::vector<v1::Post> hidden = {question, answer, reply, open};
  ASSERT_TRUE(catalog_->UpsertPosts(hidden).ok());
  catalog_->Refresh();
  const int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [now] { return now; };
  auto built = ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  auto loaded = ExpertiseModel::Load(path, catalog_->snapshot(), o);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE((*loaded)->tags_restored());
  ASSERT_TRUE((*loaded)->ties_restored());
  ASSERT_TRUE((*loaded)->clients_restored());
  ExpectSameGraphSignals(**loaded, **built, "private posts");
  for (const auto& model : {*built, *loaded}) {
    EXPECT_TRUE(model->TagScores({"private-tag"}).empty());
    EXPECT_FALSE(model->TagScores({"printer"}).contains("secret"));
    // secret wrote only in the private group: no tie, no authority.
    const int32_t node = model->ties().NodeOf("secret");
    EXPECT_TRUE(node < 0 || model->ties().Strength(node) == 0);
    EXPECT_EQ(model->Authority("secret"), 0);
    const auto clients = ClientScores(*model, {0, 0, 1});
    EXPECT_EQ(clients.size(), 1u);
    EXPECT_FALSE(clients.contains("secret"));
  }
  // Nor do they reach the file.
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("private-tag"), std::string::npos);
}

// Where each of the sections after the ranks starts (its length field):
// the tag profiles', the ties' and the client vectors', found as the one
// position from which three length-prefixed, checksummed sections end the
// file; `count` 2 finds a file of stop 26's (the tag profiles last).
std::vector<size_t> SectionStarts(const std::string& bytes, int count = 3) {
  for (size_t at = 0; at + 12 <= bytes.size(); ++at) {
    std::vector<size_t> starts;
    size_t next = at;
    while (next + 12 <= bytes.size() && starts.size() < 3) {
      uint64_t len = 0;
      std::memcpy(&len, bytes.data() + next, sizeof(len));
      if (len > bytes.size() - next - 12) break;
      starts.push_back(next);
      next += 8 + len + 4;
    }
    if (next == bytes.size() && starts.size() == static_cast<size_t>(count))
      return starts;
  }
  return {};
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A damaged section is rebuilt with a reason, never an exception, and
// alone: the others are still read. A file of the previous format is
// refused whole (DATA_LOSS), not misread; one of stop 26's, which ends
// after the tag profiles, has its ties and client vectors rebuilt.
TEST_F(CompanyTest, DamagedOrOlderEmbeddingsFilesAreRebuilt) {
  const int64_t now = kT0 + 1000 * kHour;
  ModelOptions o;
  o.clock = [now] { return now; };
  v1::Post v = Post("v1", "maja", v1::POST_KIND_ARTICLE, "", "Notes", "notes",
                    kT0 + 500 * kHour);
  for (float x : {0.1f, 0.2f, 1.0f}) v.add_embedding(x);
  ASSERT_TRUE(catalog_->UpsertPosts({&v, 1}).ok());
  catalog_->Refresh();
  auto built = ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  const std::string good = ReadBytes(path);
  auto load_with = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return ExpertiseModel::Load(path, catalog_->snapshot(), o);
  };
  const std::vector<std::string> tags = AllTags(*catalog_->snapshot());
  {
    auto loaded = load_with(good);
    ASSERT_TRUE(loaded.ok());
    ASSERT_TRUE((*loaded)->tags_restored());
    ASSERT_TRUE((*loaded)->ties_restored());
    ASSERT_TRUE((*loaded)->clients_restored());
  }
  const std::vector<size_t> at = SectionStarts(good);
  ASSERT_EQ(at.size(), 3u);
  const uint64_t big = uint64_t{1} << 40;
  // Damage to one section, and which of tags, ties, clients is still read.
  struct Damage {
    std::string name, bytes, why;
    bool tags, ties, clients;
  };
  std::vector<Damage> cases;
  for (int s = 0; s < 3; ++s) {
    const size_t end = s < 2 ? at[s + 1] : good.size();
    const std::string which = std::to_string(s);
    std::string flipped = good;  // a byte in the middle of its bytes
    flipped[(at[s] + 8 + end - 4) / 2] ^= 0x40;
    std::string huge = good;  // its length says 2^40 bytes
    std::memcpy(huge.data() + at[s], &big, sizeof(big));
    std::string cut = good.substr(0, end - 3);  // in its checksum
    // Damage to one section leaves the others; a length that cannot be
    // followed loses the sections after it too.
    cases.push_back(
        {"flipped " + which, flipped, "checksum", s != 0, s != 1, s != 2});
    cases.push_back({"huge " + which, huge, "truncated", s > 0, s > 1, false});
    cases.push_back({"cut " + which, cut, "truncated", s > 0, s > 1, false});
    // The file ends inside its length: the sections before it are whole.
    cases.push_back({"cut in the length of " + which, good.substr(0, at[s] + 3),
                     "truncated", s > 0, s > 1, false});
  }
  for (const Damage& d : cases) {
    auto loaded = load_with(d.bytes);
    ASSERT_TRUE(loaded.ok()) << d.name << ": " << loaded.status();
    const ExpertiseModel& m = **loaded;
    EXPECT_EQ(m.tags_restored(), d.tags) << d.name << m.tags_rebuilt_because();
    EXPECT_EQ(m.ties_restored(), d.ties) << d.name << m.ties_rebuilt_because();
    EXPECT_EQ(m.pagerank_restored(), d.ties) << d.name;
    EXPECT_EQ(m.clients_restored(), d.clients)
        << d.name << m.clients_rebuilt_because();
    const std::string why = !d.tags   ? m.tags_rebuilt_because()
                            : !d.ties ? m.ties_rebuilt_because()
                                      : m.clients_rebuilt_because();
    EXPECT_THAT(why, HasSubstr(d.why)) << d.name;
    ExpectSameModel(m, **built, tags, d.name);
  }
  // Stop 26's file: the same bytes up to the tag profiles' end.
  {
    auto loaded = load_with(good.substr(0, at[1]));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_TRUE((*loaded)->tags_restored());
    EXPECT_FALSE((*loaded)->ties_restored());
    EXPECT_FALSE((*loaded)->clients_restored());
    EXPECT_THAT((*loaded)->ties_rebuilt_because(), HasSubstr("older version"));
    EXPECT_THAT((*loaded)->clients_rebuilt_because(),
                HasSubstr("older version"));
    ExpectSameModel(**loaded, **built, tags, "stop 26's file");
  }
  // The previous format ("WKPW", no stamp): its counts would be read as a
  // stamp's length.
  std::string older = good;
  const uint32_t old_magic = 0x574b5057;
  std::memcpy(older.data(), &old_magic, sizeof(old_magic));
  auto refused = load_with(older);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.status().message(), HasSubstr("older"));
}

// A store that restored a model whose tag profiles it had to rebuild (here:
// other options) writes the file again, so that the next start reads them.
TEST_F(CompanyTest, StoreRewritesRebuiltTagProfiles) {
  ModelOptions o;
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  auto built = ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_TRUE((*built)->SaveEmbeddings(path).ok());
  ModelStoreOptions so;
  so.path = path;
  so.model.half_life_days = 30;
  so.min_rebuild_interval = std::chrono::hours(1);
  {
    ModelStore store(*catalog_, so);
    ASSERT_NE(store.current(), nullptr) << "restored";
    EXPECT_FALSE(store.current()->tags_restored());
    EXPECT_TRUE(store.IsCurrent());
  }  // the store's thread has run by its destruction
  auto reloaded = ExpertiseModel::Load(path, catalog_->snapshot(), so.model);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE((*reloaded)->tags_restored())
      << (*reloaded)->tags_rebuilt_because();
}

TEST_F(CompanyTest, ErasureLeavesThePersistedVectorsAtOnce) {
  ModelStoreOptions o;
  o.path = catalog_->options().data_dir + "/embeddings.bin";
  o.min_rebuild_interval = std::chrono::hours(1);  // only erasure rebuilds
  ModelStore store(*catalog_, o);
  auto has = [](const std::shared_ptr<const ExpertiseModel>& m,
                const std::string& id) {
    const auto& p = m->profile_people();
    return std::find(p.begin(), p.end(), id) != p.end();
  };
  for (int i = 0; i < 200 && !store.current(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_NE(store.current(), nullptr);
  ASSERT_TRUE(has(store.current(), "olle"));
  auto deleted = catalog_->DeletePerson("olle");
  ASSERT_TRUE(deleted.ok());
  catalog_->Refresh();
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = !has(store.current(), "olle");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "still in the model an hour's interval later";
  auto on_disk = ExpertiseModel::Load(o.path, catalog_->snapshot());
  ASSERT_TRUE(on_disk.ok());
  EXPECT_FALSE(has(*on_disk, "olle")) << "still in embeddings.bin";
}

// `serve` reads the model's file while the catalog opens
// (ExpertiseModel::ReadAhead); the store restores what was read only while
// the path still holds that file. One replaced since (here by a model
// without a person erased meanwhile) or removed is not restored from the
// read.
TEST_F(CompanyTest, AModelReadAheadIsRestoredOnlyWhileItIsTheFileOnDisk) {
  const std::string path = catalog_->options().data_dir + "/embeddings.bin";
  auto has = [](const ExpertiseModel& m, const std::string& id) {
    const auto& p = m.profile_people();
    return std::find(p.begin(), p.end(), id) != p.end();
  };
  auto with_olle = Model();
  ASSERT_TRUE(has(*with_olle, "olle"));
  ASSERT_TRUE(with_olle->SaveEmbeddings(path).ok());

  // Read ahead and restored: what Load(path) restores.
  auto ahead = ExpertiseModel::ReadAhead(path);
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  EXPECT_TRUE(ExpertiseModel::StillAt(**ahead, path));
  auto by_path = ExpertiseModel::Load(path, catalog_->snapshot());
  auto restored = ExpertiseModel::Load(*ahead, catalog_->snapshot());
  ASSERT_TRUE(by_path.ok() && restored.ok());
  EXPECT_EQ((*restored)->profile_people(), (*by_path)->profile_people());
  EXPECT_TRUE((*restored)->ties_restored())
      << (*restored)->ties_rebuilt_because();
  EXPECT_EQ((*restored)->clients_restored(), (*by_path)->clients_restored());
  Eigen::VectorXf q =
      (*by_path)->EmbedQuery(catalog_->QueryTerms("toner duplex"));
  EXPECT_LT(((*by_path)->Similarities(q) - (*restored)->Similarities(q)).norm(),
            1e-6);

  ModelStoreOptions o;
  o.path = path;
  o.background = false;
  ahead = ExpertiseModel::ReadAhead(path);
  ASSERT_TRUE(ahead.ok());
  ASSERT_TRUE(catalog_->DeletePerson("olle").ok());
  catalog_->Refresh();
  auto without_olle =
      ExpertiseModel::Build(*catalog_, catalog_->snapshot(), o.model);
  ASSERT_TRUE(without_olle.ok()) << without_olle.status();
  ASSERT_TRUE((*without_olle)->SaveEmbeddings(path).ok());
  EXPECT_FALSE(ExpertiseModel::StillAt(**ahead, path));
  {
    ModelStore store(*catalog_, o, *ahead);
    ASSERT_NE(store.current(), nullptr);
    EXPECT_FALSE(has(*store.current(), "olle"))
        << "restored from a read of the file replaced since";
    EXPECT_TRUE(store.IsCurrent());
  }

  // Removed after the read: nothing to restore.
  ahead = ExpertiseModel::ReadAhead(path);
  ASSERT_TRUE(ahead.ok());
  ASSERT_TRUE(fs::remove(path));
  EXPECT_FALSE(ExpertiseModel::StillAt(**ahead, path));
  ModelStore store(*catalog_, o, *ahead);
  EXPECT_EQ(store.current(), nullptr) << "restored a removed file's read";

  // No file, a damaged one: Load's errors.
  EXPECT_EQ(ExpertiseModel::ReadAhead(path).status().code(),
            absl::StatusCode::kNotFound);
  std::ofstream(path, std::ios::trunc) << "garbage";
  EXPECT_EQ(ExpertiseModel::ReadAhead(path).status().code(),
            absl::StatusCode::kDataLoss);
}

// The nice values of this process' threads (Linux: /proc/self/task).
std::vector<int> ThreadNiceValues() {
  std::vector<int> nice;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // A thread that ended between the listing and the read leaves nothing
    // to read.
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 > stat.size()) continue;
    // Fields after the command's closing parenthesis, from field 3 on;
    // nice is field 19.
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i)
      if (i == 19) nice.push_back(std::stoi(field));
  }
  return nice;
}

// Rebuilds are background work: once the first model serves, the store's
// thread runs at nice +10, as the ingest executor's threads do, so that a
// rebuild (a full one reads every post) takes no more of the CPU than
// ingest under sustained writes.
TEST_F(CompanyTest, ModelStoreRebuildsAtALowerPriority) {
  // The catalog's own background threads (its graph saver) may be at
  // nice +10 already: the store adds one. +10 from this thread's nice, so
  // the test holds under `nice ctest` too.
  errno = 0;
  const int mine = ::getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  const int background = std::min(19, mine + 10);
  const auto before = ThreadNiceValues();
  const auto already = std::count(before.begin(), before.end(), background);
  ModelStoreOptions o;
  o.min_rebuild_interval = std::chrono::milliseconds(0);
  ModelStore store(*catalog_, o);
  auto lowered = already;
  for (int i = 0; i < 3000 && lowered == already; ++i) {
    const auto now = ThreadNiceValues();
    lowered = std::count(now.begin(), now.end(), background);
    if (lowered == already)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(store.current(), nullptr);
  EXPECT_EQ(lowered, already + 1) << "the store's thread at nice +10";
}

TEST_F(CompanyTest, ModelStoreFollowsTheCatalogInTheBackground) {
  ModelStoreOptions o;
  o.path = catalog_->options().data_dir + "/embeddings.bin";
  o.min_rebuild_interval = std::chrono::milliseconds(0);
  auto first_count = [&]() -> int64_t {
    ModelStore store(*catalog_, o);
    for (int i = 0; i < 200 && !store.current(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return store.current() ? store.current()->embedded_posts() : -1;
  };
  const int64_t before = first_count();
  ASSERT_GT(before, 0);
  ASSERT_TRUE(fs::exists(o.path)) << "persisted";
  // A restarted store starts from the file at once.
  {
    ModelStoreOptions no_thread = o;
    no_thread.background = false;
    ModelStore restored(*catalog_, no_thread);
    ASSERT_NE(restored.current(), nullptr);
    EXPECT_EQ(restored.current()->embedded_posts(), before);
  }
  // New posts reach the model without anyone asking.
  ModelStore store(*catalog_, o);
  v1::Post extra =
      CompanyTest::Post("late", "olle", v1::POST_KIND_ARTICLE, "",
                        "Toner guide", "toner duplex tray", kT0 + 1000 * kHour);
  ASSERT_TRUE(catalog_->UpsertPosts({&extra, 1}).ok());
  catalog_->Refresh();
  int64_t after = -1;
  for (int i = 0; i < 200; ++i) {
    auto m = store.current();
    if (m && m->embedded_posts() == before + 1) {
      after = m->embedded_posts();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(after, before + 1);
}

// The store follows new posts with Update and rebuilds from scratch (a new
// space) once a post is deleted or the posts have grown past
// retrain_growth: the deleted post's words leave the space.
TEST_F(CompanyTest, ModelStoreUpdatesOnNewPostsAndRetrainsOnDeletions) {
  ModelStoreOptions o;
  o.background = false;
  o.model.clock = index::FixedClock(kT0 + 2000 * kHour);
  ModelStore store(*catalog_, o);
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_FALSE(store.stats().last_build_incremental);
  auto add = [&](const std::string& id, const std::string& body) {
    v1::Post p = CompanyTest::Post(id, "olle", v1::POST_KIND_ARTICLE, "",
                                   "Guide", body, kT0 + 1000 * kHour);
    ASSERT_TRUE(catalog_->UpsertPosts({&p, 1}).ok());
    catalog_->Refresh();
  };
  add("guide1", "quokkaword toner");
  add("guide2", "quokkaword duplex");
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_TRUE(store.stats().last_build_incremental);
  EXPECT_TRUE(store.IsCurrent());
  EXPECT_EQ(store.current()->space().TermId("Zquokkaword"), -1)
      << "the space is kept: no new word";
  ASSERT_TRUE(catalog_->DeletePost("guide2").ok());
  catalog_->Refresh();
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_FALSE(store.stats().last_build_incremental);
  EXPECT_TRUE(store.IsCurrent());
  // Growth past retrain_growth learns the space again, new words included.
  ModelStoreOptions eager = o;
  eager.retrain_growth = 0;
  eager.min_retrain_interval = std::chrono::milliseconds(0);
  ModelStore retraining(*catalog_, eager);
  ASSERT_TRUE(retraining.RebuildNow().ok());
  add("guide3", "quokkaword printer");
  ASSERT_TRUE(retraining.RebuildNow().ok());
  EXPECT_FALSE(retraining.stats().last_build_incremental);
  EXPECT_GE(retraining.current()->space().TermId("Zquokkaword"), 0);
}

// A stored model keeps the posts and people of the snapshot it was built
// on, not that snapshot's numbering and docids: during ingest a model
// outlives many publishes, and the numbering (O(posts), over 100 MB at 1M
// posts) would stay alive beside the catalog's newer one.
TEST_F(CompanyTest, AStoredModelKeepsNoOlderNumberingAlive) {
  ModelStoreOptions o;
  o.background = false;
  o.model.clock = index::FixedClock(kT0 + 2000 * kHour);
  ModelStore store(*catalog_, o);
  std::weak_ptr<const index::DenseIndex> numbering;
  std::weak_ptr<const index::PostDocids> docids;
  {
    const auto snap = catalog_->snapshot();
    ASSERT_NE(snap->dense, nullptr);
    numbering = snap->dense;
    docids = snap->docids;
  }
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_EQ(store.current()->snapshot().generation,
            catalog_->snapshot()->generation);
  EXPECT_EQ(store.current()->snapshot().posts.size(),
            catalog_->snapshot()->posts.size());
  v1::Post p = CompanyTest::Post("guide1", "olle", v1::POST_KIND_ARTICLE, "",
                                 "Guide", "toner", kT0 + 1000 * kHour);
  ASSERT_TRUE(catalog_->UpsertPosts({&p, 1}).ok());
  catalog_->Refresh();
  EXPECT_TRUE(numbering.expired()) << "the model holds the older numbering";
  EXPECT_TRUE(docids.expired()) << "the model holds the older docids";
  // And it still follows the catalog from the snapshot it kept.
  EXPECT_FALSE(store.IsCurrent());
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_TRUE(store.stats().last_build_incremental);
  EXPECT_TRUE(store.IsCurrent());
}

// Sustained ingest crosses retrain_growth again and again: the space is
// learned again (a full build, every post read) at most once per
// min_retrain_interval, and meanwhile the new posts are folded in, so a
// person who starts posting is found through the embedding signal at once.
TEST_F(CompanyTest, ModelStoreRetrainsForGrowthAtMostOncePerInterval) {
  auto now = std::make_shared<std::chrono::steady_clock::time_point>();
  ModelStoreOptions o;
  o.background = false;
  o.model.clock = index::FixedClock(kT0 + 2000 * kHour);
  o.retrain_growth = 0;  // every new post is growth enough
  o.min_retrain_interval = std::chrono::minutes(10);
  o.steady_now = [now] { return *now; };
  v1::Person nina;
  nina.set_id("nina");
  nina.set_display_name("Nina");
  ASSERT_TRUE(catalog_->UpsertPeople({&nina, 1}).ok());
  ModelStore store(*catalog_, o);
  ASSERT_TRUE(store.RebuildNow().ok());
  EXPECT_FALSE(store.stats().last_build_incremental) << "the first build";
  int n = 0;
  auto add = [&](const std::string& body) {
    ++n;
    v1::Post p = CompanyTest::Post("nina" + std::to_string(n), "nina",
                                   v1::POST_KIND_ARTICLE, "", "Notes", body,
                                   kT0 + 1000 * kHour + n);
    ASSERT_TRUE(catalog_->UpsertPosts({&p, 1}).ok());
    catalog_->Refresh();
  };
  auto rebuild = [&](std::chrono::minutes later) {
    *now += later;
    EXPECT_TRUE(store.RebuildNow().ok());
    EXPECT_TRUE(store.IsCurrent());
    return store.stats().last_build_incremental;
  };
  add("invoice ledger vat quokkaword");
  add("supplier payment credit quokkaword");
  EXPECT_TRUE(rebuild(std::chrono::minutes(9))) << "9 of 10 minutes: folded";
  auto model = store.current();
  EXPECT_EQ(model->space().TermId("Zquokkaword"), -1) << "the space is kept";
  const int32_t at = model->ProfileIndex("nina");
  ASSERT_GE(at, 0) << "a new author has a vector before any retrain";
  const Eigen::VectorXf sims = model->Similarities(
      model->EmbedQuery(catalog_->QueryTerms("invoice payment ledger")));
  EXPECT_GT(sims[at], 0.5) << "found through the embedding signal";
  add("purchase order quokkaword");
  EXPECT_FALSE(rebuild(std::chrono::minutes(1))) << "10 minutes: retrained";
  EXPECT_GE(store.current()->space().TermId("Zquokkaword"), 0);
  add("invoice order");
  EXPECT_TRUE(rebuild(std::chrono::minutes(9)))
      << "counted from the last full build";
  add("vat credit");
  EXPECT_FALSE(rebuild(std::chrono::minutes(1)));
}

TEST_F(CompanyTest, AFailingBackgroundRebuildIsKeptAndLoggedOnce) {
  ModelStoreOptions o;
  // A folder that does not exist: every build succeeds, every save fails.
  o.path = catalog_->options().data_dir + "/no_such_folder/embeddings.bin";
  o.min_rebuild_interval = std::chrono::milliseconds(0);
  o.poll_interval = std::chrono::milliseconds(10);
  testing::internal::CaptureStderr();
  absl::Status error;
  {
    ModelStore store(*catalog_, o);
    for (int i = 0; i < 200 && error.ok(); ++i) {
      error = store.background_error();
      if (error.ok())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Let it retry a few times: the log says it once.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(store.current(), nullptr) << "a failed rebuild is not swapped in";
    EXPECT_EQ(store.RebuildNow().code(), absl::StatusCode::kUnavailable);
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("no_such_folder"));
  size_t lines = 0;
  for (size_t at = log.find("rebuilding the expertise model failed");
       at != std::string::npos;
       at = log.find("rebuilding the expertise model failed", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << log;
}

TEST_F(CompanyTest, ASuccessfulRebuildLeavesNoBackgroundError) {
  ModelStoreOptions o;
  o.path = catalog_->options().data_dir + "/embeddings.bin";
  o.poll_interval = std::chrono::milliseconds(10);
  ModelStore store(*catalog_, o);
  for (int i = 0; i < 200 && !store.current(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_NE(store.current(), nullptr);
  EXPECT_TRUE(store.background_error().ok()) << store.background_error();
}

// A power cut before WriteFileAtomically fsynced could once leave an empty
// or short embeddings.bin: derived data, so the store rebuilds and rewrites
// it rather than failing or serving without a model. A cut in the tag
// profiles (the file's last part, checksummed) loses only them: the rest
// is restored and the file rewritten.
TEST_F(CompanyTest, AnEmptyOrTruncatedModelFileIsRebuilt) {
  ModelStoreOptions o;
  o.path = catalog_->options().data_dir + "/embeddings.bin";
  o.min_rebuild_interval = std::chrono::milliseconds(0);
  ASSERT_TRUE(Model()->SaveEmbeddings(o.path).ok());
  const auto full = fs::file_size(o.path);
  for (const uintmax_t size : {uintmax_t{0}, full / 2, full - 1}) {
    fs::resize_file(o.path, size);
    auto cut = ExpertiseModel::Load(o.path, catalog_->snapshot());
    if (size == full - 1) {  // the last section's checksum
      ASSERT_TRUE(cut.ok()) << cut.status();
      EXPECT_TRUE((*cut)->tags_restored());
      EXPECT_TRUE((*cut)->ties_restored());
      EXPECT_FALSE((*cut)->clients_restored());
    } else {
      ASSERT_FALSE(cut.ok());
    }
    ModelStore store(*catalog_, o);
    for (int i = 0; i < 200 && !store.current(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_NE(store.current(), nullptr) << "size " << size;
    bool readable = false;
    for (int i = 0; i < 200 && !readable; ++i) {
      auto loaded = ExpertiseModel::Load(o.path, catalog_->snapshot());
      readable = loaded.ok() && (*loaded)->tags_restored() &&
                 (*loaded)->ties_restored() && (*loaded)->pagerank_restored() &&
                 (*loaded)->clients_restored();
      if (!readable) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(readable) << "not rewritten after a cut to " << size;
  }
}

// A small or mostly erased company, the writes that made it and what
// Build should make of it.
struct TinyCompany {
  const char* name;
  // Writes to the catalog (people "a", "b" and "c" exist).
  std::function<void(index::Catalog&)> write;
};

v1::Post TinyPost(const std::string& id, const std::string& author,
                  const std::string& text, int64_t created) {
  return testing_util::MakePost(id, author, v1::POST_KIND_QUESTION, "", text,
                                created, "", "en");
}

void Upsert(index::Catalog& c, std::vector<v1::Post> posts) {
  ASSERT_TRUE(c.UpsertPosts(posts).ok());
}

// Degenerate corpora never crash a build: the model is built, with or
// without embeddings, and answers queries. Two public posts sharing their
// words crashed the background rebuild (SIGSEGV in Eigen's setFromTriplets,
// TermSpace::Train): every shared term is in every post, so no post had a
// TF-IDF vector and their entries named a column that did not exist.
TEST(ExpertiseModelTest, DegenerateCompaniesBuildAModel) {
  const std::string long_text = [] {
    std::string t;
    for (int i = 0; i < 20000; ++i)
      t += "word" + std::to_string(i % 5000) + " printer ";
    return t;
  }();
  const std::vector<TinyCompany> companies = {
      {"no posts", [](index::Catalog&) {}},
      {"one post",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner jam", kT0)});
       }},
      {"two posts sharing their words",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner jam", kT0),
                    TinyPost("p2", "b", "printer toner jam again", kT0 + 1)});
       }},
      {"identical posts",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner", kT0),
                    TinyPost("p2", "b", "printer toner", kT0 + 1),
                    TinyPost("p3", "c", "printer toner", kT0 + 2)});
       }},
      {"posts without terms",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "!!!", kT0),
                    TinyPost("p2", "b", "?? --", kT0 + 1)});
       }},
      {"one term",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer", kT0),
                    TinyPost("p2", "b", "printer", kT0 + 1),
                    TinyPost("p3", "c", "printer", kT0 + 2)});
       }},
      {"very long posts",
       [&](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", long_text, kT0),
                    TinyPost("p2", "b", long_text, kT0 + 1),
                    TinyPost("p3", "c", "printer toner", kT0 + 2)});
       }},
      {"terms only in private posts",
       [](index::Catalog& c) {
         std::vector<v1::Post> posts;
         for (int i = 0; i < 4; ++i) {
           posts.push_back(TinyPost("s" + std::to_string(i), "a",
                                    "zanzibar kubernetes helm", kT0 + i));
           posts.back().set_visibility("group:platform");
         }
         posts.push_back(TinyPost("p1", "b", "printer", kT0 + 9));
         Upsert(c, posts);
       }},
      {"one of three authors opted out",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner jam", kT0),
                    TinyPost("p2", "b", "printer toner jam", kT0 + 1),
                    TinyPost("p3", "c", "printer toner duplex", kT0 + 2)});
         v1::Person p = testing_util::MakePerson("c");
         p.set_opted_out(true);
         ASSERT_TRUE(c.UpsertPeople({&p, 1}).ok());
       }},
      {"everyone opted out",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner jam", kT0),
                    TinyPost("p2", "b", "printer toner duplex", kT0 + 1),
                    TinyPost("p3", "c", "printer jam duplex", kT0 + 2)});
         for (const char* id : {"a", "b", "c"}) {
           v1::Person p = testing_util::MakePerson(id);
           p.set_opted_out(true);
           ASSERT_TRUE(c.UpsertPeople({&p, 1}).ok());
         }
       }},
      {"everyone erased",
       [](index::Catalog& c) {
         Upsert(c, {TinyPost("p1", "a", "printer toner jam", kT0),
                    TinyPost("p2", "b", "printer toner duplex", kT0 + 1),
                    TinyPost("p3", "c", "printer jam duplex", kT0 + 2)});
         for (const char* id : {"a", "b", "c"})
           ASSERT_TRUE(c.DeletePerson(id).ok());
       }},
  };
  for (size_t i = 0; i < companies.size(); ++i) {
    SCOPED_TRACE(companies[i].name);
    auto catalog =
        testing_util::OpenCatalog(TestDir() + "/" + std::to_string(i));
    ASSERT_NE(catalog, nullptr);
    std::vector<v1::Person> people;
    for (const char* id : {"a", "b", "c"})
      people.push_back(testing_util::MakePerson(id));
    ASSERT_TRUE(catalog->UpsertPeople(people).ok());
    companies[i].write(*catalog);
    catalog->Refresh();
    auto model = ExpertiseModel::Build(*catalog, catalog->snapshot());
    ASSERT_TRUE(model.ok()) << model.status();
    // Whatever it learned is usable: finite similarities, and a saved
    // model loads back.
    Eigen::VectorXf q =
        (*model)->EmbedQuery(catalog->QueryTerms("printer toner"));
    EXPECT_TRUE((*model)->Similarities(q).allFinite());
    const std::string path = TestDir() + "/" + std::to_string(i) + ".bin";
    ASSERT_TRUE((*model)->SaveEmbeddings(path).ok());
    EXPECT_TRUE(ExpertiseModel::Load(path, catalog->snapshot()).ok());
    ExpertFinder finder(*catalog, {}, [m = *model] { return m; });
    ExpertQuery query;
    query.query = "printer toner";
    EXPECT_TRUE(finder.Find(query).ok());
  }
}

}  // namespace
}  // namespace whoknows::ranking
