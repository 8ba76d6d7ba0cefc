// OutcomeSet built one outcome at a time (With, as RecordOutcome does) must
// answer exactly as the set built from all of them at once (as Load does):
// the same outcome at every position, the same outcomes for every question
// post and for every query, the same evidence ids.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ranking/outcomes.h"

namespace whoknows::ranking {
namespace {

// Words as their own terms, one alternative each.
std::vector<std::vector<std::string>> Words(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::string word;
  for (char c : text + " ") {
    if (c == ' ' || c == '\n') {
      if (!word.empty()) out.push_back({word});
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

v1::Outcome Make(int i, std::mt19937& rng) {
  v1::Outcome o;
  o.set_id("o" + std::to_string(i));
  o.set_helper_id("h" + std::to_string(rng() % 7));
  o.set_kind(v1::OUTCOME_KIND_ANSWERED);
  o.mutable_time()->set_seconds(1'700'000'000 + i);
  if (rng() % 3 == 0) {
    o.set_question_post_id("q" + std::to_string(rng() % 10));
  } else {
    for (int w = 0; w < 3; ++w)
      o.set_title(o.title() + " w" + std::to_string(rng() % 12));
  }
  return o;
}

TEST(OutcomeSetTest, AddedOneAtATimeAnswersAsBuiltAtOnce) {
  std::mt19937 rng(7);
  std::vector<std::shared_ptr<const OutcomeSet::Entry>> entries;
  auto grown = std::make_shared<const OutcomeSet>(entries);
  for (int n = 1; n <= 300; ++n) {
    entries.push_back(OutcomeSet::MakeEntry(Make(n, rng), Words));
    grown = grown->With(entries.back());
    if (n % 37 != 0 && n != 300 && (n & (n - 1)) != 0) continue;
    const OutcomeSet whole(entries);
    ASSERT_EQ(grown->size(), whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      ASSERT_EQ(grown->outcome(i).id(), whole.outcome(i).id()) << i;
      ASSERT_EQ(grown->meta(i).id, whole.meta(i).id) << i;
      ASSERT_EQ(grown->FindByEvidenceId(whole.meta(i).id), &grown->outcome(i));
    }
    for (int q = 0; q < 10; ++q) {
      const std::string post = "q" + std::to_string(q);
      ASSERT_EQ(grown->ForPost(post), whole.ForPost(post)) << post;
    }
    for (int a = 0; a < 12; ++a) {
      for (int b = 0; b < 12; ++b) {
        const auto query = Words("w" + std::to_string(a) + " w" +
                                 std::to_string(b) + " other");
        ASSERT_EQ(grown->Match(query, 0.3), whole.Match(query, 0.3));
      }
    }
  }
  EXPECT_EQ(grown->FindByEvidenceId("outcome:nope"), nullptr);
  EXPECT_TRUE(grown->ForPost("q-none").empty());
}

TEST(OutcomeSetTest, AnEntryKeepsNoBodyAndEachTermOnce) {
  v1::Outcome o;
  o.set_id("x");
  o.set_helper_id("h");
  o.set_title("vpn vpn certificate");
  o.set_body("secret body words");
  auto e = OutcomeSet::MakeEntry(o, Words);
  EXPECT_TRUE(e->outcome.body().empty());
  EXPECT_EQ(e->terms, (std::vector<std::string>{"body", "certificate", "secret",
                                                "vpn", "words"}));
  // One naming a post keeps no terms: the post's own text votes.
  o.set_question_post_id("q1");
  EXPECT_TRUE(OutcomeSet::MakeEntry(o, Words)->terms.empty());
}

}  // namespace
}  // namespace whoknows::ranking
