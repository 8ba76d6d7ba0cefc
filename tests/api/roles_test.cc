// Who may do what, over real TLS on loopback: the whole role x RPC matrix,
// bad tokens, service accounts by client certificate, the public profile,
// an unconfigured server's anonymous callers, and the safe-by-default
// listen address. The attacks of issue 10 are rows of these tables.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/server.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"
#include "whoknows/v1/networks.grpc.pb.h"

namespace whoknows::api {
namespace {

using Code = grpc::StatusCode;

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(20));
  return ctx;
}

// One call per RPC, harmless to the seeded data (deletions of ids that do
// not exist, upserts of an extra person).
struct Calls {
  explicit Calls(std::shared_ptr<grpc::Channel> channel)
      : expertise(v1::Expertise::NewStub(channel)),
        ingest(v1::Ingest::NewStub(channel)),
        networks(v1::Networks::NewStub(channel)) {}

  grpc::Status Find(const std::string& asker,
                    v1::FindExpertsResponse* response = nullptr) {
    v1::FindExpertsRequest r;
    r.set_query("kubernetes deploy");
    r.set_asker_id(asker);
    v1::FindExpertsResponse local;
    return expertise->FindExperts(Context().get(), r,
                                  response ? response : &local);
  }
  grpc::Status UpsertPeople() {
    v1::UpsertPeopleRequest r;
    *r.add_people() = testing_util::MakePerson("zed", "Ops");
    v1::UpsertPeopleResponse out;
    return ingest->UpsertPeople(Context().get(), r, &out);
  }
  grpc::Status UpsertPosts() {
    v1::UpsertPostsRequest r;
    *r.add_posts() = testing_util::MakePost("zp", "p3", v1::POST_KIND_ARTICLE,
                                            "Backups", "Tapes", 1700000000);
    v1::UpsertPostsResponse out;
    return ingest->UpsertPosts(Context().get(), r, &out);
  }
  grpc::Status Stream() {
    auto ctx = Context();
    v1::IngestStreamResponse out;
    auto writer = ingest->IngestStream(ctx.get(), &out);
    v1::IngestStreamRequest r;
    *r.add_people() = testing_util::MakePerson("zed", "Ops");
    writer->Write(r);
    writer->WritesDone();
    return writer->Finish();
  }
  grpc::Status DeletePost() {
    v1::DeletePostRequest r;
    r.set_post_id("no-such-post");
    v1::DeletePostResponse out;
    return ingest->DeletePost(Context().get(), r, &out);
  }
  grpc::Status DeletePerson() {
    v1::DeletePersonRequest r;
    r.set_person_id("no-such-person");
    v1::DeletePersonResponse out;
    return ingest->DeletePerson(Context().get(), r, &out);
  }
  grpc::Status SetOptOut(const std::string& person, bool opted_out,
                         v1::SetOptOutResponse* response = nullptr) {
    v1::SetOptOutRequest r;
    r.set_person_id(person);
    r.set_opted_out(opted_out);
    v1::SetOptOutResponse local;
    return ingest->SetOptOut(Context().get(), r, response ? response : &local);
  }
  grpc::Status Compact() {
    v1::CompactResponse out;
    return ingest->Compact(Context().get(), v1::CompactRequest(), &out);
  }
  // The status, and whether person-level lists came back.
  std::pair<grpc::Status, bool> Analyze() {
    v1::AnalyzeNetworkRequest r;
    r.set_person_level(true);
    v1::AnalyzeNetworkResponse out;
    grpc::Status s = networks->AnalyzeNetwork(Context().get(), r, &out);
    return {s, out.person_level()};
  }

  std::unique_ptr<v1::Expertise::Stub> expertise;
  std::unique_ptr<v1::Ingest::Stub> ingest;
  std::unique_ptr<v1::Networks::Stub> networks;
};

class RolesTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One server for the suite (TestDir needs a running test); ctest runs
    // each test in a process of its own, side by side.
    dir_ = new std::string(testing::TempDir() + "/whoknows_RolesTest_" +
                           std::to_string(getpid()));
    std::filesystem::remove_all(*dir_);
    env_ = new SecureEnv(*dir_ + "_pki");
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = *dir_;
    o.refresh_interval = std::chrono::milliseconds(20);
    env_->Configure(&o, /*client_certificates=*/true);
    o.auth.service_accounts["connector"] = Role::kIngest;
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    Seed();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete env_;
    std::filesystem::remove_all(*dir_);
    std::filesystem::remove_all(*dir_ + "_pki");
    delete dir_;
  }

  // p1 is the Kubernetes expert, and is leaving.
  static void Seed() {
    Calls admin(env_->Channel(server_->port(), env_->Token("root", "admin")));
    v1::UpsertPeopleRequest people;
    for (const char* id : {"p1", "p2", "p3"}) {
      v1::Person p = testing_util::MakePerson(id, "Engineering");
      p.set_display_name(std::string("Person ") + id);
      p.set_team("Platform");
      if (std::string_view(id) != "p3") p.set_manager_id("p3");
      *people.add_people() = p;
    }
    people.mutable_people(0)->set_leaving(true);
    v1::UpsertPeopleResponse pr;
    grpc::Status s = admin.ingest->UpsertPeople(Context().get(), people, &pr);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::UpsertPostsRequest posts;
    *posts.add_posts() = testing_util::MakePost(
        "q1", "p2", v1::POST_KIND_QUESTION, "Kubernetes deploy fails",
        "The pods never start.", 1700000000);
    *posts.add_posts() = testing_util::MakePost(
        "a1", "p1", v1::POST_KIND_ANSWER, "",
        "Check the registry secret of the kubernetes deploy.", 1700086400,
        "q1");
    v1::UpsertPostsResponse po;
    s = admin.ingest->UpsertPosts(Context().get(), posts, &po);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (int i = 0; i < 200; ++i) {
      v1::FindExpertsResponse r;
      if (admin.Find("", &r).ok() && r.experts_size() > 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "seed data never became visible";
  }

  static std::string* dir_;
  static SecureEnv* env_;
  static Server* server_;
};

std::string* RolesTest::dir_ = nullptr;
SecureEnv* RolesTest::env_ = nullptr;
Server* RolesTest::server_ = nullptr;

constexpr Code OK = Code::OK;
constexpr Code DENIED = Code::PERMISSION_DENIED;
constexpr Code UNAUTH = Code::UNAUTHENTICATED;

struct Row {
  const char* who;     // roles in the token; "" = no token
  Code ask;            // FindExperts as oneself
  Code ask_other;      // FindExperts with someone else's asker_id
  Code ingest;         // UpsertPeople, UpsertPosts, IngestStream
  Code delete_post;    // DeletePost
  Code delete_person;  // DeletePerson
  Code analyze;        // AnalyzeNetwork
  bool person_level;   // ... and its person-level lists
  Code opt_out_self;   // SetOptOut of one's own id
  Code opt_out_other;  // SetOptOut of someone else's
};

// The table of rights (api/caller.cc), as a client sees it.
constexpr Row kMatrix[] = {
    {"", UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, false, UNAUTH, UNAUTH},
    {"employee", OK, DENIED, DENIED, DENIED, DENIED, OK, false, OK, DENIED},
    {"intranet", OK, OK, DENIED, DENIED, DENIED, OK, false, OK, OK},
    {"ingest", DENIED, DENIED, OK, OK, DENIED, DENIED, false, DENIED, DENIED},
    {"hr", OK, DENIED, DENIED, DENIED, DENIED, OK, true, OK, DENIED},
    {"admin", OK, OK, OK, OK, OK, OK, true, OK, OK},
    {"employee ingest", OK, DENIED, OK, OK, DENIED, OK, false, OK, DENIED},
};

TEST_F(RolesTest, EveryRoleAgainstEveryRpc) {
  for (const Row& row : kMatrix) {
    const std::string who = row.who;
    SCOPED_TRACE(who.empty() ? "no token" : who);
    Calls c(env_->Channel(server_->port(),
                          who.empty() ? "" : env_->Token("p2", who)));
    EXPECT_EQ(c.Find("").error_code(), row.ask);
    EXPECT_EQ(c.Find("p2").error_code(), row.ask);  // oneself, by id
    EXPECT_EQ(c.Find("p3").error_code(), row.ask_other);
    EXPECT_EQ(c.UpsertPeople().error_code(), row.ingest);
    EXPECT_EQ(c.UpsertPosts().error_code(), row.ingest);
    EXPECT_EQ(c.Stream().error_code(), row.ingest);
    EXPECT_EQ(c.DeletePost().error_code(), row.delete_post);
    EXPECT_EQ(c.DeletePerson().error_code(), row.delete_person);
    auto [analyzed, person_level] = c.Analyze();
    EXPECT_EQ(analyzed.error_code(), row.analyze) << analyzed.error_message();
    EXPECT_EQ(person_level, row.person_level);
    // Neither p2 nor p3 has opted out: setting false changes nothing.
    EXPECT_EQ(c.SetOptOut("p2", false).error_code(), row.opt_out_self);
    EXPECT_EQ(c.SetOptOut("p3", false).error_code(), row.opt_out_other);
  }
}

// Compact rewrites the whole store while serving: admins only.
TEST_F(RolesTest, OnlyAdminsCompact) {
  for (const char* who : {"employee", "intranet", "ingest", "hr"}) {
    Calls c(env_->Channel(server_->port(), env_->Token("p2", who)));
    grpc::Status s = c.Compact();
    EXPECT_EQ(s.error_code(), DENIED) << who;
    EXPECT_NE(s.error_message().find("\"compact\""), std::string::npos)
        << who << ": " << s.error_message();
  }
  EXPECT_EQ(Calls(env_->Channel(server_->port(), "")).Compact().error_code(),
            UNAUTH);
  Calls admin(env_->Channel(server_->port(), env_->Token("p2", "admin")));
  EXPECT_TRUE(admin.Compact().ok());
}

TEST_F(RolesTest, MessagesNameTheMissingRight) {
  Calls employee(env_->Channel(server_->port(), env_->Token("p2", "employee")));
  grpc::Status s = employee.DeletePerson();
  EXPECT_NE(s.error_message().find("\"delete-person\""), std::string::npos)
      << s.error_message();
  s = employee.Find("p3");
  EXPECT_NE(s.error_message().find("asker_id"), std::string::npos);
  EXPECT_NE(s.error_message().find("ask-on-behalf"), std::string::npos);
  s = employee.SetOptOut("p3", true);
  EXPECT_NE(s.error_message().find("person_id"), std::string::npos);
  EXPECT_NE(s.error_message().find("\"set-opt-out-on-behalf\""),
            std::string::npos)
      << s.error_message();
  s = Calls(env_->Channel(server_->port(), env_->Token("p2", "ingest")))
          .SetOptOut("p2", false);
  EXPECT_NE(s.error_message().find("\"set-own-opt-out\""), std::string::npos)
      << s.error_message();
  s = Calls(env_->Channel(server_->port(), "")).UpsertPeople();
  EXPECT_NE(s.error_message().find("missing credentials"), std::string::npos)
      << s.error_message();
}

TEST_F(RolesTest, BadTokensAreUnauthenticated) {
  const testing_util::KeyPair stranger = testing_util::MakeEcKey();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const struct {
    const char* name;
    std::string token;
    const char* message;
  } cases[] = {
      {"expired",
       env_->Token("p2", "admin", absl::StrCat(R"("exp":)", now - 3600)),
       "expired"},
      {"wrong audience", env_->Token("p2", "admin", R"("aud":"payroll")"),
       "audience"},
      {"wrong issuer", env_->Token("p2", "admin", R"("iss":"https://evil")"),
       "issuer"},
      {"wrong key",
       testing_util::SignToken(
           stranger, "ES256",
           absl::StrCat(R"({"iss":")", SecureEnv::kIssuer,
                        R"(","aud":"whoknows","sub":"p2","roles":"admin",)",
                        R"("exp":)", now + 600, "}")),
       "signature"},
      {"not a token", "hello", "malformed"},
  };
  for (const auto& c : cases) {
    Calls calls(env_->Channel(server_->port(), c.token));
    for (grpc::Status s : {calls.Find(""), calls.UpsertPeople(),
                           calls.DeletePerson(), calls.Analyze().first}) {
      EXPECT_EQ(s.error_code(), UNAUTH) << c.name;
      EXPECT_NE(s.error_message().find(c.message), std::string::npos)
          << c.name << ": " << s.error_message();
    }
  }
}

