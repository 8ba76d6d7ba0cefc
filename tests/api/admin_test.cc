// Admin.GetStatus (api/admin.cc), end to end: the real server on a loopback
// port over TLS with tokens. The figures move with writes, failures of
// background work show up with their cause, only admins may read it, and
// nothing in it names a person.
#include "api/admin.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/server.h"
#include "demo_company.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/admin.grpc.pb.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

namespace fs = std::filesystem;
using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::TestDir;

constexpr char kDemo[] = "/data/demo/company.jsonl";

std::unique_ptr<Server> Start(const std::string& dir, const SecureEnv& env) {
  auto server = Server::Start(env.TestServerOptions(dir));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

grpc::Status GetStatus(grpc::Channel& channel, v1::GetStatusResponse* out,
                       int max_errors = 0) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::GetStatusRequest request;
  request.set_max_errors(max_errors);
  return v1::Admin::NewStub(
             std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}))
      ->GetStatus(&ctx, request, out);
}

// The status once `done` holds for it (polled for up to 60 s).
v1::GetStatusResponse StatusWhen(
    grpc::Channel& channel,
    const std::function<bool(const v1::GetStatusResponse&)>& done) {
  v1::GetStatusResponse s;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    s.Clear();
    const grpc::Status called = GetStatus(channel, &s);
    EXPECT_TRUE(called.ok()) << called.error_message();
    if (!called.ok() || done(s)) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "status never got there: " << s.DebugString();
  return s;
}

grpc::Status UpsertPosts(grpc::Channel& channel,
                         const std::vector<v1::Post>& posts) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::UpsertPostsRequest r;
  for (const auto& p : posts) *r.add_posts() = p;
  v1::UpsertPostsResponse out;
  return v1::Ingest::NewStub(
             std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}))
      ->UpsertPosts(&ctx, r, &out);
}

const v1::ServiceCalls* Calls(const v1::GetStatusResponse& s,
                              const std::string& service) {
  for (const auto& c : s.queues().services())
    if (c.service() == service) return &c;
  return nullptr;
}

TEST(AdminTest, FiguresMatchTheDataAndMoveWithWrites) {
  const std::string dir = TestDir();
  ImportDemo(dir);
  SecureEnv env(TestDir() + "_pki");
  auto server = Start(dir, env);
  ASSERT_NE(server, nullptr);
  auto admin = env.AdminChannel(server->port());
  const v1::GetStatusResponse before =
      StatusWhen(*admin, [](const auto& s) { return s.server().serving(); });

  EXPECT_EQ(before.server().version(), "0.1.0");
  EXPECT_GT(before.server().started().seconds(), 0);
  EXPECT_GE(before.server().now().seconds(),
            before.server().started().seconds());
  // The counts are the published snapshot's.
  auto snap = server->catalog().snapshot();
  int64_t private_posts = 0;
  for (const auto& [id, post] : snap->posts) private_posts += !post->is_public;
  EXPECT_EQ(before.data().people(), static_cast<int64_t>(snap->people.size()));
  EXPECT_EQ(before.data().private_posts(), private_posts);
  EXPECT_EQ(before.data().public_posts(),
            static_cast<int64_t>(snap->posts.size()) - private_posts);
  EXPECT_GT(before.data().public_posts(), 3000);
  EXPECT_EQ(before.data().private_groups(), 5);  // the demo's five groups
  EXPECT_GT(before.data().posts_revision(), 0u);
  EXPECT_GE(before.data().generation(), 1u);
  EXPECT_TRUE(before.model().loaded());
  EXPECT_EQ(before.model().posts(), before.data().public_posts());
  EXPECT_GE(before.model().builds(), 1);
  EXPECT_EQ(before.model().failed_builds(), 0);
  ASSERT_EQ(before.queues().executors_size(), 2);
  EXPECT_EQ(before.queues().executors(0).name(), "ingest");
  EXPECT_EQ(before.queues().executors(0).max_queued(), 16);
  EXPECT_EQ(before.queues().executors(1).name(), "analysis");
  EXPECT_EQ(before.queues().exposure_max_people(), 100000);
  // The call asking counts itself.
  ASSERT_NE(Calls(before, "whoknows.v1.Admin"), nullptr);
  EXPECT_EQ(Calls(before, "whoknows.v1.Admin")->in_flight(), 1);
  EXPECT_EQ(Calls(before, "whoknows.v1.Ingest")->in_flight(), 0);
  EXPECT_EQ(before.errors_size(), 0);

  ASSERT_TRUE(
      UpsertPosts(*admin, {MakePost("status-a", "u0007", v1::POST_KIND_ARTICLE,
                                    "Status one", "Body one", 1700000000),
                           MakePost("status-b", "u0007", v1::POST_KIND_ARTICLE,
                                    "Status two", "Body two", 1700000100)})
          .ok());
  const v1::GetStatusResponse after =
      StatusWhen(*admin, [&](const v1::GetStatusResponse& s) {
        return s.data().public_posts() == before.data().public_posts() + 2;
      });
  EXPECT_GT(after.data().generation(), before.data().generation());
  EXPECT_GT(after.data().posts_revision(), before.data().posts_revision());
  EXPECT_EQ(after.data().private_posts_revision(),
            before.data().private_posts_revision());
  EXPECT_TRUE(after.data().has_last_write());
  EXPECT_GE(after.data().last_publish().seconds(),
            after.data().last_write().seconds());
  EXPECT_EQ(after.data().publish_lag_ms(), 0);
}

