// The writer's change log (index/change_log.h) and a follower that follows
// it (CatalogOptions::follow): a writer and a follower on one folder (the
// log's own topology is posts on remote shards; change_log_on_folder keeps
// it for a folder whose posts/ is replicated too), real Xapian databases in
// test folders, each follower step run by Refresh().
#include "index/change_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/graph.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

using testing_util::MakePerson;
using testing_util::MakePost;
using testing_util::SearchIds;
using testing_util::TestDir;
using testing_util::TheEntryAfter;
using testing_util::WrittenPosts;
namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000;

TEST(ChangeLogTest, EntriesComeBackAsWrittenAndDamageIsTold) {
  ChangeLogEntry e;
  e.posts = {{"q 1\nodd", 0xfedcba9876543210ull}, {"a2", 7}};
  e.deleted_posts = {"gone"};
  e.people = {"ann"};
  e.deleted_people = {"bo b"};
  auto back = DecodeChangeLogEntry(EncodeChangeLogEntry(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->full);
  EXPECT_EQ(back->posts, e.posts);
  EXPECT_EQ(back->deleted_posts, e.deleted_posts);
  EXPECT_EQ(back->people, e.people);
  EXPECT_EQ(back->deleted_people, e.deleted_people);
  auto full = DecodeChangeLogEntry(
      EncodeChangeLogEntry(ChangeLogEntry::Full("a bulk load")));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_TRUE(full->full);
  EXPECT_EQ(full->why, "a bulk load");
  // As the build before reasons wrote it: read everything, no reason.
  full = DecodeChangeLogEntry("whoknows-log 1\nF\n");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_TRUE(full->full);
  EXPECT_EQ(full->why, "");
  std::string cut = EncodeChangeLogEntry(e);
  cut.resize(cut.size() - 3);
  EXPECT_EQ(DecodeChangeLogEntry(cut).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeChangeLogEntry("P 12 x\n").status().code(),
            absl::StatusCode::kDataLoss);
}

// Lengths a damaged entry may state: the largest number (length + 1
// wraps to 0: the bounds check passed and the byte before the id was
// read as its end), numbers past it, and lengths past the entry's end.
TEST(ChangeLogTest, AnIdLengthBeyondTheEntryIsDamage) {
  for (const char* line :
       {"D 18446744073709551615 x\n", "D 18446744073709551614 x\n",
        "D 18446744073709551616 x\n", "D 99999999999999999999999 x\n",
        "P 0000000000000001 18446744073709551615 \n", "p 3 x\n", "d 2 x\n"}) {
    EXPECT_EQ(DecodeChangeLogEntry(std::string("whoknows-log 1\n") + line)
                  .status()
                  .code(),
              absl::StatusCode::kDataLoss)
        << line;
  }
}

TEST(ChangeLogTest, KeepsTheNewestEntriesAndTellsWhenOnesArePruned) {
  const std::string dir = TestDir(/*create=*/true);
  Xapian::WritableDatabase db(dir + "/people", Xapian::DB_CREATE_OR_OPEN);
  ChangeLogPosition pos;
  for (int i = 1; i <= 5; ++i) {
    ChangeLogEntry e;
    e.people.push_back(absl::StrCat(i));
    AppendChangeLog(db, pos, e, 3);
  }
  db.commit();
  const ChangeLogPosition now = ReadChangeLogPosition(db);
  EXPECT_EQ(now.head, 5u);
  EXPECT_EQ(now.epoch, pos.epoch);
  auto tail = ReadChangeLog(db, {pos.epoch, 2}, now);
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_EQ(tail->size(), 3u);
  EXPECT_EQ((*tail)[0].people, std::vector<std::string>{"3"});
  EXPECT_EQ((*tail)[2].people, std::vector<std::string>{"5"});
  // Entry 2 is pruned, and another epoch is another log.
  EXPECT_EQ(ReadChangeLog(db, {pos.epoch, 1}, now).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReadChangeLog(db, {"other", 4}, now).status().code(),
            absl::StatusCode::kOutOfRange);
  // A smaller bound at open prunes the rest.
  PruneChangeLog(db, now, 1);
  db.commit();
  EXPECT_EQ(ReadChangeLog(db, {pos.epoch, 3}, now).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(ReadChangeLog(db, {pos.epoch, 4}, now).ok());
}

// What a snapshot holds, as text: people, posts (author, thread,
// visibility, likes) and colleague ties, sorted.
std::string Describe(const Snapshot& s) {
  std::vector<std::string> lines;
  for (const auto& [id, p] : s.people)
    lines.push_back(absl::StrCat("person ", id, " ", p->opted_out()));
  for (const auto& [id, m] : s.posts) {
    std::string likes;
    for (const auto& l : m->liked_by) absl::StrAppend(&likes, l.str(), ",");
    lines.push_back(absl::StrCat("post ", id, " by ", m->author_id.str(),
                                 " in ", m->thread_id.str(), " ",
                                 m->visibility.str(), " likes ", likes));
  }
  s.graph->ForEachEdge([&](int64_t from, int64_t to, const auto&) {
    const std::string& a = s.graph->PersonId(from);
    const std::string& b = s.graph->PersonId(to);
    lines.push_back(
        absl::StrCat("tie ", a, " ", b, " ",
                     std::round(s.graph->TieStrength(a, b) * 1e6) / 1e6));
  });
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return absl::StrJoin(lines, "\n");
}

// As xapian-replicate switches a replica: a whole new copy of `store` from
// `from` beside the old one in `to`, the stub database file pointed at it,
// and the old copy removed (readers that opened it keep reading the files
// they hold; a reopen() of them finds no revision file).
void SwitchReplica(const DataDir& from, const DataDir& to, Store store,
                   int* copies) {
  const std::string dir = to.database(store);
  const std::string copy = absl::StrCat("replica_", ++*copies);
  fs::create_directories(dir);
  std::string old;
  std::getline(std::ifstream(dir + "/XAPIANDB"), old);
  fs::copy(from.database(store), dir + "/" + copy, fs::copy_options::recursive);
  std::ofstream(dir + "/XAPIANDB.new") << "auto " << copy << "\n";
  fs::rename(dir + "/XAPIANDB.new", dir + "/XAPIANDB");
  if (old.starts_with("auto ")) fs::remove_all(dir + "/" + old.substr(5));
}

class CatalogFollowTest : public ::testing::Test {
 protected:
  // A writer on dir_ that keeps `keep` log entries, with a small company,
  // and a follower of it.
  void Open(int keep = 1000) {
    CatalogOptions o;
    o.data_dir = dir_;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.change_log_on_folder = true;
    o.change_log_entries = keep;
    auto writer = Catalog::Open(o);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
    std::vector<v1::Person> people;
    for (const char* id : {"ann", "bo", "cy", "di"})
      people.push_back(MakePerson(id));
    ASSERT_TRUE(writer_->UpsertPeople(people).ok());
    std::vector<v1::Post> posts;
    for (int i = 0; i < 20; ++i) {
      const std::string q = absl::StrCat("q", i);
      posts.push_back(MakePost(q, people[i % 4].id(), v1::POST_KIND_QUESTION,
                               absl::StrCat("kafka topic ", i),
                               "how do kafka topics work", kT0 + i, "", "en"));
      posts.push_back(MakePost(
          absl::StrCat("a", i), people[(i + 1) % 4].id(), v1::POST_KIND_ANSWER,
          "", "kafka topics are partitioned logs", kT0 + i, q, "en"));
    }
    ASSERT_TRUE(writer_->UpsertPosts(posts).ok());
    writer_->Refresh();
    ASSERT_NO_FATAL_FAILURE(OpenFollower(dir_));
  }

  // follower_, a follower of the folder `root` (`hook`:
  // CatalogOptions::follow_hook).
  void OpenFollower(const std::string& root,
                    std::function<void()> hook = nullptr,
                    std::function<void(CatalogOptions&)> more = nullptr) {
    CatalogOptions f;
    f.data_dir = root;
    f.refresh_interval = std::chrono::milliseconds(0);
    f.follow = true;
    f.follow_hook = std::move(hook);
    if (more) more(f);
    auto follower = Catalog::Open(f);
    ASSERT_TRUE(follower.ok()) << follower.status();
    follower_ = std::move(*follower);
  }

  // follower_ again, on replicas of the writer's three databases in
  // `replicas` (SwitchReplica; `copies` counts the copies made).
  void FollowReplicas(const DataDir& replicas, int* copies,
                      std::function<void()> hook = nullptr) {
    fs::remove_all(replicas.root());
    for (Store s : {Store::kPeople, Store::kPosts, Store::kPrivatePosts})
      SwitchReplica(DataDir(dir_), replicas, s, copies);
    ASSERT_NO_FATAL_FAILURE(OpenFollower(replicas.root(), std::move(hook)));
  }

  // Publishes the writer's writes, takes one follower step, and expects
  // both to hold the same people, posts and ties.
  void ExpectInStep() {
    writer_->Refresh();
    follower_->Refresh();
    EXPECT_EQ(Describe(*follower_->snapshot()), Describe(*writer_->snapshot()));
    SearchOptions o;
    o.query = "kafka topics";
    EXPECT_EQ(SearchIds(*follower_, o), SearchIds(*writer_, o));
  }

  // The writer writes post z1, the only one with "zebrafish", and
  // publishes it.
  void WriteZebrafish() {
    ASSERT_TRUE(writer_
                    ->UpsertPosts(std::vector<v1::Post>{
                        MakePost("z1", "bo", v1::POST_KIND_QUESTION, "kafka",
                                 "zebrafish partitions", kT0 + 90, "", "en")})
                    .ok());
    writer_->Refresh();
  }

  const std::string dir_ = TestDir(/*create=*/true);
  std::unique_ptr<Catalog> writer_, follower_;
};

TEST_F(CatalogFollowTest, AFollowerReadsOnlyWhatTheLogSaysChanged) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectInStep();
  EXPECT_EQ(follower_->stats().follow_incremental, 0);  // nothing changed
  // New posts (one a reply to an old question), a like, a new person.
  v1::Post like =
      MakePost("a3", "ann", v1::POST_KIND_ANSWER, "",
               "kafka topics are partitioned logs", kT0 + 3, "q3", "en");
  like.add_liked_by("cy");
  ASSERT_TRUE(
      writer_->UpsertPeople(std::vector<v1::Person>{MakePerson("ed")}).ok());
  ASSERT_TRUE(
      writer_
          ->UpsertPosts(std::vector<v1::Post>{
              MakePost("q20", "ed", v1::POST_KIND_QUESTION, "kafka lag",
                       "why do kafka consumers lag", kT0 + 40, "", "en"),
              MakePost("a20", "bo", v1::POST_KIND_ANSWER, "",
                       "kafka lag comes from slow consumers", kT0 + 41, "q20",
                       "en"),
              like})
          .ok());
  ExpectInStep();
  const CatalogStats s = follower_->stats();
  EXPECT_EQ(s.follow_incremental, 1);
  EXPECT_EQ(s.follow_posts_read, 3);  // not the 43 posts there are
  EXPECT_EQ(s.follow_people_read, 1);
  EXPECT_EQ(s.follow_full_reloads, 0);
  EXPECT_TRUE(s.last_publish.incremental);
}

// An IngestStream message without records reaches the catalog as a write
// of nothing (the unary calls refuse an empty batch; a stream does not),
// as does an import batch of people all stored already. Each was a commit
// of people/ with an empty log entry: a caller sending empty messages
// pushed the entries a follower needed out of the log, and every follower
// read every record again.
TEST_F(CatalogFollowTest, AWriteOfNothingCommitsNothingAndAddsNoEntry) {
  ASSERT_NO_FATAL_FAILURE(Open(/*keep=*/5));
  ExpectInStep();
  const auto people = static_cast<int>(Store::kPeople);
  const uint64_t before = writer_->stats().revisions[people];
  UpsertPolicy only_new;
  only_new.only_new = true;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(writer_->Upsert({}, {}, UpsertPolicy{}).ok());
    ASSERT_TRUE(
        writer_
            ->Upsert(std::vector<v1::Person>{MakePerson("ann")}, {}, only_new)
            .ok());
  }
  EXPECT_EQ(writer_->stats().revisions[people], before);
  ASSERT_TRUE(writer_
                  ->UpsertPosts(std::vector<v1::Post>{MakePost(
                      "q30", "ann", v1::POST_KIND_QUESTION, "kafka acks",
                      "what do kafka acks mean", kT0 + 50, "", "en")})
                  .ok());
  ExpectInStep();
  EXPECT_EQ(follower_->stats().follow_full_reloads, 0);
  EXPECT_EQ(follower_->stats().follow_incremental, 1);
}

