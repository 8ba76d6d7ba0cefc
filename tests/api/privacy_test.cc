// Privacy that holds (issue 10): what a non-member can learn from
// FindExperts (and SuggestForPost's people, threads and tags, issue 13)
// about private posts, through text, tags, evidence, scores or the colleague
// graph. In-process through api::FindExperts and api::SuggestForPost.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/expertise.h"
#include "api/suggest.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::OpenCatalog;

constexpr int64_t kT0 = 1700000000;
constexpr int64_t kNow = kT0 + 400 * 86400;

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

// A catalog with a model rebuilt on demand from its current snapshot.
class Company {
 public:
  explicit Company(const std::string& name)
      : catalog_(OpenCatalog(testing_util::TestDir() + "/" + name)) {}
  index::Catalog& catalog() { return *catalog_; }

  // Publishes committed writes first unless `refresh` is false.
  absl::StatusOr<v1::FindExpertsResponse> Ask(v1::FindExpertsRequest r,
                                              bool refresh = true) {
    return WithFinder(
        [&](const ranking::ExpertFinder& finder) {
          return FindExperts(*catalog_, finder, r);
        },
        refresh);
  }

  absl::StatusOr<v1::SuggestForPostResponse> Suggest(
      const v1::SuggestForPostRequest& r) {
    return WithFinder([&](const ranking::ExpertFinder& finder) {
      return SuggestForPost(*catalog_, finder, r);
    });
  }

 private:
  template <typename Call>
  auto WithFinder(Call call, bool refresh = true)
      -> decltype(call(std::declval<const ranking::ExpertFinder&>())) {
    if (refresh) catalog_->Refresh();
    // A fixed "now": answers are compared byte for byte, and decay and
    // recency are measured from the clock.
    ranking::ModelOptions model_options;
    model_options.clock = index::FixedClock(kNow);
    auto model = ranking::ExpertiseModel::Build(*catalog_, catalog_->snapshot(),
                                                model_options);
    if (!model.ok()) return model.status();
    std::shared_ptr<const ranking::ExpertiseModel> m = *model;
    ranking::RankingOptions options;
    options.clock = index::FixedClock(kNow);
    ranking::ExpertFinder finder(*catalog_, options, [m] { return m; });
    return call(finder);
  }

  std::unique_ptr<index::Catalog> catalog_;
};

v1::FindExpertsRequest Request(const std::string& query,
                               std::vector<std::string> tags = {}) {
  v1::FindExpertsRequest r;
  r.set_query(query);
  r.set_asker_id("asker");
  for (auto& t : tags) r.add_tags(t);
  return r;
}

// The case: a question in group:hr, answered in public by X.
class ZebrafjordTest : public ::testing::TestWithParam<bool> {};