// The response names no person, group or text: every demo person's id and
// name, and every group, is absent from it (FindExperts first, so that the
// exposure ledger holds people).
TEST(AdminTest, StatusNamesNoPersonAndNoGroup) {
  const std::string dir = TestDir();
  ImportDemo(dir);
  SecureEnv env(TestDir() + "_pki");
  auto server = Start(dir, env);
  ASSERT_NE(server, nullptr);
  auto admin = env.AdminChannel(server->port());
  {
    grpc::ClientContext ctx;
    v1::FindExpertsRequest r;
    r.set_query("kubernetes deploy fails");
    v1::FindExpertsResponse found;
    ASSERT_TRUE(
        v1::Expertise::NewStub(admin)->FindExperts(&ctx, r, &found).ok());
    ASSERT_GT(found.experts_size(), 0);
  }
  const v1::GetStatusResponse s = StatusWhen(
      *admin, [](const auto& s) { return s.queues().exposure_people() > 0; });
  const std::string text = s.DebugString();
  std::ifstream in(std::string(WHOKNOWS_SOURCE_DIR) + kDemo);
  int people = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["type"] == "person") {
      ++people;
      const std::string id = j["id"], name = j["display_name"];
      EXPECT_EQ(text.find("\"" + id + "\""), std::string::npos) << id;
      EXPECT_EQ(text.find(id), std::string::npos) << id;
      EXPECT_EQ(text.find(name), std::string::npos) << name;
    } else if (j.contains("visibility") && j["visibility"] != "public") {
      const std::string group = j["visibility"];
      EXPECT_EQ(text.find(group.substr(6)), std::string::npos) << group;
    }
  }
  EXPECT_GT(people, 100);
}

