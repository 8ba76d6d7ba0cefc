// Requests that are not the message a method expects: a byte string that is
// not a valid protobuf of the request type, or a proto3 string field that
// is not UTF-8. gRPC 1.51's callback API answers such a unary request with
// UNIMPLEMENTED and an empty message (the parse status is dropped), takes a
// bad message in a client stream for the end of the stream, and libprotobuf
// logs an ERROR line for each invalid UTF-8 string. Here they are all
// INVALID_ARGUMENT naming the request type (and the field that is not
// UTF-8), and libprotobuf stays quiet about them.
#ifndef WHOKNOWS_API_REQUEST_ERRORS_H_
#define WHOKNOWS_API_REQUEST_ERRORS_H_

#include <memory>

#include "absl/status/status.h"

namespace google::protobuf {
class Message;
}

namespace grpc {
class ByteBuffer;
namespace experimental {
class ServerInterceptorFactoryInterface;
}
}  // namespace grpc

namespace whoknows::api {

// Replaces libprotobuf's log handler, once per process, by one that drops
// "invalid UTF-8 when parsing" errors (remembering the field for the
// request that failed, on the parsing thread) and passes every other
// message to the handler it replaces. Call before the server starts
// (SetLogHandler is not thread-safe).
void QuietProtobufParseErrors();

// For ServerBuilder::experimental().SetInterceptorCreators: turns the
// status of a unary or server-streaming call whose request did not parse
// into INVALID_ARGUMENT "request: not a valid <type> (<why>)".
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRequestErrorInterceptorFactory();

// Parses a raw request (a method registered with WithRawCallbackMethod_,
// such as a client stream): INVALID_ARGUMENT as above when it does not.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes,
                          google::protobuf::Message* message);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_REQUEST_ERRORS_H_
