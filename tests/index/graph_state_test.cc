// The colleague graph file (<data>/graph.bin, index/derived_state.h): a
// graph read back is the graph written, vertex for vertex and edge for
// edge; an Open that reads it publishes the graph a build from the posts
// gives; and every file that may not be the graph of the folder's records
// (older than a write, from another database, truncated, damaged, of another
// format version, built with other options, left half-written by a crash,
// or without derived.bin's records beside it) is not used: the graph is
// built from the posts instead and the writer removes the file. Real Xapian
// databases in test folders.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/derived_state.h"
#include "index/graph.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/state_files.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using testing_util::Edges;
using testing_util::EdgesOf;
using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::ReadBytes;
using testing_util::Resealed;
using testing_util::StampsEnd;
using testing_util::TestDir;
using testing_util::Varint;
using testing_util::WithVersion;
using testing_util::WriteFile;

constexpr int64_t kT0 = 1'700'000'000;

// Every vertex as stored (id, out-edges in order with every property, the
// weight bit for bit, in-edges in order), one line each in vertex order.
std::vector<std::string> Vertices(const ColleagueGraph& g) {
  std::vector<std::string> out;
  ColleagueGraph::StoredVertex v;
  for (size_t i = 0; i < g.num_people(); ++i) {
    g.Store(static_cast<int64_t>(i), &v);
    std::ostringstream line;
    line << v.id << " out";
    for (const auto& [target, p] : v.out) {
      line << " " << target << "/" << static_cast<int>(p.kind) << "/"
           << std::bit_cast<uint64_t>(p.weight) << "/" << p.count << "/"
           << p.last_seen;
    }
    line << " in";
    for (const auto& [source, index] : v.in)
      line << " " << source << "/" << index;
    out.push_back(line.str());
  }
  return out;
}

// A random company of `people` people and `posts` posts: threads of
// replies, likes, mentions, a manager tree, some private posts.
struct RandomCompany {
  std::vector<v1::Person> people;
  std::vector<v1::Post> posts;
};
RandomCompany MakeRandomCompany(uint64_t seed, int people, int posts) {
  std::mt19937_64 rng(seed);
  auto any = [&](int n) { return static_cast<int>(rng() % n); };
  auto person = [](int i) { return "u" + std::to_string(i); };
  RandomCompany c;
  for (int i = 0; i < people; ++i) {
    v1::Person p = MakePerson(person(i), "dept" + std::to_string(i % 4));
    if (i > 0 && any(4) != 0) p.set_manager_id(person(any(i)));
    c.people.push_back(std::move(p));
  }
  for (int i = 0; i < posts; ++i) {
    const std::string id = "p" + std::to_string(i);
    const bool root = i == 0 || any(3) == 0;
    const v1::Post* parent = root ? nullptr : &c.posts[any(i)];
    v1::Post p =
        MakePost(id, person(any(people)),
                 root ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER,
                 "Printer " + id, "It jams, says " + id, kT0 + i * 60 + any(50),
                 parent ? parent->id() : "", "en");
    p.set_thread_id(parent ? parent->thread_id() : id);
    if (any(10) == 0) p.set_visibility("group:hr");
    for (int k = 0; k < 3; ++k) {
      if (any(3) == 0) p.add_liked_by(person(any(people)));
      if (any(6) == 0) p.add_mentioned(person(any(people)));
    }
    c.posts.push_back(std::move(p));
  }
  return c;
}

std::unordered_map<std::string, std::shared_ptr<const PostMeta>> Metas(
    const RandomCompany& c) {
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> metas;
  for (const v1::Post& p : c.posts) {
    auto m = std::make_shared<PostMeta>();
    m->id = p.id();
    m->author_id = p.author_id();
    m->kind = p.kind();
    m->parent_id = p.parent_id();
    m->thread_id = p.thread_id();
    m->created = p.created().seconds();
    m->is_public = p.visibility().empty() || p.visibility() == "public";
    m->liked_by.assign(p.liked_by().begin(), p.liked_by().end());
    m->mentioned.assign(p.mentioned().begin(), p.mentioned().end());
    metas[p.id()] = std::move(m);
  }
  return metas;
}

