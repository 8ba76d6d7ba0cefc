// Ingest.RecordOutcome end to end, over real TLS on loopback: an outcome
// moves the helper up for a later similar question (by a question post, and
// by a question's text), shows as evidence, survives a restart, obeys the
// rights of api/caller.cc, refuses bad input, and goes with DeletePerson
// and opt-out.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "api/server.h"
#include "index/data_dir.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

using Code = grpc::StatusCode;
using testing_util::MakePerson;
using testing_util::MakePost;

constexpr int64_t kDay = 86400;
// The server's clock, fixed: decay and the future check are measured here.
constexpr int64_t kNow = 1'750'000'000;

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(20));
  return ctx;
}

// An outcome by its question post.
v1::Outcome ForPost(const std::string& post, const std::string& helper,
                    v1::OutcomeKind kind = v1::OUTCOME_KIND_ACCEPTED) {
  v1::Outcome o;
  o.set_question_post_id(post);
  o.set_helper_id(helper);
  o.set_kind(kind);
  o.mutable_time()->set_seconds(kNow - kDay);
  return o;
}

// An outcome by its question's text (not a post in whoknows).
v1::Outcome ForText(const std::string& title, const std::string& helper,
                    const std::string& asker = "") {
  v1::Outcome o;
  o.set_title(title);
  o.set_asker_id(asker);
  o.set_helper_id(helper);
  o.set_kind(v1::OUTCOME_KIND_ACCEPTED);
  o.mutable_time()->set_seconds(kNow - kDay);
  return o;
}

