// A generated company for the ranking tests: three topics, each with its
// known expert. Shared by the ranking tests (expertise_model_test.cc,
// learning_test.cc).
#ifndef WHOKNOWS_TESTS_TESTING_COMPANY_H_
#define WHOKNOWS_TESTS_TESTING_COMPANY_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "ranking/expertise_model.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::ranking {

inline constexpr int64_t kT0 = 1'700'000'000;
inline constexpr int64_t kHour = 3600;

struct Topic {
  std::string tag;
  std::vector<std::string> words;
  std::string expert;
};

// Three topics, each with its expert; "newbie" asks everything; "helper"
// answers a little of everything; "secret" answers only in a private
// group; "friend" comments on the newbie's printer questions (ties to the
// newbie and olle, no expertise).
inline const std::vector<Topic>& Topics() {
  static const std::vector<Topic> topics = {
      {"kubernetes",
       {"kubernetes", "pod", "helm", "deploy", "cluster", "namespace",
        "ingress", "container"},
       "erik"},
      {"printer",
       {"printer", "toner", "duplex", "paper", "tray", "scan", "queue",
        "driver"},
       "olle"},
      {"invoice",
       {"invoice", "payment", "supplier", "credit", "ledger", "vat", "purchase",
        "order"},
       "maja"},
  };
  return topics;
}

class CompanyTest : public testing::Test {
 protected:
  void SetUp() override {
    index::CatalogOptions o;
    o.data_dir = testing_util::TestDir();
    o.refresh_interval = std::chrono::milliseconds(0);
    o.dictionary_dir.clear();
    auto c = index::Catalog::Open(o);
    ASSERT_TRUE(c.ok()) << c.status();
    catalog_ = std::move(*c);
    std::vector<v1::Person> people;
    for (const char* id :
         {"erik", "olle", "maja", "newbie", "helper", "secret", "friend"}) {
      v1::Person p;
      p.set_id(id);
      p.set_display_name(std::string("Person ") + id);
      people.push_back(p);
    }
    ASSERT_TRUE(catalog_->UpsertPeople(people).ok());
    std::vector<v1::Post> posts;
    int64_t t = kT0;
    int n = 0;
    for (int round = 0; round < 12; ++round) {
      for (const auto& topic : Topics()) {
        const std::string q = "q" + std::to_string(n++);
        // Questions use 3 of the topic's words, answers 3 others: the
        // embedding learns that they belong together.
        std::string qtext, atext;
        for (int k = 0; k < 3; ++k) {
          qtext += topic.words[(round + k) % 8] + " ";
          atext += topic.words[(round + k + 3) % 8] + " ";
        }
        posts.push_back(Post(q, "newbie", v1::POST_KIND_QUESTION, "",
                             "Problem with " + qtext, qtext, t += kHour,
                             {topic.tag}));
        posts.push_back(Post(q + "a", topic.expert, v1::POST_KIND_ANSWER, q, "",
                             "Fix it: " + atext, t += kHour, {}, true));
        if (round % 4 == 0) {
          posts.push_back(Post(q + "h", "helper", v1::POST_KIND_ANSWER, q, "",
                               "Maybe " + topic.words[round % 8], t += kHour));
        }
        if (round % 3 == 0 && topic.tag == "printer") {
          posts.push_back(Post(q + "c", "friend", v1::POST_KIND_COMMENT, q, "",
                               "Same here", t += kHour));
        }
      }
    }
    v1::Post hidden = Post("p1", "newbie", v1::POST_KIND_QUESTION, "",
                           "zanzibar kubernetes", "zanzibar", t += kHour);
    hidden.set_visibility("group:platform");
    v1::Post hidden_answer =
        Post("p1a", "secret", v1::POST_KIND_ANSWER, "p1", "",
             "zanzibar zanzibar", t += kHour, {}, true);
    hidden_answer.set_visibility("group:platform");
    posts.push_back(hidden);
    posts.push_back(hidden_answer);
    ASSERT_TRUE(catalog_->UpsertPosts(posts).ok());
    catalog_->Refresh();
  }

  static v1::Post Post(const std::string& id, const std::string& author,
                       v1::PostKind kind, const std::string& parent,
                       const std::string& title, const std::string& body,
                       int64_t created, std::vector<std::string> tags = {},
                       bool accepted = false) {
    v1::Post p;
    p.set_id(id);
    p.set_author_id(author);
    p.set_kind(kind);
    p.set_parent_id(parent);
    p.set_thread_id(parent);
    p.set_title(title);
    p.set_body(body);
    p.set_language("en");
    p.set_accepted(accepted);
    for (auto& tag : tags) p.add_tags(tag);
    p.mutable_created()->set_seconds(created);
    return p;
  }

  std::shared_ptr<const ExpertiseModel> Model() {
    auto m = ExpertiseModel::Build(*catalog_, catalog_->snapshot());
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : nullptr;
  }

  std::unique_ptr<index::Catalog> catalog_;
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_TESTS_TESTING_COMPANY_H_