TEST_F(CatalogFollowTest, DeletesOptOutsAndErasureReachTheFollower) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(writer_->DeletePost("a5").ok());
  ExpectInStep();
  EXPECT_EQ(follower_->snapshot()->FindPost("a5"), nullptr);
  ASSERT_TRUE(writer_->SetOptOut("cy", true).ok());
  ExpectInStep();
  EXPECT_TRUE(follower_->snapshot()->people.find("cy")->second->opted_out());
  // Erasure: ann's posts, profile and likes leave the follower too. It
  // resets the log (no entry may keep ann's id): the follower reads
  // everything again.
  ASSERT_TRUE(writer_->DeletePerson("ann").ok());
  ExpectInStep();
  const auto snap = follower_->snapshot();
  EXPECT_EQ(snap->people.find("ann"), snap->people.end());
  for (const auto& [id, m] : snap->posts) EXPECT_NE(m->author_id.str(), "ann");
  EXPECT_EQ(snap->graph->VertexOf("ann"), -1);
  CatalogStats s = follower_->stats();
  EXPECT_EQ(s.follow_incremental, 2);
  EXPECT_EQ(s.follow_full_reloads, 1);
  // And follows the new log from there.
  ASSERT_TRUE(writer_->DeletePost("a6").ok());
  ExpectInStep();
  s = follower_->stats();
  EXPECT_EQ(s.follow_incremental, 3);
  EXPECT_EQ(s.follow_full_reloads, 1);
}