// erik answers every Kubernetes question; ann asked q-pull (answered by
// erik too), bob asked q-other; hugo and vera wrote nothing on these
// topics; q-secret is private.
class OutcomesTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(dir_ + "_pki");
    Start();
    Seed();
  }
  void TearDown() override {
    server_.reset();
    env_.reset();
    std::filesystem::remove_all(dir_ + "_pki");
  }

  void Start() {
    ServerOptions o = env_->TestServerOptions(dir_);
    o.clock = index::FixedClock(kNow);
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<v1::Ingest::Stub> Ingest(const std::string& who,
                                           const std::string& roles) {
    return v1::Ingest::NewStub(env_->Channel(
        server_->port(), roles.empty() ? "" : env_->Token(who, roles)));
  }

  void Seed() {
    auto admin = Ingest("root", "admin");
    v1::UpsertPeopleRequest people;
    for (const char* id : {"ann", "bob", "erik", "hugo", "vera", "olle"})
      *people.add_people() = MakePerson(id, "Engineering");
    v1::UpsertPeopleResponse pr;
    grpc::Status s = admin->UpsertPeople(Context().get(), people, &pr);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::UpsertPostsRequest posts;
    const int64_t t = kNow - 30 * kDay;
    *posts.add_posts() =
        MakePost("q-pull", "ann", v1::POST_KIND_QUESTION,
                 "ImagePullBackOff from the private registry",
                 "The kubernetes deploy never pulls the image", t, "", "en");
    *posts.add_posts() = MakePost("a-pull", "erik", v1::POST_KIND_ANSWER, "",
                                  "Check the registry secret of the deploy",
                                  t + 100, "q-pull", "en");
    *posts.add_posts() = MakePost(
        "q-other", "bob", v1::POST_KIND_QUESTION, "Helm chart upgrade hangs",
        "The helm upgrade of the kubernetes chart never ends", t + 200, "",
        "en");
    *posts.add_posts() =
        MakePost("a-other", "erik", v1::POST_KIND_ANSWER, "",
                 "Roll back the helm release first", t + 300, "q-other", "en");
    *posts.add_posts() =
        MakePost("p-hugo", "hugo", v1::POST_KIND_ARTICLE, "Lunch menu",
                 "Soup on Fridays in the canteen", t + 400, "", "en");
    *posts.add_posts() =
        MakePost("p-vera", "vera", v1::POST_KIND_ARTICLE, "Parking",
                 "The garage closes at eight", t + 500, "", "en");
    *posts.add_posts() = MakePost(
        "p-olle", "olle", v1::POST_KIND_ARTICLE, "Printer toner and paper",
        "Toner is in the cupboard", t + 600, "", "en");
    v1::Post secret = MakePost("q-secret", "ann", v1::POST_KIND_QUESTION,
                               "Salary bands for the platform team",
                               "Which band applies?", t + 700, "", "en");
    secret.set_visibility("group:hr");
    *posts.add_posts() = secret;
    v1::UpsertPostsResponse po;
    s = admin->UpsertPosts(Context().get(), posts, &po);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (int i = 0; i < 250; ++i) {
      if (!Experts("ImagePullBackOff private registry").empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "seed data never became visible";
  }

  grpc::Status Record(const std::string& who, const std::string& roles,
                      const v1::Outcome& outcome,
                      v1::RecordOutcomeResponse* response = nullptr) {
    v1::RecordOutcomeRequest r;
    *r.mutable_outcome() = outcome;
    v1::RecordOutcomeResponse local;
    return Ingest(who, roles)
        ->RecordOutcome(Context().get(), r, response ? response : &local);
  }

  std::vector<v1::ExpertMatch> Experts(const std::string& query) {
    auto stub = v1::Expertise::NewStub(
        env_->Channel(server_->port(), env_->Token("root", "admin")));
    v1::FindExpertsRequest r;
    r.set_query(query);
    r.set_limit(20);
    v1::FindExpertsResponse out;
    grpc::Status s = stub->FindExperts(Context().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.experts().begin(), out.experts().end()};
  }

  // 0-based rank of `person` for `query`, or 1000 when not listed.
  int RankOf(const std::string& person, const std::string& query) {
    const auto experts = Experts(query);
    for (size_t i = 0; i < experts.size(); ++i)
      if (experts[i].person().id() == person) return static_cast<int>(i);
    return 1000;
  }

  const v1::ExpertMatch* Find(const std::vector<v1::ExpertMatch>& experts,
                              const std::string& person) {
    for (const auto& e : experts)
      if (e.person().id() == person) return &e;
    return nullptr;
  }

  std::string dir_;
  std::unique_ptr<SecureEnv> env_;
  std::unique_ptr<Server> server_;
};

constexpr char kPullQuery[] = "ImagePullBackOff private registry image";
constexpr char kVpnTitle[] = "How do I renew the VPN certificate on my laptop?";
constexpr char kVpnQuery[] = "renew VPN certificate";

TEST_F(OutcomesTest, AnOutcomeOnAQuestionPostRaisesTheHelperWithEvidence) {
  const int before = RankOf("hugo", kPullQuery);
  v1::RecordOutcomeResponse response;
  grpc::Status s =
      Record("intranet", "intranet", ForPost("q-pull", "hugo"), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(response.id().empty());
  const auto experts = Experts(kPullQuery);
  const v1::ExpertMatch* hugo = Find(experts, "hugo");
  ASSERT_NE(hugo, nullptr);
  EXPECT_LT(RankOf("hugo", kPullQuery), before);
  ASSERT_GT(hugo->evidence_size(), 0);
  const v1::Evidence& ev = hugo->evidence(0);
  EXPECT_EQ(ev.role(), v1::EVIDENCE_ROLE_OUTCOME);
  EXPECT_EQ(ev.post_id(), "outcome:" + response.id());
  EXPECT_EQ(ev.title(), "ImagePullBackOff from the private registry");
  EXPECT_EQ(ev.created().seconds(), kNow - kDay);
  // An unrelated question is not moved.
  EXPECT_EQ(RankOf("hugo", "printer toner"), 1000);
}

TEST_F(OutcomesTest, AnOutcomeByQuestionTextRaisesTheHelperForSimilarWords) {
  const int before = RankOf("vera", kVpnQuery);
  grpc::Status s =
      Record("intranet", "intranet", ForText(kVpnTitle, "vera", "bob"));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(RankOf("vera", kVpnQuery), before);
  const auto experts = Experts(kVpnQuery);
  const v1::ExpertMatch* vera = Find(experts, "vera");
  ASSERT_NE(vera, nullptr);
  ASSERT_GT(vera->evidence_size(), 0);
  EXPECT_EQ(vera->evidence(0).role(), v1::EVIDENCE_ROLE_OUTCOME);
  EXPECT_EQ(vera->evidence(0).title(), kVpnTitle);
  // A question sharing one word of four does not match.
  EXPECT_EQ(RankOf("vera", "laptop keyboard battery replacement"), 1000);
}

// The intranet may name its outcomes; recording an id again corrects the
// earlier record in place (a wrong helper reported), in the next answer and
// after a restart alike.
TEST_F(OutcomesTest, RecordingAnIdAgainReplacesTheEarlierRecord) {
  const int vera_before = RankOf("vera", kVpnQuery);
  v1::Outcome wrong = ForText(kVpnTitle, "vera", "bob");
  wrong.set_id("o-1");
  ASSERT_TRUE(Record("intranet", "intranet", wrong).ok());
  ASSERT_LT(RankOf("vera", kVpnQuery), vera_before);
  v1::Outcome right = ForText(kVpnTitle, "hugo", "bob");
  right.set_id("o-1");
  ASSERT_TRUE(Record("intranet", "intranet", right).ok());
  auto check = [&] {
    const auto experts = Experts(kVpnQuery);
    const v1::ExpertMatch* hugo = Find(experts, "hugo");
    ASSERT_NE(hugo, nullptr);
    ASSERT_GT(hugo->evidence_size(), 0);
    EXPECT_EQ(hugo->evidence(0).post_id(), "outcome:o-1");
    const v1::ExpertMatch* vera = Find(experts, "vera");
    if (vera != nullptr) {
      for (const auto& ev : vera->evidence())
        EXPECT_NE(ev.role(), v1::EVIDENCE_ROLE_OUTCOME);
    }
    EXPECT_EQ(RankOf("vera", kVpnQuery), vera_before);
  };
  check();
  server_.reset();
  Start();
  for (int i = 0; i < 250 && Experts(kPullQuery).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  check();
}

TEST_F(OutcomesTest, OutcomesSurviveARestart) {
  ASSERT_TRUE(Record("intranet", "intranet", ForPost("q-pull", "hugo")).ok());
  ASSERT_TRUE(Record("intranet", "intranet", ForText(kVpnTitle, "vera")).ok());
  server_.reset();
  Start();
  for (int i = 0; i < 250 && Experts(kPullQuery).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LT(RankOf("hugo", kPullQuery), 1000);
  EXPECT_LT(RankOf("vera", kVpnQuery), 1000);
}

TEST_F(OutcomesTest, WhoMayRecordWhat) {
  // The intranet records for anyone; an admin too.
  EXPECT_EQ(
      Record("intranet", "intranet", ForPost("q-other", "hugo")).error_code(),
      Code::OK);
  EXPECT_EQ(Record("root", "admin", ForText(kVpnTitle, "vera")).error_code(),
            Code::OK);
  // An employee thanks someone for their own question...
  EXPECT_EQ(Record("ann", "employee",
                   ForPost("q-pull", "hugo", v1::OUTCOME_KIND_THANKED))
                .error_code(),
            Code::OK);
  // ... but not for someone else's question, nor as the helper of a
  // question they did not ask, nor by text (unverifiable).
  EXPECT_EQ(Record("ann", "employee", ForPost("q-other", "hugo")).error_code(),
            Code::PERMISSION_DENIED);
  EXPECT_EQ(Record("hugo", "employee", ForPost("q-pull", "hugo")).error_code(),
            Code::PERMISSION_DENIED);
  EXPECT_EQ(
      Record("ann", "employee", ForText(kVpnTitle, "hugo", "ann")).error_code(),
      Code::PERMISSION_DENIED);
  // Nobody records help to themself, whoever they are.
  EXPECT_EQ(Record("ann", "employee", ForPost("q-pull", "ann")).error_code(),
            Code::INVALID_ARGUMENT);
  // A private or missing post is denied alike to an employee: no probing.
  grpc::Status secret = Record("ann", "employee", ForPost("q-secret", "hugo"));
  grpc::Status missing = Record("ann", "employee", ForPost("q-nope", "hugo"));
  EXPECT_EQ(secret.error_code(), Code::PERMISSION_DENIED);
  EXPECT_EQ(secret.error_message(), missing.error_message());
  // A connector and an anonymous caller may not.
  EXPECT_EQ(
      Record("connector", "ingest", ForPost("q-pull", "hugo")).error_code(),
      Code::PERMISSION_DENIED);
  EXPECT_EQ(Record("", "", ForPost("q-pull", "hugo")).error_code(),
            Code::UNAUTHENTICATED);
  // An employee's own id is never taken: they cannot replace another's.
  v1::Outcome chosen = ForPost("q-pull", "erik");
  chosen.set_id("o-fixed");
  v1::RecordOutcomeResponse response;
  ASSERT_TRUE(Record("ann", "employee", chosen, &response).ok());
  EXPECT_NE(response.id(), "o-fixed");
}

TEST_F(OutcomesTest, BadInputIsInvalidArgumentOrNotFoundNamingTheField) {
  struct Case {
    v1::Outcome outcome;
    Code code;
    std::string message;
  };
  v1::Outcome no_helper = ForPost("q-pull", "");
  v1::Outcome no_kind = ForPost("q-pull", "hugo");
  no_kind.set_kind(v1::OUTCOME_KIND_UNSPECIFIED);
  v1::Outcome future = ForPost("q-pull", "hugo");
  future.mutable_time()->set_seconds(kNow + 30 * kDay);
  v1::Outcome no_question = ForPost("", "hugo");
  v1::Outcome long_body = ForText("t", "hugo");
  long_body.set_body(std::string(20000, 'x'));
  v1::Outcome wrong_asker = ForPost("q-pull", "hugo");
  wrong_asker.set_asker_id("bob");
  const std::vector<Case> cases = {
      {no_helper, Code::INVALID_ARGUMENT, "outcome.helper_id: required"},
      {no_kind, Code::INVALID_ARGUMENT, "outcome.kind: required"},
      {future, Code::INVALID_ARGUMENT, "outcome.time: "},
      {no_question, Code::INVALID_ARGUMENT,
       "outcome.question_post_id: required"},
      {long_body, Code::INVALID_ARGUMENT, "outcome.body: longer than"},
      {wrong_asker, Code::INVALID_ARGUMENT, "outcome.asker_id: "},
      {ForPost("q-pull", "nobody"), Code::NOT_FOUND,
       "outcome.helper_id: no person nobody"},
      {ForText("t", "hugo", "nobody"), Code::NOT_FOUND,
       "outcome.asker_id: no person nobody"},
      {ForPost("q-nope", "hugo"), Code::NOT_FOUND,
       "outcome.question_post_id: no post q-nope"},
      {ForPost("q-secret", "hugo"), Code::INVALID_ARGUMENT,
       "outcome.question_post_id: q-secret is not public"},
      {ForPost("a-pull", "hugo"), Code::INVALID_ARGUMENT,
       "outcome.question_post_id: a-pull is not a question"},
  };
  for (const Case& c : cases) {
    grpc::Status s = Record("intranet", "intranet", c.outcome);
    EXPECT_EQ(s.error_code(), c.code) << c.message << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind(c.message, 0), 0u)
        << c.message << " vs " << s.error_message();
  }
  v1::RecordOutcomeRequest empty;
  v1::RecordOutcomeResponse out;
  grpc::Status s = Ingest("intranet", "intranet")
                       ->RecordOutcome(Context().get(), empty, &out);
  EXPECT_EQ(s.error_code(), Code::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "outcome: required");
  std::ifstream in(index::DataDir(dir_).outcomes());
  EXPECT_FALSE(in.good() && in.peek() != EOF) << "nothing may be stored";
}

TEST_F(OutcomesTest, DeletePersonErasesTheirOutcomes) {
  ASSERT_TRUE(Record("intranet", "intranet", ForPost("q-pull", "hugo")).ok());
  ASSERT_TRUE(
      Record("intranet", "intranet", ForText(kVpnTitle, "vera", "bob")).ok());
  ASSERT_LT(RankOf("vera", kVpnQuery), 1000);
  auto admin = Ingest("root", "admin");
  v1::DeletePersonRequest r;
  r.set_person_id("bob");  // the asker of the VPN question
  v1::DeletePersonResponse receipt;
  grpc::Status s = admin->DeletePerson(Context().get(), r, &receipt);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(receipt.outcomes_removed(), 1);
  EXPECT_EQ(RankOf("vera", kVpnQuery), 1000);
  r.set_person_id("hugo");  // the helper
  s = admin->DeletePerson(Context().get(), r, &receipt);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(receipt.outcomes_removed(), 1);
  std::ifstream in(index::DataDir(dir_).outcomes(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("hugo"), std::string::npos);
  EXPECT_EQ(bytes.find("bob"), std::string::npos);
  EXPECT_EQ(bytes.find("VPN"), std::string::npos);
}

TEST_F(OutcomesTest, AnAskerWhoOptsOutTakesTheirOutcomesOut) {
  ASSERT_TRUE(
      Record("intranet", "intranet", ForText(kVpnTitle, "vera", "bob")).ok());
  ASSERT_LT(RankOf("vera", kVpnQuery), 1000);
  v1::SetOptOutRequest r;
  r.set_person_id("bob");
  r.set_opted_out(true);
  v1::SetOptOutResponse out;
  grpc::Status s =
      Ingest("bob", "employee")->SetOptOut(Context().get(), r, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  int rank = 0;
  for (int i = 0; i < 250 && (rank = RankOf("vera", kVpnQuery)) < 1000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rank, 1000);
}

}  // namespace
}  // namespace whoknows::api
