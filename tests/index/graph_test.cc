// Tests index/graph.cc: building the colleague graph from posts and the
// manager tree, folding, tie strength, and the TSV round trip.
#include "index/graph.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>

#include "index/catalog.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

using PostMap =
    std::unordered_map<std::string, std::shared_ptr<const PostMeta>>;
using Managers = std::unordered_map<std::string, std::string>;

std::string TestDir() { return testing_util::TestDir(/*create=*/true); }

struct MetaSpec {
  std::string id = "";
  std::string author = "";
  v1::PostKind kind = v1::POST_KIND_QUESTION;
  std::string parent = "";
  std::string thread = "";  // defaults to id for roots, else parent's thread
  int64_t created = 1'700'000'000;
  bool is_public = true;
  std::vector<std::string> liked_by = {};
  std::vector<std::string> mentioned = {};
};

void Add(PostMap& posts, MetaSpec s) {
  auto m = std::make_shared<PostMeta>();
  m->id = s.id;
  m->author_id = s.author;
  m->kind = s.kind;
  m->parent_id = s.parent;
  if (s.thread.empty()) {
    if (s.parent.empty()) {
      s.thread = s.id;
    } else {
      auto it = posts.find(s.parent);
      s.thread = it != posts.end() ? it->second->thread_id.str() : s.parent;
    }
  }
  m->thread_id = s.thread;
  m->created = s.created;
  m->is_public = s.is_public;
  m->liked_by.assign(s.liked_by.begin(), s.liked_by.end());
  m->mentioned.assign(s.mentioned.begin(), s.mentioned.end());
  posts[s.id] = std::move(m);
}

// The single edge from -> to of `kind`, if any.
std::optional<EdgeProps> EdgeOf(const ColleagueGraph& g,
                                const std::string& from, const std::string& to,
                                EdgeKind kind) {
  const int64_t u = g.VertexOf(from), v = g.VertexOf(to);
  if (u < 0 || v < 0) return std::nullopt;
  std::optional<EdgeProps> found;
  int n = 0;
  g.ForEachOutEdge(u, [&](int64_t, int64_t target, const EdgeProps& p) {
    if (target == v && p.kind == kind) {
      found = p;
      ++n;
    }
  });
  EXPECT_LE(n, 1) << "parallel " << EdgeKindName(kind) << " edges " << from
                  << " -> " << to;
  return found;
}

// All edges as (source, target, kind) -> (weight, count, last_seen).
// A public question, and a public answer to `parent`, at `created`.
void Question(PostMap& posts, const std::string& id, const std::string& author,
              int64_t created) {
  Add(posts, {.id = id, .author = author, .created = created});
}
void Answer(PostMap& posts, const std::string& id, const std::string& author,
            const std::string& parent, int64_t created) {
  Add(posts, {.id = id,
              .author = author,
              .kind = v1::POST_KIND_ANSWER,
              .parent = parent,
              .created = created});
}

using EdgeKey = std::tuple<std::string, std::string, std::string>;
using EdgeVal = std::tuple<double, uint32_t, int64_t>;
std::map<EdgeKey, EdgeVal> AllEdges(const ColleagueGraph& g) {
  std::map<EdgeKey, EdgeVal> out;
  g.ForEachEdge([&](int64_t from, int64_t to, const EdgeProps& p) {
    out[{g.PersonId(from), g.PersonId(to), EdgeKindName(p.kind)}] = {
        p.weight, p.count, p.last_seen};
  });
  return out;
}

TEST(GraphTest, EmptyInputGivesEmptyGraph) {
  ColleagueGraph g = ColleagueGraph::Build({}, {});
  EXPECT_EQ(g.num_people(), 0u);
  EXPECT_EQ(g.num_edges(), 0u);
  EXPECT_EQ(g.VertexOf("alice"), -1);
  EXPECT_EQ(g.TieStrength("alice", "bob"), 0);
}

TEST(GraphTest, ReplyEdgeGoesFromAnswererToAsker) {
  PostMap posts;
  Question(posts, "q1", "asker", 100);
  Answer(posts, "a1", "helper", "q1", 200);
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  auto reply = EdgeOf(g, "helper", "asker", EdgeKind::kReply);
  ASSERT_TRUE(reply.has_value());
  EXPECT_DOUBLE_EQ(reply->weight, 1.0);
  EXPECT_EQ(reply->count, 1u);
  EXPECT_EQ(reply->last_seen, 200);
  EXPECT_FALSE(EdgeOf(g, "asker", "helper", EdgeKind::kReply).has_value());
}