TEST_P(ZebrafjordTest, PrivateRootHidesItsPublicReply) {
  const bool root_first = GetParam();
  Company c(root_first ? "zebra_root_first" : "zebra_reply_first");
  std::vector<v1::Person> people = {MakePerson("asker"), MakePerson("hr"),
                                    MakePerson("x"), MakePerson("y")};
  ASSERT_TRUE(c.catalog().UpsertPeople(people).ok());
  v1::Post root = MakePost("q1", "hr", v1::POST_KIND_QUESTION,
                           "Zebrafjord: confidential salary dispute of Kim "
                           "Larsson",
                           "zebrafjord salary dispute", kT0);
  root.set_visibility("group:hr");
  root.add_tags("zebrafjord");
  v1::Post reply =
      MakePost("a1", "x", v1::POST_KIND_ANSWER, "",
               "About zebrafjord: settle the dispute.", kT0 + 60, "q1");
  reply.set_thread_id("q1");
  // Someone else's public words, so that the query finds something.
  v1::Post other =
      MakePost("q2", "y", v1::POST_KIND_QUESTION, "Settle a dispute",
               "How to settle a dispute?", kT0 + 120);
  ASSERT_TRUE(c.catalog().UpsertPosts({{other}}).ok());
  if (root_first) {
    ASSERT_TRUE(c.catalog().UpsertPosts({{root}}).ok());
    c.catalog().Refresh();
    ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
  } else {
    ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
    c.catalog().Refresh();
    ASSERT_TRUE(c.catalog().UpsertPosts({{root}}).ok());
  }
  c.catalog().Refresh();
  const index::PostMeta* stored = c.catalog().snapshot()->FindPost("a1");
  ASSERT_NE(stored, nullptr);
  EXPECT_FALSE(stored->is_public);
  EXPECT_EQ(stored->visibility, "group:hr");  // members may see it later

  for (const auto& r : {Request("zebrafjord"), Request("zebrafjord salary"),
                        Request("dispute", {"zebrafjord"})}) {
    auto response = c.Ask(r);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& e : response->experts()) {
      EXPECT_NE(e.person().id(), "x") << r.ShortDebugString();
      EXPECT_NE(e.person().id(), "hr") << r.ShortDebugString();
      for (const auto& ev : e.evidence()) {
        EXPECT_EQ(ev.title().find("Zebrafjord"), std::string::npos);
        EXPECT_EQ(ev.snippet().find("zebrafjord"), std::string::npos);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothArrivalOrders, ZebrafjordTest, ::testing::Bool());

// Inherited privacy is sticky: the reply a1 got group:hr from its root; the
// root is then deleted and the reply re-upserted as the connector has it
// (public, still naming the root), or re-sent under a public parent. It stays
// group:hr and is not found for its words. Only deleting the reply itself
// forgets it.
class StickyPrivacyTest : public ::testing::TestWithParam<bool> {};

TEST_P(StickyPrivacyTest, ReUpsertedReplyKeepsItsThreadsPrivacy) {
  const bool delete_root = GetParam();
  Company c(delete_root ? "sticky_root_deleted" : "sticky_reparented");
  ASSERT_TRUE(c.catalog()
                  .UpsertPeople({{MakePerson("asker"), MakePerson("hr"),
                                  MakePerson("x"), MakePerson("y")}})
                  .ok());
  auto [root, reply, other] = testing_util::MakePrivateHrThread(kT0);
  ASSERT_TRUE(c.catalog().UpsertPosts({{other, root, reply}}).ok());
  if (delete_root) {
    ASSERT_TRUE(*c.catalog().DeletePost("q1"));
  } else {
    reply.set_parent_id("q2");  // moved to a public thread
    reply.clear_thread_id();
  }
  ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
  c.catalog().Refresh();
  const index::PostMeta* stored = c.catalog().snapshot()->FindPost("a1");
  ASSERT_NE(stored, nullptr);
  EXPECT_FALSE(stored->is_public);
  EXPECT_EQ(stored->visibility, "group:hr");
  auto response = c.Ask(Request("zebrafjord"));
  ASSERT_TRUE(response.ok()) << response.status();
  for (const auto& e : response->experts())
    EXPECT_NE(e.person().id(), "x") << "the reply became public";

  // A reply sent with a group of its own is stored with it; sent public
  // again, it goes back to what it inherited.
  reply.set_visibility("group:legal");
  ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
  c.catalog().Refresh();
  EXPECT_EQ(c.catalog().snapshot()->FindPost("a1")->visibility, "group:legal");
  reply.clear_visibility();
  ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
  c.catalog().Refresh();
  EXPECT_EQ(c.catalog().snapshot()->FindPost("a1")->visibility, "group:hr");

  // Deleted, then sent again outside any private thread: a new post.
  ASSERT_TRUE(*c.catalog().DeletePost("a1"));
  ASSERT_TRUE(c.catalog().UpsertPosts({{reply}}).ok());
  c.catalog().Refresh();
  EXPECT_TRUE(c.catalog().snapshot()->FindPost("a1")->is_public);
}

INSTANTIATE_TEST_SUITE_P(RootDeletedOrReparented, StickyPrivacyTest,
                         ::testing::Bool());

// Private groups for their members (issue 13): a member of group:hr sees the
// private thread as evidence and as a similar thread, marked with its group;
// a non-member does not; leaving the group takes it out of the next answer.
bool NamesX(const v1::FindExpertsResponse& response) {
  for (const auto& e : response.experts())
    if (e.person().id() == "x") return true;
  return false;
}

TEST(PrivacyTest, MembersSeeTheirGroupsPrivateThread) {
  Company c("member");
  v1::Person member = MakePerson("member");
  member.add_groups("group:hr");
  member.add_groups("group:board");
  ASSERT_TRUE(c.catalog()
                  .UpsertPeople({{MakePerson("asker"), member, MakePerson("hr"),
                                  MakePerson("x"), MakePerson("y")}})
                  .ok());
  auto [root, reply, other] = testing_util::MakePrivateHrThread(kT0);
  reply.set_accepted(true);
  ASSERT_TRUE(c.catalog().UpsertPosts({{other, root, reply}}).ok());

  v1::FindExpertsRequest as_member = Request("zebrafjord");
  as_member.set_asker_id("member");
  auto seen = c.Ask(as_member);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_TRUE(NamesX(*seen)) << seen->ShortDebugString();
  bool evidence = false;
  for (const auto& e : seen->experts()) {
    EXPECT_EQ(e.person().groups_size(), 0) << "groups are never shown";
    for (const auto& ev : e.evidence()) {
      if (ev.post_id() != "a1") continue;
      evidence = true;
      EXPECT_EQ(ev.group(), "group:hr");
      EXPECT_EQ(ev.title(), "Zebrafjord: confidential salary dispute");
      EXPECT_NE(ev.snippet().find("zebrafjord"), std::string::npos);
    }
  }
  EXPECT_TRUE(evidence) << seen->ShortDebugString();
  auto not_seen = c.Ask(Request("zebrafjord"));  // asker: in no group
  ASSERT_TRUE(not_seen.ok()) << not_seen.status();
  EXPECT_FALSE(NamesX(*not_seen)) << not_seen->ShortDebugString();

  v1::SuggestForPostRequest draft;
  draft.set_title("zebrafjord dispute");
  draft.set_author_id("member");
  draft.set_min_confidence(0);
  auto suggested = c.Suggest(draft);
  ASSERT_TRUE(suggested.ok()) << suggested.status();
  bool thread = false;
  for (const auto& t : suggested->threads()) {
    if (t.thread_id() != "q1") continue;
    thread = true;
    EXPECT_EQ(t.group(), "group:hr");
    EXPECT_TRUE(t.solved());
    EXPECT_EQ(t.accepted_answer_id(), "a1");
  }
  EXPECT_TRUE(thread) << suggested->ShortDebugString();
  draft.set_author_id("asker");
  auto public_only = c.Suggest(draft);
  ASSERT_TRUE(public_only.ok()) << public_only.status();
  for (const auto& t : public_only->threads()) {
    EXPECT_NE(t.thread_id(), "q1");
    EXPECT_TRUE(t.group().empty());
  }

  // Out of group:hr (still in group:board): the next answer forgets it.
  member.clear_groups();
  member.add_groups("group:board");
  ASSERT_TRUE(c.catalog().UpsertPeople({{member}}).ok());
  auto after = c.Ask(as_member);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(NamesX(*after)) << after->ShortDebugString();
  draft.set_author_id("member");
  auto after_draft = c.Suggest(draft);
  ASSERT_TRUE(after_draft.ok()) << after_draft.status();
  for (const auto& t : after_draft->threads()) EXPECT_NE(t.thread_id(), "q1");
}

// One state per answer: a post re-upserted as private before the next
// publish is ranked from the old snapshot, but its new text never shows.
TEST(PrivacyTest, EvidenceOfAPostTurnedPrivateIsDroppedBeforeRefresh) {
  Company c("one_state");
  ASSERT_TRUE(c.catalog()
                  .UpsertPeople(std::vector<v1::Person>{MakePerson("asker"),
                                                        MakePerson("x")})
                  .ok());
  v1::Post post =
      MakePost("p1", "x", v1::POST_KIND_ARTICLE, "Kubernetes upgrades",
               "How to upgrade kubernetes.", kT0);
  ASSERT_TRUE(c.catalog().UpsertPosts({{post}}).ok());
  auto before = c.Ask(Request("kubernetes upgrade"));
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->experts_size(), 1);
  ASSERT_EQ(before->experts(0).evidence_size(), 1);

  post.set_visibility("group:board");
  post.set_title("Kubernetes: the secret layoff plan");
  post.set_body("kubernetes team layoffs are confidential");
  ASSERT_TRUE(c.catalog().UpsertPosts({{post}}).ok());
  auto during = c.Ask(Request("kubernetes layoffs"), /*refresh=*/false);
  ASSERT_TRUE(during.ok()) << during.status();
  for (const auto& e : during->experts()) {
    for (const auto& ev : e.evidence()) {
      EXPECT_NE(ev.post_id(), "p1");
      EXPECT_EQ(ev.title().find("secret"), std::string::npos);
      EXPECT_EQ(ev.snippet().find("layoff"), std::string::npos);
    }
  }
}

// The company of the path tests: in public, each of `public_authors` has a
// post (x's about a Kubernetes upgrade) liked by a liker of their own, so
// none has a tie with another; in group:hr's thread, member (of group:hr)
// comments on hr's question and x answers it.
v1::Person WriteHrThreadCompany(
    Company& c, const std::vector<std::string>& public_authors) {
  v1::Person member = MakePerson("member");
  member.add_groups("group:hr");
  std::vector<v1::Person> people = {member, MakePerson("hr"), MakePerson("x")};
  std::vector<v1::Post> posts;
  int i = 0;
  for (const std::string& who : public_authors) {
    v1::Post p = MakePost(
        absl::StrCat("pub", i), who, v1::POST_KIND_ARTICLE, "Kubernetes notes",
        who == "x" ? "kubernetes upgrade of the cluster" : "lunch menu",
        kT0 + i);
    p.add_liked_by(absl::StrCat("l", ++i));
    people.push_back(MakePerson(p.liked_by(0)));
    posts.push_back(p);
  }
  EXPECT_TRUE(c.catalog().UpsertPeople(people).ok());
  v1::Post root = MakePost("q1", "hr", v1::POST_KIND_QUESTION, "Reorg",
                           "the reorg plan", kT0 + 100);
  root.set_visibility("group:hr");
  posts.push_back(root);
  posts.push_back(MakePost("c1", "member", v1::POST_KIND_COMMENT, "", "me too",
                           kT0 + 160, "q1"));
  posts.push_back(MakePost("a1", "x", v1::POST_KIND_ANSWER, "", "see the plan",
                           kT0 + 200, "q1"));
  EXPECT_TRUE(c.catalog().UpsertPosts(posts).ok());
  return member;
}

// The introduction path to x that `asker` is shown for a Kubernetes question.
std::vector<std::string> PathToX(Company& c, const std::string& asker) {
  v1::FindExpertsRequest r = Request("kubernetes upgrade");
  r.set_asker_id(asker);
  auto response = c.Ask(r);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return {};
  for (const auto& e : response->experts()) {
    if (e.person().id() != "x") continue;
    std::vector<std::string> ids;
    for (const auto& step : e.path()) ids.push_back(step.person_id());
    return ids;
  }
  ADD_FAILURE() << "x not suggested: " << response->ShortDebugString();
  return {};
}

// A member's introduction path may run through their private threads;
// leaving the group takes the path away.
TEST(PrivacyTest, MembersPathRunsThroughTheirPrivateThread) {
  Company c("member_path");
  v1::Person member = WriteHrThreadCompany(c, {"member", "hr", "x"});
  EXPECT_EQ(PathToX(c, "member"),
            (std::vector<std::string>{"member", "hr", "x"}));
  member.clear_groups();
  ASSERT_TRUE(c.catalog().UpsertPeople({{member}}).ok());
  EXPECT_EQ(PathToX(c, "member"), std::vector<std::string>{});
}

// The same through someone who posts only in the group (hr: no public post,
// so no node in the public graph). A non-member's path never names them.
TEST(PrivacyTest, MembersPathRunsThroughSomeoneWhoPostsOnlyInTheGroup) {
  Company c("member_path_private_only");
  WriteHrThreadCompany(c, {"member", "x"});
  EXPECT_EQ(PathToX(c, "member"),
            (std::vector<std::string>{"member", "hr", "x"}));
  ASSERT_TRUE(c.catalog().UpsertPeople({{MakePerson("outsider")}}).ok());
  for (const std::string& step : PathToX(c, "outsider")) EXPECT_NE(step, "hr");
}

// A fixed public company, with words that private posts will use too.
const std::vector<std::string> kWords = {
    "kubernetes", "payroll", "vpn",     "printer", "salary",  "merger",
    "layoff",     "budget",  "cluster", "secret",  "invoice", "deploy"};

std::string Words(std::mt19937& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (!out.empty()) out += ' ';
    out += kWords[rng() % kWords.size()];
  }
  return out;
}