// A publish that cannot save graph.tsv (a folder stands where it goes): the
// error appears with its source and cause, and the snapshot is published
// all the same.
TEST(AdminTest, FailedPublishShowsAsBackgroundError) {
  const std::string dir = TestDir();
  SecureEnv env(TestDir() + "_pki");
  auto server = Start(dir, env);
  ASSERT_NE(server, nullptr);
  auto admin = env.AdminChannel(server->port());
  const fs::path graph = index::DataDir(dir).graph();
  fs::remove(graph);
  fs::create_directory(graph);
  ASSERT_TRUE(UpsertPosts(*admin, {MakePost("p1", "anna", v1::POST_KIND_ARTICLE,
                                            "Printer", "It jams.", 1700000000)})
                  .ok());
  // The refresher's first tick may save (and fail to save) the graph of
  // the snapshot published at start, before p1's publish: wait for both.
  const v1::GetStatusResponse s = StatusWhen(*admin, [](const auto& s) {
    return s.errors_size() > 0 && s.data().public_posts() == 1;
  });
  ASSERT_EQ(s.errors_size(), 1);
  EXPECT_EQ(s.errors(0).source(), "publish");
  EXPECT_EQ(s.errors(0).code(),
            static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_NE(s.errors(0).message().find("graph.tsv"), std::string::npos)
      << s.errors(0).message();
  EXPECT_GT(s.errors(0).time().seconds(), 0);
  EXPECT_EQ(s.errors_total(), 1);
  EXPECT_EQ(s.data().public_posts(), 1);

  v1::GetStatusResponse bad;
  const grpc::Status refused =
      GetStatus(*admin, &bad, kKeptBackgroundErrors + 1);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().rfind("max_errors: ", 0), 0u)
      << refused.error_message();
}

// A model that cannot be saved (a folder stands where embeddings.bin goes):
// every background build fails, Health stays NOT_SERVING, and the status
// says why.
TEST(AdminTest, FailedModelBuildShowsAsBackgroundError) {
  const std::string dir = TestDir();
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    const std::vector<v1::Person> people = {MakePerson("anna", "IT")};
    const std::vector<v1::Post> posts = {
        MakePost("p1", "anna", v1::POST_KIND_ARTICLE, "Printer", "It jams.",
                 1700000000)};
    ASSERT_TRUE(c->UpsertPeople(people).ok());
    ASSERT_TRUE(c->UpsertPosts(posts).ok());
  }
  fs::create_directory(index::DataDir(dir).embeddings());
  SecureEnv env(TestDir() + "_pki");
  auto server = Start(dir, env);
  ASSERT_NE(server, nullptr);
  auto admin = env.AdminChannel(server->port());
  const v1::GetStatusResponse s = StatusWhen(
      *admin, [](const auto& s) { return s.model().failed_builds() > 0; });
  EXPECT_FALSE(s.server().serving());
  EXPECT_FALSE(s.model().loaded());
  ASSERT_GE(s.errors_size(), 1);
  EXPECT_EQ(s.errors(0).source(), "model");
  EXPECT_NE(s.errors(0).message().find("expertise model"), std::string::npos)
      << s.errors(0).message();
}

TEST(AdminTest, OnlyAdminsMayReadStatus) {
  const std::string dir = TestDir();
  SecureEnv env(TestDir() + "_pki");
  auto server = Start(dir, env);
  ASSERT_NE(server, nullptr);
  for (const char* role : {"employee", "intranet", "ingest", "hr",
                           "employee intranet ingest hr"}) {
    auto channel = env.Channel(server->port(), env.Token("someone", role));
    v1::GetStatusResponse s;
    const grpc::Status refused = GetStatus(*channel, &s);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << role;
    EXPECT_NE(refused.error_message().find("read-status"), std::string::npos)
        << refused.error_message();
    EXPECT_FALSE(s.has_server()) << role;
  }
  auto anonymous = env.Channel(server->port(), "");
  v1::GetStatusResponse s;
  EXPECT_EQ(GetStatus(*anonymous, &s).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto admin = env.AdminChannel(server->port());
  EXPECT_TRUE(GetStatus(*admin, &s).ok());
}

TEST(ErrorRingTest, KeepsTheNewestAndCountsAll) {
  ErrorRing ring(3);
  for (int i = 0; i < 5; ++i)
    ring.Add("publish", absl::UnavailableError(std::to_string(i)), i);
  const auto recent = ring.Recent();
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].error.message(), "4");
  EXPECT_EQ(recent[2].error.message(), "2");
  EXPECT_EQ(ring.Recent(1).size(), 1u);
  EXPECT_EQ(ring.total(), 5);
}

}  // namespace
}  // namespace whoknows::api