TEST(GraphTest, CommentOnAnswerRepliesToTheAnswerer) {
  PostMap posts;
  Question(posts, "q1", "asker", 100);
  Answer(posts, "a1", "helper", "q1", 200);
  Add(posts, {.id = "c1",
              .author = "asker",
              .kind = v1::POST_KIND_COMMENT,
              .parent = "a1",
              .created = 300});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  auto reply = EdgeOf(g, "asker", "helper", EdgeKind::kReply);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->last_seen, 300);
}

TEST(GraphTest, SelfReplyAddsNoEdge) {
  PostMap posts;
  Question(posts, "q1", "alice", 100);
  Add(posts, {.id = "c1",
              .author = "alice",
              .kind = v1::POST_KIND_COMMENT,
              .parent = "q1",
              .created = 200});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  EXPECT_EQ(g.num_edges(), 0u);
}

TEST(GraphTest, ReplyToUnknownParentAddsNoReplyEdge) {
  PostMap posts;
  Answer(posts, "a1", "helper", "missing", 200);
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  EXPECT_EQ(g.num_edges(), 0u);
}

TEST(GraphTest, LikeEdgeGoesFromLikerToAuthor) {
  PostMap posts;
  Add(posts, {.id = "art",
              .author = "writer",
              .kind = v1::POST_KIND_ARTICLE,
              .created = 500,
              .liked_by = {"fan1", "fan2"}});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  for (const char* fan : {"fan1", "fan2"}) {
    auto like = EdgeOf(g, fan, "writer", EdgeKind::kLike);
    ASSERT_TRUE(like.has_value()) << fan;
    EXPECT_DOUBLE_EQ(like->weight, 0.5);
    EXPECT_EQ(like->count, 1u);
    EXPECT_EQ(like->last_seen, 500);
    EXPECT_FALSE(EdgeOf(g, "writer", fan, EdgeKind::kLike).has_value());
  }
  EXPECT_EQ(g.num_edges(), 2u);
}

TEST(GraphTest, MentionEdgeGoesFromAuthorToMentioned) {
  PostMap posts;
  Add(posts,
      {.id = "q1", .author = "asker", .created = 700, .mentioned = {"guru"}});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  auto mention = EdgeOf(g, "asker", "guru", EdgeKind::kMention);
  ASSERT_TRUE(mention.has_value());
  EXPECT_DOUBLE_EQ(mention->weight, 0.75);
  EXPECT_EQ(mention->last_seen, 700);
  EXPECT_FALSE(EdgeOf(g, "guru", "asker", EdgeKind::kMention).has_value());
}

// An excluded (opted-out) person is no vertex: no reply to or from them,
// no like, mention or manager link; the others in their thread still tie.
TEST(GraphTest, ExcludedPeopleAreNoVertexAndCarryNoTie) {
  PostMap posts;
  Add(posts, {.id = "q1",
              .author = "out",
              .created = 100,
              .liked_by = {"a"},
              .mentioned = {"b"}});
  Answer(posts, "a1", "a", "q1", 200);
  Answer(posts, "a2", "b", "q1", 300);
  Add(posts, {.id = "q2", .author = "a", .created = 400, .mentioned = {"out"}});
  Answer(posts, "a3", "out", "q2", 500);
  Managers managers = {{"a", "out"}, {"b", "out"}};
  ColleagueGraph all = ColleagueGraph::Build(posts, managers);
  ASSERT_NE(all.VertexOf("out"), -1);
  ASSERT_GT(all.TieStrength("a", "out"), 0);

  ColleagueGraph g = ColleagueGraph::Build(posts, managers, {}, {"out"});
  EXPECT_EQ(g.VertexOf("out"), -1);
  EXPECT_EQ(g.num_people(), 2u);
  g.ForEachEdge([&](int64_t from, int64_t to, const EdgeProps& e) {
    EXPECT_EQ(e.kind, EdgeKind::kThread)
        << g.PersonId(from) << " -> " << g.PersonId(to);
  });
  EXPECT_TRUE(EdgeOf(g, "a", "b", EdgeKind::kThread).has_value());
}

