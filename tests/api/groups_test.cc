// Private groups over real TLS on loopback (issue 13): membership comes in
// through the Ingest API, an employee asks as themself (the token's subject
// is the member), the intranet on behalf of any asker, and nobody learns a
// group's members from an answer.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

using testing_util::MakePerson;
using testing_util::MakePost;

constexpr int64_t kT0 = 1700000000;

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(20));
  return ctx;
}

v1::Person Member(const std::string& id) {
  v1::Person p = MakePerson(id);
  p.add_groups("group:hr");
  return p;
}

class GroupsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(dir_ + "/pki");
    ServerOptions o = env_->TestServerOptions(dir_ + "/data");
    // Nothing is published by the clock during a test: what an answer sees
    // is what the calls published.
    o.refresh_interval = std::chrono::hours(1);
    o.publish_cpu_share = 0;
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    v1::UpsertPeopleRequest people;
    for (const v1::Person& p : {Member("member"), MakePerson("other"),
                                Member("hr"), Member("x"), Member("y")})
      *people.add_people() = p;
    ASSERT_TRUE(Upsert(people, "ingest").ok());
    v1::UpsertPostsRequest posts;
    auto [root, reply, other] = testing_util::MakePrivateHrThread(kT0);
    reply.set_accepted(true);
    *posts.add_posts() = root;
    *posts.add_posts() = reply;
    *posts.add_posts() = other;
    auto stub = v1::Ingest::NewStub(Channel("connector", "ingest"));
    v1::UpsertPostsResponse out;
    grpc::Status s = stub->UpsertPosts(Context().get(), posts, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    server_->catalog().Refresh();
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& sub,
                                         const std::string& roles) {
    return env_->Channel(server_->port(), env_->Token(sub, roles));
  }
  grpc::Status Upsert(const v1::UpsertPeopleRequest& r,
                      const std::string& roles, const std::string& sub = "c") {
    v1::UpsertPeopleResponse out;
    return v1::Ingest::NewStub(Channel(sub, roles))
        ->UpsertPeople(Context().get(), r, &out);
  }
  // FindExperts "zebrafjord" as `sub` with `roles` for `asker`.
  v1::FindExpertsResponse Ask(const std::string& sub, const std::string& roles,
                              const std::string& asker = "") {
    v1::FindExpertsRequest r;
    r.set_query("zebrafjord dispute");
    r.set_asker_id(asker);
    v1::FindExpertsResponse out;
    grpc::Status s = v1::Expertise::NewStub(Channel(sub, roles))
                         ->FindExperts(Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::SuggestForPostResponse Draft(const std::string& sub,
                                   const std::string& roles,
                                   const std::string& author = "") {
    v1::SuggestForPostRequest r;
    r.set_title("zebrafjord dispute");
    r.set_author_id(author);
    r.set_min_confidence(0);
    v1::SuggestForPostResponse out;
    grpc::Status s = v1::Expertise::NewStub(Channel(sub, roles))
                         ->SuggestForPost(Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::string dir_;
  std::unique_ptr<SecureEnv> env_;
  std::unique_ptr<Server> server_;
};

// The private post a1 as evidence, with its group; false when absent.
bool SeesPrivateEvidence(const v1::FindExpertsResponse& r) {
  bool seen = false;
  for (const auto& e : r.experts()) {
    for (const auto& ev : e.evidence()) {
      if (ev.post_id() == "a1" && ev.group() == "group:hr") seen = true;
      if (ev.post_id() == "a1" && ev.group() != "group:hr") ADD_FAILURE();
    }
  }
  return seen;
}

bool SeesPrivateThread(const v1::SuggestForPostResponse& r) {
  for (const auto& t : r.threads())
    if (t.thread_id() == "q1") return t.group() == "group:hr";
  return false;
}

TEST_F(GroupsTest, TheTokensSubjectIsTheMember) {
  EXPECT_TRUE(SeesPrivateEvidence(Ask("member", "employee")));
  EXPECT_TRUE(SeesPrivateThread(Draft("member", "employee")));
  EXPECT_FALSE(SeesPrivateEvidence(Ask("other", "employee")));
  EXPECT_FALSE(SeesPrivateThread(Draft("other", "employee")));
}

TEST_F(GroupsTest, TheIntranetGetsTheAskersGroups) {
  EXPECT_TRUE(SeesPrivateEvidence(Ask("portal", "intranet", "member")));
  EXPECT_TRUE(SeesPrivateThread(Draft("portal", "intranet", "member")));
  EXPECT_FALSE(SeesPrivateEvidence(Ask("portal", "intranet", "other")));
  EXPECT_FALSE(SeesPrivateEvidence(Ask("portal", "intranet")));  // no asker
  EXPECT_FALSE(SeesPrivateThread(Draft("portal", "intranet", "other")));
  EXPECT_FALSE(SeesPrivateThread(Draft("portal", "intranet")));
}

// Memberships are never in an answer, whatever the caller's profile rights:
// x and hr are members, suggested to members, and y, a member too, is
// suggested to everyone.
TEST_F(GroupsTest, NoAnswerNamesAGroupsMembers) {
  for (const char* roles : {"admin", "hr", "employee", "intranet"}) {
    for (const char* asker : {"member", "other"}) {
      SCOPED_TRACE(absl::StrCat(roles, " for ", asker));
      const bool self =
          std::string(roles) != "admin" && std::string(roles) != "intranet";
      v1::FindExpertsResponse r =
          Ask(asker, roles, self ? "" : std::string(asker));
      ASSERT_GT(r.experts_size(), 0);
      for (const auto& e : r.experts())
        EXPECT_EQ(e.person().groups_size(), 0) << e.person().id();
      v1::SuggestForPostResponse d =
          Draft(asker, roles, self ? "" : std::string(asker));
      for (const auto& e : d.experts())
        EXPECT_EQ(e.person().groups_size(), 0) << e.person().id();
    }
  }
}

// Leaving the group is published by the UpsertPeople that says so: the very
// next answer (no refresh in between) no longer uses the group's posts.
TEST_F(GroupsTest, LeavingTheGroupTakesEffectAtTheNextAnswer) {
  ASSERT_TRUE(SeesPrivateEvidence(Ask("member", "employee")));
  v1::UpsertPeopleRequest left;
  *left.add_people() = MakePerson("member");
  grpc::Status s = Upsert(left, "ingest");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(SeesPrivateEvidence(Ask("member", "employee")));
  EXPECT_FALSE(SeesPrivateThread(Draft("member", "employee")));
}

// Only the ingest right sets memberships: an employee cannot add themself to
// a group (nor anyone else) through UpsertPeople.
TEST_F(GroupsTest, OnlyIngestSetsMemberships) {
  v1::UpsertPeopleRequest join;
  *join.add_people() = Member("other");
  for (const char* roles : {"employee", "intranet", "hr"}) {
    EXPECT_EQ(Upsert(join, roles, "other").error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << roles;
  }
  server_->catalog().Refresh();
  EXPECT_FALSE(SeesPrivateEvidence(Ask("other", "employee")));
}

TEST_F(GroupsTest, BadGroupsAreInvalidArguments) {
  struct Case {
    std::vector<std::string> groups;
    std::string says;
  };
  std::vector<std::string> too_many;
  for (int i = 0; i <= 256; ++i) too_many.push_back(absl::StrCat("group:g", i));
  const Case cases[] = {
      {{"hr"}, "groups[0]: must be \"group:<name>\""},
      {{"group:hr", "group:HR"}, "groups[1]: the group name may hold only"},
      {{"group:"}, "groups[0]: the group name must be 1-64 bytes"},
      {{"group:hr", "group:hr"}, "groups[1]: repeats group:hr"},
      {too_many, "groups: 257 groups, more than 256"},
  };
  for (const Case& c : cases) {
    v1::UpsertPeopleRequest r;
    v1::Person* p = r.add_people();
    *p = MakePerson("other");
    for (const auto& g : c.groups) p->add_groups(g);
    grpc::Status s = Upsert(r, "ingest");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.says;
    EXPECT_NE(s.error_message().find(c.says), std::string::npos)
        << s.error_message();
  }
}

}  // namespace
}  // namespace whoknows::api