std::unordered_map<std::string, std::string> Managers(const RandomCompany& c) {
  std::unordered_map<std::string, std::string> managers;
  for (const v1::Person& p : c.people)
    if (!p.manager_id().empty()) managers[p.id()] = p.manager_id();
  return managers;
}

DatabaseStamps SomeStamps() {
  DatabaseStamps stamps;
  stamps[0] = {"uuid-posts", 7};
  stamps[1] = {"uuid-private", 3};
  stamps[2] = {"uuid-people", 5};
  return stamps;
}

TEST(GraphStateTest, AGraphReadBackIsTheGraphWrittenVertexForVertex) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const RandomCompany company = MakeRandomCompany(seed, 60, 900);
    const ColleagueGraph built =
        ColleagueGraph::Build(Metas(company), Managers(company), {}, {"u7"});
    ASSERT_GT(built.num_edges(), 300u);
    const std::string path = TestDir(/*create=*/true) + "/graph.bin";
    ASSERT_TRUE(WriteGraphState(path, SomeStamps(), {}, built).ok());
    auto read = ReadGraphState(path, SomeStamps(), {});
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->num_people(), built.num_people());
    EXPECT_EQ(read->num_edges(), built.num_edges());
    EXPECT_EQ(Vertices(*read), Vertices(built)) << "seed " << seed;
    EXPECT_EQ(EdgesOf(*read), EdgesOf(built));
    for (size_t v = 0; v < built.num_people(); ++v)
      EXPECT_EQ(read->VertexOf(built.PersonId(static_cast<int64_t>(v))),
                static_cast<int64_t>(v));
    EXPECT_EQ(read->VertexOf("u7"), -1) << "opted out";
    EXPECT_EQ(read->TieStrength("u1", "u2"), built.TieStrength("u1", "u2"));
    // An extension of the graph read is the extension of the graph built.
    const std::vector<ColleagueGraph::Tie> ties = {
        {"u1", "u2", EdgeKind::kReply, kT0 + 999'999},
        {"u3", "new", EdgeKind::kMention, kT0 + 999'999}};
    auto a = ColleagueGraph::Extend(built, ties);
    auto b = ColleagueGraph::Extend(*read, ties);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(Vertices(*b), Vertices(*a));
  }
}

// Where a graph.bin written with the default options holds its flags:
// after the options (5 weights, then max_thread_participants as a zigzag
// varint).
size_t FlagsAt(const std::string& bytes) {
  const auto most = static_cast<uint64_t>(
      static_cast<uint32_t>(GraphOptions{}.max_thread_participants));
  return StampsEnd(bytes) + 5 * 8 + Varint(2 * most).size();
}

// A graph.bin as a close that did not know graph.tsv to hold its graph
// would have written it: flags 0, no graph.tsv version after them.
std::string WithoutTsv(std::string bytes) {
  const size_t at = FlagsAt(bytes);
  if (bytes[at] != 1) {
    ADD_FAILURE() << "graph.bin says nothing of graph.tsv already";
    return bytes;
  }
  size_t end = at + 1;
  for (int varints = 0; varints < 2; ++end)
    if (!(static_cast<unsigned char>(bytes[end]) & 0x80)) ++varints;
  bytes.erase(at + 1, end - at - 1);
  bytes[at] = 0;
  return Resealed(std::move(bytes));
}

// What a graph.bin says of graph.tsv reads back as written; a version-1
// file (no flags) reads as the same graph, saying nothing of graph.tsv;
// flags this build does not know are refused.
TEST(GraphStateTest, WhatTheFileSaysOfGraphTsvReadsBackAndVersionOneIsRead) {
  const RandomCompany company = MakeRandomCompany(8, 30, 300);
  const ColleagueGraph built =
      ColleagueGraph::Build(Metas(company), Managers(company));
  const std::string path = TestDir(/*create=*/true) + "/graph.bin";
  const std::optional<FileVersion> versions[] = {
      FileVersion{.size = 98'562'278, .mtime_ns = 1'764'700'000'123'456'789},
      FileVersion{.size = 0, .mtime_ns = -1}, std::nullopt};
  for (const auto& tsv : versions) {
    ASSERT_TRUE(WriteGraphState(path, SomeStamps(), {}, built, tsv).ok());
    std::optional<FileVersion> read_tsv = FileVersion{.size = 7};
    auto read = ReadGraphState(path, SomeStamps(), {}, &read_tsv);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read_tsv, tsv);
    EXPECT_EQ(EdgesOf(*read), EdgesOf(built));
  }
  const std::string bytes = ReadBytes(path);  // written saying nothing
  const size_t flags_at = FlagsAt(bytes);
  ASSERT_EQ(bytes[flags_at], 0);
  std::string v1 = bytes;
  v1.erase(flags_at, 1);
  WriteFile(path, WithVersion(v1, 1));
  std::optional<FileVersion> v1_tsv = FileVersion{};
  auto read = ReadGraphState(path, SomeStamps(), {}, &v1_tsv);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(v1_tsv, std::nullopt);
  EXPECT_EQ(EdgesOf(*read), EdgesOf(built));
  std::string unknown = bytes;
  unknown[flags_at] = 2;
  WriteFile(path, Resealed(unknown));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadGraphState(path, SomeStamps(), {}).status()));
  WriteFile(path, WithVersion(bytes, 0));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadGraphState(path, SomeStamps(), {}).status()));
  // Flagged, but cut before graph.tsv's version: not read as a graph.
  std::string cut = bytes;
  cut[flags_at] = 1;
  cut.resize(flags_at + 1);
  cut.append(12, '\0');
  WriteFile(path, Resealed(cut));
  EXPECT_TRUE(
      absl::IsDataLoss(ReadGraphState(path, SomeStamps(), {}).status()));
}