TEST(GraphTest, ManagerEdgesFromTheTree) {
  Managers managers = {{"dev", "lead"}, {"lead", "cto"}};
  ColleagueGraph g = ColleagueGraph::Build({}, managers);
  EXPECT_EQ(g.num_people(), 3u);
  EXPECT_EQ(g.num_edges(), 2u);
  auto up = EdgeOf(g, "dev", "lead", EdgeKind::kManager);
  ASSERT_TRUE(up.has_value());
  EXPECT_DOUBLE_EQ(up->weight, 1.0);
  EXPECT_EQ(up->count, 1u);
  EXPECT_TRUE(EdgeOf(g, "lead", "cto", EdgeKind::kManager).has_value());
  EXPECT_FALSE(EdgeOf(g, "lead", "dev", EdgeKind::kManager).has_value());
  EXPECT_DOUBLE_EQ(g.TieStrength("dev", "cto"), 0);
}

TEST(GraphTest, ThreadCoParticipationLinksEveryPair) {
  PostMap posts;
  Question(posts, "q1", "a", 100);
  Answer(posts, "a1", "b", "q1", 200);
  // c comments on b's answer: c shares the thread with a without replying
  // to a.
  Add(posts, {.id = "c1",
              .author = "c",
              .kind = v1::POST_KIND_COMMENT,
              .parent = "a1",
              .created = 300});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  auto thread_edge = [&](const std::string& x, const std::string& y) {
    auto e = EdgeOf(g, x, y, EdgeKind::kThread);
    return e ? e : EdgeOf(g, y, x, EdgeKind::kThread);
  };
  for (auto [x, y] : {std::pair{"a", "b"}, {"a", "c"}, {"b", "c"}}) {
    auto e = thread_edge(x, y);
    ASSERT_TRUE(e.has_value()) << x << "-" << y;
    EXPECT_DOUBLE_EQ(e->weight, 0.25);
    EXPECT_EQ(e->count, 1u);
    // The thread's latest activity.
    EXPECT_EQ(e->last_seen, 300);
  }
  // a and c only share the thread.
  EXPECT_DOUBLE_EQ(g.TieStrength("a", "c"), 0.25);
}

TEST(GraphTest, BigThreadsAddNoThreadEdges) {
  PostMap posts;
  Question(posts, "q1", "p0", 100);
  for (int i = 1; i < 5; ++i) {
    Add(posts, {.id = "c" + std::to_string(i),
                .author = "p" + std::to_string(i),
                .kind = v1::POST_KIND_COMMENT,
                .parent = "q1",
                .created = 100 + i});
  }
  GraphOptions options;
  options.max_thread_participants = 4;  // the thread has 5
  ColleagueGraph g = ColleagueGraph::Build(posts, {}, options);
  g.ForEachEdge([](int64_t, int64_t, const EdgeProps& p) {
    EXPECT_NE(p.kind, EdgeKind::kThread);
  });
  // The replies are still there.
  EXPECT_EQ(g.num_edges(), 4u);
}

TEST(GraphTest, FoldsRepeatedInteractions) {
  PostMap posts;
  Question(posts, "q1", "asker", 100);
  Answer(posts, "a1", "helper", "q1", 900);
  Question(posts, "q2", "asker", 300);
  Answer(posts, "a2", "helper", "q2", 400);
  Question(posts, "q3", "asker", 500);
  Answer(posts, "a3", "helper", "q3", 600);
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  auto reply = EdgeOf(g, "helper", "asker", EdgeKind::kReply);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->count, 3u);
  EXPECT_DOUBLE_EQ(reply->weight, 3.0);
  EXPECT_EQ(reply->last_seen, 900);  // the max, not the last one folded in
  auto thread = EdgeOf(g, "asker", "helper", EdgeKind::kThread);
  if (!thread) thread = EdgeOf(g, "helper", "asker", EdgeKind::kThread);
  ASSERT_TRUE(thread.has_value());
  EXPECT_EQ(thread->count, 3u);
  EXPECT_DOUBLE_EQ(thread->weight, 0.75);
  EXPECT_EQ(thread->last_seen, 900);
  // One edge per (source, target, kind).
  EXPECT_EQ(g.num_edges(), 2u);
}

