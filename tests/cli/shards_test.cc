// Posts over Xapian's remote shards, on loopback, with real processes: two
// shard servers (`xapian-tcpsrv --writable`, and a read-only one beside
// each), a replica of shard 0 (`xapian-replicate-server` +
// `xapian-replicate`, served by a third, read-only xapian-tcpsrv), the
// writer's people/ and private_posts/ replicated to a follower's folder, and
// two whoknows front-ends (the writer and a `serve --follow`). Everything is
// fed through the gRPC Ingest API, alongside a single-folder `serve` fed the
// same data; the answers must be the same, private posts must change nothing
// for a non-member, and answers must keep flowing when the replica and then
// one front-end are killed (docs/operations.md, "Topology").
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../api/secure_env.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/expertise.grpc.pb.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often `needle` occurs in `text`.
int CountOf(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

// A port nothing listens on now (and that this test has not handed out).
int FreePort() {
  static std::set<int> given;
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    const int port = ntohs(a.sin_port);
    if (given.insert(port).second) return port;
  }
}

bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Polls `done` every 50 ms for at most `limit`.
bool PollUntil(const std::function<bool()>& done,
               std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Processes started in their own process groups (a xapian-tcpsrv forks a
// child per connection: killing the group kills them too), all killed when
// the test ends, however it ends.
class Processes {
 public:
  explicit Processes(std::string logs) : logs_(std::move(logs)) {}
  ~Processes() {
    for (pid_t pid : pids_) Kill(pid);
  }
  pid_t Start(const std::string& name, std::vector<std::string> argv,
              const std::vector<std::string>& env = {}) {
    const std::string log = logs_ + "/" + name + ".log";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& e : env) ::putenv(::strdup(e.c_str()));
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    pids_.push_back(pid);
    return pid;
  }
  // Kills the process and everything it started, and reaps it.
  static void Kill(pid_t pid) {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  // Runs a command to completion: its exit status.
  int Run(const std::string& name, std::vector<std::string> argv) {
    const pid_t pid = Start(name, std::move(argv));
    int status = 0;
    ::waitpid(pid, &status, 0);
    pids_.erase(std::find(pids_.begin(), pids_.end(), pid));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string Log(const std::string& name) const {
    std::ifstream in(logs_ + "/" + name + ".log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string logs_;
  std::vector<pid_t> pids_;
};

std::string Tcp(int port) { return absl::StrCat("tcp://127.0.0.1:", port); }

// The demo company split in two: people and the public posts of a third of
// the threads with no private post; then the posts of threads that have one.
struct Company {
  std::vector<v1::Person> people;
  std::vector<v1::Post> public_posts;
  std::vector<v1::Post> private_threads;
  std::vector<std::string> questions;  // some public question titles
};

constexpr char kMember[] = "u0001";     // in group:ledningsgruppen (added)
constexpr char kNonMember[] = "u0002";  // in no group
constexpr char kGroup[] = "group:ledningsgruppen";

Company LoadCompany() {
  Company c;
  std::vector<v1::Post> posts;
  std::set<std::string> private_threads;
  std::ifstream in(std::string(WHOKNOWS_SOURCE_DIR) +
                   "/data/demo/company.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto r = importers::ParseJsonlRecord(line);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) continue;
    if (auto* p = std::get_if<v1::Person>(&*r)) {
      if (p->id() == kMember) p->add_groups(kGroup);
      c.people.push_back(std::move(*p));
    } else {
      auto& post = std::get<v1::Post>(*r);
      if (post.visibility() != "public")
        private_threads.insert(post.thread_id());
      posts.push_back(std::move(post));
    }
  }
  for (auto& p : posts) {
    if (private_threads.count(p.thread_id())) {
      c.private_threads.push_back(std::move(p));
    } else if (std::hash<std::string>()(p.thread_id()) % 3 == 0) {
      // A third of the public threads: enough to rank, quicker to load.
      if (p.kind() == v1::POST_KIND_QUESTION && c.public_posts.size() % 13 == 0)
        c.questions.push_back(p.title());
      c.public_posts.push_back(std::move(p));
    }
  }
  return c;
}

// One front-end's stubs.
struct Frontend {
  explicit Frontend(const std::shared_ptr<grpc::Channel>& channel)
      : expertise(v1::Expertise::NewStub(channel)),
        ingest(v1::Ingest::NewStub(channel)) {}
  std::unique_ptr<v1::Expertise::Stub> expertise;
  std::unique_ptr<v1::Ingest::Stub> ingest;
};

// A channel to `target` ("127.0.0.1:P", or "ipv4:127.0.0.1:P1,127.0.0.1:P2"
// with round_robin over the addresses), TLS and a token that may ingest and
// ask on behalf of anyone (the intranet's).
std::shared_ptr<grpc::Channel> Connect(
    const api::SecureEnv& env, const std::string& target,
    bool round_robin = false, const std::string& roles = "ingest intranet") {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = env.ca().cert_pem();
  auto creds = grpc::CompositeChannelCredentials(
      grpc::SslCredentials(ssl),
      grpc::AccessTokenCredentials(env.Token("connector", roles)));
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  if (round_robin) {
    args.SetLoadBalancingPolicyName("round_robin");
    // A call sent to a front-end as it goes down is tried again on another.
    args.SetServiceConfigJSON(R"({"methodConfig": [{"name": [{}],
        "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.05s",
                        "maxBackoff": "0.5s", "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"]}}]})");
  }
  return grpc::CreateCustomChannel(target, creds, args);
}
std::shared_ptr<grpc::Channel> Connect(const api::SecureEnv& env, int port) {
  return Connect(env, absl::StrCat("127.0.0.1:", port));
}

