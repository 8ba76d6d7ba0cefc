// The crash test: the real `whoknows serve` binary, killed with SIGKILL at
// random moments while real gRPC clients ingest (UpsertPosts batches,
// IngestStream, UpsertPeople) and `whoknows import interactions` appends
// (itself killed at times, and sometimes leaving a torn line as a power cut
// would); one kill in four or so cuts a stop (SIGTERM) short, while the
// close may be writing derived.bin and graph.bin. After every restart:
//   - the server opens cleanly (its start line within 30 s);
//   - every acknowledged batch is present, every other batch is present
//     whole or not at all, and a stream's batches are a prefix (batch i
//     committed means every batch before it is);
//   - a person's stored version is at least the last acknowledged one;
//   - no post or person is stored twice;
//   - interactions.tsv loads, holds every acknowledged import, and every
//     record in it is one that was sent, unchanged (nothing glued);
//   - the side files are consistent with the posts: graph.tsv is whole
//     lines whose endpoints are people some write named (it may lag the
//     catalog by its save interval), and embeddings.bin, when present,
//     loads and profiles only people the catalog knows (directory,
//     managers, authors, likers, mentioned).
// Post batches mix public and private posts (so most of them write two
// databases, and some move a post between them), and stream messages carry
// people and posts together: each such write is made atomic by the batch
// journal (index/batch_journal.h), which Catalog::Open replays.
// WHOKNOWS_CRASH_KILLS (default 25, the manual run of issue 11; about 30 s)
// sets the number of kills (50 on demand), and WHOKNOWS_CRASH_SEED the seed
// (printed, so a failure reproduces).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/interactions.h"
#include "ranking/expertise_model.h"
#include "secure_env.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"
#include "whoknows/v1/ingest.grpc.pb.h"