TEST(GraphTest, KindWeightsComeFromOptions) {
  PostMap posts;
  Question(posts, "q1", "asker", 100);
  Add(posts, {.id = "a1",
              .author = "helper",
              .kind = v1::POST_KIND_ANSWER,
              .parent = "q1",
              .created = 200,
              .liked_by = {"asker"}});
  GraphOptions options;
  options.kind_weight[static_cast<int>(EdgeKind::kReply)] = 3.0;
  options.kind_weight[static_cast<int>(EdgeKind::kLike)] = 0.125;
  options.kind_weight[static_cast<int>(EdgeKind::kThread)] = 0;
  ColleagueGraph g = ColleagueGraph::Build(posts, {}, options);
  EXPECT_DOUBLE_EQ(EdgeOf(g, "helper", "asker", EdgeKind::kReply)->weight, 3.0);
  EXPECT_DOUBLE_EQ(EdgeOf(g, "asker", "helper", EdgeKind::kLike)->weight,
                   0.125);
  EXPECT_DOUBLE_EQ(g.TieStrength("asker", "helper"), 3.125);
}

TEST(GraphTest, PrivatePostsAddNoEdges) {
  PostMap posts;
  Add(posts, {.id = "q1",
              .author = "boss",
              .created = 100,
              .is_public = false,
              .liked_by = {"fan"},
              .mentioned = {"hr"}});
  Add(posts, {.id = "a1",
              .author = "deputy",
              .kind = v1::POST_KIND_ANSWER,
              .parent = "q1",
              .created = 200,
              .is_public = false,
              .liked_by = {"fan"},
              .mentioned = {"hr"}});
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  EXPECT_EQ(g.num_edges(), 0u);
  EXPECT_EQ(g.num_people(), 0u);
  EXPECT_EQ(g.VertexOf("boss"), -1);
  EXPECT_EQ(g.TieStrength("boss", "deputy"), 0);
}

TEST(GraphTest, PublicReplyToPrivatePostAddsNoReplyEdge) {
  PostMap posts;
  Add(posts,
      {.id = "q1", .author = "boss", .created = 100, .is_public = false});
  Answer(posts, "a1", "deputy", "q1", 200);
  ColleagueGraph g = ColleagueGraph::Build(posts, {});
  EXPECT_FALSE(EdgeOf(g, "deputy", "boss", EdgeKind::kReply).has_value());
  EXPECT_EQ(g.TieStrength("deputy", "boss"), 0);
}

TEST(GraphTest, TieStrengthIsSymmetricSumOverKinds) {
  PostMap posts;
  Question(posts, "q1", "a", 100);
  Add(posts, {.id = "a1",
              .author = "b",
              .kind = v1::POST_KIND_ANSWER,
              .parent = "q1",
              .created = 200,
              .liked_by = {"a"},
              .mentioned = {"a"}});
  Managers managers = {{"b", "a"}};
  ColleagueGraph g = ColleagueGraph::Build(posts, managers);
  // b -> a: reply 1.0, mention 0.75, manager 1.0; a -> b: like 0.5;
  // thread 0.25 in one direction.
  const double expected = 1.0 + 0.75 + 1.0 + 0.5 + 0.25;
  EXPECT_DOUBLE_EQ(g.TieStrength("a", "b"), expected);
  EXPECT_DOUBLE_EQ(g.TieStrength("b", "a"), expected);
  EXPECT_EQ(g.TieStrength("a", "stranger"), 0);
  EXPECT_EQ(g.TieStrength("stranger", "a"), 0);
}