TEST(GraphStateTest, FilesThatAreNotTheGraphAreRefused) {
  const RandomCompany company = MakeRandomCompany(4, 30, 300);
  const ColleagueGraph built =
      ColleagueGraph::Build(Metas(company), Managers(company));
  const std::string path = TestDir(/*create=*/true) + "/graph.bin";
  ASSERT_TRUE(WriteGraphState(path, SomeStamps(), {}, built).ok());
  const std::string bytes = ReadBytes(path);
  DatabaseStamps other = SomeStamps();
  other[2].revision = 6;
  EXPECT_TRUE(
      absl::IsFailedPrecondition(ReadGraphState(path, other, {}).status()));
  other = SomeStamps();
  other[0].uuid = "uuid-elsewhere";
  EXPECT_TRUE(
      absl::IsFailedPrecondition(ReadGraphState(path, other, {}).status()));
  GraphOptions options;
  options.kind_weight[static_cast<int>(EdgeKind::kLike)] = 0.4;
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadGraphState(path, SomeStamps(), options).status()));
  options = {};
  options.max_thread_participants = 31;
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadGraphState(path, SomeStamps(), options).status()));
  EXPECT_TRUE(absl::IsNotFound(
      ReadGraphState(path + ".none", SomeStamps(), {}).status()));
}

// Each byte of a graph file, in turn, set to values that make varints run
// on, counts large, vertex numbers wrong or weights infinite, under a right
// checksum (a file written wrong, not damaged): refused, or read as a graph
// whose every edge joins two of its vertices with a finite weight; never an
// exception (on Open's reading thread, the end of the process) or a crash.
// Before, an infinite weight was read as it was.
TEST(GraphStateTest, AnyByteChangedUnderARightChecksumIsReadOrRefused) {
  const RandomCompany company = MakeRandomCompany(6, 6, 16);
  const ColleagueGraph built =
      ColleagueGraph::Build(Metas(company), Managers(company));
  const std::string path = TestDir(/*create=*/true) + "/graph.bin";
  ASSERT_TRUE(WriteGraphState(path, SomeStamps(), {}, built).ok());
  const std::string bytes = ReadBytes(path);
  int refused = 0;
  for (size_t at = 12; at + 12 < bytes.size(); ++at) {
    for (unsigned char value : {0x00, 0x80, 0xff}) {
      std::string changed = bytes;
      changed[at] = static_cast<char>(value);
      WriteFile(path, Resealed(changed));
      absl::StatusOr<ColleagueGraph> read =
          ReadGraphState(path, SomeStamps(), {});
      if (!read.ok()) {
        ++refused;
        EXPECT_TRUE(absl::IsDataLoss(read.status()) ||
                    absl::IsFailedPrecondition(read.status()))
            << at << ": " << read.status();
        continue;
      }
      const auto n = static_cast<int64_t>(read->num_people());
      read->ForEachEdge([&](int64_t from, int64_t to, const EdgeProps& p) {
        EXPECT_TRUE(from >= 0 && from < n && to >= 0 && to < n && from != to &&
                    static_cast<int>(p.kind) < kNumEdgeKinds &&
                    std::isfinite(p.weight))
            << at << ": " << from << " -> " << to << " weight " << p.weight;
      });
    }
  }
  EXPECT_GT(refused, 0);
}

