// Tests ranking/embeddings.cc (LSA).
#include "ranking/embeddings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace whoknows::ranking {
namespace {

// Two topics that share no words: beer brewing and printers. Each post uses
// 4 words of its topic's 8.
struct Corpus {
  std::vector<std::string> vocabulary;
  std::vector<TermCounts> docs;
};

Corpus TwoTopics(int posts_per_topic, uint64_t seed) {
  Corpus c;
  c.vocabulary = {"hop",  "malt",  "yeast", "wort",  "ferment", "lager",
                  "ale",  "brew",  "toner", "paper", "duplex",  "jam",
                  "tray", "print", "scan",  "queue", "the"};
  std::mt19937_64 rng(seed);
  for (int topic = 0; topic < 2; ++topic) {
    for (int i = 0; i < posts_per_topic; ++i) {
      TermCounts d;
      std::vector<int> words = {0, 1, 2, 3, 4, 5, 6, 7};
      std::shuffle(words.begin(), words.end(), rng);
      for (int k = 0; k < 4; ++k)
        d.emplace_back(topic * 8 + words[k], 1 + static_cast<float>(k % 2));
      d.emplace_back(16, 1);  // "the" is everywhere
      c.docs.push_back(d);
    }
  }
  return c;
}

TEST(TermSpaceTest, PostsOfOneTopicAreCloserThanAcrossTopics) {
  Corpus c = TwoTopics(30, 1);
  EmbeddingOptions o;
  o.dimensions = 4;
  auto space = TermSpace::Train(c.vocabulary, c.docs, o);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->dimensions(), 4);
  // "the" is in every post (more than half): no topic, not in the space.
  EXPECT_EQ(space->TermId("the"), -1);
  auto embed = [&](std::vector<std::string> words) {
    TermCounts t;
    for (const auto& w : words) t.emplace_back(space->TermId(w), 1);
    return space->Embed(t);
  };
  // Different words of the same topic, and of the other topic.
  Eigen::VectorXf hop = embed({"hop", "malt"});
  Eigen::VectorXf lager = embed({"lager", "brew"});
  Eigen::VectorXf toner = embed({"toner", "jam"});
  EXPECT_NEAR(hop.norm(), 1, 1e-5);
  EXPECT_GT(hop.dot(lager), 0.8);
  EXPECT_LT(std::abs(hop.dot(toner)), 0.2);
  // Unknown words embed to zero.
  TermCounts unknown = {{-1, 1}, {999, 1}};
  EXPECT_EQ(space->Embed(unknown).norm(), 0);
}

TEST(TermSpaceTest, IsDeterministicAndSurvivesSaveAndLoad) {
  Corpus c = TwoTopics(20, 2);
  EmbeddingOptions o;
  o.dimensions = 3;
  auto a = TermSpace::Train(c.vocabulary, c.docs, o);
  auto b = TermSpace::Train(c.vocabulary, c.docs, o);
  ASSERT_TRUE(a.ok() && b.ok());
  std::stringstream buf;
  ASSERT_TRUE(a->Save(buf).ok());
  auto loaded = TermSpace::Load(buf);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->vocabulary_size(), a->vocabulary_size());
  for (const auto& doc : c.docs) {
    Eigen::VectorXf x = a->Embed(doc);
    EXPECT_LT((x - b->Embed(doc)).norm(), 1e-6) << "same seed, same space";
    EXPECT_LT((x - loaded->Embed(doc)).norm(), 1e-7);
  }
}