TEST(GraphTest, SaveThenLoadGivesSameEdges) {
  PostMap posts;
  Question(posts, "q1", "asker", 1'600'000'000);
  Add(posts, {.id = "a1",
              .author = "helper",
              .kind = v1::POST_KIND_ANSWER,
              .parent = "q1",
              .created = 1'600'000'100,
              .liked_by = {"asker", "fan"},
              .mentioned = {"guru"}});
  Question(posts, "q2", "asker", 1'600'000'200);
  Answer(posts, "a2", "helper", "q2", 1'600'000'300);
  Managers managers = {{"helper", "boss"}, {"asker", "boss"}};
  ColleagueGraph g = ColleagueGraph::Build(posts, managers);
  ASSERT_GT(g.num_edges(), 5u);

  const std::string path = TestDir() + "/graph.tsv";
  ASSERT_TRUE(g.Save(path).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->num_people(), g.num_people());
  EXPECT_EQ(loaded->num_edges(), g.num_edges());
  EXPECT_EQ(AllEdges(*loaded), AllEdges(g));
  EXPECT_DOUBLE_EQ(loaded->TieStrength("asker", "helper"),
                   g.TieStrength("asker", "helper"));
}

TEST(GraphTest, SaveOverwritesAnOlderFile) {
  const std::string path = TestDir() + "/graph.tsv";
  ColleagueGraph big = ColleagueGraph::Build({}, {{"a", "b"}, {"c", "b"}});
  ASSERT_TRUE(big.Save(path).ok());
  ColleagueGraph small = ColleagueGraph::Build({}, {{"x", "y"}});
  ASSERT_TRUE(small.Save(path).ok());
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(AllEdges(*loaded), AllEdges(small));
}

TEST(GraphTest, SaveLoadKeepsFractionalWeightsExactly) {
  // Weights with many significant digits must survive the text format.
  PostMap posts;
  Question(posts, "q1", "asker", 100);
  Answer(posts, "a1", "helper", "q1", 200);
  GraphOptions options;
  options.kind_weight[static_cast<int>(EdgeKind::kReply)] = 1.0 / 3.0;
  ColleagueGraph g = ColleagueGraph::Build(posts, {}, options);
  const std::string path = TestDir() + "/graph.tsv";
  ASSERT_TRUE(g.Save(path).ok());
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_DOUBLE_EQ(loaded->TieStrength("asker", "helper"),
                   g.TieStrength("asker", "helper"));
}

TEST(GraphTest, LoadSkipsCommentsAndBlankLines) {
  const std::string path = TestDir() + "/graph.tsv";
  {
    std::ofstream out(path);
    out << "# a header\n\na\tb\treply\t2\t2\t1234\n# another\n"
        << "b\ta\tlike\t0.5\t1\t99\n";
  }
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->num_edges(), 2u);
  auto reply = EdgeOf(*loaded, "a", "b", EdgeKind::kReply);
  ASSERT_TRUE(reply.has_value());
  EXPECT_DOUBLE_EQ(reply->weight, 2);
  EXPECT_EQ(reply->count, 2u);
  EXPECT_EQ(reply->last_seen, 1234);
  EXPECT_DOUBLE_EQ(loaded->TieStrength("a", "b"), 2.5);
}

TEST(GraphTest, LoadMalformedLineNamesTheLine) {
  const std::string path = TestDir() + "/graph.tsv";
  {
    std::ofstream out(path);
    out << "# whoknows colleague graph v1\n"
        << "a\tb\treply\t1\t1\t100\n"
        << "a\tc\treply\tnot-a-number\n";
  }
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find(path + ":3:"),
            std::string::npos)
      << loaded.status();
}

TEST(GraphTest, LoadUnknownKindNamesTheLineAndKind) {
  const std::string path = TestDir() + "/graph.tsv";
  {
    std::ofstream out(path);
    out << "a\tb\tfriendship\t1\t1\t100\n";
  }
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_FALSE(loaded.ok());
  const std::string msg(loaded.status().message());
  EXPECT_NE(msg.find(path + ":1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("friendship"), std::string::npos) << msg;
}

TEST(GraphTest, LoadMissingFieldsIsAnError) {
  const std::string path = TestDir() + "/graph.tsv";
  {
    std::ofstream out(path);
    out << "a\tb\treply\t1\t1\n";  // no last_seen
  }
  auto loaded = ColleagueGraph::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find(":1:"),
            std::string::npos)
      << loaded.status();
}

TEST(GraphTest, LoadMissingFileIsNotFound) {
  auto loaded = ColleagueGraph::Load(TestDir() + "/nope.tsv");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

// Every edge as (from, to, kind) -> (weight, count, last_seen).
std::map<std::tuple<std::string, std::string, int>,
         std::tuple<double, uint32_t, int64_t>>
EdgeTable(const ColleagueGraph& g) {
  std::map<std::tuple<std::string, std::string, int>,
           std::tuple<double, uint32_t, int64_t>>
      edges;
  g.ForEachEdge([&](int64_t from, int64_t to, const EdgeProps& p) {
    edges[{g.PersonId(from), g.PersonId(to), static_cast<int>(p.kind)}] = {
        p.weight, p.count, p.last_seen};
  });
  return edges;
}

// Extend shares the previous graph's vertices until it writes them: the
// previous graph, which readers may hold, must read as before.
TEST(GraphTest, ExtendLeavesThePreviousGraphAsItWas) {
  Managers managers;
  for (int i = 1; i < 300; ++i)
    managers["p" + std::to_string(i)] = "p" + std::to_string(i / 2);
  const ColleagueGraph prev = ColleagueGraph::Build({}, managers);
  const auto before = EdgeTable(prev);
  using Tie = ColleagueGraph::Tie;
  std::vector<Tie> ties = {
      {"p7", "p200", EdgeKind::kReply, 5},
      {"p7", "p200", EdgeKind::kReply, 9},
      {"new", "p1", EdgeKind::kLike, 3},
      {"p3", "p1", EdgeKind::kManager, 8, Tie::Change::kTouch},
  };
  auto next = ColleagueGraph::Extend(prev, ties);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(EdgeTable(prev), before);
  EXPECT_EQ(prev.num_edges(), before.size());
  EXPECT_EQ(prev.VertexOf("new"), -1);
  const auto after = EdgeTable(*next);
  EXPECT_EQ(after.size(), before.size() + 2);
  EXPECT_EQ(std::get<1>(after.at({"p7", "p200", 0})), 2u);
  EXPECT_EQ(std::get<2>(after.at({"p3", "p1", 4})), 8);
  EXPECT_EQ(std::get<2>(before.at({"p3", "p1", 4})), 0);
  EXPECT_EQ(next->num_edges(), after.size());
}

// An extension copies only the people its ties write (an edge added, folded
// into or touched at them); everyone else is the previous graph's very
// vertex, not a copy: what makes a publish cost the change.
TEST(GraphTest, ExtendSharesThePeopleItDoesNotWrite) {
  Managers managers;
  for (int i = 1; i < 3000; ++i)
    managers["p" + std::to_string(i)] = "p" + std::to_string(i / 2);
  const ColleagueGraph prev = ColleagueGraph::Build({}, managers);
  ASSERT_EQ(prev.num_people(), 3000u);
  EXPECT_EQ(prev.SharedPeople(prev), 3000u);
  using Tie = ColleagueGraph::Tie;
  std::vector<Tie> ties = {
      {"p7", "p200", EdgeKind::kReply, 5},  // p7's out-edges, p200's in-edges
      {"new", "p1", EdgeKind::kLike, 3},    // a new vertex, p1's in-edges
      {"p3", "p1", EdgeKind::kManager, 8, Tie::Change::kTouch},  // p3's edge
      // Already as recent: nothing to write.
      {"p4", "p2", EdgeKind::kManager, 0, Tie::Change::kTouch},
  };
  auto next = ColleagueGraph::Extend(prev, ties);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->num_people(), 3001u);
  EXPECT_EQ(next->SharedPeople(prev), 3000u - 4);
  // A second extension shares with the first as the first with prev.
  auto third =
      ColleagueGraph::Extend(*next, {{"p2999", "p0", EdgeKind::kMention, 9}});
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->SharedPeople(*next), 3001u - 2);
  EXPECT_EQ(third->SharedPeople(prev), 3000u - 6);
  EXPECT_EQ(EdgeTable(prev), EdgeTable(ColleagueGraph::Build({}, managers)));
}

TEST(GraphTest, EdgeKindNames) {
  EXPECT_STREQ(EdgeKindName(EdgeKind::kReply), "reply");
  EXPECT_STREQ(EdgeKindName(EdgeKind::kThread), "thread");
  EXPECT_STREQ(EdgeKindName(EdgeKind::kLike), "like");
  EXPECT_STREQ(EdgeKindName(EdgeKind::kMention), "mention");
  EXPECT_STREQ(EdgeKindName(EdgeKind::kManager), "manager");
}

}  // namespace
}  // namespace whoknows::index
