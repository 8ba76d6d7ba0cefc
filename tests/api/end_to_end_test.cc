// End to end: the real server on a loopback port, real gRPC clients, a real
// Xapian database on disk.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/server.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"
#include "whoknows/v1/networks.grpc.pb.h"

namespace whoknows::api {
namespace {

v1::Person MakePerson(const std::string& id, const std::string& name,
                      const std::string& department) {
  v1::Person p = testing_util::MakePerson(id, department);
  p.set_display_name(name);
  return p;
}

// A post on day `day` after 2023-11-14.
v1::Post MakePost(const std::string& id, const std::string& author,
                  v1::PostKind kind, const std::string& parent,
                  const std::string& title, const std::string& body,
                  int64_t day, bool accepted = false) {
  v1::Post p = testing_util::MakePost(id, author, kind, title, body,
                                      1700000000 + day * 86400, parent);
  p.set_accepted(accepted);
  return p;
}

class EndToEndTest : public testing::Test {
 protected:
  void SetUp() override {
    data_ = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(data_ + "_pki");
    auto server = Server::Start(env_->TestServerOptions(data_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    // An admin, over TLS: these tests are about the answers, not the roles
    // (tests/api/roles_test.cc checks those).
    auto channel = env_->AdminChannel(server_->port());
    expertise_ = v1::Expertise::NewStub(channel);
    ingest_ = v1::Ingest::NewStub(channel);
  }

  grpc::Status Find(const std::string& query, v1::FindExpertsResponse* response,
                    const std::string& asker = "", int limit = 0) {
    v1::FindExpertsRequest request;
    request.set_query(query);
    request.set_asker_id(asker);
    request.set_limit(limit);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    return expertise_->FindExperts(&ctx, request, response);
  }

  // Polls until the refresh interval has published what was written.
  v1::FindExpertsResponse FindEventually(const std::string& query,
                                         const std::string& asker = "") {
    v1::FindExpertsResponse response;
    for (int i = 0; i < 100; ++i) {
      response.Clear();
      EXPECT_TRUE(Find(query, &response, asker).ok());
      if (response.experts_size() > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return response;
  }

  void IngestCompany() {
    v1::UpsertPeopleRequest people;
    *people.add_people() = MakePerson("anna", "Anna Lindqvist", "Engineering");
    *people.add_people() = MakePerson("bo", "Bo Ek", "Finance");
    *people.add_people() = MakePerson("cecilia", "Cecilia Berg", "Sales");
    *people.add_people() = MakePerson("dan", "Dan Holm", "Engineering");
    v1::UpsertPeopleResponse pr;
    grpc::ClientContext c1;
    ASSERT_TRUE(ingest_->UpsertPeople(&c1, people, &pr).ok());
    EXPECT_EQ(pr.upserted(), 4);

    v1::UpsertPostsRequest posts;
    // Anna is the planted Kubernetes expert: she answers both questions.
    *posts.add_posts() =
        MakePost("q1", "bo", v1::POST_KIND_QUESTION, "",
                 "Kubernetes deploy fails with ImagePullBackOff",
                 "Our deploy to the cluster fails, the pods never start.", 1);
    *posts.add_posts() =
        MakePost("a1", "anna", v1::POST_KIND_ANSWER, "q1", "",
                 "Check the registry secret: ImagePullBackOff means the "
                 "kubelet cannot pull the image.",
                 2, true);
    *posts.add_posts() = MakePost("a2", "dan", v1::POST_KIND_ANSWER, "q1", "",
                                  "Maybe restart it?", 3);
    *posts.add_posts() =
        MakePost("q2", "cecilia", v1::POST_KIND_QUESTION, "",
                 "Hur skickar jag en faktura till en kund i Norge?",
                 "Fakturan måste ha rätt momssats.", 4);
    *posts.add_posts() =
        MakePost("a3", "bo", v1::POST_KIND_ANSWER, "q2", "",
                 "Fakturor till Norge skickas utan svensk moms.", 5, true);
    *posts.add_posts() = MakePost("q3", "cecilia", v1::POST_KIND_QUESTION, "",
                                  "Kubernetes pods restart in a loop",
                                  "CrashLoopBackOff after the deploy.", 6);
    *posts.add_posts() =
        MakePost("a4", "anna", v1::POST_KIND_ANSWER, "q3", "",
                 "Look at the pod logs of the previous container; the "
                 "deploy probably lacks a config map.",
                 7, true);
    v1::UpsertPostsResponse po;
    grpc::ClientContext c2;
    ASSERT_TRUE(ingest_->UpsertPosts(&c2, posts, &po).ok());
    EXPECT_EQ(po.upserted(), 7);
  }

  std::string data_;
  std::unique_ptr<SecureEnv> env_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Expertise::Stub> expertise_;
  std::unique_ptr<v1::Ingest::Stub> ingest_;
};

TEST_F(EndToEndTest, FindsPlantedExpertOverGrpc) {
  IngestCompany();
  auto response = FindEventually("kubernetes deploy broken");
  ASSERT_GT(response.experts_size(), 0);
  const auto& top = response.experts(0);
  EXPECT_EQ(top.person().id(), "anna");
  EXPECT_EQ(top.person().display_name(), "Anna Lindqvist");
  ASSERT_GE(top.evidence_size(), 1);
  EXPECT_LE(top.evidence_size(), 3);
  EXPECT_EQ(top.evidence(0).role(), v1::EVIDENCE_ROLE_ACCEPTED_ANSWER);
  EXPECT_FALSE(top.evidence(0).title().empty());  // the thread's title
  double sum = 0;
  for (const auto& [name, value] : top.breakdown()) sum += value;
  EXPECT_NEAR(sum, top.score(), 1e-9);
  EXPECT_EQ(top.breakdown().count("text"), 1u);
}

TEST_F(EndToEndTest, ExplainsHowTheAskerIsConnectedToTheExpert) {
  IngestCompany();
  // The model (graph signals, embeddings) is rebuilt in the background
  // (every 0 ms in this test): poll until the path shows up.
  v1::FindExpertsResponse response;
  const v1::ExpertMatch* anna = nullptr;
  for (int i = 0; i < 200 && anna == nullptr; ++i) {
    response = FindEventually("kubernetes deploy broken", "bo");
    for (const auto& e : response.experts()) {
      if (e.person().id() == "anna" && e.path_size() > 0) anna = &e;
    }
    if (!anna) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(anna, nullptr) << "no path from bo to anna";
  // bo asked q1 and anna answered it: a direct tie.
  ASSERT_EQ(anna->path_size(), 2);
  EXPECT_EQ(anna->path(0).person_id(), "bo");
  EXPECT_EQ(anna->path(0).display_name(), "Bo Ek");
  EXPECT_EQ(anna->path(1).person_id(), "anna");
  EXPECT_EQ(anna->path(1).display_name(), "Anna Lindqvist");
  // No asker, no path.
  const auto anonymous = FindEventually("kubernetes deploy broken");
  ASSERT_GT(anonymous.experts_size(), 0);
  for (const auto& e : anonymous.experts())
    EXPECT_EQ(e.path_size(), 0) << e.person().id();
}

TEST_F(EndToEndTest, SwedishInflectionsMatch) {
  IngestCompany();
  // "fakturorna" and "fakturan" share the Swedish stem with "fakturor".
  auto response = FindEventually("vem kan fakturorna?", "cecilia");
  ASSERT_GT(response.experts_size(), 0);
  EXPECT_EQ(response.experts(0).person().id(), "bo");
}

TEST_F(EndToEndTest, AskerIsNeverSuggested) {
  IngestCompany();
  // Asked by someone else, Anna is the expert...
  auto others = FindEventually("kubernetes deploy");
  ASSERT_GT(others.experts_size(), 1);
  ASSERT_EQ(others.experts(0).person().id(), "anna");
  // ...asked by Anna, the others still answer and she is not among them.
  v1::FindExpertsResponse response;
  ASSERT_TRUE(Find("kubernetes deploy", &response, "anna").ok());
  ASSERT_GT(response.experts_size(), 0);
  for (const auto& e : response.experts()) EXPECT_NE(e.person().id(), "anna");
}

TEST_F(EndToEndTest, InvalidRequestsNameTheField) {
  v1::FindExpertsResponse response;
  grpc::Status s = Find("   ", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("query"), std::string::npos)
      << s.error_message();
  s = Find("kubernetes", &response, "", 1000);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("limit"), std::string::npos)
      << s.error_message();
  {
    v1::FindExpertsRequest request;
    request.set_query("kubernetes");
    request.add_tags("k8s");
    request.add_tags("");
    grpc::ClientContext ctx;
    s = expertise_->FindExperts(&ctx, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("tags[1]"), std::string::npos)
        << s.error_message();
  }

  v1::UpsertPostsRequest posts;
  *posts.add_posts() =
      MakePost("ok", "anna", v1::POST_KIND_QUESTION, "", "t", "b", 1);
  v1::Post bad =
      MakePost("bad", "anna", v1::POST_KIND_ANSWER, "", "", "no parent", 1);
  *posts.add_posts() = bad;
  v1::UpsertPostsResponse pr;
  grpc::ClientContext ctx;
  s = ingest_->UpsertPosts(&ctx, posts, &pr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("posts[1].parent_id"), std::string::npos)
      << s.error_message();
  // The whole batch was rejected: the valid post is not there either.
  server_->catalog().Refresh();
  EXPECT_EQ(server_->catalog().snapshot()->FindPost("ok"), nullptr);
}

TEST_F(EndToEndTest, StreamKeepsWhatCameBeforeABadMessage) {
  grpc::ClientContext ctx;
  v1::IngestStreamResponse response;
  auto writer = ingest_->IngestStream(&ctx, &response);
  v1::IngestStreamRequest first;
  *first.add_people() = MakePerson("erik", "Erik Sund", "Logistics");
  *first.add_posts() =
      MakePost("s1", "erik", v1::POST_KIND_ARTICLE, "",
               "Truckkort och säkerhet i lagret",
               "Alla som kör truck i lagret behöver truckkort.", 1);
  ASSERT_TRUE(writer->Write(first));
  v1::IngestStreamRequest second;
  *second.add_posts() =
      MakePost("", "erik", v1::POST_KIND_ARTICLE, "", "no id", "x", 2);
  writer->Write(second);  // may fail once the server has ended the stream
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("message 2"), std::string::npos)
      << s.error_message();
  EXPECT_NE(s.error_message().find("posts[0].id"), std::string::npos)
      << s.error_message();
  auto found = FindEventually("truckkort");
  ASSERT_GT(found.experts_size(), 0);
  EXPECT_EQ(found.experts(0).person().id(), "erik");
}

// A message's people and posts are one write: a bad post rejects the
// people of its message too (they used to be committed before the posts
// were looked at).
TEST_F(EndToEndTest, AStreamMessageIsValidatedAndWrittenAsAWhole) {
  grpc::ClientContext ctx;
  v1::IngestStreamResponse response;
  auto writer = ingest_->IngestStream(&ctx, &response);
  v1::IngestStreamRequest message;
  *message.add_people() = MakePerson("frida", "Frida Ek", "Logistics");
  *message.add_posts() =
      MakePost("f1", "frida", v1::POST_KIND_ARTICLE, "", "Pallets", "x", 1);
  *message.add_posts() =
      MakePost("", "frida", v1::POST_KIND_ARTICLE, "", "no id", "x", 2);
  writer->Write(message);  // may fail once the server has ended the stream
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("message 1: posts[1].id"), std::string::npos)
      << s.error_message();
  server_->catalog().Refresh();
  EXPECT_EQ(server_->catalog().snapshot()->FindPerson("frida"), nullptr);
  EXPECT_EQ(server_->catalog().snapshot()->FindPost("f1"), nullptr);
}

TEST_F(EndToEndTest, DeletePersonErasesTheirExpertise) {
  IngestCompany();
  ASSERT_GT(FindEventually("kubernetes").experts_size(), 0);
  v1::DeletePersonRequest request;
  request.set_person_id("anna");
  v1::DeletePersonResponse response;
  grpc::ClientContext ctx;
  ASSERT_TRUE(ingest_->DeletePerson(&ctx, request, &response).ok());
  EXPECT_TRUE(response.found());
  EXPECT_EQ(response.posts_deleted(), 2);
  server_->catalog().Refresh();
  v1::FindExpertsResponse after;
  ASSERT_TRUE(Find("kubernetes ImagePullBackOff registry secret", &after).ok());
  for (const auto& e : after.experts()) {
    EXPECT_NE(e.person().id(), "anna");
    for (const auto& ev : e.evidence()) {
      EXPECT_NE(ev.post_id(), "a1");
      EXPECT_NE(ev.post_id(), "a4");
    }
  }
}

// After an erasure, no answer of any call names the erased person or
// quotes what they wrote: their id, display name and a word only their
// posts held, looked for in the bytes of each response (FindExperts'
// experts and evidence, SuggestForPost's people and similar threads,
// AnalyzeNetwork's person-level figures for HR). Stop 23 changed how
// evidence is fetched, how similar threads are found (the post numbering)
// and freed interned strings with their last holder.
TEST_F(EndToEndTest, AfterAnErasureNoAnswerNamesOrQuotesThem) {
  IngestCompany();
  constexpr char kErasee[] = "erasee-7f3a9c";
  constexpr char kName[] = "Zyxwv Qopt";
  constexpr char kMarker[] = "qzvmarker";
  {
    v1::UpsertPeopleRequest people;
    *people.add_people() = MakePerson(kErasee, kName, "Engineering");
    // In touch with the erasee alone: the erasee is a broker.
    *people.add_people() = MakePerson("fay", "Fay Lund", "Finance");
    v1::UpsertPeopleResponse out;
    grpc::ClientContext ctx;
    ASSERT_TRUE(ingest_->UpsertPeople(&ctx, people, &out).ok());
    v1::UpsertPostsRequest posts;
    const std::string marked = std::string("kubernetes ingress ") + kMarker;
    *posts.add_posts() = MakePost("e1", kErasee, v1::POST_KIND_QUESTION, "",
                                  "Kubernetes ingress drops " + marked,
                                  "The " + marked + " times out.", 8);
    *posts.add_posts() =
        MakePost("e2", kErasee, v1::POST_KIND_ANSWER, "q1", "",
                 "Kubernetes image pulls need the " + marked + " secret.", 9);
    v1::Post liked =
        MakePost("e3", "fay", v1::POST_KIND_ANSWER, "e1", "",
                 "Kubernetes ingress needs a longer timeout.", 10, true);
    liked.add_liked_by(kErasee);
    *posts.add_posts() = liked;
    v1::UpsertPostsResponse po;
    grpc::ClientContext ctx2;
    ASSERT_TRUE(ingest_->UpsertPosts(&ctx2, posts, &po).ok());
  }
  server_->catalog().Refresh();
  auto hr = env_->Channel(server_->port(), env_->Token("hr", "admin hr"));
  auto networks = v1::Networks::NewStub(hr);
  // Every answer, serialized.
  auto answers = [&] {
    std::vector<std::string> out;
    v1::FindExpertsResponse found;
    EXPECT_TRUE(Find("kubernetes ingress image secret", &found).ok());
    out.push_back(found.SerializeAsString());
    v1::SuggestForPostRequest suggest;
    suggest.set_title("Kubernetes ingress times out");
    suggest.set_body("The kubernetes ingress drops requests.");
    suggest.set_author_id("bo");
    suggest.set_max_people(20);
    suggest.set_max_threads(20);
    suggest.set_min_confidence(0);
    v1::SuggestForPostResponse suggested;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    EXPECT_TRUE(expertise_->SuggestForPost(&ctx, suggest, &suggested).ok());
    out.push_back(suggested.SerializeAsString());
    v1::AnalyzeNetworkRequest analyze;
    analyze.set_person_level(true);
    analyze.set_min_group_size(0);
    analyze.set_top_brokers(100);
    v1::AnalyzeNetworkResponse analysed;
    grpc::ClientContext ctx3;
    ctx3.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    const grpc::Status s = networks->AnalyzeNetwork(&ctx3, analyze, &analysed);
    EXPECT_TRUE(s.ok()) << s.error_message();
    out.push_back(analysed.SerializeAsString());
    return out;
  };
  auto naming = [&](const std::vector<std::string>& all) {
    std::vector<std::string> found;
    const char* names[] = {"find", "suggest", "analyze"};
    for (size_t i = 0; i < all.size(); ++i) {
      for (const char* needle : {kErasee, kName, kMarker}) {
        if (all[i].find(needle) != std::string::npos)
          found.push_back(absl::StrCat(names[i], ": ", needle));
      }
    }
    return found;
  };
  const std::vector<std::string> before = naming(answers());
  for (const char* shown :
       {"find: erasee-7f3a9c", "find: qzvmarker", "suggest: erasee-7f3a9c",
        "suggest: qzvmarker", "analyze: erasee-7f3a9c"}) {
    EXPECT_NE(std::find(before.begin(), before.end(), shown), before.end())
        << shown << ": the test would prove less; found "
        << testing::PrintToString(before);
  }
  v1::DeletePersonRequest request;
  request.set_person_id(kErasee);
  v1::DeletePersonResponse response;
  grpc::ClientContext ctx;
  ASSERT_TRUE(ingest_->DeletePerson(&ctx, request, &response).ok());
  EXPECT_EQ(response.posts_deleted(), 2);
  server_->catalog().Refresh();
  EXPECT_THAT(naming(answers()), testing::IsEmpty());
}

TEST_F(EndToEndTest, CommittedDataSurvivesARestart) {
  IngestCompany();
  ASSERT_GT(FindEventually("kubernetes").experts_size(), 0);
  server_.reset();  // shuts down and releases the writer lock
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.data_dir = data_;
  env_->Configure(&o);
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  expertise_ = v1::Expertise::NewStub(env_->AdminChannel(server_->port()));
  v1::FindExpertsResponse response;
  ASSERT_TRUE(Find("kubernetes deploy", &response).ok());
  ASSERT_GT(response.experts_size(), 0);
  EXPECT_EQ(response.experts(0).person().id(), "anna");
}

TEST(ServerOptionsTest, ValidateNamesTheFlag) {
  ServerOptions o;
  EXPECT_NE(std::string(o.Validate().message()).find("--data"),
            std::string::npos);
  o.data_dir = "x";
  o.listen = "localhost";
  EXPECT_NE(std::string(o.Validate().message()).find("--listen"),
            std::string::npos);
  o.listen = "localhost:99999";
  EXPECT_FALSE(o.Validate().ok());
  o.listen = "127.0.0.1:0";
  EXPECT_TRUE(o.Validate().ok());
  o.post_shards = {"tcp://127.0.0.1:7000,tcp://h2:7001", "tcp://h3:7000"};
  EXPECT_TRUE(o.Validate().ok());
  for (const char* bad : {"127.0.0.1:7000", "tcp://h:", "tcp://h:70000",
                          "tcp://:7000", "tcp://h:7000,", "tcp://h:x"}) {
    o.post_shards = {bad};
    const absl::Status s = o.Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(s.message(), "--post-shard: ")) << s;
  }
}

}  // namespace
}  // namespace whoknows::api