TEST_F(RolesTest, ServiceAccountByClientCertificate) {
  const auto connector = env_->ca().ClientCertificate("connector");
  Calls c(env_->Channel(server_->port(), "", &connector));
  EXPECT_TRUE(c.UpsertPeople().ok());
  EXPECT_TRUE(c.Stream().ok());
  EXPECT_EQ(c.DeletePerson().error_code(), DENIED);
  EXPECT_EQ(c.Find("").error_code(), DENIED);
  const auto stranger = env_->ca().ClientCertificate("stranger");
  Calls s(env_->Channel(server_->port(), "", &stranger));
  grpc::Status status = s.UpsertPeople();
  EXPECT_EQ(status.error_code(), UNAUTH);
  EXPECT_NE(status.error_message().find("stranger"), std::string::npos);
}

// Who is leaving, their team and manager are for hr and admin only.
TEST_F(RolesTest, PublicProfileUnlessHrOrAdmin) {
  for (const char* who : {"employee", "intranet", "hr", "admin"}) {
    SCOPED_TRACE(who);
    Calls c(env_->Channel(server_->port(), env_->Token("p3", who)));
    v1::FindExpertsResponse r;
    ASSERT_TRUE(c.Find("", &r).ok());
    ASSERT_GT(r.experts_size(), 0);
    const v1::Person& p = r.experts(0).person();
    EXPECT_EQ(p.id(), "p1");
    EXPECT_EQ(p.display_name(), "Person p1");
    EXPECT_EQ(p.department(), "Engineering");
    const bool full =
        std::string_view(who) == "hr" || std::string_view(who) == "admin";
    EXPECT_EQ(p.leaving(), full);
    EXPECT_EQ(p.team().empty(), !full);
    EXPECT_EQ(p.manager_id().empty(), !full);
  }
}