// The training matrix is written column by column (no triplet list): a
// post's entries in another order, or a term listed twice, must come out
// as setFromTriplets left them (sorted, repeats summed), to the bit.
TEST(TermSpaceTest, APostsTermOrderChangesNothingToTheBit) {
  Corpus c = TwoTopics(20, 3);
  for (auto& doc : c.docs) {  // a repeated term, in two entries
    doc.push_back(doc.front());
    doc.front().second *= 0.5f;
  }
  Corpus reversed = c;
  for (auto& doc : reversed.docs) std::reverse(doc.begin(), doc.end());
  EmbeddingOptions o;
  o.dimensions = 3;
  auto a = TermSpace::Train(c.vocabulary, c.docs, o);
  auto b = TermSpace::Train(reversed.vocabulary, reversed.docs, o);
  ASSERT_TRUE(a.ok() && b.ok());
  std::stringstream saved_a, saved_b;
  ASSERT_TRUE(a->Save(saved_a).ok());
  ASSERT_TRUE(b->Save(saved_b).ok());
  EXPECT_EQ(saved_a.str(), saved_b.str());
}

// The model's full build keeps every post's bag packed: what comes out is
// what went in (big term ids and counts, empty bags, a bag replaced), and
// a space trained from packed bags is the same to the bit.
TEST(PackedBagsTest, GivesBackWhatWasAddedAndTrainsTheSameSpace) {
  Corpus c = TwoTopics(25, 4);
  c.docs.push_back({});
  c.docs.push_back({{16, 70000}, {(1 << 30) + 5, 3}, {0, (1 << 24)}});
  PackedBags packed;
  for (const TermCounts& doc : c.docs) {
    std::vector<PackedBags::Entry> bag;
    for (const auto& [t, n] : doc) bag.push_back({t, static_cast<uint32_t>(n)});
    packed.Add(bag);
  }
  packed.Replace(3, {{5, 2}, {16, 1}});
  c.docs[3] = {{5, 2}, {16, 1}};
  ASSERT_EQ(packed.size(), c.docs.size());
  TermCounts out = {{9, 9}};  // cleared by Get
  for (size_t d = 0; d < c.docs.size(); ++d) {
    packed.Get(d, out);
    EXPECT_EQ(out, c.docs[d]) << "bag " << d;
  }
  EXPECT_LT(packed.bytes(), 8 * c.docs.size() * 5);  // < a TermCounts' 8 B
  c.docs.pop_back();  // the out-of-vocabulary bag is for Get only
  PackedBags trained;
  for (const TermCounts& doc : c.docs) {
    std::vector<PackedBags::Entry> bag;
    for (const auto& [t, n] : doc) bag.push_back({t, static_cast<uint32_t>(n)});
    trained.Add(bag);
  }
  EmbeddingOptions o;
  o.dimensions = 3;
  auto a = TermSpace::Train(c.vocabulary, c.docs, o);
  auto b = TermSpace::TrainPacked(c.vocabulary, trained, o);
  ASSERT_TRUE(a.ok() && b.ok());
  std::stringstream saved_a, saved_b;
  ASSERT_TRUE(a->Save(saved_a).ok());
  ASSERT_TRUE(b->Save(saved_b).ok());
  EXPECT_EQ(saved_a.str(), saved_b.str());
}