// An erasure leaves no id of the erased person, nor of their posts, in
// the log: every entry written before it is removed with it.
TEST_F(CatalogFollowTest, AnErasureLeavesNoIdOfThemInTheLog) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(
      writer_->UpsertPeople(std::vector<v1::Person>{MakePerson("erasee-5c1e")})
          .ok());
  ASSERT_TRUE(writer_
                  ->UpsertPosts(std::vector<v1::Post>{MakePost(
                      "erasee-post-5c1e", "erasee-5c1e", v1::POST_KIND_QUESTION,
                      "kafka", "kafka retention", kT0 + 70, "", "en")})
                  .ok());
  ExpectInStep();
  // Every metadata value of people/ that names `needle`, by key.
  auto naming = [&](const std::string& needle) {
    std::vector<std::string> keys;
    const Xapian::Database people(DataDir(dir_).people());
    for (auto k = people.metadata_keys_begin(); k != people.metadata_keys_end();
         ++k) {
      if (people.get_metadata(*k).find(needle) != std::string::npos)
        keys.push_back(*k);
    }
    return keys;
  };
  ASSERT_FALSE(naming("erasee-5c1e").empty()) << "the test would prove nothing";
  ASSERT_TRUE(writer_->DeletePerson("erasee-5c1e").ok());
  EXPECT_EQ(naming("erasee-5c1e"), std::vector<std::string>{});
  ExpectInStep();  // a new log, which the follower reads from the start
  EXPECT_EQ(follower_->stats().follow_full_reloads, 1);
  EXPECT_EQ(naming("erasee-5c1e"), std::vector<std::string>{});
}

