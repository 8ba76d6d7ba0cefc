// Load over real gRPC: 32 client threads against a running whoknows server
// for a fixed time, first mixing FindExperts with ingest (UpsertPosts in
// small batches) and AnalyzeNetwork, then FindExperts alone, so that the
// cost of the mix to queries is a ratio in one run. Prints requests, errors,
// shed load (RESOURCE_EXHAUSTED, counted apart; the client then waits as
// the retry-after-ms trailer says), p50/p99 per method and the server's
// peak RSS; asserts nothing. bench/load_bench.sh starts the server on the
// demo company and runs this.
//
// --mode typing measures what an intranet's question box costs instead:
// FindExperts alone, then SuggestForPost alone (drafts: a question's first
// words, as typed so far, by a random author), each at --threads (e.g. 8)
// clients.
//
//   load_bench --server HOST:PORT --ca CA.pem --token FILE
//              [--jsonl data/demo/company.jsonl] [--seconds 20]
//              [--threads 32] [--writers 2] [--analysts 2] [--batch 20]
//              [--server-pid PID] [--mode mix|typing]
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"
#include "whoknows/v1/networks.grpc.pb.h"

using namespace whoknows;
using Clock = std::chrono::steady_clock;

namespace {

struct Flags {
  std::string server, ca, token, jsonl = "data/demo/company.jsonl";
  int seconds = 20, threads = 32, writers = 2, analysts = 2, batch = 20;
  int server_pid = 0;
  std::string mode = "mix";
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

bool Parse(int argc, char** argv, Flags* f) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--server")
      f->server = v;
    else if (k == "--ca")
      f->ca = v;
    else if (k == "--token")
      f->token = ReadFile(v);
    else if (k == "--jsonl")
      f->jsonl = v;
    else if (k == "--seconds")
      f->seconds = std::stoi(v);
    else if (k == "--threads")
      f->threads = std::stoi(v);
    else if (k == "--writers")
      f->writers = std::stoi(v);
    else if (k == "--analysts")
      f->analysts = std::stoi(v);
    else if (k == "--batch")
      f->batch = std::stoi(v);
    else if (k == "--server-pid")
      f->server_pid = std::stoi(v);
    else if (k == "--mode" && (v == "mix" || v == "typing"))
      f->mode = v;
    else
      return false;
  }
  return !f->server.empty() && !f->ca.empty() && !f->token.empty();
}

