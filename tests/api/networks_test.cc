// Networks over real gRPC on loopback: privacy rules as a client sees them,
// an employee against hr, validation errors.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "api/server.h"
#include "index/catalog.h"
#include "index/interactions.h"
#include "secure_env.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/ingest.grpc.pb.h"
#include "whoknows/v1/networks.grpc.pb.h"

namespace whoknows::api {
namespace {

constexpr int64_t kTime = 1700000000;

class NetworksEndToEndTest : public testing::Test {
 protected:
  void Start(bool hr_token) {
    data_ = testing_util::TestDir();
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = data_;
    o.refresh_interval = std::chrono::milliseconds(20);
    env_ = std::make_unique<SecureEnv>(data_ + "_pki");
    env_->Configure(&o);
    // The person-level tests call as hr, the others as an employee.
    role_ = hr_token ? "hr" : "employee";
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = env_->AdminChannel(server_->port());
    networks_ = v1::Networks::NewStub(env_->Channel(server_->port(), ""));
    // Two departments of 6, joined by the b0-a0 tie, and an opted-out
    // person who bridges them too.
    v1::UpsertPeopleRequest people;
    for (char dept : {'a', 'b'}) {
      for (int i = 0; i < 6; ++i) {
        auto* p = people.add_people();
        p->set_id(std::string(1, dept) + std::to_string(i));
        p->set_display_name("Person " + p->id());
        p->set_department(dept == 'a' ? "Alpha" : "Beta");
      }
    }
    auto* x = people.add_people();
    x->set_id("x");
    x->set_display_name("Opted Out");
    x->set_department("Alpha");
    x->set_opted_out(true);
    v1::UpsertPeopleResponse upserted;
    grpc::ClientContext ctx;
    ASSERT_TRUE(v1::Ingest::NewStub(channel)
                    ->UpsertPeople(&ctx, people, &upserted)
                    .ok());
    // E-mails go to the data folder's interaction log (as `whoknows import
    // enron` writes it); the server reads it at each request.
    std::vector<index::Interaction> mails;
    for (char dept : {'a', 'b'})
      for (int i = 0; i < 6; ++i)
        for (int j = i + 1; j < 6; ++j)
          mails.push_back({"",
                           std::string(1, dept) + std::to_string(i),
                           {std::string(1, dept) + std::to_string(j)},
                           kTime,
                           "email"});
    mails.push_back({"", "a0", {"b0"}, kTime, "email"});
    mails.push_back({"", "x", {"a3", "b3"}, kTime, "email"});
    ASSERT_TRUE(index::InteractionLog(data_).Append(mails).ok());
    // Wait until the people are published.
    for (int i = 0; i < 200; ++i) {
      if (server_->catalog().snapshot()->people.size() == 13) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  grpc::Status Analyze(const v1::AnalyzeNetworkRequest& request,
                       v1::AnalyzeNetworkResponse* response,
                       const char* role = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(20));
    // Without an HR role the caller is an employee (or, with `role` "hr" on
    // a server started for HR, hr).
    const std::string r = role ? role_ : "employee";
    ctx.AddMetadata("authorization", "Bearer " + env_->Token("u1", r));
    return networks_->AnalyzeNetwork(&ctx, request, response);
  }

  std::string data_;
  std::unique_ptr<SecureEnv> env_;
  std::string role_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Networks::Stub> networks_;
};

TEST_F(NetworksEndToEndTest, StatesThresholdAndWindowAndWithholdsNames) {
  Start(/*hr_token=*/true);
  v1::AnalyzeNetworkRequest request;
  request.set_person_level(true);  // asked, but no role sent
  v1::AnalyzeNetworkResponse response;
  ASSERT_TRUE(Analyze(request, &response).ok());
  EXPECT_EQ(response.min_group_size(), 5);
  EXPECT_FALSE(response.person_level());
  EXPECT_EQ(response.current().end().seconds(), kTime + 1);
  EXPECT_EQ(response.current().people(), 12);
  EXPECT_EQ(response.current().ties(), 31);
  EXPECT_EQ(response.current().communities_count(), 2);
  EXPECT_EQ(response.current().brokers_size(), 0);
  EXPECT_EQ(response.opted_out_excluded(), 1);
  bool said = false;
  for (const auto& s : response.suppressed())
    said |= s.find("HR role") != std::string::npos;
  EXPECT_TRUE(said);
  ASSERT_EQ(response.current().departments_size(), 2);
  EXPECT_NEAR(response.current().departments(0).ei_index(), (1.0 - 15) / 16,
              1e-12);
}

TEST_F(NetworksEndToEndTest, HrRoleSeesBrokersButNeverOptedOutPeople) {
  Start(/*hr_token=*/true);
  v1::AnalyzeNetworkRequest request;
  request.set_person_level(true);
  v1::AnalyzeNetworkResponse response;
  ASSERT_TRUE(Analyze(request, &response, "hr").ok());
  EXPECT_TRUE(response.person_level());
  ASSERT_GE(response.current().brokers_size(), 2);
  // a0 and b0 carry every path between the departments.
  std::set<std::string> top = {response.current().brokers(0).id(),
                               response.current().brokers(1).id()};
  EXPECT_EQ(top, (std::set<std::string>{"a0", "b0"}));
  EXPECT_EQ(response.current().brokers(0).value(), 30);  // 5 x 6 pairs
  for (const auto& b : response.current().brokers()) EXPECT_NE(b.id(), "x");
}

// `people` more people in 20 departments, each writing to about `degree`
// random colleagues: a network whose exact betweenness takes minutes.
void AddBigNetwork(Server& server, SecureEnv& env, const std::string& data,
                   int people, int degree) {
  auto ingest = v1::Ingest::NewStub(env.AdminChannel(server.port()));
  for (int first = 0; first < people; first += 1000) {
    v1::UpsertPeopleRequest batch;
    for (int i = first; i < std::min(people, first + 1000); ++i) {
      auto* p = batch.add_people();
      p->set_id("big" + std::to_string(i));
      p->set_display_name("Big " + std::to_string(i));
      p->set_department("Dept " + std::to_string(i % 20));
    }
    v1::UpsertPeopleResponse upserted;
    grpc::ClientContext ctx;
    ASSERT_TRUE(ingest->UpsertPeople(&ctx, batch, &upserted).ok());
  }
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> anyone(0, people - 1);
  std::vector<index::Interaction> mails;
  for (int i = 0; i < people; ++i) {
    for (int j = 0; j < degree; ++j) {
      const int to = anyone(rng);
      if (to == i) continue;
      mails.push_back({"",
                       "big" + std::to_string(i),
                       {"big" + std::to_string(to)},
                       kTime,
                       "email"});
    }
  }
  const absl::Status appended = index::InteractionLog(data).Append(mails);
  ASSERT_TRUE(appended.ok()) << appended;
  for (int i = 0; i < 1000; ++i) {
    if (server.catalog().snapshot()->people.size() >=
        static_cast<size_t>(13 + people))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The AnalyzeNetwork lines of the audit log, oldest first.
std::vector<nlohmann::json> AnalysisAudit(const std::string& data) {
  std::ifstream in(index::DataDir(data).audit_log());
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["method"] == "whoknows.v1.Networks/AnalyzeNetwork")
      lines.push_back(std::move(j));
  }
  return lines;
}

// A caller that gives up stops the analysis (asked between stages and inside
// the long loops, which GraphAlgorithmsTest's *StopsWhenCancelled check one
// by one), and the analyses' single thread serves the next call. What
// is asserted is the cancellation, not a latency (which failed at load 14+):
// the client cancels once the analysis runs, and the server's audit line
// for the call says whether the analysis saw it (CANCELLED, no brokers) or
// ran to its end (OK).
TEST_F(NetworksEndToEndTest, GivenUpAnalysisStopsAndTheNextCallIsServed) {
  Start(/*hr_token=*/true);
  AddBigNetwork(*server_, *env_, data_, 7000, 14);
  auto call = [&](grpc::ClientContext& ctx, int64_t window_end = 0) {
    v1::AnalyzeNetworkRequest request;
    request.set_person_level(true);
    if (window_end > 0) {
      request.mutable_window_end()->set_seconds(window_end);
      request.set_window_days(1);
    }
    v1::AnalyzeNetworkResponse response;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::minutes(10));
    ctx.AddMetadata("authorization", "Bearer " + env_->Token("u1", "hr"));
    return networks_->AnalyzeNetwork(&ctx, request, &response);
  };
  // A call cancelled before its task started leaves no audit line (it never
  // ran): then try again.
  nlohmann::json given_up_line;  // the given-up call's audit line
  size_t seen = 0;               // audit lines before the attempt
  for (int attempt = 0; attempt < 5 && given_up_line.is_null(); ++attempt) {
    grpc::ClientContext ctx;
    grpc::Status given_up;
    std::thread caller([&] { given_up = call(ctx); });
    for (int i = 0; i < 30000 && server_->analysis_executor().running() == 0;
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ctx.TryCancel();
    caller.join();
    EXPECT_EQ(given_up.error_code(), grpc::StatusCode::CANCELLED)
        << given_up.error_message();
    // The next call (an empty window: no work) waits for the analyses'
    // thread, which the given-up one must leave.
    grpc::ClientContext next_ctx;
    const grpc::Status next = call(next_ctx, kTime - 86400 * 400);
    ASSERT_TRUE(next.ok()) << next.error_message();
    const std::vector<nlohmann::json> audit = AnalysisAudit(data_);
    ASSERT_GE(audit.size(), seen + 1);
    if (audit.size() == seen + 2) given_up_line = audit[seen];
    seen = audit.size();
  }
  ASSERT_FALSE(given_up_line.is_null()) << "no given-up call ever started";
  EXPECT_EQ(given_up_line["code"], "CANCELLED") << given_up_line.dump();
  EXPECT_EQ(given_up_line["counts"]["brokers"], 0) << given_up_line.dump();
}

TEST_F(NetworksEndToEndTest, EmployeeGetsNoPersonLevelLists) {
  Start(/*hr_token=*/false);
  v1::AnalyzeNetworkRequest request;
  request.set_person_level(true);
  v1::AnalyzeNetworkResponse response;
  ASSERT_TRUE(Analyze(request, &response, "hr").ok());
  EXPECT_FALSE(response.person_level());
  EXPECT_EQ(response.current().brokers_size(), 0);
}

TEST_F(NetworksEndToEndTest, ClientsCanOnlyRaiseTheThreshold) {
  Start(/*hr_token=*/false);
  v1::AnalyzeNetworkRequest request;
  request.set_min_group_size(2);
  v1::AnalyzeNetworkResponse response;
  ASSERT_TRUE(Analyze(request, &response).ok());
  EXPECT_EQ(response.min_group_size(), 5);
  request.set_min_group_size(7);
  ASSERT_TRUE(Analyze(request, &response).ok());
  EXPECT_EQ(response.min_group_size(), 7);
  for (const auto& d : response.current().departments())
    EXPECT_TRUE(d.suppressed()) << d.name();  // 6 people each
}

TEST_F(NetworksEndToEndTest, ComparesTwoWindows) {
  Start(/*hr_token=*/false);
  v1::AnalyzeNetworkRequest request;
  request.set_window_days(90);
  request.set_compare_previous(true);
  v1::AnalyzeNetworkResponse response;
  ASSERT_TRUE(Analyze(request, &response).ok());
  EXPECT_EQ(response.current().start().seconds(), kTime + 1 - 90 * 86400);
  ASSERT_TRUE(response.has_previous());
  EXPECT_EQ(response.previous().end().seconds(),
            response.current().start().seconds());
  EXPECT_EQ(response.previous().ties(), 0);
}

TEST_F(NetworksEndToEndTest, InvalidArgumentNamesTheField) {
  Start(/*hr_token=*/false);
  struct Case {
    std::function<void(v1::AnalyzeNetworkRequest&)> set;
    std::string field;
  } cases[] = {
      {[](auto& r) { r.set_window_days(-1); }, "window_days"},
      {[](auto& r) { r.set_compare_previous(true); }, "window_days"},
      {[](auto& r) { r.set_min_group_size(5000); }, "min_group_size"},
      {[](auto& r) { r.set_top_brokers(101); }, "top_brokers"},
  };
  for (const auto& c : cases) {
    v1::AnalyzeNetworkRequest request;
    c.set(request);
    v1::AnalyzeNetworkResponse response;
    grpc::Status s = Analyze(request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u)
        << s.error_message();
  }
}

// The service's ranges and messages, pinned: the limits live in
// networks::NetworkLimits, and the service keeps its stricter top_brokers.
TEST_F(NetworksEndToEndTest, RangesAndMessagesAtTheBoundary) {
  Start(/*hr_token=*/false);
  struct Case {
    std::function<void(v1::AnalyzeNetworkRequest&)> set;
    std::string error;  // empty: accepted
  } cases[] = {
      {[](auto& r) { r.set_window_days(-1); }, "window_days: must be 0-36500"},
      {[](auto& r) { r.set_window_days(36501); },
       "window_days: must be 0-36500"},
      {[](auto& r) { r.set_window_days(36500); }, ""},
      {[](auto& r) { r.set_min_group_size(-1); },
       "min_group_size: must be 0-1000"},
      {[](auto& r) { r.set_min_group_size(1001); },
       "min_group_size: must be 0-1000"},
      {[](auto& r) { r.set_min_group_size(1000); }, ""},
      {[](auto& r) { r.set_min_group_size(0); }, ""},
      {[](auto& r) { r.set_top_brokers(-1); }, "top_brokers: must be 0-100"},
      {[](auto& r) { r.set_top_brokers(101); }, "top_brokers: must be 0-100"},
      {[](auto& r) { r.set_top_brokers(100); }, ""},
      {[](auto& r) { r.mutable_window_end()->set_seconds(0); },
       "window_end: must be after 1970"},
      {[](auto& r) { r.mutable_window_end()->set_seconds(-5); },
       "window_end: must be after 1970"},
      {[](auto& r) { r.mutable_window_end()->set_seconds(kTime + 1); }, ""},
  };
  for (const auto& c : cases) {
    v1::AnalyzeNetworkRequest request;
    c.set(request);
    v1::AnalyzeNetworkResponse response;
    grpc::Status s = Analyze(request, &response);
    if (c.error.empty()) {
      EXPECT_TRUE(s.ok()) << request.ShortDebugString() << ": "
                          << s.error_message();
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << request.ShortDebugString();
      EXPECT_EQ(s.error_message(), c.error) << request.ShortDebugString();
    }
  }
}

}  // namespace
}  // namespace whoknows::api