// Each database is replicated on its own: people/'s replica may bring the
// log an erasure reset before the posts' replica brings the erasure's
// deletions. The follower must not read the erased person's posts back
// from the replica behind, nor keep serving their name and posts while it
// waits for it; it reads every record once, when the replica has caught
// up. Replication is a copy of the writer's database here, one at a time.
TEST_F(CatalogFollowTest, AnErasureAheadOfThePostsReplicaServesNothingOfThem) {
  ASSERT_NO_FATAL_FAILURE(Open());
  writer_->Refresh();
  const DataDir writer_dir(dir_), replica_dir(dir_ + "_follower");
  int copies = 0;
  auto replicate = [&](Store store) {
    SwitchReplica(writer_dir, replica_dir, store, &copies);
  };
  ASSERT_NO_FATAL_FAILURE(FollowReplicas(replica_dir, &copies));
  // Nothing of ann: not her profile, not a post of hers, not one found.
  SearchOptions kafka;
  kafka.query = "kafka topics";
  auto nothing_of_ann = [&] {
    const auto snap = follower_->snapshot();
    EXPECT_EQ(snap->people.count("ann"), 0u);
    for (const auto& [id, m] : snap->posts)
      EXPECT_NE(m->author_id.str(), "ann") << id;
    for (const std::string& id : SearchIds(*follower_, kafka)) {
      const auto* post = snap->FindPost(id);
      EXPECT_TRUE(post == nullptr || post->author_id.str() != "ann") << id;
    }
  };
  ASSERT_EQ(follower_->snapshot()->people.count("ann"), 1u)
      << "the test would prove nothing";

  ASSERT_TRUE(writer_->DeletePerson("ann").ok());
  writer_->Refresh();
  replicate(Store::kPeople);
  replicate(Store::kPrivatePosts);
  for (int tick = 0; tick < 2; ++tick) {  // the posts' replica still behind
    follower_->Refresh();
    nothing_of_ann();
    EXPECT_EQ(follower_->stats().follow_full_reloads, 0);
  }
  replicate(Store::kPosts);
  follower_->Refresh();
  nothing_of_ann();
  EXPECT_EQ(Describe(*follower_->snapshot()), Describe(*writer_->snapshot()));
  EXPECT_EQ(follower_->stats().follow_full_reloads, 1);
}

