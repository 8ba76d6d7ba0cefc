#include "api/request_errors.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/server_interceptor.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace whoknows::api {
namespace {

namespace gpb = google::protobuf;
using grpc::experimental::InterceptionHookPoints;

// libprotobuf's words for a proto3 string that is not UTF-8 (wire_format_lite
// in 3.21): "String field 'pkg.Msg.field' contains invalid UTF-8 data when
// parsing a protocol buffer. Use the 'bytes' type ...".
constexpr std::string_view kUtf8Prefix = "String field '";
constexpr std::string_view kUtf8Parsing =
    "contains invalid UTF-8 data when parsing";

// The handler replaced by ours; null means libprotobuf's null handler.
std::atomic<gpb::LogHandler*> previous_handler{nullptr};

// The field of the last parse that failed on invalid UTF-8 on this thread.
// gRPC parses a request and runs the interceptors that look at it on the
// same thread, one after the other.
thread_local std::string utf8_field;

void QuietHandler(gpb::LogLevel level, const char* filename, int line,
                  const std::string& message) {
  if (message.starts_with(kUtf8Prefix) &&
      message.find(kUtf8Parsing) != std::string::npos) {
    const size_t start = kUtf8Prefix.size();
    const size_t end = message.find('\'', start);
    utf8_field = message.substr(start, end - start);
    return;
  }
  if (gpb::LogHandler* previous = previous_handler.load())
    previous(level, filename, line, message);
}

std::string TakeUtf8Field() {
  std::string field;
  field.swap(utf8_field);
  return field;
}

// "request: not a valid whoknows.v1.X (string field whoknows.v1.Y.z is
// not valid UTF-8)", or "... (malformed protobuf)".
std::string Describe(const std::string& type, const std::string& utf8) {
  return absl::StrCat(
      "request: not a valid ", type, " (",
      utf8.empty() ? "malformed protobuf"
                   : absl::StrCat("string field ", utf8, " is not valid UTF-8"),
      ")");
}

// "/whoknows.v1.Expertise/FindExperts" -> "whoknows.v1.FindExpertsRequest".
std::string RequestType(std::string method) {
  if (method.starts_with('/')) method.erase(0, 1);
  std::replace(method.begin(), method.end(), '/', '.');
  const gpb::MethodDescriptor* m =
      gpb::DescriptorPool::generated_pool()->FindMethodByName(method);
  return m ? m->input_type()->full_name() : "protobuf message";
}

// Remembers that the request did not parse (POST_RECV_MESSAGE without a
// message) and replaces the status gRPC then sends (UNIMPLEMENTED, empty).
class RequestErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RequestErrorInterceptor(const char* method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        m->GetRecvMessage() == nullptr)
      error_ = Describe(RequestType(method_), TakeUtf8Field());
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        !error_.empty())
      m->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error_));
    m->Proceed();
  }

 private:
  const char* method_;
  std::string error_;  // set when the request did not parse
};

class RequestErrorInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // A client stream's reads end with no message at the end of the stream
    // too: those methods parse raw messages themselves (ParseRequest).
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING)
      return nullptr;
    return new RequestErrorInterceptor(info->method());
  }
};

}  // namespace

void QuietProtobufParseErrors() {
  static std::once_flag once;
  std::call_once(
      once, [] { previous_handler.store(gpb::SetLogHandler(&QuietHandler)); });
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRequestErrorInterceptorFactory() {
  return std::make_unique<RequestErrorInterceptorFactory>();
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes,
                          gpb::Message* message) {
  grpc::ByteBuffer shared(bytes);  // the reader takes a mutable buffer
  grpc::ProtoBufferReader reader(&shared);
  TakeUtf8Field();  // forget a failure of an earlier parse on this thread
  if (message->ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      Describe(message->GetDescriptor()->full_name(), TakeUtf8Field()));
}

}  // namespace whoknows::api
