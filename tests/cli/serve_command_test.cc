// Tests cli/serve_command.cc's graceful shutdown with the real binary: on
// SIGTERM it stops accepting, lets calls in flight finish within --drain-ms,
// cancels what is left, and exits 0.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../api/secure_env.h"
#include "run_binary.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

extern char** environ;

namespace whoknows::cli {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// `whoknows serve` in a child process, with TLS and tokens from `env`.
class ServeProcess {
 public:
  ServeProcess(const std::string& data, const std::string& pki,
               const std::string& drain_ms) {
    std::vector<std::string> args = {WHOKNOWS_BINARY, "serve",
                                     "--data",        data,
                                     "--listen",      "127.0.0.1:0",
                                     "--drain-ms",    drain_ms,
                                     "--refresh-ms",  "20",
                                     "--tls-cert",    pki + "/server.pem",
                                     "--tls-key",     pki + "/server.key",
                                     "--jwt-keys",    pki + "/jwt.pem",
                                     "--jwt-issuer",  api::SecureEnv::kIssuer};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    EXPECT_EQ(
        posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ),
        0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    // "whoknows serving on 127.0.0.1:0 (port N): ..."
    FILE* in = fdopen(out[0], "r");
    char line[1024] = {0};
    if (fgets(line, sizeof line, in) != nullptr)
      std::sscanf(
          std::strstr(line, "(port ") ? std::strstr(line, "(port ") : "",
          "(port %d)", &port_);
    stdout_ = in;
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_) fclose(stdout_);
  }
  int port() const { return port_; }
  void Signal(int signal) { ASSERT_EQ(kill(pid_, signal), 0); }
  // The exit status, or -1 when it has not exited within `limit`.
  int WaitExit(milliseconds limit) {
    const auto give_up = Clock::now() + limit;
    while (Clock::now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  FILE* stdout_ = nullptr;
};

class ServeCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    data_ = testing_util::TestDir();
    env_ = std::make_unique<api::SecureEnv>(data_ + "_pki");
  }
  std::shared_ptr<grpc::Channel> Channel(int port) const {
    return env_->AdminChannel(port);
  }
  static v1::IngestStreamRequest Message(const std::string& post) {
    v1::IngestStreamRequest r;
    *r.add_posts() = testing_util::MakePost(post, "anna", v1::POST_KIND_ARTICLE,
                                            "Backups", "Tapes", 1700000000);
    return r;
  }
  // Waits until a new call is refused (the server has stopped accepting).
  static bool RefusesNewCalls(int port, const api::SecureEnv& env) {
    const auto give_up = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < give_up) {
      auto stub = v1::Expertise::NewStub(env.AdminChannel(port));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + milliseconds(500));
      v1::FindExpertsRequest r;
      r.set_query("backups");
      v1::FindExpertsResponse out;
      if (!stub->FindExperts(&ctx, r, &out).ok()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }
  // Polls the data folder, read-only as `ask --data` does, until `post` is
  // committed there (false after 20 s).
  bool Committed(const std::string& post) const {
    const auto give_up = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < give_up) {
      index::CatalogOptions o;
      o.data_dir = data_;
      o.read_only = true;
      o.refresh_interval = milliseconds(0);
      auto catalog = index::Catalog::Open(o);
      if (catalog.ok() && (*catalog)->snapshot()->FindPost(post) != nullptr)
        return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }
  // An IngestStream to `port` whose first message, `post`, the server has
  // committed: a call in flight (before that, a signal could find it not yet
  // accepted). Null when the write or the commit failed.
  struct StreamInFlight {
    grpc::ClientContext ctx;
    v1::IngestStreamResponse out;
    std::unique_ptr<v1::Ingest::Stub> ingest;
    std::unique_ptr<grpc::ClientWriter<v1::IngestStreamRequest>> writer;
  };
  std::unique_ptr<StreamInFlight> OpenStream(int port,
                                             const std::string& post) const {
    auto s = std::make_unique<StreamInFlight>();
    s->ingest = v1::Ingest::NewStub(Channel(port));
    s->writer = s->ingest->IngestStream(&s->ctx, &s->out);
    if (!s->writer->Write(Message(post)) || !Committed(post)) return nullptr;
    return s;
  }
  std::string data_;
  std::unique_ptr<api::SecureEnv> env_;
};