// A replica switched to a whole new copy (xapian-replicate does so when
// it cannot send changesets): the follower's searches read the new copy.
// A pooled reader's reopen() stays in the folder it opened, so without
// dropping the pool the new post is in the snapshot but never found.
TEST_F(CatalogFollowTest, SearchesReadTheCopyAReplicaSwitchedTo) {
  ASSERT_NO_FATAL_FAILURE(Open());
  writer_->Refresh();
  const DataDir writer_dir(dir_), replica_dir(dir_ + "_switched");
  int copies = 0;
  ASSERT_NO_FATAL_FAILURE(FollowReplicas(replica_dir, &copies));
  SearchOptions q;
  q.query = "zebrafish";
  ASSERT_EQ(SearchIds(*follower_, q), std::vector<std::string>{})
      << "a reader now in the pool, on the first copy";

  ASSERT_NO_FATAL_FAILURE(WriteZebrafish());
  SwitchReplica(writer_dir, replica_dir, Store::kPeople, &copies);
  SwitchReplica(writer_dir, replica_dir, Store::kPosts, &copies);
  follower_->Refresh();
  ASSERT_NE(follower_->snapshot()->FindPost("z1"), nullptr);
  EXPECT_EQ(SearchIds(*follower_, q), std::vector<std::string>{"z1"});
}

