#include "cli/command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "importers/import.h"

namespace whoknows::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "whoknows: %s\n", message.c_str());
  return kExitFailure;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(
    const Connection& c) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!c.tls_ca_file.empty()) {
    std::ifstream in(c.tls_ca_file, std::ios::binary);
    std::stringstream ca;
    ca << in.rdbuf();
    if (!in)
      return absl::InvalidArgumentError(
          absl::StrFormat("--tls-ca: cannot read %s", c.tls_ca_file));
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca.str();
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateChannel(c.address, credentials);
}

void PrepareCall(const Connection& c, grpc::ClientContext* ctx) {
  if (!c.token.empty()) ctx->AddMetadata("authorization", "Bearer " + c.token);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = true;
  // Fails only for messages with unresolvable Any fields; ours have none.
  (void)google::protobuf::util::MessageToJsonString(message, &out, o);
  return out;
}

ProgressLine::ProgressLine()
    : tty_(isatty(STDERR_FILENO)), start_(Clock::now()) {}

void ProgressLine::operator()(const importers::ImportProgress& p) {
  if (!tty_) return;
  const double secs =
      std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = secs > 0 ? p.records / secs : 0;
  std::string line =
      absl::StrFormat("\r%s: %d records, %.0f/s", p.phase, p.records, rate);
  if (p.bytes_total > 0 && p.bytes_done > 0) {
    const double frac = static_cast<double>(p.bytes_done) / p.bytes_total;
    line += absl::StrFormat(", %.0f%%", 100 * frac);
    if (frac > 0.01 && frac < 1)
      line += absl::StrFormat(", ETA %.0f s", secs * (1 - frac) / frac);
  }
  std::fprintf(stderr, "%-78s", line.c_str());
  dirty_ = true;
}

void ProgressLine::Done() {
  if (tty_ && dirty_) std::fprintf(stderr, "\n");
}

}  // namespace whoknows::cli