namespace whoknows::api {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `argv` with stdout and stderr appended to `log`.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Kills `pid` with `sig` and reaps it; returns its wait status.
int KillAndReap(pid_t pid, int sig) {
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// One batch as the clients sent it.
struct Batch {
  std::vector<std::string> post_ids;
  std::vector<std::string> person_ids;
  // The person ids are new (else they may exist from before, and only an
  // acknowledged batch is checked for them).
  bool new_people = false;
  // >= 0: the client's batch number, a tag "v<version>" on each post; a
  // later batch of the same client may write some of its posts again (a
  // move between databases), so a post counts as this batch's when it
  // carries this version or a later one.
  int version = -1;
  int stream = -1;  // the stream it was sent in, or -1
  bool acked = false;
};

// What the clients were told, shared by the client threads.
class Ledger {
 public:
  size_t Add(Batch b) {
    absl::MutexLock lock(&mu_);
    batches_.push_back(std::move(b));
    return batches_.size() - 1;
  }
  void Ack(size_t i) {
    absl::MutexLock lock(&mu_);
    batches_[i].acked = true;
  }
  void AckPerson(const std::string& id, int version) {
    absl::MutexLock lock(&mu_);
    int& v = acked_version_[id];
    v = std::max(v, version);
  }
  std::vector<Batch> batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  std::map<std::string, int> acked_versions() const {
    absl::MutexLock lock(&mu_);
    return acked_version_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Batch> batches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> acked_version_ ABSL_GUARDED_BY(mu_);
};

constexpr int kPeople = 60;
constexpr int64_t kDay0 = 1700000000;

std::string PersonId(int i) { return absl::StrCat("u", i); }

const char* const kWords[] = {
    "kubernetes", "deploy",  "faktura", "excel",  "printer", "vpn",
    "sap",        "helm",    "moms",    "backup", "restore", "kafka",
    "latency",    "release", "budget",  "lager",  "order",   "toner"};

std::string Words(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    absl::StrAppend(&s, i ? " " : "", kWords[rng() % std::size(kWords)]);
  return s;
}

// A thread: a question and its answers and comments, public or private
// (`privacy`: 0 public, 1 private, 2 mixed).
std::vector<v1::Post> MakeThread(std::mt19937_64& rng, const std::string& tag,
                                 int size, int privacy) {
  std::vector<v1::Post> posts;
  const std::string root = tag + "q";
  for (int i = 0; i < size; ++i) {
    const std::string id = i == 0 ? root : absl::StrCat(tag, "a", i);
    v1::Post p = testing_util::MakePost(
        id, PersonId(static_cast<int>(rng() % kPeople)),
        i == 0 ? v1::POST_KIND_QUESTION
               : (rng() % 4 ? v1::POST_KIND_ANSWER : v1::POST_KIND_COMMENT),
        i == 0 ? Words(rng, 5) : "", Words(rng, 20),
        kDay0 + static_cast<int64_t>(rng() % 400) * 86400, i == 0 ? "" : root,
        "en");
    if (rng() % 5 == 0)
      p.add_liked_by(PersonId(static_cast<int>(rng() % kPeople)));
    if (rng() % 7 == 0)
      p.add_mentioned(PersonId(static_cast<int>(rng() % kPeople)));
    const bool is_private = privacy == 1 || (privacy == 2 && i == size - 1);
    if (is_private) p.set_visibility("group:crash");
    posts.push_back(std::move(p));
  }
  return posts;
}

struct Clients {
  std::shared_ptr<grpc::Channel> channel;
  Ledger* ledger;
  std::atomic<bool>* stop;
  uint64_t seed;
  std::string round;
};

grpc::ClientContext* WithDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return ctx;
}

// Posts in whole-thread batches of 1-8 threads until stopped or refused.
void PostClient(const Clients& c) {
  std::mt19937_64 rng(c.seed);
  auto stub = v1::Ingest::NewStub(c.channel);
  for (int b = 0; !c.stop->load(); ++b) {
    v1::UpsertPostsRequest request;
    Batch batch;
    batch.version = b;
    const int threads = 1 + static_cast<int>(rng() % 8);
    // Public, private and mixed threads in one batch: most batches write
    // both databases.
    for (int t = 0; t < threads; ++t) {
      for (auto& p : MakeThread(rng, absl::StrCat(c.round, "p", b, "t", t, "-"),
                                1 + static_cast<int>(rng() % 12),
                                static_cast<int>(rng() % 3))) {
        batch.post_ids.push_back(p.id());
        p.add_tags(absl::StrCat("v", b));
        *request.add_posts() = std::move(p);
      }
    }
    // Now and then a thread of the previous batch again, with its privacy
    // turned: its posts move between the databases.
    if (b > 0 && rng() % 3 == 0) {
      auto moved = MakeThread(rng, absl::StrCat(c.round, "p", b - 1, "t0-"),
                              1 + static_cast<int>(rng() % 4),
                              static_cast<int>(rng() % 3));
      for (auto& p : moved) {
        batch.post_ids.push_back(p.id());
        p.add_tags(absl::StrCat("v", b));
        *request.add_posts() = std::move(p);
      }
    }
    const size_t i = c.ledger->Add(std::move(batch));
    grpc::ClientContext ctx;
    v1::UpsertPostsResponse response;
    if (!stub->UpsertPosts(WithDeadline(&ctx), request, &response).ok()) return;
    c.ledger->Ack(i);
  }
}

// Streams of 1-6 messages, each a thread (public, private or mixed) and
// 0-3 new people (one write: both or neither); acknowledged when the
// stream finishes OK.
void StreamClient(const Clients& c) {
  std::mt19937_64 rng(c.seed);
  auto stub = v1::Ingest::NewStub(c.channel);
  for (int s = 0; !c.stop->load(); ++s) {
    grpc::ClientContext ctx;
    v1::IngestStreamResponse response;
    auto writer = stub->IngestStream(WithDeadline(&ctx), &response);
    std::vector<size_t> sent;
    const int messages = 1 + static_cast<int>(rng() % 6);
    for (int m = 0; m < messages; ++m) {
      v1::IngestStreamRequest request;
      Batch batch;
      batch.stream = static_cast<int>(c.seed % 100000) * 1000 + s;
      const std::string tag = absl::StrCat(c.round, "s", s, "m", m, "-");
      for (auto& p : MakeThread(rng, tag, 1 + static_cast<int>(rng() % 6),
                                static_cast<int>(rng() % 3))) {
        batch.post_ids.push_back(p.id());
        *request.add_posts() = std::move(p);
      }
      batch.new_people = true;
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
        v1::Person p = testing_util::MakePerson(absl::StrCat(tag, "n", k));
        p.set_manager_id(PersonId(static_cast<int>(rng() % kPeople)));
        batch.person_ids.push_back(p.id());
        *request.add_people() = std::move(p);
      }
      sent.push_back(c.ledger->Add(std::move(batch)));
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    if (!writer->Finish().ok()) return;
    for (size_t i : sent) c.ledger->Ack(i);
  }
}

// The directory: people u0..u59 re-upserted with a rising version in the
// title, plus new people.
void PeopleClient(const Clients& c, std::map<std::string, int>* versions) {
  std::mt19937_64 rng(c.seed);
  auto stub = v1::Ingest::NewStub(c.channel);
  for (int b = 0; !c.stop->load(); ++b) {
    v1::UpsertPeopleRequest request;
    Batch batch;
    std::vector<std::pair<std::string, int>> wrote;
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      const std::string id = rng() % 3
                                 ? PersonId(static_cast<int>(rng() % kPeople))
                                 : absl::StrCat(c.round, "n", b, "-", i);
      if (std::find(batch.person_ids.begin(), batch.person_ids.end(), id) !=
          batch.person_ids.end())
        continue;
      const int version = ++(*versions)[id];
      v1::Person p =
          testing_util::MakePerson(id, "Dept" + std::to_string(rng() % 4));
      p.set_title(absl::StrCat("v", version));
      p.set_manager_id(PersonId(static_cast<int>(rng() % kPeople)));
      if (p.manager_id() == id) p.clear_manager_id();
      *request.add_people() = std::move(p);
      batch.person_ids.push_back(id);
      wrote.emplace_back(id, version);
    }
    const size_t i = c.ledger->Add(std::move(batch));
    grpc::ClientContext ctx;
    v1::UpsertPeopleResponse response;
    if (!stub->UpsertPeople(WithDeadline(&ctx), request, &response).ok())
      return;
    c.ledger->Ack(i);
    for (const auto& [id, version] : wrote) c.ledger->AckPerson(id, version);
  }
}

class CrashTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::TestDir();
    env_ = std::make_unique<SecureEnv>(dir_ + "_pki");
    log_ = dir_ + "_server.log";
    admin_token_ = env_->Token("crash-admin", "admin");
  }

  std::vector<std::string> ServeArgs() const {
    const std::string pki = dir_ + "_pki";
    return {WHOKNOWS_BINARY, "serve",
            "--listen",      "127.0.0.1:0",
            "--data",        dir_,
            "--refresh-ms",  "100",
            "--tls-cert",    pki + "/server.pem",
            "--tls-key",     pki + "/server.key",
            "--jwt-keys",    pki + "/jwt.pem",
            "--jwt-issuer",  SecureEnv::kIssuer};
  }

  // Starts the server; the port, or 0 (with a failure) if it did not start.
  int StartServer(pid_t* pid) {
    const size_t from = ReadAll(log_).size();
    *pid = Spawn(ServeArgs(), log_);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      const std::string log = ReadAll(log_).substr(from);
      if (auto at = log.find("(port "); at != std::string::npos)
        return std::atoi(log.c_str() + at + 6);
      int status;
      if (::waitpid(*pid, &status, WNOHANG) == *pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the server did not open cleanly:\n"
                  << ReadAll(log_).substr(from);
    return 0;
  }

  // `whoknows import interactions` of `n` new records, killed after
  // `kill_after` ms when set. Records what was sent and what was acked.
  void ImportInteractions(std::mt19937_64& rng, int round, int n,
                          std::optional<int> kill_after) {
    const std::string file = absl::StrCat(dir_, "_in", round, ".jsonl");
    std::vector<std::string> ids;
    {
      std::ofstream out(file);
      for (int i = 0; i < n; ++i) {
        index::Interaction it;
        it.id = absl::StrCat("r", round, "i", i);
        it.from = PersonId(static_cast<int>(rng() % kPeople));
        do {
          it.to = {PersonId(static_cast<int>(rng() % kPeople))};
        } while (it.to[0] == it.from);
        it.time = kDay0 + static_cast<int64_t>(rng() % 400) * 86400;
        it.kind = rng() % 2 ? "email" : "chat";
        out << R"({"type":"interaction","id":")" << it.id << R"(","from":")"
            << it.from << R"(","to":[")" << it.to[0] << R"("],"time":)"
            << it.time << R"(,"kind":")" << it.kind << "\"}\n";
        ids.push_back(it.id);
        sent_interactions_[it.id] = it;
      }
    }
    const pid_t pid =
        Spawn({WHOKNOWS_BINARY, "import", "interactions", file, "--data", dir_},
              dir_ + "_import.log");
    int status = 0;
    if (kill_after) {
      std::this_thread::sleep_for(std::chrono::milliseconds(*kill_after));
      status = KillAndReap(pid, SIGKILL);
    } else {
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << ReadAll(dir_ + "_import.log");
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      for (const auto& id : ids) acked_interactions_.insert(id);
  }

  // A power cut mid-append: part of a line, no newline.
  void TearInteractions(std::mt19937_64& rng) {
    std::ofstream out(index::DataDir(dir_).interactions(),
                      std::ios::app | std::ios::binary);
    const std::string line = "torn\t1700000000\temail\tu1\tu2\tu3";
    out << line.substr(0, 1 + rng() % (line.size() - 1));
    ++tears_;
  }

  void CheckBatches(const index::Snapshot& snap, const Ledger& ledger);
  void CheckPeople(const index::Snapshot& snap, const Ledger& ledger);
  void CheckInteractions();
  void CheckSideFiles(const index::Snapshot& snap, const Ledger& ledger);
  void CheckStoredOnce();

  std::string dir_, log_, admin_token_;
  std::unique_ptr<SecureEnv> env_;
  std::map<std::string, index::Interaction> sent_interactions_;
  std::set<std::string> acked_interactions_;
  int tears_ = 0;
};

