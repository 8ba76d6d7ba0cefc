// Tests ranking/fusion.cc: the fusion model, its file and its
// conditional-logit fit.
#include "ranking/fusion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {
namespace {

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
  const std::string dir = testing_util::TestDir();
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
  // An empty or cut file (a power cut before the fsync, in older versions)
  // is a clear error naming the file, not the default weights in silence.
  for (const std::string& cut :
       {std::string(""), std::string("{\"weights\"")}) {
    absl::Status e = write(cut);
    EXPECT_EQ(e.code(), absl::StatusCode::kInvalidArgument) << cut;
    EXPECT_THAT(std::string(e.message()), testing::HasSubstr("not valid JSON"));
  }
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

// fusion.json files learned before the recent signal existed name the seven
// older signals only: they keep their weights, and recent gets its default.
TEST(FusionWeightsTest, AFileFromBeforeTheRecentSignalLoads) {
  const std::string dir = testing_util::TestDir();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/fusion.json")
      << R"({"format": "whoknows-fusion-1", "weights": {"text": 0.9,
      "embedding": 1.1, "tags": 0.8, "activity": 0.4, "recency": 0.3,
      "authority": 0, "proximity": 0}, "provenance": "learned"})";
  auto w = FusionWeights::Load(dir + "/fusion.json");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->weight[static_cast<int>(Signal::kActivity)], 0.4);
  EXPECT_EQ(
      w->weight[static_cast<int>(Signal::kRecent)],
      FusionWeights::Defaults().weight[static_cast<int>(Signal::kRecent)]);
  EXPECT_GT(w->weight[static_cast<int>(Signal::kRecent)], 0);
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