// The copies a follower's pooled readers were on, removed by the switch
// to new ones before the follower's tick drops the pool: the next read
// that reopens them (the model's rebuild reads every post's terms after
// each publish) opens the new copies from the stub files. Before, it
// failed with DatabaseNotFoundError on the removed copy's iamglass
// ("rebuilding the expertise model failed", seen in ShardsTest's
// follower log).
TEST_F(CatalogFollowTest, ReadsOpenTheNewCopyOfAReplicaRemovedUnderThem) {
  ASSERT_NO_FATAL_FAILURE(Open());
  writer_->Refresh();
  const DataDir writer_dir(dir_), replica_dir(dir_ + "_removed");
  int copies = 0;
  ASSERT_NO_FATAL_FAILURE(FollowReplicas(replica_dir, &copies));
  SearchOptions q;
  q.query = "kafka topics";
  const std::vector<std::string> found = SearchIds(*follower_, q);
  ASSERT_FALSE(found.empty()) << "a reader now in the pool, on the copies";
  // A publish (a person written, people/ replicated) moves the generation
  // on, so that the pooled reader is reopened at its next use.
  ASSERT_TRUE(
      writer_->UpsertPeople(std::vector<v1::Person>{MakePerson("eve")}).ok());
  writer_->Refresh();
  SwitchReplica(writer_dir, replica_dir, Store::kPeople, &copies);
  follower_->Refresh();
  ASSERT_EQ(follower_->snapshot()->people.count("eve"), 1u);

  SwitchReplica(writer_dir, replica_dir, Store::kPosts, &copies);
  SwitchReplica(writer_dir, replica_dir, Store::kPrivatePosts, &copies);
  size_t posts = 0;
  const absl::Status read = follower_->ForEachPostTerms(
      [&](const std::string&, const std::vector<Catalog::TermCount>&) {
        ++posts;
      },
      /*include_private=*/true);
  EXPECT_TRUE(read.ok()) << read;
  EXPECT_EQ(posts, writer_->snapshot()->posts.size());
  EXPECT_EQ(SearchIds(*follower_, q), found);
}

// xapian-replicate switches people/'s replica between the follower's
// read of the stub file and its open of the copy the stub named, and
// removes that copy: the open finds no `iamglass`. The tick starts over
// from the stub file, which names the new copy, instead of failing until
// the next tick (reported as a background error meanwhile).
TEST_F(CatalogFollowTest, ATickStartsOverWhenTheCopyItOpensIsRemoved) {
  ASSERT_NO_FATAL_FAILURE(Open());
  writer_->Refresh();
  const DataDir writer_dir(dir_), replica_dir(dir_ + "_race");
  int copies = 0;
  int race = 0;  // 1: the next attempt of a tick meets the switch
  ASSERT_NO_FATAL_FAILURE(FollowReplicas(replica_dir, &copies, [&] {
    if (race == 1) {
      // What the open sees: a stub naming a copy that is gone.
      std::ofstream(replica_dir.database(Store::kPeople) + "/XAPIANDB")
          << "auto replica_removed\n";
    } else if (race == 2) {
      SwitchReplica(writer_dir, replica_dir, Store::kPeople, &copies);
    }
    if (race > 0) ++race;
  }));
  ASSERT_NO_FATAL_FAILURE(WriteZebrafish());
  SwitchReplica(writer_dir, replica_dir, Store::kPosts, &copies);
  race = 1;
  follower_->Refresh();
  EXPECT_EQ(race, 3) << "the tick was tried again";
  EXPECT_NE(follower_->snapshot()->FindPost("z1"), nullptr)
      << "the tick failed; the post would come with the next one";
}

// The writer commits while a follower's tick reads the records the log
// names, until the revision the tick holds is discarded (Xapian's
// DatabaseModifiedError): the read moves to the newest revision and the
// tick completes. With a single attempt, the same race fails the tick,
// reported as a background error, and the post waits for the next one.
class CatalogFollowModifiedTest : public CatalogFollowTest,
                                  public ::testing::WithParamInterface<int> {};

// `n` posts filler-0.. with text that differs by `round`: enough of them
// that posts/' tables span many blocks (a small table is one block, which a
// reader keeps from its open on and never reads again).
std::vector<v1::Post> Filler(int n, int round) {
  std::vector<v1::Post> posts;
  for (int i = 0; i < n; ++i) {
    posts.push_back(MakePost(
        absl::StrCat("filler-", i), "ann", v1::POST_KIND_QUESTION,
        absl::StrCat("kafka retention ", i, " take ", round),
        absl::StrCat("how long do kafka topics keep messages, case ", i,
                     ", take ", round, std::string(200, 'x' + round % 2)),
        kT0 + i, "", "en"));
  }
  return posts;
}