// The property tests' changes to private posts. Adds a new version of one
// of `ids` (a new body of `words` words; moved to `group` unless empty) to
// `batch`.
void ChangeOnePost(Company& c, std::mt19937& rng,
                   const std::vector<std::string>& ids, int words,
                   const std::string& group, std::vector<v1::Post>* batch) {
  if (ids.empty()) return;
  const std::string& old = ids[rng() % ids.size()];
  auto stored = c.catalog().Fetch("", {old}, 0, true);
  ASSERT_TRUE(stored.ok());
  if (stored->empty()) return;
  v1::Post p = (*stored)[0].post;
  p.set_body(Words(rng, words));
  if (!group.empty()) p.set_visibility(group);
  batch->push_back(p);
}

// Deletes one of `ids` (and forgets it).
void DeleteOnePost(Company& c, std::mt19937& rng,
                   std::vector<std::string>* ids) {
  if (ids->empty()) return;
  const size_t k = rng() % ids->size();
  ASSERT_TRUE(c.catalog().DeletePost((*ids)[k]).ok());
  ids->erase(ids->begin() + static_cast<long>(k));
}

void BuildPublicCompany(index::Catalog& catalog) {
  std::vector<v1::Person> people = {MakePerson("asker")};
  for (int i = 0; i < 8; ++i)
    people.push_back(MakePerson(absl::StrCat("p", i)));
  ASSERT_TRUE(catalog.UpsertPeople(people).ok());
  std::mt19937 rng(7);
  std::vector<v1::Post> posts;
  int64_t t = kT0;
  for (int q = 0; q < 30; ++q) {
    const std::string qid = absl::StrCat("q", q);
    v1::Post question =
        MakePost(qid, absl::StrCat("p", rng() % 8), v1::POST_KIND_QUESTION,
                 Words(rng, 3), Words(rng, 8), t += 3600, "", "en");
    question.add_tags(kWords[rng() % kWords.size()]);
    if (q % 3 == 0) question.add_liked_by("asker");
    posts.push_back(question);
    for (int a = 0; a < 2; ++a) {
      v1::Post answer = MakePost(
          absl::StrCat(qid, "a", a), absl::StrCat("p", rng() % 8),
          v1::POST_KIND_ANSWER, "", Words(rng, 10), t += 600, qid, "en");
      answer.set_accepted(a == 0);
      posts.push_back(answer);
    }
  }
  ASSERT_TRUE(catalog.UpsertPosts(posts).ok());
}