// A stream open when SIGTERM arrives goes on and completes; the process
// exits 0 once it is done, with both messages committed.
// --change-log-on-folder is for the writer: with --follow, a usage error
// naming the flag, before anything is opened.
TEST(ServeFlagsTest, ChangeLogOnFolderIsRefusedOnAFollower) {
  const std::string data = testing_util::TestDir();
  const Ran ran = RunWhoknows("serve --data '" + data +
                              "' --follow --change-log-on-folder 2>&1");
  EXPECT_EQ(ran.exit_status, 2) << ran.out;
  EXPECT_NE(ran.out.find("--change-log-on-folder: a follower"),
            std::string::npos)
      << ran.out;
}

TEST_F(ServeCommandTest, SigtermLetsACallInFlightFinishThenExitsZero) {
  ServeProcess serve(data_, data_ + "_pki", "20000");
  ASSERT_GT(serve.port(), 0);
  auto stream = OpenStream(serve.port(), "before-signal");
  ASSERT_NE(stream, nullptr);
  serve.Signal(SIGTERM);
  EXPECT_TRUE(RefusesNewCalls(serve.port(), *env_));
  EXPECT_EQ(serve.WaitExit(milliseconds(0)), -1) << "exited mid-call";
  ASSERT_TRUE(stream->writer->Write(Message("after-signal")));
  stream->writer->WritesDone();
  grpc::Status s = stream->writer->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(stream->out.posts_upserted(), 2);
  EXPECT_EQ(serve.WaitExit(std::chrono::seconds(20)), 0);
  auto catalog = testing_util::OpenCatalog(data_, /*read_only=*/true);
  ASSERT_NE(catalog, nullptr);
  EXPECT_NE(catalog->snapshot()->FindPost("after-signal"), nullptr);
}

// A call that does not finish within --drain-ms is cancelled (the client
// gets a clean status, not a hang) and the process still exits 0.
TEST_F(ServeCommandTest, SigtermCancelsWhatTheDrainDeadlineLeaves) {
  ServeProcess serve(data_, data_ + "_pki", "300");
  ASSERT_GT(serve.port(), 0);
  auto stream = OpenStream(serve.port(), "open");
  ASSERT_NE(stream, nullptr);
  const auto signalled = Clock::now();
  serve.Signal(SIGTERM);
  // Never closed by the client: only the drain deadline ends it.
  EXPECT_EQ(serve.WaitExit(std::chrono::seconds(20)), 0);
  const auto took = Clock::now() - signalled;
  grpc::Status s = stream->writer->Finish();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::CANCELLED ||
              s.error_code() == grpc::StatusCode::UNAVAILABLE)
      << s.error_code() << " " << s.error_message();
  // Printed, not asserted beyond the 20 s above: the drain is 300 ms.
  std::printf("exited %lld ms after SIGTERM (--drain-ms 300)\n",
              static_cast<long long>(
                  std::chrono::duration_cast<milliseconds>(took).count()));
}

// IngestStream's group sizing is an operator's knob (docs/operations.md,
// "Streams"): a value out of range stops `serve` before it opens anything,
// with a usage error naming the flag.
TEST(ServeFlagsTest, IngestGroupFlagsOutOfRangeAreRefusedByName) {
  const std::pair<std::string, std::string> cases[] = {
      {"--ingest-group-budget-ms", "60001"},
      {"--ingest-group-budget-ms", "-1"},
      {"--ingest-group-min-items", "0"},
  };
  for (const auto& [flag, value] : cases) {
    const Ran ran = RunWhoknows("serve --data '" + testing_util::TestDir() +
                                "'" + " " + flag + "=" + value + " 2>&1");
    EXPECT_EQ(ran.exit_status, 2) << flag << " " << value;  // kExitUsage
    EXPECT_NE(ran.out.find(flag + ": must be"), std::string::npos)
        << flag << " " << value << ": " << ran.out;
  }
}

}  // namespace
}  // namespace whoknows::cli