// A company written through a catalog, every write published, closed: the
// close writes derived.bin and graph.bin.
void WriteCompany(const std::string& dir, uint64_t seed = 5) {
  const RandomCompany company = MakeRandomCompany(seed, 40, 400);
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->UpsertPeople(company.people).ok());
  ASSERT_TRUE(c->UpsertPosts(company.posts).ok());
  c->Refresh();
}

std::string GraphPath(const std::string& dir) {
  return DataDir(dir).graph_state();
}

// The graph a build from `s`'s own records gives.
std::shared_ptr<const ColleagueGraph> BuiltFrom(const Snapshot& s,
                                                const GraphOptions& o = {}) {
  return BuildSnapshot(s.people, s.posts, o)->graph;
}

bool GraphFromFile(const Catalog& c) {
  return c.stats().open.first_publish.graph_from_file;
}

TEST(GraphStateTest, OpenReadsTheGraphTheCloseWroteAndItIsTheBuiltOne) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_TRUE(fs::exists(GraphPath(dir))) << "written at close";
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(GraphFromFile(*c));
  EXPECT_TRUE(c->stats().open.records_from_file);
  const auto s = c->snapshot();
  ASSERT_GT(s->graph->num_edges(), 100u);
  EXPECT_EQ(EdgesOf(*s->graph), EdgesOf(*BuiltFrom(*s)));
  c.reset();
  // A read-only Open reads it too.
  auto r = testing_util::OpenCatalog(dir, /*read_only=*/true);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(GraphFromFile(*r));
}

TEST(GraphStateTest, AWriteRemovesTheFileAndACurrentCloseWritesItAnew) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(
        c->UpsertPosts({{MakePost("n1", "u1", v1::POST_KIND_ANSWER, "New",
                                  "A reply.", kT0 + 99'999, "p0", "en")}})
            .ok());
    EXPECT_FALSE(fs::exists(GraphPath(dir)));
    // Not published: the close has no graph of what it holds to write.
  }
  EXPECT_FALSE(fs::exists(GraphPath(dir)));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_FALSE(GraphFromFile(*c));
  }
  ASSERT_TRUE(fs::exists(GraphPath(dir))) << "the built graph, at close";
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(GraphFromFile(*c));
  const auto s = c->snapshot();
  EXPECT_GT(s->graph->TieStrength("u1", s->FindPost("p0")->author_id), 0);
  EXPECT_EQ(EdgesOf(*s->graph), EdgesOf(*BuiltFrom(*s)));
}

// A file's inode and change time, which a write changes (atomic: a
// temporary renamed over it, whose inode may be the one freed by the write
// before); "" when there is none.
std::string Written(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_ino) + "@" + std::to_string(st.st_ctim.tv_sec) +
         "." + std::to_string(st.st_ctim.tv_nsec);
}

// Opens `dir` (the writer, its graph saver running) and closes it after a
// while, long past the saver's first look (it ticks every 200 ms).
void StartAndStop(const std::string& dir, bool expect_graph_from_file = true) {
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(GraphFromFile(*c), expect_graph_from_file);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
}