// Private content changes nothing for someone who cannot see it: random
// private posts, private threads and replies, added, changed and deleted,
// and the authors' memberships of their groups, leave a non-member's
// response byte for byte the same.
TEST(PrivacyTest, PrivatePostsNeverChangeANonMembersAnswer) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Company c(absl::StrCat("property_", seed));
    BuildPublicCompany(c.catalog());
    const std::vector<v1::FindExpertsRequest> requests = {
        Request("kubernetes cluster deploy"), Request("salary payroll"),
        Request("vpn printer", {"budget"}), Request("merger layoff secret")};
    std::vector<std::string> baseline;
    for (const auto& r : requests) {
      auto response = c.Ask(r);
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_GT(response->experts_size(), 0);
      baseline.push_back(Deterministic(*response));
    }
    // Drafts: every part of SuggestForPost's answer (people at any
    // confidence, threads, tags) is compared too.
    std::vector<v1::SuggestForPostRequest> drafts;
    for (const auto& [title, tag] :
         std::vector<std::pair<std::string, std::string>>{
             {"kubernetes cluster deploy", "kubernetes"},
             {"salary payroll secret", ""},
             {"vpn printer budget", "vpn"}}) {
      v1::SuggestForPostRequest d;
      d.set_title(title);
      d.set_body("merger layoff invoice");
      if (!tag.empty()) d.add_tags(tag);
      d.set_author_id("asker");
      d.set_min_confidence(0);
      d.set_max_people(8);
      d.set_max_threads(20);
      d.set_max_tags(20);
      drafts.push_back(d);
    }
    std::vector<std::string> suggested;
    for (const auto& d : drafts) {
      auto response = c.Suggest(d);
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_GT(response->experts_size(), 0);
      ASSERT_GT(response->threads_size(), 0);
      ASSERT_GT(response->suggested_tags_size(), 0);
      suggested.push_back(Deterministic(*response));
    }
    std::mt19937 rng(seed);
    std::vector<std::string> private_ids;
    // Some authors join groups (and leave them): never the asker.
    auto shuffle_memberships = [&] {
      std::vector<v1::Person> members;
      for (int i = 0; i < 8; ++i) {
        v1::Person p = MakePerson(absl::StrCat("p", i));
        for (int g = 0; g < 3; ++g)
          if (rng() % 2) p.add_groups(absl::StrCat("group:g", g));
        members.push_back(p);
      }
      ASSERT_TRUE(c.catalog().UpsertPeople(members).ok());
    };
    int64_t t = kT0 + 100 * 3600;
    for (int step = 0; step < 6; ++step) {
      std::vector<v1::Post> batch;
      for (int i = 0; i < 4; ++i) {
        const std::string author = absl::StrCat("p", rng() % 8);
        const std::string group = absl::StrCat("group:g", rng() % 3);
        const std::string id = absl::StrCat("s", seed, "-", step, "-", i);
        switch (rng() % 4) {
          case 0: {  // a private thread with a public reply
            v1::Post root =
                MakePost(id, author, v1::POST_KIND_QUESTION, Words(rng, 3),
                         Words(rng, 8), t += 60, "", "en");
            root.set_visibility(group);
            root.add_tags(kWords[rng() % kWords.size()]);
            root.add_liked_by("asker");
            v1::Post reply = MakePost(id + "r", absl::StrCat("p", rng() % 8),
                                      v1::POST_KIND_ANSWER, "", Words(rng, 9),
                                      t += 60, id, "en");
            reply.set_accepted(true);
            batch.push_back(root);
            batch.push_back(reply);
            private_ids.push_back(id);
            private_ids.push_back(id + "r");
            break;
          }
          case 1: {  // a private answer in a public thread
            v1::Post reply =
                MakePost(id, author, v1::POST_KIND_ANSWER, "", Words(rng, 9),
                         t += 60, absl::StrCat("q", rng() % 30), "en");
            reply.set_visibility(group);
            reply.add_mentioned("asker");
            batch.push_back(reply);
            private_ids.push_back(id);
            break;
          }
          case 2:  // a private post changed (text, group, kind)
            ChangeOnePost(c, rng, private_ids, 12, group, &batch);
            break;
          case 3:  // a private post deleted
            DeleteOnePost(c, rng, &private_ids);
            break;
        }
      }
      ASSERT_TRUE(c.catalog().UpsertPosts(batch).ok());
      if (step % 2 == 0) shuffle_memberships();
      for (size_t i = 0; i < requests.size(); ++i) {
        auto response = c.Ask(requests[i]);
        ASSERT_TRUE(response.ok()) << response.status();
        EXPECT_EQ(Deterministic(*response), baseline[i])
            << "step " << step << ", " << requests[i].ShortDebugString();
      }
      for (size_t i = 0; i < drafts.size(); ++i) {
        auto response = c.Suggest(drafts[i]);
        ASSERT_TRUE(response.ok()) << response.status();
        EXPECT_EQ(Deterministic(*response), suggested[i])
            << "step " << step << ", " << drafts[i].ShortDebugString();
      }
    }
  }
}

