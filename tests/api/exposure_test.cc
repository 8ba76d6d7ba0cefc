// The exposure budget and Person.away_until end to end (issue 13, "Routing
// that does not burn out the experts"): the real server on a loopback port
// over TLS, two equally good experts, FindExperts asked again and again.
#include "ranking/exposure.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "api/expertise.h"
#include "api/server.h"
#include "index/catalog.h"
#include "index/clock.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

constexpr int64_t kT0 = 1'700'000'000;
constexpr int64_t kDay = 86400;

// anna asks; erik and sara answered her printer question alike.
class ExposureTest : public testing::Test {
 protected:
  void Start(double exposure_weight) {
    data_ = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(data_ + "_pki");
    ServerOptions o = env_->TestServerOptions(data_);
    o.ranking.exposure_weight = exposure_weight;
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = env_->AdminChannel(server_->port());
    expertise_ = v1::Expertise::NewStub(channel);
    ingest_ = v1::Ingest::NewStub(channel);
  }

  grpc::Status UpsertPeople(const std::vector<v1::Person>& people) {
    v1::UpsertPeopleRequest request;
    for (const auto& p : people) *request.add_people() = p;
    v1::UpsertPeopleResponse response;
    grpc::ClientContext ctx;
    return ingest_->UpsertPeople(&ctx, request, &response);
  }

  void IngestCompany(const v1::Person& erik, const v1::Person& sara) {
    ASSERT_TRUE(
        UpsertPeople({testing_util::MakePerson("anna"), erik, sara}).ok());
    v1::UpsertPostsRequest posts;
    *posts.add_posts() = testing_util::MakePost(
        "q1", "anna", v1::POST_KIND_QUESTION, "Printer jams on the third floor",
        "The printer jams every morning.", kT0, "", "en");
    for (const char* who : {"erik", "sara"}) {
      *posts.add_posts() = testing_util::MakePost(
          std::string("a-") + who, who, v1::POST_KIND_ANSWER, "",
          "Clean the printer rollers and the jam goes away.", kT0 + kDay, "q1",
          "en");
    }
    v1::UpsertPostsResponse response;
    grpc::ClientContext ctx;
    ASSERT_TRUE(ingest_->UpsertPosts(&ctx, posts, &response).ok());
  }

  v1::FindExpertsResponse Find(int limit) {
    v1::FindExpertsRequest request;
    request.set_query("printer jam rollers");
    request.set_asker_id("anna");
    request.set_limit(limit);
    v1::FindExpertsResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    EXPECT_TRUE(expertise_->FindExperts(&ctx, request, &response).ok());
    return response;
  }

  // Polls until the refresh interval has published `n` experts.
  v1::FindExpertsResponse FindEventually(int n) {
    v1::FindExpertsResponse response;
    for (int i = 0; i < 200; ++i) {
      response = Find(10);
      if (response.experts_size() == n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return response;
  }

  // Who comes first in each of `calls` questions of one expert.
  std::map<std::string, int> FirstOf(int calls) {
    std::map<std::string, int> first;
    for (int i = 0; i < calls; ++i) {
      v1::FindExpertsResponse r = Find(1);
      if (r.experts_size() == 1) ++first[r.experts(0).person().id()];
    }
    return first;
  }

  std::string data_;
  std::unique_ptr<SecureEnv> env_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Expertise::Stub> expertise_;
  std::unique_ptr<v1::Ingest::Stub> ingest_;
};

TEST_F(ExposureTest, QuestionsSpreadOverEqualExpertsAndSayWhy) {
  Start(/*exposure_weight=*/0.25);
  IngestCompany(testing_util::MakePerson("erik"),
                testing_util::MakePerson("sara"));
  ASSERT_EQ(FindEventually(2).experts_size(), 2);
  const std::map<std::string, int> first = FirstOf(20);
  EXPECT_GE(first.count("erik") ? first.at("erik") : 0, 5);
  EXPECT_GE(first.count("sara") ? first.at("sara") : 0, 5);
  // The penalty is part of the explained score.
  const v1::FindExpertsResponse r = Find(2);
  ASSERT_EQ(r.experts_size(), 2);
  for (const auto& m : r.experts()) {
    ASSERT_TRUE(m.breakdown().contains("exposure"));
    double sum = 0;
    for (const auto& [name, value] : m.breakdown()) sum += value;
    EXPECT_NEAR(sum, m.score(), 1e-9);
  }
  EXPECT_LT(r.experts(0).breakdown().at("exposure") +
                r.experts(1).breakdown().at("exposure"),
            0);
}

TEST_F(ExposureTest, ZeroWeightAlwaysAnswersTheSameExpert) {
  Start(/*exposure_weight=*/0);
  IngestCompany(testing_util::MakePerson("erik"),
                testing_util::MakePerson("sara"));
  ASSERT_EQ(FindEventually(2).experts_size(), 2);
  EXPECT_EQ(FirstOf(20), (std::map<std::string, int>{{"erik", 20}}));
  EXPECT_FALSE(Find(1).experts(0).breakdown().contains("exposure"));
}

TEST_F(ExposureTest, AwayUntilTheFutureIsNotSuggestedUntilItPasses) {
  Start(/*exposure_weight=*/0);
  const int64_t now = index::SystemClock();
  v1::Person erik = testing_util::MakePerson("erik");
  erik.mutable_away_until()->set_seconds(now + 7 * kDay);
  v1::Person sara = testing_util::MakePerson("sara");
  sara.mutable_away_until()->set_seconds(now - 7 * kDay);
  IngestCompany(erik, sara);
  v1::FindExpertsResponse r = FindEventually(1);
  ASSERT_EQ(r.experts_size(), 1);
  EXPECT_EQ(r.experts(0).person().id(), "sara");
  // Back from leave: the directory says so, and erik is suggested again.
  erik.clear_away_until();
  ASSERT_TRUE(UpsertPeople({erik}).ok());
  EXPECT_EQ(FindEventually(2).experts_size(), 2);
}

TEST_F(ExposureTest, BadAwayUntilIsInvalidArgumentNamingTheField) {
  Start(/*exposure_weight=*/0);
  v1::Person p = testing_util::MakePerson("erik");
  p.mutable_away_until()->set_seconds(kT0);
  p.mutable_away_until()->set_nanos(-5);
  grpc::Status s = UpsertPeople({p});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("people[0].away_until: nanos -5", 0), 0u)
      << s.error_message();
  p.mutable_away_until()->set_nanos(0);
  p.mutable_away_until()->set_seconds(253402300800);  // year 10000
  s = UpsertPeople({p});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("away_until"), std::string::npos)
      << s.error_message();
  // 9999-12-31: away until further notice.
  p.mutable_away_until()->set_seconds(253402214400);
  EXPECT_TRUE(UpsertPeople({p}).ok());
}

