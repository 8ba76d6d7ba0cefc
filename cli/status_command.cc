// `whoknows status`: what an operator watches on a running server
// (Admin.GetStatus: admin only), human-readable or as JSON.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "api/admin.h"
#include "cli/command.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "whoknows/v1/admin.grpc.pb.h"

namespace whoknows::cli {
namespace {

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0) return "never";
  return FormatUtc(t.seconds(), "%Y-%m-%dT%H:%M:%SZ");
}

std::string Duration(int64_t seconds) {
  if (seconds < 60) return absl::StrFormat("%d s", seconds);
  if (seconds < 3600)
    return absl::StrFormat("%d min %d s", seconds / 60, seconds % 60);
  if (seconds < 86400)
    return absl::StrFormat("%d h %d min", seconds / 3600, seconds / 60 % 60);
  return absl::StrFormat("%d d %d h", seconds / 86400, seconds / 3600 % 24);
}

void PrintData(const v1::DataStatus& d) {
  std::printf(
      "data     generation %lu; revisions: posts %lu, private posts %lu, "
      "people %lu\n",
      static_cast<unsigned long>(d.generation()),
      static_cast<unsigned long>(d.posts_revision()),
      static_cast<unsigned long>(d.private_posts_revision()),
      static_cast<unsigned long>(d.people_revision()));
  std::printf(
      "         %ld public posts, %ld private in %ld groups; %ld people (%ld "
      "opted out)\n",
      static_cast<long>(d.public_posts()), static_cast<long>(d.private_posts()),
      static_cast<long>(d.private_groups()), static_cast<long>(d.people()),
      static_cast<long>(d.opted_out()));
  std::printf(
      "         last publish %s (took %ld ms); last write %s; publish lag %ld "
      "ms\n",
      Time(d.last_publish()).c_str(),
      static_cast<long>(d.last_publish_duration_ms()),
      Time(d.last_write()).c_str(), static_cast<long>(d.publish_lag_ms()));
}

void PrintModel(const v1::ModelStatus& m) {
  std::printf("model    %s%s%s\n",
              m.loaded() ? ("loaded " + m.id()).c_str() : "not loaded",
              m.current() ? ", current" : ", behind the data",
              m.building() ? ", building now" : "");
  if (m.builds() == 0) {
    std::printf("         %s\n",
                m.building() ? "the first build since start is running"
                : m.loaded() ? "no build since start (restored from "
                               "embeddings.bin)"
                             : "no build since start");
    return;
  }
  std::printf(
      "         last build %s (took %ld ms); %ld builds since start, %ld "
      "failed\n",
      Time(m.last_build()).c_str(),
      static_cast<long>(m.last_build_duration_ms()),
      static_cast<long>(m.builds()), static_cast<long>(m.failed_builds()));
}

void PrintQueues(const v1::QueueStatus& q) {
  for (const auto& e : q.executors()) {
    std::printf(
        "queue    %-8s %d running / %d threads, %d queued / %d allowed\n",
        e.name().c_str(), e.running(), e.threads(), e.queued(), e.max_queued());
  }
  std::string calls;
  for (const auto& c : q.services())
    calls += absl::StrFormat("%s%s %d", calls.empty() ? "" : ", ", c.service(),
                             c.in_flight());
  std::printf("calls    in flight: %s\n", calls.c_str());
  std::printf(
      "writer   %d writes waiting, %ld bulk records pending; %ld pooled "
      "readers\n",
      q.writes_waiting(), static_cast<long>(q.bulk_pending_records()),
      static_cast<long>(q.reader_pool()));
  std::printf("exposure %ld of at most %ld people\n",
              static_cast<long>(q.exposure_people()),
              static_cast<long>(q.exposure_max_people()));
}

void PrintErrors(const v1::GetStatusResponse& s) {
  if (s.errors_size() == 0) {
    std::printf("errors   none since start\n");
    return;
  }
  std::printf("errors   %ld since start, newest first:\n",
              static_cast<long>(s.errors_total()));
  for (const auto& e : s.errors()) {
    std::printf(
        "  %s %-8s %s: %s\n", Time(e.time()).c_str(), e.source().c_str(),
        absl::StatusCodeToString(static_cast<absl::StatusCode>(e.code()))
            .c_str(),
        e.message().c_str());
  }
}

void PrintStatus(const std::string& address, const v1::GetStatusResponse& s) {
  const auto& server = s.server();
  std::printf("server   whoknows %s at %s: %s, up %s (since %s)\n",
              server.version().c_str(), address.c_str(),
              server.serving() ? "SERVING" : "NOT_SERVING",
              Duration(server.uptime_seconds()).c_str(),
              Time(server.started()).c_str());
  PrintData(s.data());
  PrintModel(s.model());
  PrintQueues(s.queues());
  PrintErrors(s);
}

class StatusCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    status_ = app.add_subcommand(
        "status",
        "Show a running server's health, data, model, queues and recent "
        "background errors (Admin.GetStatus: needs an admin token)");
    status_->add_option("--server", connection_.address, "HOST:PORT")
        ->capture_default_str();
    status_->add_option("--tls-ca", connection_.tls_ca_file,
                        "PEM CA file; speak TLS");
    status_->add_option("--token", connection_.token,
                        "Bearer token of an admin (env WHOKNOWS_TOKEN)");
    status_
        ->add_option("--max-errors", max_errors_,
                     "Most recent background errors to show (0: all kept)")
        ->check(CLI::Range(0, api::kKeptBackgroundErrors))
        ->capture_default_str();
    status_->add_flag("--json", json_, "Print the GetStatusResponse as JSON");
  }

  std::optional<int> RunIfParsed() override {
    if (!status_->parsed()) return std::nullopt;
    if (const char* t = std::getenv("WHOKNOWS_TOKEN");
        t && connection_.token.empty())
      connection_.token = t;
    auto channel = OpenChannel(connection_);
    if (!channel.ok()) return Fail(std::string(channel.status().message()));
    grpc::ClientContext ctx;
    PrepareCall(connection_, &ctx);
    v1::GetStatusRequest request;
    request.set_max_errors(max_errors_);
    v1::GetStatusResponse response;
    const grpc::Status s =
        v1::Admin::NewStub(*channel)->GetStatus(&ctx, request, &response);
    if (!s.ok())
      return Fail(
          absl::StrFormat("%s: %s", connection_.address, s.error_message()));
    if (json_) {
      std::printf("%s\n", ToJson(response).c_str());
    } else {
      PrintStatus(connection_.address, response);
    }
    return kExitOk;
  }

 private:
  CLI::App* status_ = nullptr;
  Connection connection_{.address = "127.0.0.1:50051"};
  int max_errors_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeStatusCommand() {
  return std::make_unique<StatusCommand>();
}

}  // namespace whoknows::cli