TEST_P(CatalogFollowModifiedTest,
       ATickReadsOnWhenTheWriterDiscardsItsRevision) {
  const int attempts = GetParam();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(writer_->UpsertPosts(Filler(2000, 0)).ok());
  writer_->Refresh();
  bool race = false;
  int churned = 0;
  std::vector<std::string> errors;
  ASSERT_NO_FATAL_FAILURE(OpenFollower(dir_, nullptr, [&](CatalogOptions& f) {
    f.read_attempts = attempts;
    f.on_background_error = [&](const char* source, const absl::Status& e) {
      errors.push_back(absl::StrCat(source, ": ", e.ToString()));
    };
    f.follow_read_hook = [&] {
      if (!race) return;
      race = false;
      // Every filler post rewritten, a commit each time: the blocks the
      // tick's revision would read are freed, then reused.
      for (int round = 1; round <= 3; ++round) {
        ASSERT_TRUE(writer_->UpsertPosts(Filler(2000, round)).ok());
        ++churned;
      }
    };
  }));
  ASSERT_NO_FATAL_FAILURE(WriteZebrafish());
  race = true;
  follower_->Refresh();
  ASSERT_EQ(churned, 3) << "the tick never read the records";
  if (attempts > 1) {
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_NE(follower_->snapshot()->FindPost("z1"), nullptr)
        << "the tick gave up";
  } else {
    ASSERT_EQ(errors.size(), 1u) << "no DatabaseModifiedError was raised";
    EXPECT_NE(errors[0].find("DatabaseModified"), std::string::npos)
        << errors[0];
    EXPECT_EQ(follower_->snapshot()->FindPost("z1"), nullptr);
  }
  // Either way, the next ticks bring the follower in step.
  ExpectInStep();
}

INSTANTIATE_TEST_SUITE_P(Attempts, CatalogFollowModifiedTest,
                         ::testing::Values(1, 3));

// One entry a publish tick, not one a write: the writes between two
// publishes commit people/ no more, and the tick's entry names every
// record they wrote.
TEST_F(CatalogFollowTest, OneEntryAPublishTickNamesEveryWrite) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectInStep();
  const std::string people_dir = DataDir(dir_).people();
  const ChangeLogPosition before =
      ReadChangeLogPosition(Xapian::Database(people_dir));
  const auto people_revision = Xapian::Database(people_dir).get_revision();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer_
                    ->UpsertPosts(std::vector<v1::Post>{MakePost(
                        absl::StrCat("t", i), "bo", v1::POST_KIND_QUESTION,
                        "kafka", "kafka partitions", kT0 + 80 + i, "", "en")})
                    .ok());
  }
  ASSERT_TRUE(writer_->DeletePost("a7").ok());
  EXPECT_EQ(Xapian::Database(people_dir).get_revision(), people_revision);
  writer_->Refresh();  // the tick
  const std::optional<ChangeLogEntry> entry = TheEntryAfter(people_dir, before);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(WrittenPosts(*entry), (std::vector<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(entry->deleted_posts, std::vector<std::string>{"a7"});
  ExpectInStep();
  EXPECT_EQ(follower_->stats().follow_incremental, 1);
  EXPECT_EQ(follower_->stats().follow_posts_read, 3);
}

// A writer that stops before its publish tick (a crash) leaves commits no
// entry names; the next Open tells (the log says what it covers) and logs
// that followers must read everything, instead of letting them follow
// the later entries past the posts they never read.
TEST_F(CatalogFollowTest,
       CommitsACrashLeftUnloggedMakeFollowersReadEverything) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectInStep();
  writer_.reset();
  CatalogOptions o;
  o.data_dir = dir_;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.change_log_on_folder = true;
  // A process of its own that writes a post and dies before its tick:
  // neither the refresher nor the destructor logs it.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto crashing = Catalog::Open(o);
    const bool ok =
        crashing.ok() && (*crashing)
                             ->UpsertPosts(std::vector<v1::Post>{MakePost(
                                 "lost", "cy", v1::POST_KIND_QUESTION, "kafka",
                                 "kafka compaction", kT0 + 90, "", "en")})
                             .ok();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto writer = Catalog::Open(o);
  ASSERT_TRUE(writer.ok()) << writer.status();
  writer_ = std::move(*writer);
  ASSERT_TRUE(writer_
                  ->UpsertPosts(std::vector<v1::Post>{
                      MakePost("logged", "cy", v1::POST_KIND_QUESTION, "kafka",
                               "kafka offsets", kT0 + 91, "", "en")})
                  .ok());
  testing::internal::CaptureStderr();
  ExpectInStep();
  // The follower's reload line says why.
  EXPECT_THAT(testing::internal::GetCapturedStderr(),
              testing::HasSubstr("reading every record (change log: an entry "
                                 "saying to read everything (commits no entry "
                                 "covers"));
  EXPECT_NE(follower_->snapshot()->FindPost("lost"), nullptr);
  EXPECT_NE(follower_->snapshot()->FindPost("logged"), nullptr);
  EXPECT_EQ(follower_->stats().follow_full_reloads, 1);
}