// UpsertPosts of posts [from, to).
grpc::Status UpsertPosts(Frontend& f, const std::vector<v1::Post>& posts,
                         size_t from, size_t to) {
  v1::UpsertPostsRequest req;
  for (size_t i = from; i < to; ++i) *req.add_posts() = posts[i];
  v1::UpsertPostsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return f.ingest->UpsertPosts(&ctx, req, &resp);
}

void Ingest(Frontend& f, const std::vector<v1::Person>& people,
            const std::vector<v1::Post>& posts) {
  if (!people.empty()) {
    v1::UpsertPeopleRequest req;
    for (const auto& p : people) *req.add_people() = p;
    v1::UpsertPeopleResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s = f.ingest->UpsertPeople(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (size_t i = 0; i < posts.size(); i += 500) {
    v1::UpsertPostsRequest req;
    for (size_t j = i; j < std::min(posts.size(), i + 500); ++j)
      *req.add_posts() = posts[j];
    v1::UpsertPostsResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s = f.ingest->UpsertPosts(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
}

// The answers the comparisons look at, for each question: FindExperts as
// `asker` asks it, and SuggestForPost of a post with that title written by
// `asker`. Empty when a call fails or finds nobody.
struct Answers {
  std::vector<v1::FindExpertsResponse> experts;
  std::vector<v1::SuggestForPostResponse> suggestions;

  bool empty() const { return experts.empty(); }
  // Byte for byte (maps in key order), with every floating-point field
  // (scores, confidences, signals) zeroed: those are compared by Difference.
  std::string BytesButScores() const {
    std::string all;
    auto add = [&](const google::protobuf::Message& m) {
      std::unique_ptr<google::protobuf::Message> copy(m.New());
      copy->CopyFrom(m);
      ZeroFloats(copy.get());
      google::protobuf::io::StringOutputStream out(&all);
      google::protobuf::io::CodedOutputStream coded(&out);
      coded.SetSerializationDeterministic(true);
      copy->SerializeToCodedStream(&coded);
    };
    for (const auto& r : experts) add(r);
    for (const auto& r : suggestions) add(r);
    return all;
  }

  static void ZeroFloats(google::protobuf::Message* m) {
    using google::protobuf::FieldDescriptor;
    const auto* r = m->GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(*m, &fields);
    for (const FieldDescriptor* f : fields) {
      const auto type = f->cpp_type();
      if (type == FieldDescriptor::CPPTYPE_DOUBLE ||
          type == FieldDescriptor::CPPTYPE_FLOAT) {
        r->ClearField(m, f);
      } else if (type == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (f->is_repeated()) {
          for (int i = 0; i < r->FieldSize(*m, f); ++i)
            ZeroFloats(r->MutableRepeatedMessage(m, f, i));
        } else {
          ZeroFloats(r->MutableMessage(m, f));
        }
      }
    }
  }
};

Answers Ask(v1::Expertise::Stub& stub,
            const std::vector<std::string>& questions,
            const std::string& asker) {
  Answers a;
  for (const auto& q : questions) {
    v1::FindExpertsRequest req;
    req.set_query(q);
    req.set_asker_id(asker);
    v1::FindExpertsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    if (!stub.FindExperts(&ctx, req, &resp).ok() || resp.experts().empty())
      return {};
    a.experts.push_back(std::move(resp));
    v1::SuggestForPostRequest sreq;
    sreq.set_title(q);
    sreq.set_author_id(asker);
    v1::SuggestForPostResponse sresp;
    grpc::ClientContext sctx;
    sctx.set_wait_for_ready(true);
    sctx.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    if (!stub.SuggestForPost(&sctx, sreq, &sresp).ok()) return {};
    a.suggestions.push_back(std::move(sresp));
  }
  return a;
}

// Scores equal to 1e-6 of their size: Xapian sums the shards' statistics in
// floating point, which moves BM25 weights in the 7th digit.
bool Close(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(a));
}

// The same rankings: the same experts in the same order with the same
// scores (Close), and the same threads suggested in the same order. Empty
// when they are, else the first difference.
std::string Difference(const Answers& want, const Answers& got) {
  if (got.empty()) return "no answer";
  if (want.experts.size() != got.experts.size()) return "answer count";
  for (size_t q = 0; q < want.experts.size(); ++q) {
    const auto& w = want.experts[q].experts();
    const auto& g = got.experts[q].experts();
    if (w.size() != g.size()) return absl::StrCat("question ", q, ": size");
    for (int i = 0; i < w.size(); ++i) {
      if (w[i].person().id() != g[i].person().id() ||
          !Close(w[i].score(), g[i].score()))
        return absl::StrCat("question ", q, " expert ", i, ": ",
                            w[i].person().id(), " ", w[i].score(), " vs ",
                            g[i].person().id(), " ", g[i].score());
    }
    const auto& wt = want.suggestions[q].threads();
    const auto& gt = got.suggestions[q].threads();
    if (wt.size() != gt.size())
      return absl::StrCat("question ", q, ": thread count");
    for (int i = 0; i < wt.size(); ++i) {
      if (wt[i].thread_id() != gt[i].thread_id())
        return absl::StrCat("question ", q, " thread ", i, ": ",
                            wt[i].thread_id(), " vs ", gt[i].thread_id());
    }
  }
  return "";
}

// FindExperts p50 over gRPC for the questions, three rounds: printed,
// never asserted.
void PrintFindExpertsP50(const char* name, v1::Expertise::Stub& stub,
                         const std::vector<std::string>& questions) {
  std::vector<double> ms;
  for (int round = 0; round < 3; ++round) {
    for (const auto& q : questions) {
      v1::FindExpertsRequest req;
      req.set_query(q);
      req.set_asker_id(kNonMember);
      v1::FindExpertsResponse resp;
      grpc::ClientContext ctx;
      const auto t0 = Clock::now();
      if (!stub.FindExperts(&ctx, req, &resp).ok()) continue;
      ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty())
    std::fprintf(stderr, "FindExperts %s: p50 %.1f ms over %zu calls\n", name,
                 ms[ms.size() / 2], ms.size());
}

// The deployment: shard servers, the replica, the writer, the follower and
// the single-folder server, as processes killed when the test ends.
class ShardsTest : public ::testing::Test {
 protected:
  ShardsTest()
      : dir_(testing_util::TestDir(/*create=*/true)),
        procs_(dir_.string()),
        env_((dir_ / "pki").string()) {}

  // Two shards, each with a writable server (the writer's) and a read-only
  // one (the follower's); shard 0 replicated to a third folder served
  // read-only.
  // Without `replica`, the shards' servers alone.
  void StartShards(bool replica = true) {
    const fs::path shards = dir_ / "shards";
    fs::create_directories(shards);
    for (const char* s : {"shard0", "shard1"})
      Xapian::WritableDatabase(shards / s, Xapian::DB_CREATE_OR_OPEN).close();
    Tcpsrv("w0", w0_, shards / "shard0", true);
    w1_server_ = Tcpsrv("w1", w1_, shards / "shard1", true);
    Tcpsrv("r0", r0_, shards / "shard0", false);
    Tcpsrv("r1", r1_, shards / "shard1", false);
    for (int port : {w0_, w1_, r0_, r1_})
      ASSERT_TRUE(PollUntil([&] { return Accepts(port); })) << port;
    if (!replica) return;
    const int master = FreePort();
    procs_.Start("shard_master",
                 {"xapian-replicate-server", "-I", "127.0.0.1", "-p",
                  std::to_string(master), shards.string()});
    ASSERT_TRUE(PollUntil([&] { return Accepts(master); })) << master;
    ASSERT_NO_FATAL_FAILURE(
        Replicate("replica0", master, "shard0", dir_ / "replica0"));
    replica_server_ = Tcpsrv("replica", replica_, dir_ / "replica0", false);
    ASSERT_TRUE(PollUntil([&] { return Accepts(replica_); }));
  }

  // The writer on the shards' writable servers, the single folder, then
  // the follower: the writer's people/ and private_posts/ replicated to
  // its folder, shard 0 read from the replica first, then the primary.
  void StartFrontends() {
    writer_ = Serve("serve_writer", writer_port_, dir_ / "writer",
                    {"--post-shard", Tcp(w0_), "--post-shard", Tcp(w1_)});
    Serve("serve_single", single_port_, dir_ / "single", {});
    for (int port : {writer_port_, single_port_}) {
      ASSERT_TRUE(PollUntil([&] { return Accepts(port); }))
          << procs_.Log("serve_writer");
    }
    ASSERT_NO_FATAL_FAILURE(StartFollower());
    writer_api_ = std::make_unique<Frontend>(Connect(env_, writer_port_));
    single_api_ = std::make_unique<Frontend>(Connect(env_, single_port_));
    follower_api_ = std::make_unique<Frontend>(Connect(env_, follower_port_));
  }

  // The follower of a running writer (StartFrontends).
  void StartFollower() {
    const int master = FreePort();
    procs_.Start("data_master",
                 {"xapian-replicate-server", "-I", "127.0.0.1", "-p",
                  std::to_string(master), (dir_ / "writer").string()});
    ASSERT_TRUE(PollUntil([&] { return Accepts(master); }));
    fs::create_directories(dir_ / "follower");
    for (const char* db : {"people", "private_posts"})
      ASSERT_NO_FATAL_FAILURE(Replicate(absl::StrCat("replicate_", db), master,
                                        db, dir_ / "follower" / db));
    Serve(
        "serve_follower", follower_port_, dir_ / "follower",
        {"--follow", "--post-shard", absl::StrCat(Tcp(replica_), ",", Tcp(r0_)),
         "--post-shard", Tcp(r1_)});
    ASSERT_TRUE(PollUntil([&] { return Accepts(follower_port_); }))
        << procs_.Log("serve_follower");
  }

  pid_t Tcpsrv(const std::string& name, int port, const fs::path& db,
               bool writable) {
    std::vector<std::string> argv = {"xapian-tcpsrv",      "--port",
                                     std::to_string(port), "--interface",
                                     "127.0.0.1",          "--quiet"};
    if (writable) argv.push_back("--writable");
    argv.push_back(db.string());
    return procs_.Start(name, argv, {kChangesets});
  }

  // A first copy of `db` from the replication server on `port` into `to`,
  // then a replicator keeping it in step (every second).
  void Replicate(const std::string& name, int port, const std::string& db,
                 const fs::path& to) {
    std::vector<std::string> argv = {
        "xapian-replicate",   "-h", "127.0.0.1", "-p",
        std::to_string(port), "-m", db};
    auto once = argv;
    once.insert(once.end(), {"-o", to.string()});
    ASSERT_EQ(procs_.Run(name + "_first", once), 0)
        << procs_.Log(name + "_first");
    argv.insert(argv.end(), {"-i", "1", "-r", "0", to.string()});
    procs_.Start(name, argv);
  }

  pid_t Serve(const std::string& name, int port, const fs::path& data,
              const std::vector<std::string>& more) {
    const std::string pki = (dir_ / "pki").string();
    std::vector<std::string> argv = {
        WHOKNOWS_BINARY, "serve", "--listen", absl::StrCat("127.0.0.1:", port),
        "--data", data.string(), "--refresh-ms", "100", "--exposure-weight",
        "0", "--model-rebuild-ms", "200",
        // Each front-end learns its space again at every 10% of growth, as
        // the single folder does: else each keeps the space of whatever
        // snapshot it first built from, and their scores differ.
        "--model-retrain-ms", "0",
        // One fixed clock: recency is the same for every answer.
        "--clock-unix-s", std::to_string(clock_), "--tls-cert",
        pki + "/server.pem", "--tls-key", pki + "/server.key", "--jwt-keys",
        pki + "/jwt.pem", "--jwt-issuer", api::SecureEnv::kIssuer};
    argv.insert(argv.end(), more.begin(), more.end());
    return procs_.Start(name, argv, {kChangesets});
  }

  // Polls until the writer and the follower answer `asker` as the single
  // folder does; `want` gets the single folder's answers.
  bool Agree(const std::string& asker, Answers& want) {
    std::string diff = "never asked";
    const bool same = PollUntil([&] {
      want = Ask(*single_api_->expertise, company_.questions, asker);
      if (want.empty()) return false;
      diff = Difference(
          want, Ask(*writer_api_->expertise, company_.questions, asker));
      if (!diff.empty()) {
        diff = "the writer: " + diff;
      } else {
        diff = Difference(
            want, Ask(*follower_api_->expertise, company_.questions, asker));
        if (!diff.empty()) diff = "the follower: " + diff;
      }
      return diff.empty();
    });
    EXPECT_TRUE(same) << asker << ": " << diff << "\n"
                      << procs_.Log("serve_follower");
    return same;
  }

  // A non-member's answers from `front` now against `before`: the same
  // experts, order, scores (Close) and evidence, none of it private; with
  // `bytes`, byte for byte but for the scores' last bits.
  void ExpectUnchanged(Frontend& front, const Answers& before, bool bytes) {
    const Answers after = Ask(*front.expertise, company_.questions, kNonMember);
    if (bytes) {
      EXPECT_EQ(after.BytesButScores(), before.BytesButScores());
    }
    EXPECT_EQ(Difference(before, after), "");
    for (size_t q = 0; q < after.experts.size(); ++q) {
      const auto& got = after.experts[q].experts();
      for (int i = 0; i < got.size(); ++i) {
        const auto& want = before.experts[q].experts(i).evidence();
        ASSERT_EQ(got[i].evidence_size(), want.size());
        for (int e = 0; e < want.size(); ++e) {
          EXPECT_EQ(got[i].evidence(e).post_id(), want[e].post_id());
          EXPECT_EQ(private_ids_.count(got[i].evidence(e).post_id()), 0u);
        }
      }
    }
  }

  static constexpr char kChangesets[] = "XAPIAN_MAX_CHANGESETS=100";
  const fs::path dir_;
  Processes procs_;
  const api::SecureEnv env_;
  const int64_t clock_ = std::time(nullptr);
  const Company company_ = LoadCompany();
  std::set<std::string> private_ids_;
  const int w0_ = FreePort(), w1_ = FreePort(), r0_ = FreePort(),
            r1_ = FreePort(), replica_ = FreePort(), writer_port_ = FreePort(),
            follower_port_ = FreePort(), single_port_ = FreePort();
  pid_t replica_server_ = -1, writer_ = -1, w1_server_ = -1;
  std::unique_ptr<Frontend> writer_api_, single_api_, follower_api_;
};

TEST_F(ShardsTest, ShardsReplicasAndFrontendsAnswerAsOneFolder) {
  ASSERT_EQ(std::system("command -v xapian-tcpsrv xapian-replicate "
                        "xapian-replicate-server >/dev/null"),
            0)
      << "xapian-tools is missing (scripts/install-deps.sh installs it)";
  ASSERT_GE(company_.questions.size(), 5u);
  for (const auto& p : company_.private_threads) private_ids_.insert(p.id());
  ASSERT_NO_FATAL_FAILURE(StartShards());
  ASSERT_NO_FATAL_FAILURE(StartFrontends());

  // 1. The public company, through the writer and the single folder: every
  //    front-end answers as the single folder does, for a non-member and
  //    for a member (who has nothing private to see yet).
  for (Frontend* f : {writer_api_.get(), single_api_.get()})
    ASSERT_NO_FATAL_FAILURE(Ingest(*f, company_.people, company_.public_posts));
  Answers want_non_member, want_member;
  ASSERT_TRUE(Agree(kNonMember, want_non_member));
  ASSERT_TRUE(Agree(kMember, want_member));
  PrintFindExpertsP50("single folder", *single_api_->expertise,
                      company_.questions);
  PrintFindExpertsP50("two shards", *writer_api_->expertise,
                      company_.questions);
  const Answers follower_before =
      Ask(*follower_api_->expertise, company_.questions, kNonMember);
  const Answers writer_before =
      Ask(*writer_api_->expertise, company_.questions, kNonMember);

  // 2. The threads with private posts: the member's answers change, on
  //    every front-end as on the single folder; a non-member's do not.
  //    The follower read every record again, in another order: a
  //    colleague path may take another of two equally strong ties, so its
  //    answers are compared field by field, not byte for byte.
  for (Frontend* f : {writer_api_.get(), single_api_.get()})
    ASSERT_NO_FATAL_FAILURE(Ingest(*f, {}, company_.private_threads));
  Answers want_member_after;
  ASSERT_TRUE(PollUntil([&] {
    want_member_after =
        Ask(*single_api_->expertise, company_.questions, kMember);
    return !want_member_after.empty() &&
           want_member_after.BytesButScores() != want_member.BytesButScores();
  })) << "the member's answers did not change with the private posts";
  ASSERT_TRUE(Agree(kMember, want_member_after));
  ExpectUnchanged(*writer_api_, writer_before, /*bytes=*/true);
  ExpectUnchanged(*single_api_, want_non_member, /*bytes=*/true);
  ExpectUnchanged(*follower_api_, follower_before, /*bytes=*/false);

  // The follower followed every write from the writer's change log: each
  // step read only what changed, never every record (docs/operations.md,
  // "Front-ends in step").
  const std::string follower_log = procs_.Log("serve_follower");
  EXPECT_NE(follower_log.find("follow: incremental:"), std::string::npos)
      << follower_log;
  EXPECT_EQ(follower_log.find("follow: read "), std::string::npos)
      << follower_log;

  // 3. An erasure through the writer (and the single folder): the
  //    follower no longer names the person either.
  std::string erased;
  for (const auto& e : want_member_after.experts[0].experts()) {
    if (e.person().id() != kMember && e.person().id() != kNonMember) {
      erased = e.person().id();
      break;
    }
  }
  ASSERT_FALSE(erased.empty());
  for (int port : {writer_port_, single_port_}) {
    Frontend admin(Connect(env_, absl::StrCat("127.0.0.1:", port),
                           /*round_robin=*/false, "admin ingest intranet"));
    v1::DeletePersonRequest req;
    req.set_person_id(erased);
    v1::DeletePersonResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s = admin.ingest->DeletePerson(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(Agree(kMember, want_member_after));
  ASSERT_TRUE(Agree(kNonMember, want_non_member));
  for (const auto& r :
       Ask(*follower_api_->expertise, company_.questions, kMember).experts) {
    for (const auto& e : r.experts()) EXPECT_NE(e.person().id(), erased);
  }
  // The erasure reset the writer's change log (no entry keeps the
  // erased id): the follower read every record again, once, even when
  // people/'s replica brought the new log before the shards' replica
  // brought the erasure (it waits for the replica to reach what the log
  // covers: docs/operations.md, "Front-ends in step").
  const std::string after_erasure = procs_.Log("serve_follower");
  EXPECT_EQ(CountOf(after_erasure, "follow: read "), 1) << after_erasure;
  EXPECT_NE(after_erasure.find("follow: reading every record (change log: "
                               "another log"),
            std::string::npos)
      << after_erasure;

  // 4. The replica goes down: the follower, which read shard 0 from it,
  //    answers from the primary's read-only server.
  Processes::Kill(replica_server_);
  // Kill waits for the server, not for the children it forked for each
  // connection: they hold its listening socket until they are gone too
  // (under load this took longer than the next line, stop 26).
  ASSERT_TRUE(PollUntil([&] { return !Accepts(replica_); }))
      << "the replica's port still accepts";
  EXPECT_EQ(Difference(want_member_after, Ask(*follower_api_->expertise,
                                              company_.questions, kMember)),
            "");

  // 5. A client balancing round_robin over both front-ends keeps getting
  //    the same answers when one of them (the writer) goes down.
  Frontend balanced(Connect(env_,
                            absl::StrCat("ipv4:127.0.0.1:", writer_port_,
                                         ",127.0.0.1:", follower_port_),
                            /*round_robin=*/true));
  for (int i = 0; i < 8; ++i) {
    if (i == 4) Processes::Kill(writer_);
    EXPECT_EQ(Difference(want_non_member, Ask(*balanced.expertise,
                                              company_.questions, kNonMember)),
              "")
        << "call " << i << (i >= 4 ? ", the writer down" : "");
  }
}

// The evidence snippets on remote shards are the single folder's: the same
// posts fetched for the same question give the same bytes. (Xapian's
// background model, which asks every shard for the frequency of every
// other word of a text, used to choose a single folder's snippets only.)
TEST_F(ShardsTest, SnippetsOnShardsAreTheSingleFolders) {
  ASSERT_EQ(std::system("command -v xapian-tcpsrv >/dev/null"), 0)
      << "xapian-tools is missing (scripts/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(StartShards(/*replica=*/false));
  auto open = [&](const std::string& name,
                  std::vector<std::vector<std::string>> shards) {
    index::CatalogOptions o;
    o.data_dir = (dir_ / name).string();
    o.refresh_interval = std::chrono::milliseconds(0);
    o.post_shards = std::move(shards);
    auto c = index::Catalog::Open(o);
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return std::unique_ptr<index::Catalog>();
    EXPECT_TRUE((*c)->UpsertPeople(company_.people).ok());
    const absl::Status s = (*c)->UpsertPosts(company_.public_posts);
    EXPECT_TRUE(s.ok()) << s;
    (*c)->Refresh();
    return std::move(*c);
  };
  const auto single = open("single", {});
  const auto sharded = open("sharded", {{Tcp(w0_)}, {Tcp(w1_)}});
  ASSERT_NE(single, nullptr);
  ASSERT_NE(sharded, nullptr);
  // Every third public post longer than its snippet.
  std::vector<std::string> ids;
  int long_texts = 0;
  for (const auto& p : company_.public_posts) {
    if (p.body().size() > 300 && long_texts++ % 3 == 0) ids.push_back(p.id());
  }
  ASSERT_GE(ids.size(), 20u);
  for (const auto& question : company_.questions) {
    auto want = single->Fetch(question, ids);
    auto got = sharded->Fetch(question, ids);
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      EXPECT_EQ((*got)[i].post.id(), (*want)[i].post.id());
      EXPECT_EQ((*got)[i].snippet, (*want)[i].snippet)
          << question << ", post " << (*want)[i].post.id();
    }
  }
}

// The writer reconnects to a shard's writable server that restarted: the
// next write goes through; while the server is down, writes are refused
// with UNAVAILABLE, and nothing committed before is lost.
TEST_F(ShardsTest, WriterReconnectsToARestartedShardServer) {
  ASSERT_EQ(std::system("command -v xapian-tcpsrv >/dev/null"), 0)
      << "xapian-tools is missing (scripts/install-deps.sh installs it)";
  const std::vector<v1::Post>& posts = company_.public_posts;
  ASSERT_GE(posts.size(), 90u);
  ASSERT_NO_FATAL_FAILURE(StartShards(/*replica=*/false));
  writer_ = Serve("serve_writer", writer_port_, dir_ / "writer",
                  {"--post-shard", Tcp(w0_), "--post-shard", Tcp(w1_)});
  ASSERT_TRUE(PollUntil([&] { return Accepts(writer_port_); }))
      << procs_.Log("serve_writer");
  Frontend writer(Connect(env_, writer_port_));
  ASSERT_NO_FATAL_FAILURE(Ingest(writer, company_.people, {}));
  ASSERT_TRUE(UpsertPosts(writer, posts, 0, 30).ok());
  const fs::path shard1 = dir_ / "shards" / "shard1";
  auto restart_w1 = [&](const std::string& name) {
    w1_server_ = Tcpsrv(name, w1_, shard1, true);
    ASSERT_TRUE(PollUntil([&] { return Accepts(w1_); })) << procs_.Log(name);
  };

  // 1. Shard 1's server restarts between two writes.
  Processes::Kill(w1_server_);
  ASSERT_NO_FATAL_FAILURE(restart_w1("w1_second"));
  grpc::Status s = UpsertPosts(writer, posts, 30, 60);
  EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message() << "\n"
                      << procs_.Log("serve_writer");

  // 2. It is down: the write is refused, said to be worth trying again.
  Processes::Kill(w1_server_);
  s = UpsertPosts(writer, posts, 60, 90);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  ASSERT_NO_FATAL_FAILURE(restart_w1("w1_third"));
  s = UpsertPosts(writer, posts, 60, 90);
  EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();

  // 3. Every post is on the shards, once.
  Xapian::Database all;
  for (const char* name : {"shard0", "shard1"})
    all.add_database(Xapian::Database((dir_ / "shards" / name).string()));
  EXPECT_EQ(all.get_doccount(), 90u);
  for (size_t i = 0; i < 90; ++i)
    EXPECT_EQ(all.get_termfreq("Q" + posts[i].id()), 1u) << posts[i].id();
}

// A follower (`serve --follow`) refuses every Ingest call with
// FAILED_PRECONDITION, before writing anything of its own.
TEST_F(ShardsTest, FollowerRefusesEveryIngestCall) {
  ASSERT_EQ(std::system("command -v xapian-tcpsrv xapian-replicate "
                        "xapian-replicate-server >/dev/null"),
            0)
      << "xapian-tools is missing (scripts/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(StartShards(/*replica=*/false));
  writer_ = Serve("serve_writer", writer_port_, dir_ / "writer",
                  {"--post-shard", Tcp(w0_), "--post-shard", Tcp(w1_)});
  ASSERT_TRUE(PollUntil([&] { return Accepts(writer_port_); }))
      << procs_.Log("serve_writer");
  ASSERT_NO_FATAL_FAILURE(StartFollower());
  const v1::Person& person = company_.people.at(0);
  const v1::Post& post = *std::find_if(
      company_.public_posts.begin(), company_.public_posts.end(),
      [](const v1::Post& p) { return p.kind() == v1::POST_KIND_QUESTION; });
  Frontend writer(Connect(env_, writer_port_));
  ASSERT_NO_FATAL_FAILURE(Ingest(writer, company_.people, {post}));
  // Roles for every call: admin erases and compacts, ingest writes,
  // intranet records outcomes.
  auto ingest = v1::Ingest::NewStub(
      Connect(env_, absl::StrCat("127.0.0.1:", follower_port_),
              /*round_robin=*/false, "admin ingest intranet"));
  auto refused = [&](const char* rpc, const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << rpc << ": " << s.error_code() << " " << s.error_message();
    EXPECT_NE(s.error_message().find("read-only"), std::string::npos)
        << rpc << ": " << s.error_message();
  };
  auto context = [](grpc::ClientContext& ctx) {
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
  };
  {
    v1::UpsertPeopleRequest req;
    *req.add_people() = person;
    v1::UpsertPeopleResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("UpsertPeople", ingest->UpsertPeople(&ctx, req, &resp));
  }
  {
    v1::UpsertPostsRequest req;
    *req.add_posts() = post;
    v1::UpsertPostsResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("UpsertPosts", ingest->UpsertPosts(&ctx, req, &resp));
  }
  {
    v1::IngestStreamRequest req;
    *req.add_people() = person;
    *req.add_posts() = post;
    v1::IngestStreamResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    auto stream = ingest->IngestStream(&ctx, &resp);
    stream->Write(req);
    stream->WritesDone();
    refused("IngestStream", stream->Finish());
  }
  {
    v1::DeletePostRequest req;
    req.set_post_id(post.id());
    v1::DeletePostResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("DeletePost", ingest->DeletePost(&ctx, req, &resp));
  }
  {
    v1::DeletePersonRequest req;
    req.set_person_id(person.id());
    v1::DeletePersonResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("DeletePerson", ingest->DeletePerson(&ctx, req, &resp));
  }
  {
    v1::CompactResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("Compact", ingest->Compact(&ctx, v1::CompactRequest(), &resp));
  }
  {
    v1::SetOptOutRequest req;
    req.set_person_id(person.id());
    req.set_opted_out(true);
    v1::SetOptOutResponse resp;
    grpc::ClientContext ctx;
    context(ctx);
    refused("SetOptOut", ingest->SetOptOut(&ctx, req, &resp));
  }
  {
    v1::RecordOutcomeRequest req;
    v1::Outcome& o = *req.mutable_outcome();
    o.set_id("outcome-on-a-follower");
    o.set_question_post_id(post.id());
    o.set_title(post.title());
    o.set_asker_id(post.author_id());
    o.set_helper_id(post.author_id() == kMember ? kNonMember : kMember);
    o.set_kind(v1::OUTCOME_KIND_ANSWERED);
    o.mutable_time()->set_seconds(clock_ - 60);
    // Asked until the follower knows the people and the post (it would
    // record the outcome then, were it not refused).
    grpc::Status s;
    PollUntil([&] {
      v1::RecordOutcomeResponse resp;
      grpc::ClientContext ctx;
      context(ctx);
      s = ingest->RecordOutcome(&ctx, req, &resp);
      return s.error_code() != grpc::StatusCode::NOT_FOUND;
    });
    refused("RecordOutcome", s);
  }
  // Nothing of its own written either: outcomes.jsonl is the writer's.
  EXPECT_FALSE(fs::exists(dir_ / "follower" / "outcomes.jsonl"));
}

// A follower's replicas of the two shards, one behind the other: after an
// erasure (the change log reset: read everything), the follower waits
// until every shard's replica reaches what the log covers, not the first
// shard's only (Xapian sets metadata on the first shard of several only,
// so the writer stamps each shard itself). Reading the shard behind at
// once would serve the erased person's posts it still holds.
TEST_F(ShardsTest, AFollowerWaitsForEveryShardBeforeAFullRead) {
  ASSERT_EQ(std::system("command -v xapian-tcpsrv >/dev/null"), 0)
      << "xapian-tools is missing (scripts/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(StartShards(/*replica=*/false));
  index::CatalogOptions w;
  w.data_dir = (dir_ / "writer").string();
  w.refresh_interval = std::chrono::milliseconds(0);
  w.post_shards = {{Tcp(w0_)}, {Tcp(w1_)}};
  auto writer = index::Catalog::Open(w);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE(
      (*writer)
          ->UpsertPeople(std::vector<v1::Person>{
              testing_util::MakePerson("ann"), testing_util::MakePerson("bo")})
          .ok());
  std::vector<v1::Post> posts;
  for (int i = 0; i < 8; ++i) {
    posts.push_back(testing_util::MakePost(
        absl::StrCat("q", i), i % 2 ? "ann" : "bo", v1::POST_KIND_QUESTION,
        "kafka", "kafka topics", 1'700'000'000 + i, "", "en"));
  }
  ASSERT_TRUE((*writer)->UpsertPosts(posts).ok());
  (*writer)->Refresh();
  // The follower's folder: people/ and private_posts/ as the writer's
  // (copied whole, as xapian-replicate does); shard 0 read live, shard 1
  // from a copy that stays as it is now, served read-only.
  int copies = 0;
  auto replicate = [&](const char* db) {
    const fs::path to = dir_ / "follower" / db;
    const std::string copy = absl::StrCat("copy_", ++copies);
    fs::create_directories(to);
    fs::copy(dir_ / "writer" / db, to / copy, fs::copy_options::recursive);
    std::ofstream(to / "XAPIANDB.new") << "auto " << copy << "\n";
    fs::rename(to / "XAPIANDB.new", to / "XAPIANDB");
  };
  replicate("people");
  replicate("private_posts");
  fs::copy(dir_ / "shards" / "shard1", dir_ / "shard1_behind",
           fs::copy_options::recursive);
  const int behind = FreePort();
  Tcpsrv("behind", behind, dir_ / "shard1_behind", false);
  ASSERT_TRUE(PollUntil([&] { return Accepts(behind); }));
  index::CatalogOptions f;
  f.data_dir = (dir_ / "follower").string();
  f.refresh_interval = std::chrono::milliseconds(0);
  f.follow = true;
  f.post_shards = {{Tcp(r0_)}, {Tcp(behind)}};
  auto follower = index::Catalog::Open(f);
  ASSERT_TRUE(follower.ok()) << follower.status();
  ASSERT_EQ((*follower)->snapshot()->people.count("ann"), 1u);

  ASSERT_TRUE((*writer)->DeletePerson("ann").ok());
  (*writer)->Refresh();
  replicate("people");
  replicate("private_posts");
  (*follower)->Refresh();
  // Shard 0 holds the erasure, shard 1's copy does not: the follower
  // waits for it (ann and her posts dropped at once), reading nothing.
  EXPECT_EQ((*follower)->stats().follow_full_reloads, 0);
  const auto snap = (*follower)->snapshot();
  EXPECT_EQ(snap->people.count("ann"), 0u);
  for (const auto& [id, m] : snap->posts)
    EXPECT_NE(m->author_id.str(), "ann") << id;
  EXPECT_EQ(snap->posts.size(), 4u);
}

}  // namespace
}  // namespace whoknows::cli
