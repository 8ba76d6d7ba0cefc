// Tests ranking/embeddings.cc (LSA) and ranking/fusion.cc (the fusion model
// and its conditional-logit fit).
#include "ranking/embeddings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ranking/fusion.h"

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

// Synthetic histories from a known conditional logit: the fit recovers it.
TEST(FitConditionalLogitTest, RecoversTheWeightsThatGeneratedTheData) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  Features truth{};
  truth[0] = 1.5;
  truth[1] = -1.0;
  truth[3] = 0.5;
  std::vector<TrainingExample> examples;
  for (int q = 0; q < 3000; ++q) {
    TrainingExample e;
    std::vector<double> p;
    for (int c = 0; c < 8; ++c) {
      Features f{};
      for (int i = 0; i < 4; ++i) f[i] = normal(rng);
      double s = 0;
      for (int i = 0; i < kNumSignals; ++i) s += truth[i] * f[i];
      p.push_back(std::exp(s));
      e.candidates.push_back(f);
    }
    std::discrete_distribution<int> pick(p.begin(), p.end());
    e.label = pick(rng);
    examples.push_back(e);
  }
  FusionWeights zero;
  FitOptions o;
  o.l2 = 1e-3;
  FitResult r = FitConditionalLogit(examples, zero, o);
  EXPECT_EQ(r.examples, 3000);
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(r.weights.weight[i], truth[i], 0.12)
        << SignalName(static_cast<Signal>(i));
  // A frozen signal keeps its prior weight.
  o.frozen[0] = true;
  FusionWeights prior;
  prior.weight[0] = 0.25;
  EXPECT_DOUBLE_EQ(FitConditionalLogit(examples, prior, o).weights.weight[0],
                   0.25);
  // A strong penalty keeps the weights at the prior.
  o.frozen[0] = false;
  o.l2 = 1e9;
  FitResult held = FitConditionalLogit(examples, prior, o);
  for (int i = 0; i < kNumSignals; ++i)
    EXPECT_NEAR(held.weights.weight[i], prior.weight[i], 1e-3);
  // Nothing usable: the prior comes back.
  EXPECT_EQ(FitConditionalLogit({}, prior, o).examples, 0);
}

TEST(FusionWeightsTest, SavesLoadsAndRejectsBadFiles) {
  const std::string dir = testing::TempDir() + "/whoknows_fusion";
  std::filesystem::create_directories(dir);
  FusionWeights w = FusionWeights::Defaults();
  w.weight[static_cast<int>(Signal::kTags)] = 0.75;
  w.provenance = "test";
  ASSERT_TRUE(w.Save(dir + "/fusion.json").ok());
  auto back = FusionWeights::Load(dir + "/fusion.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->weight, w.weight);
  EXPECT_EQ(back->provenance, "test");

  auto write = [&](const std::string& text) {
    std::ofstream(dir + "/bad.json") << text;
    return FusionWeights::Load(dir + "/bad.json").status();
  };
  absl::Status s = write("{not json");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("bad.json"));
  s = write(R"({"weights": {"charisma": 1}})");
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("weights.charisma"));
  s = write(R"({"weights": {"text": "high"}})");
  EXPECT_THAT(std::string(s.message()), testing::HasSubstr("weights.text"));
  // A partial file keeps the defaults for what it does not name.
  ASSERT_TRUE(write(R"({"weights": {"tags": 2}})").ok());
  auto partial = FusionWeights::Load(dir + "/bad.json");
  EXPECT_EQ(partial->weight[static_cast<int>(Signal::kTags)], 2);
  EXPECT_EQ(partial->weight[static_cast<int>(Signal::kText)],
            FusionWeights::Defaults().weight[static_cast<int>(Signal::kText)]);
  EXPECT_EQ(FusionWeights::Load(dir + "/missing.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FusionWeightsTest, SignalNamesRoundTrip) {
  for (int i = 0; i < kNumSignals; ++i) {
    Signal s;
    ASSERT_TRUE(SignalFromName(SignalName(static_cast<Signal>(i)), &s));
    EXPECT_EQ(static_cast<int>(s), i);
  }
  Signal s;
  EXPECT_FALSE(SignalFromName("prior", &s));
}

}  // namespace
}  // namespace whoknows::ranking