TEST(TermSpaceTest, BadInputGetsClearErrors) {
  EmbeddingOptions o;
  o.dimensions = 0;
  EXPECT_EQ(TermSpace::Train({"a"}, {}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  // One post: no term is in two posts.
  EmbeddingOptions one;
  auto tiny = TermSpace::Train({"a", "b"}, {{{0, 1}, {1, 1}}}, one);
  EXPECT_EQ(tiny.status().code(), absl::StatusCode::kFailedPrecondition);
  std::stringstream garbage("not a term space");
  EXPECT_EQ(TermSpace::Load(garbage).status().code(),
            absl::StatusCode::kDataLoss);
  // Truncated.
  Corpus c = TwoTopics(10, 3);
  auto space = TermSpace::Train(c.vocabulary, c.docs, {});
  ASSERT_TRUE(space.ok());
  std::stringstream buf;
  ASSERT_TRUE(space->Save(buf).ok());
  std::string bytes = buf.str();
  std::stringstream cut(bytes.substr(0, bytes.size() - 5));
  EXPECT_EQ(TermSpace::Load(cut).status().code(), absl::StatusCode::kDataLoss);
}

// Degenerate corpora, as a small or mostly erased company has them: Train
// answers (a space, or FAILED_PRECONDITION) and never crashes. A post whose
// every term is in every post has TF-IDF weight 0; its entries were left in
// the triplet list under a column that was never created, so two posts
// sharing their words wrote past the matrix (SIGSEGV in setFromTriplets).
TEST(TermSpaceTest, DegenerateCorporaNeverCrash) {
  const std::vector<std::string> vocab = {"a", "b", "c", "d"};
  struct Case {
    const char* name;
    std::vector<TermCounts> docs;
    EmbeddingOptions options;
  };
  EmbeddingOptions all_fractions;
  all_fractions.max_document_fraction = 1;
  EmbeddingOptions one_sampled;  // the fit sees post 0 only
  one_sampled.max_training_posts = 1;
  EmbeddingOptions bare;  // more dimensions than terms, no extra passes
  bare.dimensions = 1000;
  bare.oversampling = 0;
  bare.power_iterations = 0;
  const std::vector<TermCounts> three_topics = {
      {{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}, {3, 1}}, {{2, 1}, {3, 1}}};
  const std::vector<Case> cases = {
      {"no posts", {}, {}},
      {"one post", {{{0, 1}, {1, 1}}}, {}},
      {"posts without terms", {{}, {}, {}}, {}},
      {"two posts with the same words",
       {{{0, 1}, {1, 2}}, {{0, 3}, {1, 1}}},
       {}},
      {"identical posts", {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}}, {}},
      {"one term", {{{0, 1}}, {{0, 1}}, {{0, 1}}}, {}},
      {"a term in every post, the last post has only it",
       {{{0, 1}, {1, 1}}, {{0, 1}, {1, 1}, {2, 1}}, {{0, 1}, {2, 1}}, {{0, 2}}},
       all_fractions},
      {"a term repeated within one post",
       {{{0, 1}, {0, 1}, {1, 1}, {1, 1}}},
       {}},
      {"a sample of one post without a kept term",
       {{{3, 1}}, {{0, 1}, {1, 1}}, {{0, 1}, {1, 1}}, {{2, 1}}},
       one_sampled},
      {"a sample of one post", three_topics, one_sampled},
      {"more dimensions than terms or posts", three_topics, bare},
      {"unknown and non-positive ids and counts",
       {{{-1, 1}, {7, 1}, {0, 0}, {1, -1}}, {{0, 0}, {1, -1}}},
       {}},
  };
  for (const auto& c : cases) {
    auto space = TermSpace::Train(vocab, c.docs, c.options);
    if (!space.ok()) {
      EXPECT_EQ(space.status().code(), absl::StatusCode::kFailedPrecondition)
          << c.name << ": " << space.status();
      continue;
    }
    EXPECT_GE(space->dimensions(), 1) << c.name;
    for (const auto& d : c.docs) {
      Eigen::VectorXf v = space->Embed(d);
      EXPECT_TRUE(v.allFinite()) << c.name;
      const float norm = v.norm();
      EXPECT_TRUE(norm == 0 || std::abs(norm - 1) < 1e-4) << c.name;
    }
  }
}

// A term in every post carries no topic (its IDF is 0), whatever
// max_document_fraction allows: it is not in the space.
TEST(TermSpaceTest, TermsInEveryPostAreLeftOut) {
  Corpus c = TwoTopics(10, 4);
  EmbeddingOptions o;
  o.dimensions = 2;
  o.max_document_fraction = 1;
  auto space = TermSpace::Train(c.vocabulary, c.docs, o);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->TermId("the"), -1);
  EXPECT_GE(space->TermId("hop"), 0);
}

}  // namespace
}  // namespace whoknows::ranking
