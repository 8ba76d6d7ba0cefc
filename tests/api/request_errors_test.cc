// Bytes that are not the request a method expects, over real TLS on
// loopback (issue 11): a request that is not a valid protobuf, or carries a
// string field that is not UTF-8, is INVALID_ARGUMENT naming the message
// type (and the field), for every RPC, with nothing from libprotobuf in the
// log. gRPC's own answer was UNIMPLEMENTED and an ERROR line on stderr.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "api/server.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.pb.h"
#include "whoknows/v1/ingest.pb.h"
#include "whoknows/v1/networks.pb.h"

namespace whoknows::api {
namespace {

using Code = grpc::StatusCode;

// Field 0 with wire type 7: no protobuf parser accepts it.
const std::string kGarbage("\x07\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10);
// A length-delimited field 1 that claims 16 bytes and has 3.
const std::string kTruncated(
    "\x0a\x10"
    "abc",
    5);

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A serialized message whose string "@@" is replaced by two bytes that are
// not UTF-8.
std::string WithBadUtf8(const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  const size_t at = bytes.find("@@");
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) bytes.replace(at, 2, "\xff\xfe");
  return bytes;
}

class RequestErrorsTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(dir + "_pki");
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = dir;
    env_->Configure(&o);
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = env_->Channel(server_->port(), env_->Token("root", "admin"));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(20));
    return ctx;
  }

  // One unary call of `method` ("/pkg.Service/Method") with these bytes.
  grpc::Status Unary(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    auto ctx = Context();
    grpc::ByteBuffer request = Buffer(bytes), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  }

  // IngestStream with these messages, then the end of the stream.
  grpc::Status Stream(const std::vector<std::string>& messages) {
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    auto ctx = Context();
    auto call =
        stub.PrepareCall(ctx.get(), "/whoknows.v1.Ingest/IngestStream", &cq);
    void* tag = nullptr;
    bool ok = false;
    auto step = [&](void* t) {
      EXPECT_TRUE(cq.Next(&tag, &ok));
      EXPECT_EQ(tag, t);
      return ok;
    };
    call->StartCall(reinterpret_cast<void*>(1));
    step(reinterpret_cast<void*>(1));
    for (const std::string& m : messages) {
      call->Write(Buffer(m), reinterpret_cast<void*>(2));
      if (!step(reinterpret_cast<void*>(2))) break;
    }
    call->WritesDone(reinterpret_cast<void*>(3));
    step(reinterpret_cast<void*>(3));
    grpc::ByteBuffer response;  // Finish waits until every message is read
    do call->Read(&response, reinterpret_cast<void*>(4));
    while (step(reinterpret_cast<void*>(4)));
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    step(reinterpret_cast<void*>(5));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  std::unique_ptr<SecureEnv> env_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

void ExpectInvalid(const grpc::Status& s, const std::string& method,
                   const std::string& mentions) {
  EXPECT_EQ(s.error_code(), Code::INVALID_ARGUMENT)
      << method << ": " << s.error_code() << " " << s.error_message();
  EXPECT_NE(s.error_message().find(mentions), std::string::npos)
      << method << ": \"" << s.error_message() << "\" does not name "
      << mentions;
}

TEST_F(RequestErrorsTest, GarbageIsInvalidArgumentForEveryUnaryRpc) {
  const std::pair<const char*, const char*> methods[] = {
      {"/whoknows.v1.Expertise/FindExperts", "whoknows.v1.FindExpertsRequest"},
      {"/whoknows.v1.Ingest/UpsertPeople", "whoknows.v1.UpsertPeopleRequest"},
      {"/whoknows.v1.Ingest/UpsertPosts", "whoknows.v1.UpsertPostsRequest"},
      {"/whoknows.v1.Ingest/DeletePost", "whoknows.v1.DeletePostRequest"},
      {"/whoknows.v1.Ingest/DeletePerson", "whoknows.v1.DeletePersonRequest"},
      {"/whoknows.v1.Ingest/Compact", "whoknows.v1.CompactRequest"},
      {"/whoknows.v1.Networks/AnalyzeNetwork",
       "whoknows.v1.AnalyzeNetworkRequest"},
      // gRPC's health service parses its requests itself, in its words.
      {"/grpc.health.v1.Health/Check", ""},
  };
  for (const auto& [method, type] : methods) {
    ExpectInvalid(Unary(method, kGarbage), method, type);
    ExpectInvalid(Unary(method, kTruncated), method, type);
  }
}

TEST_F(RequestErrorsTest, InvalidUtf8NamesTheFieldAndLogsNothing) {
  v1::FindExpertsRequest find;
  find.set_query("kubernetes @@");
  v1::UpsertPostsRequest posts;
  *posts.add_posts() = testing_util::MakePost("p1", "u1", v1::POST_KIND_ARTICLE,
                                              "Title @@", "Body", 1700000000);
  v1::DeletePostRequest del;
  del.set_post_id("@@");
  testing::internal::CaptureStderr();
  const grpc::Status s1 =
      Unary("/whoknows.v1.Expertise/FindExperts", WithBadUtf8(find));
  const grpc::Status s2 =
      Unary("/whoknows.v1.Ingest/UpsertPosts", WithBadUtf8(posts));
  const grpc::Status s3 =
      Unary("/whoknows.v1.Ingest/DeletePost", WithBadUtf8(del));
  const std::string log = testing::internal::GetCapturedStderr();
  ExpectInvalid(s1, "FindExperts", "whoknows.v1.FindExpertsRequest.query");
  ExpectInvalid(s2, "UpsertPosts", "whoknows.v1.Post.title");
  ExpectInvalid(s3, "DeletePost", "whoknows.v1.DeletePostRequest.post_id");
  EXPECT_EQ(log.find("libprotobuf"), std::string::npos) << log;
}

TEST_F(RequestErrorsTest, GarbageInTheStreamEndsItAsInvalidArgument) {
  // Before, a message that did not parse looked like the end of the stream
  // to the server: the stream closed with OK, the rest silently dropped.
  v1::IngestStreamRequest good;
  *good.add_people() = testing_util::MakePerson("u1", "Engineering");
  v1::IngestStreamRequest bad_utf8;
  *bad_utf8.add_people() = testing_util::MakePerson("u2", "R&D @@");
  ExpectInvalid(
      Stream({good.SerializeAsString(), kGarbage}), "IngestStream",
      "message 2: request: not a valid whoknows.v1.IngestStreamRequest");
  ExpectInvalid(Stream({WithBadUtf8(bad_utf8)}), "IngestStream",
                "whoknows.v1.Person.department");
  EXPECT_TRUE(Stream({good.SerializeAsString()}).ok());
}

}  // namespace
}  // namespace whoknows::api
