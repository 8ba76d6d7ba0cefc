// What checking a bearer token costs (issue 14): one Authenticator that
// verifies every token (AuthOptions::token_cache_entries = 0, what every
// call paid before the cache) beside one that remembers verified tokens,
// in the same process, in alternating rounds; then Admin.GetStatus over
// real gRPC on loopback (plaintext, the token in `authorization`) against
// two servers configured the same two ways. Prints per-call CPU time
// (thread CPU for the verification, process CPU for GetStatus: client and
// server both) and wall p50, each pair as a ratio; asserts nothing.
//
//   auth_bench [--calls N] [--rounds R] [--work DIR]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/auth.h"
#include "api/server.h"
#include "bench/bench_flags.h"
#include "tests/testing/pki.h"
#include "whoknows/v1/admin.grpc.pb.h"

using namespace whoknows;

namespace {

constexpr char kIssuer[] = "https://idp.bench";

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string Token(const testing_util::KeyPair& key, const char* alg) {
  return testing_util::SignToken(
      key, alg,
      absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"whoknows",)",
                   R"("sub":"admin","roles":"admin","exp":)",
                   absl::ToUnixSeconds(absl::Now()) + 3600, "}"));
}

api::AuthOptions Auth(const std::string& keys_file, size_t cache_entries) {
  api::AuthOptions o;
  o.jwt_keys_file = keys_file;
  o.issuer = kIssuer;
  o.token_cache_entries = cache_entries;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 2000, rounds = 5;
  std::string work = "/tmp/auth_bench";
  if (!whoknows::bench::FlagsArePairs(
          argc, argv, "auth_bench [--calls N] [--rounds R] [--work DIR]"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--calls") {
      calls = std::stoi(argv[i + 1]);
    } else if (flag == "--rounds") {
      rounds = std::stoi(argv[i + 1]);
    } else if (flag == "--work") {
      work = argv[i + 1];
    } else {
      std::fprintf(stderr, "auth_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!whoknows::bench::LockScratchFolder(work)) return 2;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const testing_util::KeyPair rsa = testing_util::MakeRsaKey();
  const testing_util::KeyPair ec = testing_util::MakeEcKey();
  const std::string keys_file = work + "/keys.pem";
  std::ofstream(keys_file) << rsa.public_pem << ec.public_pem;
  const std::pair<const testing_util::KeyPair*, const char*> algs[] = {
      {&rsa, "RS256"}, {&ec, "ES256"}};

  std::printf("auth_bench: %d calls a round, %d rounds, A/B alternating\n",
              calls, rounds);
  auto uncached = api::Authenticator::Create(Auth(keys_file, 0));
  auto cached = api::Authenticator::Create(Auth(keys_file, 8192));
  if (!uncached.ok() || !cached.ok()) {
    std::fprintf(
        stderr, "auth_bench: %s\n",
        std::string((uncached.ok() ? cached : uncached).status().message())
            .c_str());
    return 1;
  }
  for (const auto& [key, alg] : algs) {
    const std::string token = Token(*key, alg);
    std::vector<double> before, after;
    for (int r = 0; r < rounds; ++r) {
      for (auto* auth : {uncached->get(), cached->get()}) {
        const double t0 = ThreadCpuSeconds();
        for (int i = 0; i < calls; ++i)
          if (!auth->VerifyToken(token).ok()) return 1;
        (auth == uncached->get() ? before : after)
            .push_back((ThreadCpuSeconds() - t0) / calls * 1e6);
      }
    }
    const double b = Median(before), a = Median(after);
    std::printf(
        "VerifyToken %s: uncached %.2f us CPU, cached %.2f us CPU, "
        "ratio %.1fx (median of %d rounds)\n",
        alg, b, a, b / a, rounds);
  }

  // Two servers on empty folders, the same but for the cache.
  std::unique_ptr<api::Server> servers[2];
  for (int s = 0; s < 2; ++s) {
    api::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = absl::StrCat(work, "/data", s);
    o.model_rebuild_interval = std::chrono::milliseconds(0);
    o.auth = Auth(keys_file, s == 0 ? 0 : 8192);
    auto server = api::Server::Start(o);
    if (!server.ok()) {
      std::fprintf(stderr, "auth_bench: %s\n",
                   std::string(server.status().message()).c_str());
      return 1;
    }
    servers[s] = std::move(*server);
  }
  for (const auto& [key, alg] : algs) {
    const std::string bearer = "Bearer " + Token(*key, alg);
    std::vector<double> cpu[2];
    std::vector<double> wall[2];
    std::unique_ptr<v1::Admin::Stub> stubs[2];
    for (int s = 0; s < 2; ++s)
      stubs[s] = v1::Admin::NewStub(
          grpc::CreateChannel(absl::StrCat("127.0.0.1:", servers[s]->port()),
                              grpc::InsecureChannelCredentials()));
    const int status_calls = std::max(1, calls / 4);
    for (int r = 0; r < rounds; ++r) {
      for (int s = 0; s < 2; ++s) {
        const double t0 = ProcessCpuSeconds();
        for (int i = 0; i < status_calls; ++i) {
          grpc::ClientContext ctx;
          ctx.AddMetadata("authorization", bearer);
          v1::GetStatusRequest request;
          v1::GetStatusResponse response;
          const auto w0 = std::chrono::steady_clock::now();
          const grpc::Status st = stubs[s]->GetStatus(&ctx, request, &response);
          wall[s].push_back(std::chrono::duration<double, std::micro>(
                                std::chrono::steady_clock::now() - w0)
                                .count());
          if (!st.ok()) {
            std::fprintf(stderr, "auth_bench: GetStatus: %s\n",
                         st.error_message().c_str());
            return 1;
          }
        }
        cpu[s].push_back((ProcessCpuSeconds() - t0) / status_calls * 1e6);
      }
    }
    const double cb = Median(cpu[0]), ca = Median(cpu[1]);
    const double wb = Median(wall[0]), wa = Median(wall[1]);
    std::printf(
        "GetStatus %s over loopback: uncached %.1f us CPU (p50 %.1f us), "
        "cached %.1f us CPU (p50 %.1f us); CPU ratio %.2fx, p50 ratio %.2fx\n",
        alg, cb, wb, ca, wa, cb / ca, wb / wa);
  }
  for (auto& server : servers) server->Shutdown();
  std::filesystem::remove_all(work);
  return 0;
}