// Waits until `id` is published, and returns it (empty id when never).
v1::Person Published(Server& server, const std::string& id,
                     const std::function<bool(const v1::Person&)>& ready) {
  for (int i = 0; i < 250; ++i) {
    if (const v1::Person* p = server.catalog().snapshot()->FindPerson(id))
      if (ready(*p)) return *p;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

std::vector<nlohmann::json> AuditLines(const std::string& dir) {
  std::ifstream in(dir + "/audit.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// A connector re-importing the directory cannot clear opted_out, not even
// with a token whose `sub` is the person's id; the person themself can,
// with SetOptOut. Every write is in the audit log, without post text.
TEST_F(RolesTest, OptOutIsStickyAndAudited) {
  auto upsert = [&](const std::string& token, bool opted_out,
                    const std::string& title) {
    v1::UpsertPeopleRequest r;
    v1::Person p = testing_util::MakePerson("oo", "Engineering");
    p.set_title(title);
    p.set_opted_out(opted_out);
    *r.add_people() = p;
    v1::UpsertPeopleResponse out;
    return Calls(env_->Channel(server_->port(), token))
        .ingest->UpsertPeople(Context().get(), r, &out);
  };
  const std::string admin = env_->Token("root", "admin");
  const std::string connector = env_->Token("hr-sync", "ingest");
  ASSERT_TRUE(upsert(admin, true, "v1").ok());
  ASSERT_TRUE(Published(*server_, "oo", [](auto& p) {
                return p.title() == "v1";
              }).opted_out());
  ASSERT_TRUE(upsert(connector, false, "v2").ok());
  v1::Person p =
      Published(*server_, "oo", [](auto& p) { return p.title() == "v2"; });
  EXPECT_EQ(p.id(), "oo");
  EXPECT_TRUE(p.opted_out()) << "a connector cleared opted_out";
  ASSERT_TRUE(upsert(env_->Token("oo", "employee ingest"), false, "v3").ok());
  p = Published(*server_, "oo", [](auto& p) { return p.title() == "v3"; });
  EXPECT_EQ(p.id(), "oo");
  EXPECT_TRUE(p.opted_out()) << "an ingest token with sub=oo cleared it";
  Calls self(env_->Channel(server_->port(), env_->Token("oo", "employee")));
  v1::SetOptOutResponse set;
  ASSERT_TRUE(self.SetOptOut("oo", false, &set).ok());
  EXPECT_EQ(set.person_id(), "oo");
  EXPECT_FALSE(set.opted_out());
  EXPECT_TRUE(set.changed());
  p = Published(*server_, "oo", [](auto& p) { return !p.opted_out(); });
  EXPECT_EQ(p.title(), "v3") << "SetOptOut changed more than opted_out";
  ASSERT_TRUE(self.SetOptOut("oo", false, &set).ok());
  EXPECT_FALSE(set.changed());
  EXPECT_EQ(self.SetOptOut("oo", true).error_code(), OK);
  Calls root(env_->Channel(server_->port(), admin));
  EXPECT_EQ(root.SetOptOut("no-such-person", true).error_code(),
            Code::NOT_FOUND);
  EXPECT_EQ(root.SetOptOut("", true).error_code(), Code::INVALID_ARGUMENT);
  EXPECT_EQ(
      Calls(env_->Channel(server_->port(), env_->Token("ghost", "employee")))
          .SetOptOut("ghost", true)
          .error_code(),
      Code::NOT_FOUND);
  EXPECT_EQ(root.SetOptOut("oo", false, &set).error_code(), OK);
  EXPECT_TRUE(set.changed());

  Calls ingest(env_->Channel(server_->port(), connector));
  ASSERT_TRUE(ingest.UpsertPosts().ok());
  Calls employee(
      env_->Channel(server_->port(), env_->Token("auditee", "employee")));
  EXPECT_EQ(employee.DeletePerson().error_code(), DENIED);
  Calls hr(env_->Channel(server_->port(), env_->Token("boss", "hr")));
  EXPECT_TRUE(hr.Analyze().first.ok());

  const auto lines = AuditLines(*dir_);
  auto find = [&](const std::string& method, const std::string& subject) {
    for (const auto& l : lines)
      if (l["method"] == method && l["subject"] == subject) return l;
    return nlohmann::json();
  };
  auto kept = find("whoknows.v1.Ingest/UpsertPeople", "hr-sync");
  ASSERT_FALSE(kept.is_null());
  EXPECT_EQ(kept["code"], "OK");
  EXPECT_EQ(kept["roles"], nlohmann::json::array({"ingest"}));
  EXPECT_EQ(kept["auth"], "token");
  EXPECT_EQ(kept["counts"]["opt_out_kept"], 1);
  EXPECT_EQ(kept["counts"].value("opt_out_changes", 0), 0);
  EXPECT_EQ(kept["counts"]["people"], 1);
  EXPECT_FALSE(kept["time"].get<std::string>().empty());
  auto sub_oo = find("whoknows.v1.Ingest/UpsertPeople", "oo");
  EXPECT_EQ(sub_oo["counts"]["opt_out_kept"], 1);
  auto own = find("whoknows.v1.Ingest/SetOptOut", "oo");
  EXPECT_EQ(own["code"], "OK");
  EXPECT_EQ(own["target"], "oo");
  EXPECT_EQ(own["counts"]["opt_out_changes"], 1);
  EXPECT_EQ(own["roles"], nlohmann::json::array({"employee"}));
  auto denied = find("whoknows.v1.Ingest/DeletePerson", "auditee");
  EXPECT_EQ(denied["code"], "PERMISSION_DENIED");
  EXPECT_EQ(denied["target"], "no-such-person");
  auto posts = find("whoknows.v1.Ingest/UpsertPosts", "hr-sync");
  EXPECT_EQ(posts["counts"]["posts"], 1);
  EXPECT_FALSE(find("whoknows.v1.Networks/AnalyzeNetwork", "boss").is_null());
  std::ifstream in(*dir_ + "/audit.jsonl");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find("Tapes"), std::string::npos) << "post text in audit";
  EXPECT_EQ(text.find("Backups"), std::string::npos) << "post title in audit";
}

// A server without authentication: loopback only, and anonymous callers
// may ask and see aggregates, nothing else.
TEST(AnonymousTest, UnconfiguredServerOnlyAnswersAnonymousQuestions) {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.data_dir = testing_util::TestDir();
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  Calls c(grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                              grpc::InsecureChannelCredentials()));
  EXPECT_EQ(c.Find("").error_code(), OK);
  EXPECT_EQ(c.Find("p1").error_code(), UNAUTH);
  EXPECT_EQ(c.UpsertPeople().error_code(), UNAUTH);
  EXPECT_EQ(c.Stream().error_code(), UNAUTH);
  EXPECT_EQ(c.DeletePost().error_code(), UNAUTH);
  EXPECT_EQ(c.DeletePerson().error_code(), UNAUTH);
  EXPECT_EQ(c.SetOptOut("p1", false).error_code(), UNAUTH);
  auto [analyzed, person_level] = c.Analyze();
  EXPECT_TRUE(analyzed.ok()) << analyzed.error_message();
  EXPECT_FALSE(person_level);
}

TEST(ListenTest, LoopbackOnlyUnlessAuthenticatedOrInsecure) {
  ServerOptions o;
  o.data_dir = "x";
  o.listen = "0.0.0.0:0";
  absl::Status s = o.Validate();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--insecure"), std::string::npos) << s;
  o.insecure = true;
  EXPECT_TRUE(o.Validate().ok());
  o.insecure = false;
  o.auth.jwt_keys_file = "keys.pem";
  o.auth.issuer = "https://idp";
  EXPECT_NE(o.Validate().message().find("TLS"), std::string::npos);
  o.tls_cert_file = "cert.pem";
  EXPECT_NE(o.Validate().message().find("--tls-key"), std::string::npos);
  o.tls_key_file = "key.pem";
  EXPECT_TRUE(o.Validate().ok());
  for (const char* loopback : {"127.0.0.1:0", "localhost:1", "[::1]:2"}) {
    ServerOptions l;
    l.data_dir = "x";
    l.listen = loopback;
    EXPECT_TRUE(l.Validate().ok()) << loopback;
  }
  o.auth.service_accounts["svc"] = Role::kIngest;
  EXPECT_NE(o.Validate().message().find("--client-ca"), std::string::npos);
}

}  // namespace
}  // namespace whoknows::api