// Whether the snapshot has post `id` as a batch of `version` (or a later
// one of the same client) wrote it; any version when `version` < 0.
bool HasPost(const index::Snapshot& snap, const std::string& id, int version) {
  const index::PostMeta* p = snap.FindPost(id);
  if (!p || version < 0) return p != nullptr;
  for (const auto& tag : p->tags)
    if (tag[0] == 'v' && std::atoi(tag.c_str() + 1) >= version) return true;
  return false;
}

void CrashTest::CheckBatches(const index::Snapshot& snap,
                             const Ledger& ledger) {
  std::map<int, std::vector<bool>> streams;  // present, in sending order
  for (const Batch& b : ledger.batches()) {
    size_t present = 0;
    for (const auto& id : b.post_ids) present += HasPost(snap, id, b.version);
    for (const auto& id : b.person_ids) present += snap.people.count(id) > 0;
    const size_t all = b.post_ids.size() + b.person_ids.size();
    const std::string first =
        b.post_ids.empty() ? b.person_ids.front() : b.post_ids.front();
    if (b.acked) {
      EXPECT_EQ(present, all) << "acknowledged batch lost (" << first << ")";
    } else if (b.person_ids.empty() || b.new_people) {
      EXPECT_TRUE(present == 0 || present == all)
          << "half-visible batch " << first << ": " << present << "/" << all;
    }
    if (b.stream >= 0) streams[b.stream].push_back(present == all);
  }
  for (const auto& [stream, present] : streams)
    EXPECT_TRUE(std::is_sorted(present.rbegin(), present.rend()))
        << "stream " << stream << ": a later batch without an earlier one";
}