// Opened and closed with no write in between, a folder whose graph.bin says
// graph.tsv holds its graph, graph.tsv being as it was then, does not get
// graph.tsv written again (it was, at every start: 98 MB and 4-7 s of CPU
// at 1M posts); nor graph.bin.
TEST(GraphStateTest, AStartFromTheFileLeavesGraphTsvAsItIs) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string tsv_path = DataDir(dir).graph();
  const std::string tsv = Written(tsv_path);
  const std::string bin = Written(GraphPath(dir));
  ASSERT_NE(tsv, "");
  ASSERT_NE(bin, "");
  const std::string bytes = ReadBytes(GraphPath(dir));
  ASSERT_EQ(bytes[FlagsAt(bytes)], 1) << "the close said graph.tsv holds it";
  for (int i = 0; i < 2; ++i) StartAndStop(dir);
  EXPECT_EQ(Written(tsv_path), tsv) << "graph.tsv was written again";
  EXPECT_EQ(Written(GraphPath(dir)), bin) << "graph.bin was written again";
}

// Without graph.tsv, with a graph.tsv changed since the close (another
// size or time), or with a graph.bin that does not say graph.tsv holds its
// graph (version 1, or a close that could not tell), the start writes
// graph.tsv, and the close writes graph.bin again to say so.
TEST(GraphStateTest, AStartWritesGraphTsvUnlessTheFileSaysItHoldsTheGraph) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string tsv_path = DataDir(dir).graph();
  const std::string tsv_bytes = ReadBytes(tsv_path);
  ASSERT_FALSE(tsv_bytes.empty());
  const std::string bytes = ReadBytes(GraphPath(dir));
  ASSERT_EQ(bytes[FlagsAt(bytes)], 1) << "the close said graph.tsv holds it";
  // Each way graph.tsv may not be what graph.bin said, done while the
  // server was down.
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"removed", [&] { fs::remove(tsv_path); }},
      {"emptied", [&] { WriteFile(tsv_path, ""); }},
      {"the same size, another time",
       [&] {
         fs::last_write_time(
             tsv_path, fs::last_write_time(tsv_path) - std::chrono::seconds(5));
       }},
      {"graph.bin saying nothing of it",
       [&] {
         WriteFile(GraphPath(dir), WithoutTsv(ReadBytes(GraphPath(dir))));
       }},
  };
  for (const auto& [what, change] : cases) {
    SCOPED_TRACE(what);
    change();
    const std::string tsv = Written(tsv_path);
    StartAndStop(dir);
    EXPECT_NE(Written(tsv_path), tsv) << "graph.tsv not written";
    EXPECT_TRUE(ReadBytes(tsv_path) == tsv_bytes)
        << "graph.tsv does not hold the graph";
    const std::string now = ReadBytes(GraphPath(dir));
    ASSERT_FALSE(now.empty());
    EXPECT_EQ(now[FlagsAt(now)], 1)
        << "the close did not write graph.bin again to say graph.tsv holds it";
    // And the start after it leaves graph.tsv as it is.
    const std::string written = Written(tsv_path);
    StartAndStop(dir);
    EXPECT_EQ(Written(tsv_path), written);
  }
}

