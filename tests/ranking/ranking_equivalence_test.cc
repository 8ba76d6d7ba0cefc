// The fast paths of ExpertFinder::Find (the vote loop's memo of authors,
// evidence kept as pointers into the snapshot until it is returned, the
// partial sort of the top `limit`, breakdowns only for them) against a
// straightforward recomputation, on the bundled demo company: the same
// people, scores, breakdowns and evidence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "importers/jsonl.h"
#include "index/catalog.h"
#include "index/clock.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "ranking/vocabulary.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

namespace fs = std::filesystem;

class RankingEquivalenceTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path dir = testing_util::SuiteDir("ranking_equivalence");
    index::CatalogOptions o;
    o.data_dir = dir.string();
    o.refresh_interval = std::chrono::milliseconds(0);
    auto c = index::Catalog::Open(o);
    ASSERT_TRUE(c.ok()) << c.status();
    auto imported = importers::ImportJsonl(
        std::string(WHOKNOWS_SOURCE_DIR) + "/data/demo/company.jsonl", **c, {});
    ASSERT_TRUE(imported.ok()) << imported.status();
    (*c)->Refresh();
    auto model = ExpertiseModel::Build(**c, (*c)->snapshot());
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = new std::shared_ptr<const ExpertiseModel>(*model);
    catalog_ = c->release();
  }
  // What both tests rank with: the demo's newest post as "now", its model.
  static RankingOptions Options() {
    RankingOptions o;
    o.clock = index::FixedClock(catalog_->snapshot()->newest_post);
    return o;
  }
  static RankingContext Context() {
    RankingContext context;
    context.snapshot = catalog_->snapshot();
    context.model = *model_;
    return context;
  }
  static void TearDownTestSuite() {
    delete model_;
    delete catalog_;
    model_ = nullptr;
    catalog_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(catalog_, nullptr); }

  // Every 25th question title of the company, asked by its asker with its
  // tags.
  static std::vector<ExpertQuery> Questions(const index::Snapshot& snap) {
    std::vector<const index::PostMeta*> questions;
    for (const auto& [id, m] : snap.posts)
      if (m->kind == v1::POST_KIND_QUESTION && !m->title.empty())
        questions.push_back(m.get());
    std::sort(questions.begin(), questions.end(),
              [](auto* a, auto* b) { return a->id < b->id; });
    std::vector<ExpertQuery> out;
    for (size_t i = 0; i < questions.size(); i += 25) {
      ExpertQuery q;
      q.query = questions[i]->title;
      q.asker_id = questions[i]->author_id;
      q.tags.assign(questions[i]->tags.begin(), questions[i]->tags.end());
      out.push_back(std::move(q));
    }
    return out;
  }

  static index::Catalog* catalog_;
  static std::shared_ptr<const ExpertiseModel>* model_;
};

index::Catalog* RankingEquivalenceTest::catalog_ = nullptr;
std::shared_ptr<const ExpertiseModel>* RankingEquivalenceTest::model_ = nullptr;

Role RoleOf(const index::PostMeta& m) {
  switch (m.kind) {
    case v1::POST_KIND_ANSWER:
      return m.accepted ? Role::kAcceptedAnswer : Role::kAnswer;
    case v1::POST_KIND_COMMENT:
      return Role::kComment;
    case v1::POST_KIND_ARTICLE:
      return Role::kArticle;
    default:
      return Role::kQuestion;
  }
}

// `person`'s evidence recomputed the plain way: every retrieved post they
// wrote, and every answer of theirs in a retrieved question's thread, votes
// by weight, age and role; votes for the same post add up (by id, in a
// std::map); the strongest `keep`, ties by id.
std::vector<EvidencePost> PlainEvidence(const index::Catalog& catalog,
                                        const RankingOptions& o,
                                        const ExpertQuery& q,
                                        const RankingContext& context,
                                        const std::string& person) {
  const index::Snapshot& snap = *context.snapshot;
  auto hits = catalog.Search(RetrievalOptions(o, q, context));
  EXPECT_TRUE(hits.ok()) << hits.status();
  if (!hits.ok() || hits->hits.empty()) return {};
  const double top =
      hits->hits.front().weight > 0 ? hits->hits.front().weight : 1;
  const AgeDecay decay(o.clock(), o.half_life_days);
  std::map<std::string, EvidencePost> votes;
  auto add = [&](const index::PostMeta& m, double amount) {
    if (amount <= 0 || m.author_id != person) return;
    auto [it, inserted] =
        votes.try_emplace(m.id, EvidencePost{m.id, RoleOf(m), 0});
    it->second.contribution += amount;
  };
  for (const auto& h : hits->hits) {
    const index::PostMeta* m = snap.FindPost(h.post_id);
    if (!m || !m->is_public) continue;
    const double vote = h.weight / top * decay(m->created);
    add(*m, vote * RoleWeight(o, *m));
    if (m->kind != v1::POST_KIND_QUESTION && m->kind != v1::POST_KIND_ARTICLE)
      continue;
    for (const auto& reply_id : snap.threads.at(m->thread_id)) {
      const index::PostMeta* r = snap.FindPost(reply_id);
      if (!r || !r->is_public || r->kind != v1::POST_KIND_ANSWER) continue;
      add(*r, vote * o.thread_answerers * RoleWeight(o, *r));
    }
  }
  std::vector<EvidencePost> out;
  for (const auto& [id, e] : votes) out.push_back(e);
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.contribution > y.contribution;
  });
  if (static_cast<int>(out.size()) > o.evidence_per_expert)
    out.resize(o.evidence_per_expert);
  return out;
}