void CrashTest::CheckPeople(const index::Snapshot& snap, const Ledger& ledger) {
  for (const auto& [id, version] : ledger.acked_versions()) {
    const v1::Person* p = snap.FindPerson(id);
    ASSERT_NE(p, nullptr) << "acknowledged person " << id << " lost";
    EXPECT_GE(std::atoi(p->title().c_str() + 1), version) << id;
  }
}

void CrashTest::CheckInteractions() {
  auto loaded = index::InteractionLog(dir_).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::set<std::string> seen;
  for (const auto& it : *loaded) {
    auto sent = sent_interactions_.find(it.id);
    ASSERT_NE(sent, sent_interactions_.end()) << "never sent: " << it.id;
    EXPECT_EQ(it.from, sent->second.from) << it.id;
    EXPECT_EQ(it.to, sent->second.to) << it.id;
    EXPECT_EQ(it.time, sent->second.time) << it.id;
    EXPECT_EQ(it.kind, sent->second.kind) << it.id;
    seen.insert(it.id);
  }
  for (const auto& id : acked_interactions_)
    EXPECT_TRUE(seen.count(id)) << "acknowledged interaction lost: " << id;
}

// Nothing doubled: each post is one document of posts/ and private_posts/
// together, each person one of people/. Memory keeps a record by id, so a
// second document would not show in a snapshot, but it would in searches
// and in a later scan. New posts are added without replace_document's
// look-up of their id (stop 23), so a crash or a replay that let memory
// miss a stored post would make the next write of it a second document.
void CrashTest::CheckStoredOnce() {
  const index::DataDir dir(dir_);
  std::map<std::string, int> posts, people;
  auto count = [](const std::string& path, std::map<std::string, int>& ids) {
    if (!fs::exists(path)) return;
    Xapian::Database db(path);
    for (auto t = db.allterms_begin("Q"); t != db.allterms_end("Q"); ++t)
      ids[*t] += t.get_termfreq();
  };
  count(dir.posts(), posts);
  count(dir.private_posts(), posts);
  count(dir.people(), people);
  for (const auto* ids : {&posts, &people}) {
    for (const auto& [term, n] : *ids)
      EXPECT_EQ(n, 1) << term.substr(1) << " stored " << n << " times";
  }
}