// A start that took graph.tsv as saved still saves the graphs that follow:
// a write's new tie reaches graph.tsv, and graph.bin says so at close.
TEST(GraphStateTest, AfterAStartFromTheFileAWritesGraphIsSaved) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string tsv_path = DataDir(dir).graph();
  const std::string before = ReadBytes(tsv_path);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(GraphFromFile(*c));
    ASSERT_TRUE(
        c->UpsertPosts({{MakePost("n1", "u1", v1::POST_KIND_ANSWER, "New",
                                  "A reply.", kT0 + 99'999, "p0", "en")}})
            .ok());
    c->Refresh();
  }
  const std::string after = ReadBytes(tsv_path);
  EXPECT_TRUE(after != before) << "the write's graph was not saved";
  const std::string bytes = ReadBytes(GraphPath(dir));
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[FlagsAt(bytes)], 1);
  // The next start uses both as they are.
  const std::string tsv = Written(tsv_path);
  StartAndStop(dir);
  EXPECT_EQ(Written(tsv_path), tsv);
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  const auto s = c->snapshot();
  EXPECT_GT(s->graph->TieStrength("u1", s->FindPost("p0")->author_id), 0);
}

// Opens `dir` with `bytes` as its graph.bin: the file must not be used
// (removed at open) and the graph must be the built one.
void ExpectNotUsed(const std::string& dir, const std::string& bytes,
                   const GraphOptions& options = {}) {
  WriteFile(GraphPath(dir), bytes);
  CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.graph = options;
  auto c = Catalog::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(GraphFromFile(**c)) << "a stale graph was used";
  EXPECT_FALSE(fs::exists(GraphPath(dir))) << "a stale file was kept";
  const auto s = (*c)->snapshot();
  EXPECT_EQ(EdgesOf(*s->graph), EdgesOf(*BuiltFrom(*s, options)));
}

TEST(GraphStateTest, AFileOlderThanAWriteIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string before = ReadBytes(GraphPath(dir));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(
        c->UpsertPosts({{MakePost("n1", "u2", v1::POST_KIND_ANSWER, "New",
                                  "A reply.", kT0 + 99'999, "p0", "en")}})
            .ok());
    c->Refresh();
  }
  ASSERT_NE(ReadBytes(GraphPath(dir)), before);
  ExpectNotUsed(dir, before);
}

TEST(GraphStateTest, AFileFromAnotherDatabaseAtTheSameRevisionIsNotUsed) {
  const std::string a = TestDir() + "/a";
  const std::string b = TestDir() + "/b";
  WriteCompany(a, 5);
  WriteCompany(b, 6);  // the same writes, other ties
  ExpectNotUsed(b, ReadBytes(GraphPath(a)));
}

TEST(GraphStateTest, ATruncatedOrDamagedFileIsNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(GraphPath(dir));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() / 2));
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() - 1));
  ExpectNotUsed(dir, "");
  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x10;  // an edge's field: crc32 says so
  ExpectNotUsed(dir, damaged);
}

TEST(GraphStateTest, AnotherFormatVersionOrOtherOptionsAreNotUsed) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(GraphPath(dir));
  // Rewritten as this version, the file is used (the test's crc is right).
  WriteFile(GraphPath(dir), WithVersion(bytes, kGraphStateVersion));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(GraphFromFile(*c));
  }
  ExpectNotUsed(dir, WithVersion(bytes, kGraphStateVersion + 1));
  GraphOptions options;
  options.kind_weight[static_cast<int>(EdgeKind::kReply)] = 2.0;
  ExpectNotUsed(dir, bytes, options);
}

TEST(GraphStateTest, WithoutDerivedRecordsTheGraphIsBuilt) {
  // A graph is the graph of the records it was written with: records read
  // from the databases (derived.bin gone) are not known to be those.
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_TRUE(fs::remove(DataDir(dir).derived_state()));
  auto c = testing_util::OpenCatalog(dir);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->stats().open.records_from_file);
  EXPECT_FALSE(GraphFromFile(*c));
}

TEST(GraphStateTest, AWriteCutShortByACrashLeavesNoHalfFileUsed) {
  // WriteFileAtomically writes graph.bin.tmp and renames it: a kill -9
  // before the rename leaves the old file (or none) and the temporary,
  // which the next writer's Open removes without reading.
  const std::string dir = TestDir();
  WriteCompany(dir);
  const std::string bytes = ReadBytes(GraphPath(dir));
  WriteFile(GraphPath(dir) + ".tmp", bytes.substr(0, bytes.size() / 3));
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(GraphFromFile(*c)) << "the old file, whole";
    EXPECT_FALSE(fs::exists(GraphPath(dir) + ".tmp"));
  }
  // The half file renamed into place (as no crash can do) is still refused.
  ExpectNotUsed(dir, bytes.substr(0, bytes.size() / 3));
}

TEST(GraphStateTest, AnErasureRemovesTheFileBeforeTheClose) {
  const std::string dir = TestDir();
  WriteCompany(dir);
  ASSERT_NE(ReadBytes(GraphPath(dir)).find("u13"), std::string::npos);
  {
    auto c = testing_util::OpenCatalog(dir);
    ASSERT_NE(c, nullptr);
    auto erased = c->DeletePerson("u13");
    ASSERT_TRUE(erased.ok()) << erased.status();
    // Not left until close: a kill now must not leave u13's ties behind.
    EXPECT_FALSE(fs::exists(GraphPath(dir)));
    c->Refresh();
  }
  const std::string after = ReadBytes(GraphPath(dir));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.find("u13"), std::string::npos);
}

}  // namespace
}  // namespace whoknows::index