TEST_F(RankingEquivalenceTest, TopOfTheQueryIsTheTopOfEveryCandidate) {
  ExpertFinder finder(*catalog_, Options());
  const RankingContext context = Context();
  RankingContext every = context;
  every.all_candidates = true;
  const auto questions = Questions(*context.snapshot);
  ASSERT_GE(questions.size(), 20u);
  int compared = 0;
  for (const auto& q : questions) {
    auto found = finder.Find(q, context);
    auto all = finder.Find(q, every);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(found->candidates, all->candidates) << q.query;
    ASSERT_EQ(found->experts.size(),
              std::min<size_t>(q.limit, all->experts.size()))
        << q.query;
    for (size_t i = 0; i < found->experts.size(); ++i) {
      const ExpertResult& a = found->experts[i];
      const ExpertResult& b = all->experts[i];
      EXPECT_EQ(a.person_id, b.person_id) << q.query << " #" << i;
      EXPECT_EQ(a.score, b.score) << q.query << " #" << i;
      EXPECT_EQ(a.breakdown, b.breakdown) << q.query << " #" << i;
      EXPECT_EQ(a.features, b.features) << q.query << " #" << i;
      EXPECT_TRUE(b.evidence.empty());
      ++compared;
    }
  }
  EXPECT_GE(compared, 100);
}

TEST_F(RankingEquivalenceTest, EvidenceIsThePlainRecomputation) {
  const RankingOptions o = Options();
  ExpertFinder finder(*catalog_, o);
  const RankingContext context = Context();
  int with_evidence = 0;
  for (const auto& q : Questions(*context.snapshot)) {
    auto found = finder.Find(q, context);
    ASSERT_TRUE(found.ok()) << found.status();
    for (const ExpertResult& r : found->experts) {
      const auto plain = PlainEvidence(*catalog_, o, q, context, r.person_id);
      ASSERT_EQ(r.evidence.size(), plain.size())
          << q.query << ": " << r.person_id;
      for (size_t i = 0; i < plain.size(); ++i) {
        EXPECT_EQ(r.evidence[i].post_id, plain[i].post_id) << q.query;
        EXPECT_EQ(r.evidence[i].role, plain[i].role) << q.query;
        EXPECT_DOUBLE_EQ(r.evidence[i].contribution, plain[i].contribution)
            << q.query;
      }
      with_evidence += !plain.empty();
    }
  }
  EXPECT_GE(with_evidence, 100);
}

// What a thread keeps between queries (the path search's arrays, reset
// only where a search wrote; the activity memo) must leave no trace of an
// earlier query: each question on this thread, after all the others
// before it, ranks and explains as on a thread that never ranked.
TEST_F(RankingEquivalenceTest, AThreadsEarlierQueriesLeaveNoTrace) {
  ExpertFinder finder(*catalog_, Options());
  const RankingContext context = Context();
  const auto questions = Questions(*context.snapshot);
  ASSERT_GE(questions.size(), 20u);
  int compared = 0;
  for (const auto& q : questions) {
    auto here = finder.Find(q, context);
    absl::StatusOr<FindResult> fresh = absl::UnknownError("not run");
    std::thread([&] { fresh = finder.Find(q, context); }).join();
    ASSERT_TRUE(here.ok()) << here.status();
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ(here->candidates, fresh->candidates) << q.query;
    ASSERT_EQ(here->experts.size(), fresh->experts.size()) << q.query;
    for (size_t i = 0; i < here->experts.size(); ++i) {
      const ExpertResult& a = here->experts[i];
      const ExpertResult& b = fresh->experts[i];
      EXPECT_EQ(a.person_id, b.person_id) << q.query << " #" << i;
      EXPECT_NE(a.person_id, q.asker_id) << q.query;
      EXPECT_EQ(a.path, b.path) << q.query << " #" << i;
      EXPECT_EQ(a.score, b.score) << q.query << " #" << i;
      EXPECT_EQ(a.features, b.features) << q.query << " #" << i;
      ASSERT_EQ(a.evidence.size(), b.evidence.size()) << q.query;
      for (size_t e = 0; e < a.evidence.size(); ++e) {
        EXPECT_EQ(a.evidence[e].post_id, b.evidence[e].post_id) << q.query;
        EXPECT_EQ(a.evidence[e].contribution, b.evidence[e].contribution)
            << q.query;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 100);
}

}  // namespace
}  // namespace whoknows::ranking