// hr's fixed private content for the member tests: threads in group:hr with
// the property test's words, by hr's members and others.
std::vector<v1::Post> HrThreads(std::mt19937& rng) {
  std::vector<v1::Post> posts;
  int64_t t = kT0 + 50 * 3600;
  for (int q = 0; q < 4; ++q) {
    const std::string id = absl::StrCat("hr", q);
    v1::Post root =
        MakePost(id, absl::StrCat("p", rng() % 8), v1::POST_KIND_QUESTION,
                 Words(rng, 3), Words(rng, 8), t += 60, "", "en");
    root.set_visibility("group:hr");
    root.add_tags(kWords[rng() % kWords.size()]);
    v1::Post reply =
        MakePost(id + "r", absl::StrCat("p", rng() % 8), v1::POST_KIND_ANSWER,
                 "", Words(rng, 9), t += 60, id, "en");
    reply.set_accepted(true);
    posts.push_back(root);
    posts.push_back(reply);
  }
  return posts;
}

// Whether any evidence or thread of `r` is private to group:hr.
bool HasHrEvidence(const v1::FindExpertsResponse& r) {
  for (const auto& e : r.experts())
    for (const auto& ev : e.evidence())
      if (ev.group() == "group:hr") return true;
  return false;
}

// The property for members: a member of group:hr is a non-member of every
// other group, so group:board's posts (with the questions' words, by
// various authors, hr's members among them), added, changed and erased,
// and other people's memberships, leave the member's answers byte for byte
// the same, their own group's evidence included.
TEST(PrivacyTest, OtherGroupsPostsNeverChangeAMembersAnswer) {
  for (uint32_t seed : {1u, 2u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Company c(absl::StrCat("member_property_", seed));
    BuildPublicCompany(c.catalog());
    // The asker and p1, p2 are in group:hr (p1 and p2 write for board too).
    auto memberships = [&](std::mt19937* shuffle) {
      v1::Person asker = MakePerson("asker");
      asker.add_groups("group:hr");
      std::vector<v1::Person> people = {asker};
      for (int i = 0; i < 8; ++i) {
        v1::Person p = MakePerson(absl::StrCat("p", i));
        if (i == 1 || i == 2) p.add_groups("group:hr");
        if (shuffle && (*shuffle)() % 2) p.add_groups("group:board");
        people.push_back(p);
      }
      ASSERT_TRUE(c.catalog().UpsertPeople(people).ok());
    };
    memberships(nullptr);
    std::mt19937 rng(seed);
    ASSERT_TRUE(c.catalog().UpsertPosts(HrThreads(rng)).ok());
    const std::vector<v1::FindExpertsRequest> requests = {
        Request("kubernetes cluster deploy"), Request("salary payroll"),
        Request("vpn printer", {"budget"}), Request("merger layoff secret")};
    std::vector<std::string> baseline;
    bool hr_evidence = false;
    for (const auto& r : requests) {
      auto response = c.Ask(r);
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_GT(response->experts_size(), 0);
      hr_evidence |= HasHrEvidence(*response);
      baseline.push_back(Deterministic(*response));
    }
    EXPECT_TRUE(hr_evidence) << "the member's own group counts";
    std::vector<v1::SuggestForPostRequest> drafts;
    for (const char* title :
         {"kubernetes cluster deploy", "salary payroll secret"}) {
      v1::SuggestForPostRequest d;
      d.set_title(title);
      d.set_body("merger layoff invoice budget");
      d.set_author_id("asker");
      d.set_min_confidence(0);
      d.set_max_people(8);
      d.set_max_threads(20);
      d.set_max_tags(20);
      drafts.push_back(d);
    }
    std::vector<std::string> suggested;
    bool hr_thread = false;
    for (const auto& d : drafts) {
      auto response = c.Suggest(d);
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_GT(response->threads_size(), 0);
      for (const auto& t : response->threads())
        hr_thread |= t.group() == "group:hr";
      suggested.push_back(Deterministic(*response));
    }
    EXPECT_TRUE(hr_thread) << "the member's own threads are suggested";

    std::vector<std::string> board_ids;
    int64_t t = kT0 + 200 * 3600;
    for (int step = 0; step < 5; ++step) {
      std::vector<v1::Post> batch;
      for (int i = 0; i < 5; ++i) {
        // hr's members (p1, p2) among the authors.
        const std::string author = absl::StrCat("p", rng() % 8);
        const std::string id = absl::StrCat("b", seed, "-", step, "-", i);
        switch (rng() % 4) {
          case 0: {  // a board thread
            v1::Post root =
                MakePost(id, author, v1::POST_KIND_QUESTION, Words(rng, 4),
                         Words(rng, 12), t += 60, "", "en");
            root.set_visibility("group:board");
            root.add_tags(kWords[rng() % kWords.size()]);
            v1::Post reply = MakePost(id + "r", absl::StrCat("p", rng() % 8),
                                      v1::POST_KIND_ANSWER, "", Words(rng, 15),
                                      t += 60, id, "en");
            reply.set_accepted(true);
            batch.push_back(root);
            batch.push_back(reply);
            board_ids.push_back(id);
            board_ids.push_back(id + "r");
            break;
          }
          case 1: {  // a board answer in a public thread
            v1::Post reply =
                MakePost(id, author, v1::POST_KIND_ANSWER, "", Words(rng, 20),
                         t += 60, absl::StrCat("q", rng() % 30), "en");
            reply.set_visibility("group:board");
            batch.push_back(reply);
            board_ids.push_back(id);
            break;
          }
          case 2:  // a board post changed
            ChangeOnePost(c, rng, board_ids, 25, "", &batch);
            break;
          case 3:  // a board post erased
            DeleteOnePost(c, rng, &board_ids);
            break;
        }
      }
      ASSERT_TRUE(c.catalog().UpsertPosts(batch).ok());
      memberships(&rng);
      for (size_t i = 0; i < requests.size(); ++i) {
        auto response = c.Ask(requests[i]);
        ASSERT_TRUE(response.ok()) << response.status();
        EXPECT_EQ(Deterministic(*response), baseline[i])
            << "step " << step << ", " << requests[i].ShortDebugString();
      }
      for (size_t i = 0; i < drafts.size(); ++i) {
        auto response = c.Suggest(drafts[i]);
        ASSERT_TRUE(response.ok()) << response.status();
        EXPECT_EQ(Deterministic(*response), suggested[i])
            << "step " << step << ", " << drafts[i].ShortDebugString();
      }
    }
  }
}

// Erasing a private post takes it out of its members' very next answer:
// as evidence before the next publish, and as a vote after it.
TEST(PrivacyTest, ErasedPrivatePostLeavesTheMembersNextAnswer) {
  Company c("member_erasure");
  v1::Person member = MakePerson("member");
  member.add_groups("group:hr");
  ASSERT_TRUE(c.catalog()
                  .UpsertPeople({{member, MakePerson("hr"), MakePerson("x"),
                                  MakePerson("y")}})
                  .ok());
  auto [root, reply, other] = testing_util::MakePrivateHrThread(kT0);
  ASSERT_TRUE(c.catalog().UpsertPosts({{other, root, reply}}).ok());
  v1::FindExpertsRequest r = Request("zebrafjord");
  r.set_asker_id("member");
  auto cites_a1 = [](const v1::FindExpertsResponse& response) {
    for (const auto& e : response.experts())
      for (const auto& ev : e.evidence())
        if (ev.post_id() == "a1") return true;
    return false;
  };
  auto before = c.Ask(r);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(cites_a1(*before)) << before->ShortDebugString();
  ASSERT_TRUE(*c.catalog().DeletePost("a1"));
  auto unpublished = c.Ask(r, /*refresh=*/false);
  ASSERT_TRUE(unpublished.ok()) << unpublished.status();
  EXPECT_FALSE(cites_a1(*unpublished)) << unpublished->ShortDebugString();
  auto after = c.Ask(r);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(cites_a1(*after)) << after->ShortDebugString();
  EXPECT_FALSE(NamesX(*after)) << after->ShortDebugString();
}

}  // namespace
}  // namespace whoknows::api