// Consistent with the posts: every person the model names is one the
// catalog knows; every person graph.tsv names is one a write named.
// graph.tsv lags the published graph (the saver rewrites it at most every
// graph_save_interval, and a restart's first publish leaves it to the
// saver), and nothing here is erased, so it may name someone only an
// earlier committed state knew: u20's manager before an UpsertPeople
// changed it, say. What it must not hold is anyone no client ever sent.
void CrashTest::CheckSideFiles(const index::Snapshot& snap,
                               const Ledger& ledger) {
  std::set<std::string> known;
  for (const auto& [id, p] : snap.people) {
    known.insert(id);
    known.insert(p->manager_id());
  }
  for (const auto& [id, m] : snap.posts) {
    known.insert(m->author_id);
    known.insert(m->liked_by.begin(), m->liked_by.end());
    known.insert(m->mentioned.begin(), m->mentioned.end());
  }
  // Authors, likers, mentioned and managers are drawn from u0..u59.
  std::set<std::string> sent = known;
  for (int i = 0; i < kPeople; ++i) sent.insert(PersonId(i));
  for (const Batch& b : ledger.batches())
    sent.insert(b.person_ids.begin(), b.person_ids.end());
  const index::DataDir dir(dir_);
  const std::string graph = ReadAll(dir.graph());
  EXPECT_TRUE(graph.empty() || graph.back() == '\n') << "graph.tsv torn";
  for (absl::string_view line :
       absl::StrSplit(graph, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    ASSERT_EQ(cols.size(), 6u) << "graph.tsv: " << line;
    EXPECT_TRUE(sent.count(cols[0]) && sent.count(cols[1]))
        << "graph.tsv names someone no write named: " << line;
  }
  if (!fs::exists(dir.embeddings())) return;
  auto model = ranking::ExpertiseModel::Load(
      dir.embeddings(), std::make_shared<index::Snapshot>(snap));
  ASSERT_TRUE(model.ok()) << model.status();
  for (const auto& id : (*model)->profile_people())
    EXPECT_TRUE(known.count(id)) << "embeddings.bin profiles unknown " << id;
}

TEST_F(CrashTest, EveryAcknowledgedWriteSurvivesSigkill) {
  const int kills = EnvInt("WHOKNOWS_CRASH_KILLS", 25);
  const uint64_t seed =
      std::getenv("WHOKNOWS_CRASH_SEED")
          ? std::strtoull(std::getenv("WHOKNOWS_CRASH_SEED"), nullptr, 10)
          : std::random_device{}();
  std::printf("crash test: seed %llu (WHOKNOWS_CRASH_SEED), %d kills\n",
              static_cast<unsigned long long>(seed), kills);
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  Ledger ledger;
  std::map<std::string, int> versions;
  const auto start = Clock::now();
  for (int round = 0; round <= kills && !HasFatalFailure(); ++round) {
    pid_t pid;
    const int port = StartServer(&pid);
    ASSERT_GT(port, 0) << "round " << round << ", seed " << seed;
    {
      auto catalog = index::Catalog::OpenForReading(dir_);
      ASSERT_TRUE(catalog.ok()) << catalog.status();
      auto snap = (*catalog)->snapshot();
      CheckBatches(*snap, ledger);
      CheckPeople(*snap, ledger);
      CheckInteractions();
      CheckSideFiles(*snap, ledger);
      CheckStoredOnce();
    }
    if (HasFailure()) {
      KillAndReap(pid, SIGKILL);
      FAIL() << "round " << round << ", seed " << seed;
    }
    if (round == kills) {  // the last start: a clean stop
      const int status = KillAndReap(pid, SIGTERM);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      break;
    }
    std::atomic<bool> stop{false};
    const std::string tag = absl::StrCat("r", round, "-");
    auto channel = env_->Channel(port, admin_token_);
    Clients c{channel, &ledger, &stop, rng(), tag + "a"};
    std::thread posts(PostClient, c);
    c.seed = rng(), c.round = tag + "b";
    std::thread stream(StreamClient, c);
    c.seed = rng(), c.round = tag + "c";
    std::thread people(PeopleClient, c, &versions);
    // Mostly mid-ingest; now and then right after the start.
    const int delay = rng() % 6 == 0 ? static_cast<int>(rng() % 50)
                                     : 100 + static_cast<int>(rng() % 1400);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    // Now and then a stop cut short: SIGTERM, then SIGKILL while the close
    // may be writing derived.bin and graph.bin (which the next checks'
    // OpenForReading uses when their stamps match).
    if (rng() % 4 == 0) {
      ::kill(pid, SIGTERM);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(static_cast<int>(rng() % 400)));
    }
    KillAndReap(pid, SIGKILL);
    stop = true;
    posts.join();
    stream.join();
    people.join();
    // Interactions while the server is down (the importer takes the lock).
    if (rng() % 2)
      ImportInteractions(
          rng, round, 1 + static_cast<int>(rng() % 400),
          rng() % 2 ? std::optional<int>(rng() % 300) : std::nullopt);
    if (rng() % 4 == 0) TearInteractions(rng);
  }
  const auto batches = ledger.batches();
  const auto acked = std::count_if(batches.begin(), batches.end(),
                                   [](const Batch& b) { return b.acked; });
  std::printf(
      "crash test: seed %llu, %d kills, %zu batches sent, %ld acknowledged, "
      "%zu interactions acknowledged, %d torn lines, %.1f s\n",
      static_cast<unsigned long long>(seed), kills, batches.size(),
      static_cast<long>(acked), acked_interactions_.size(), tears_,
      std::chrono::duration<double>(Clock::now() - start).count());
  EXPECT_GT(acked, kills) << "the clients hardly wrote: the test tests little";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
}

}  // namespace
}  // namespace whoknows::api