// What one method's calls came to.
struct Tally {
  std::vector<double> ok_ms;  // latencies of OK calls
  int64_t errors = 0, shed = 0;
  std::map<std::string, int> error_kinds;  // code: message, a few
  void Add(const Tally& o) {
    ok_ms.insert(ok_ms.end(), o.ok_ms.begin(), o.ok_ms.end());
    errors += o.errors;
    shed += o.shed;
    for (const auto& [k, n] : o.error_kinds) error_kinds[k] += n;
  }
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Times one call; a shed call waits as the server's retry hint says.
template <typename Call>
void Measure(Tally* t, Call call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  const auto start = Clock::now();
  grpc::Status s = call(&ctx);
  const double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (s.ok()) {
    t->ok_ms.push_back(ms);
  } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    ++t->shed;
    int wait = 100;
    auto hint = ctx.GetServerTrailingMetadata().find("retry-after-ms");
    if (hint != ctx.GetServerTrailingMetadata().end())
      wait = std::stoi(std::string(hint->second.data(), hint->second.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  } else {
    ++t->errors;
    if (t->error_kinds.size() < 5)
      ++t->error_kinds[std::to_string(s.error_code()) + ": " +
                       s.error_message().substr(0, 80)];
  }
}

struct Company {
  std::vector<std::string> questions, authors;
};

Company Load(const std::string& path) {
  Company c;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto r = nlohmann::json::parse(line);
    if (r.value("type", "") == "person") c.authors.push_back(r["id"]);
    if (r.value("type", "") == "post" && r.value("kind", "") == "question")
      c.questions.push_back(r.value("title", ""));
  }
  return c;
}

struct Phase {
  std::map<std::string, Tally> by_method;
  double seconds = 0;
};

// The first words of `question`, as typed so far: 3 words at least, more
// with `n`.
std::string Typed(const std::string& question, int n) {
  size_t end = 0;
  for (int words = 0; words < 3 + n % 6; ++words) {
    const size_t next = question.find(' ', end + 1);
    if (next == std::string::npos) return question;
    end = next;
  }
  return question.substr(0, end);
}

// Runs `threads` clients for `seconds`: the first `writers` upsert, the next
// `analysts` analyse, the rest ask (FindExperts, or SuggestForPost with
// `suggest`).
Phase Run(const Flags& f, const Company& company,
          std::shared_ptr<grpc::Channel> channel, int writers, int analysts,
          bool suggest = false) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next_post{0};
  std::mutex mu;
  Phase phase;
  std::vector<std::thread> clients;
  const auto start = Clock::now();
  for (int i = 0; i < f.threads; ++i) {
    clients.emplace_back([&, i] {
      auto expertise = v1::Expertise::NewStub(channel);
      auto ingest = v1::Ingest::NewStub(channel);
      auto networks = v1::Networks::NewStub(channel);
      Tally t;
      std::string method;
      for (int n = i; !stop; n += f.threads) {
        if (i < writers) {
          method = "UpsertPosts";
          v1::UpsertPostsRequest r;
          for (int k = 0; k < f.batch; ++k) {
            const int64_t id = next_post++;
            v1::Post* p = r.add_posts();
            p->set_id("load-" + std::to_string(::getpid()) + "-" +
                      std::to_string(id));
            p->set_author_id(company.authors[id % company.authors.size()]);
            p->set_kind(v1::POST_KIND_ARTICLE);
            p->set_title(company.questions[id % company.questions.size()]);
            p->set_body("Notes from the load benchmark on " +
                        company.questions[(id * 7) % company.questions.size()]);
            p->mutable_created()->set_seconds(1735689600 + id);
          }
          v1::UpsertPostsResponse out;
          Measure(&t, [&](grpc::ClientContext* c) {
            return ingest->UpsertPosts(c, r, &out);
          });
        } else if (i < writers + analysts) {
          method = "AnalyzeNetwork";
          v1::AnalyzeNetworkRequest r;
          r.set_person_level(true);
          v1::AnalyzeNetworkResponse out;
          Measure(&t, [&](grpc::ClientContext* c) {
            return networks->AnalyzeNetwork(c, r, &out);
          });
        } else if (suggest) {
          method = "SuggestForPost";
          v1::SuggestForPostRequest r;
          r.set_title(Typed(company.questions[n % company.questions.size()],
                            n / static_cast<int>(company.questions.size())));
          r.set_author_id(company.authors[(n * 13) % company.authors.size()]);
          v1::SuggestForPostResponse out;
          Measure(&t, [&](grpc::ClientContext* c) {
            return expertise->SuggestForPost(c, r, &out);
          });
        } else {
          method = "FindExperts";
          v1::FindExpertsRequest r;
          r.set_query(company.questions[n % company.questions.size()]);
          v1::FindExpertsResponse out;
          Measure(&t, [&](grpc::ClientContext* c) {
            return expertise->FindExperts(c, r, &out);
          });
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      phase.by_method[method].Add(t);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(f.seconds));
  stop = true;
  for (auto& c : clients) c.join();
  phase.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return phase;
}

void Print(const char* title, const Phase& p) {
  std::printf("%s (%.1f s)\n", title, p.seconds);
  std::printf("  %-15s %9s %8s %7s %7s %9s %9s\n", "method", "requests",
              "per s", "errors", "shed", "p50 ms", "p99 ms");
  for (const auto& [method, t] : p.by_method) {
    const int64_t n = static_cast<int64_t>(t.ok_ms.size()) + t.errors + t.shed;
    std::printf("  %-15s %9lld %8.1f %7lld %7lld %9.1f %9.1f\n", method.c_str(),
                static_cast<long long>(n), n / p.seconds,
                static_cast<long long>(t.errors),
                static_cast<long long>(t.shed), Percentile(t.ok_ms, 0.50),
                Percentile(t.ok_ms, 0.99));
    for (const auto& [kind, count] : t.error_kinds)
      std::printf("    error x%d: %s\n", count, kind.c_str());
  }
}

// The server's peak resident set (VmHWM), from /proc.
std::string PeakRss(int pid) {
  if (pid <= 0) return "n/a (no --server-pid)";
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  return "n/a";
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!Parse(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: load_bench --server HOST:PORT --ca CA.pem --token "
                 "FILE [--jsonl FILE] [--seconds N] [--threads N] "
                 "[--writers N] [--analysts N] [--batch N] [--server-pid "
                 "PID] [--mode mix|typing]\n");
    return 2;
  }
  const Company company = Load(f.jsonl);
  if (company.questions.empty() || company.authors.empty()) {
    std::fprintf(stderr, "load_bench: no questions or people in %s\n",
                 f.jsonl.c_str());
    return 1;
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(f.ca) + "\n";
  auto creds = grpc::CompositeChannelCredentials(
      grpc::SslCredentials(ssl), grpc::AccessTokenCredentials(f.token));
  auto channel = grpc::CreateChannel(f.server, creds);
  std::printf(
      "load_bench: %s, %d client threads, %d s per phase, %u cores here; "
      "mix: %d writers (UpsertPosts of %d), %d analysts (AnalyzeNetwork, "
      "person-level), the rest FindExperts\n",
      f.server.c_str(), f.threads, f.seconds,
      std::thread::hardware_concurrency(), f.writers, f.batch, f.analysts);
  // Warm-up, not printed: the first model build, connections, caches.
  Flags warm = f;
  warm.seconds = 3;
  Run(warm, company, channel, 0, 0);
  if (f.mode == "typing") {
    Run(warm, company, channel, 0, 0, /*suggest=*/true);
    Print("FindExperts alone", Run(f, company, channel, 0, 0));
    Print("SuggestForPost alone",
          Run(f, company, channel, 0, 0, /*suggest=*/true));
    std::printf("server peak RSS:%s\n", PeakRss(f.server_pid).c_str());
    return 0;
  }
  const Phase mix = Run(f, company, channel, f.writers, f.analysts);
  Print("mix", mix);
  const Phase alone = Run(f, company, channel, 0, 0);
  Print("FindExperts alone", alone);
  const auto m = mix.by_method.find("FindExperts");
  const auto a = alone.by_method.find("FindExperts");
  if (m != mix.by_method.end() && a != alone.by_method.end()) {
    const double p99_mix = Percentile(m->second.ok_ms, 0.99);
    const double p99_alone = Percentile(a->second.ok_ms, 0.99);
    std::printf("FindExperts p99 mix/alone: %.1f / %.1f ms = %.2fx\n", p99_mix,
                p99_alone, p99_alone > 0 ? p99_mix / p99_alone : 0);
  }
  std::printf("server peak RSS:%s\n", PeakRss(f.server_pid).c_str());
  return 0;
}