// The erasure race: an answer ranked from a snapshot that an erasure has
// replaced since records nobody erased, as the server records each
// FindExperts answer (api::RecordSuggested). Deterministic: the answer is
// made, the person erased (the snapshot republished, then the ledger's
// Forget, as DeletePerson does), then the answer recorded.
TEST(ExposureErasureTest, AnAnswerRankedBeforeAnErasureRecordsNobodyErased) {
  const std::string dir = testing_util::TestDir();
  auto catalog = testing_util::OpenCatalog(dir);
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog
                  ->UpsertPeople({{testing_util::MakePerson("erik"),
                                   testing_util::MakePerson("sara")}})
                  .ok());
  catalog->Refresh();
  v1::FindExpertsResponse answer;
  for (const char* id : {"erik", "sara"})
    answer.add_experts()->mutable_person()->set_id(id);
  ranking::ExposureLedger ledger;
  ASSERT_TRUE(catalog->DeletePerson("erik").ok());
  catalog->Refresh();
  ledger.Forget("erik");
  RecordSuggested(answer, *catalog, ledger, kT0);
  EXPECT_EQ(ledger.Exposure("erik", kT0), 0);
  EXPECT_EQ(ledger.Exposure("sara", kT0), 1);
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger.Total(kT0), 1);
}

// A follower applies its writer's erasures from the change log: its own
// DeletePerson never runs, so nothing calls Forget on its ledger. The next
// answer after a snapshot without them drops their counter; when an
// erasure and a newcomer leave the number of people as it was, within
// forget_absent_every_s.
TEST(ExposureErasureTest, CountersOfPeopleErasedElsewhereAreDropped) {
  const std::string dir = testing_util::TestDir();
  auto catalog = testing_util::OpenCatalog(dir);
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog
                  ->UpsertPeople({{testing_util::MakePerson("erik"),
                                   testing_util::MakePerson("sara"),
                                   testing_util::MakePerson("nils")}})
                  .ok());
  catalog->Refresh();
  v1::FindExpertsResponse all, sara;
  for (const char* id : {"erik", "sara", "nils"})
    all.add_experts()->mutable_person()->set_id(id);
  sara.add_experts()->mutable_person()->set_id("sara");
  ranking::ExposureLedger ledger;
  RecordSuggested(all, *catalog, ledger, kT0);
  ASSERT_EQ(ledger.size(), 3u);

  ASSERT_TRUE(catalog->DeletePerson("erik").ok());
  catalog->Refresh();
  RecordSuggested(sara, *catalog, ledger, kT0 + 1);
  EXPECT_EQ(ledger.Exposure("erik", kT0 + 1), 0);
  EXPECT_EQ(ledger.size(), 2u);

  // nils erased and anna joined in one publish: the count is unchanged.
  ASSERT_TRUE(catalog->DeletePerson("nils").ok());
  ASSERT_TRUE(catalog->UpsertPeople({{testing_util::MakePerson("anna")}}).ok());
  catalog->Refresh();
  const int64_t every = ledger.options().forget_absent_every_s;
  const int64_t later = kT0 + 1 + every;
  RecordSuggested(sara, *catalog, ledger, later);
  EXPECT_EQ(ledger.Exposure("nils", later), 0);
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_GT(ledger.Exposure("sara", later), 2.9);
}

TEST(ExposureLedgerForgetAbsentTest, PassesOnlyWhenThePeopleChangeOrTimeIsUp) {
  ranking::ExposureLedger ledger(
      {.window_days = 30, .max_people = 100, .forget_absent_every_s = 60});
  ledger.Record({"a", "b"}, kT0);
  auto none = [](const std::string&) { return false; };
  // How many the directory holds, as the catalog's snapshot would say.
  auto people = [](size_t n) { return [n] { return n; }; };
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0, people(5), none),
            2u);  // the first pass
  ledger.Record({"a", "b"}, kT0);
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0 + 59, people(5), none), 0u);
  EXPECT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0 + 59, people(4), none), 2u);
  ledger.Record({"a"}, kT0);
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0 + 119, people(4), none), 1u);
  ledger.Record({"a"}, kT0);
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0 + 120, people(4), none), 0u);
  EXPECT_EQ(ledger.RecordAndForgetAbsent({}, kT0 + 10, people(4), none),
            1u);  // clock stepped back
}

}  // namespace
}  // namespace whoknows::api