TEST_F(CatalogFollowTest, AFollowerBehindThePrunedLogReadsEverything) {
  ASSERT_NO_FATAL_FAILURE(Open(/*keep=*/2));
  for (int i = 0; i < 3; ++i) {  // three ticks, three entries
    ASSERT_TRUE(writer_
                    ->UpsertPosts(std::vector<v1::Post>{MakePost(
                        absl::StrCat("n", i), "di", v1::POST_KIND_QUESTION,
                        "kafka", "kafka again", kT0 + 50 + i, "", "en")})
                    .ok());
    writer_->Refresh();
  }
  ExpectInStep();
  EXPECT_EQ(follower_->stats().follow_full_reloads, 1);
  EXPECT_EQ(follower_->stats().follow_incremental, 0);
  // In step again, it follows the log again.
  ASSERT_TRUE(writer_->DeletePost("n0").ok());
  ExpectInStep();
  EXPECT_EQ(follower_->stats().follow_incremental, 1);
}

TEST_F(CatalogFollowTest, ADamagedLogEntryMakesTheFollowerReadEverything) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(writer_->DeletePost("a1").ok());
  writer_->Refresh();
  writer_.reset();  // releases the folder: the entry is damaged by hand
  {
    Xapian::WritableDatabase people(DataDir(dir_).people(), Xapian::DB_OPEN);
    const ChangeLogPosition pos = ReadChangeLogPosition(people);
    people.set_metadata(
        absl::StrCat("whoknows.log.e", std::string(19, '0'), pos.head),
        "whoknows-log 1\nP zz\n");
    people.commit();
  }
  follower_->Refresh();
  EXPECT_EQ(follower_->stats().follow_full_reloads, 1);
  EXPECT_EQ(follower_->snapshot()->FindPost("a1"), nullptr);
}

// The log lives in people/ (replicated to followers as private_posts/ is),
// never beside the public posts: a private post's id stays out of posts/.
TEST_F(CatalogFollowTest, TheLogKeepsPrivatePostIdsOutOfThePublicPosts) {
  ASSERT_NO_FATAL_FAILURE(Open());
  v1::Post secret = MakePost("hr-layoffs-2027", "di", v1::POST_KIND_QUESTION,
                             "kafka", "kafka budget", kT0 + 60, "", "en");
  secret.set_visibility("group:hr");
  ASSERT_TRUE(writer_->UpsertPosts(std::vector<v1::Post>{secret}).ok());
  ExpectInStep();
  EXPECT_NE(follower_->snapshot()->FindPost("hr-layoffs-2027"), nullptr);
  writer_.reset();
  const Xapian::Database pub(DataDir(dir_).posts());
  for (auto k = pub.metadata_keys_begin(); k != pub.metadata_keys_end(); ++k)
    EXPECT_EQ(pub.get_metadata(*k).find("hr-layoffs"), std::string::npos) << *k;
  const Xapian::Database people(DataDir(dir_).people());
  const ChangeLogPosition pos = ReadChangeLogPosition(people);
  auto entries = ReadChangeLog(people, {pos.epoch, pos.head - 1}, pos);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].posts.at(0).first, "hr-layoffs-2027");
}

}  // namespace
}  // namespace whoknows::index
