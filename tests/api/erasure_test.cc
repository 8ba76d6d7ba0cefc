// Erasure across every store (api/erasure.cc), its receipt, its journal, and
// compaction making it physical (index::Catalog::Compact).
#include "api/erasure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xapian.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "api/outcomes.h"
#include "api/server.h"
#include "index/catalog.h"
#include "index/change_log.h"
#include "index/data_dir.h"
#include "index/interactions.h"
#include "index/interned.h"
#include "index/outcomes.h"
#include "ranking/expertise_model.h"
#include "ranking/outcomes.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::api {
namespace {

namespace fs = std::filesystem;
using testing_util::MakePerson;
using testing_util::MakePost;

// An id and a word that cannot occur in a data folder by chance.
constexpr char kErasee[] = "erasee-7f3a9c";
constexpr char kMarker[] = "qzvmarker4b1d";

bool FileContains(const fs::path& path, const std::string& needle) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  return bytes.find(needle) != std::string::npos;
}

// Every file under `dir` (or `dir` itself, a file) that contains `needle`
// as bytes, read whole and binary.
std::vector<std::string> FilesContaining(const std::string& dir,
                                         const std::string& needle) {
  std::vector<std::string> found;
  if (fs::is_regular_file(dir)) {
    if (FileContains(dir, needle)) found.push_back(dir);
    return found;
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && FileContains(entry.path(), needle))
      found.push_back(entry.path().string());
  }
  return found;
}

index::Interaction Mail(const std::string& id, const std::string& from,
                        std::vector<std::string> to) {
  index::Interaction i;
  i.id = id;
  i.from = from;
  i.to = std::move(to);
  i.time = 1700000000;
  i.kind = "email";
  return i;
}

v1::Outcome Outcome(const std::string& id, const std::string& post,
                    const std::string& title, const std::string& asker,
                    const std::string& helper) {
  v1::Outcome o;
  o.set_id(id);
  o.set_question_post_id(post);
  o.set_title(title);
  o.set_asker_id(asker);
  o.set_helper_id(helper);
  o.set_kind(v1::OUTCOME_KIND_ACCEPTED);
  o.mutable_time()->set_seconds(1700005000);
  return o;
}

// A small company where the erasee wrote posts carrying the marker (title,
// body, tags), liked and was mentioned in others' posts, manages someone,
// and sent and received mail (one mail id carries the marker).
class ErasureTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::TestDir();
    index::CatalogOptions o;
    o.data_dir = dir_;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.change_log_on_folder = change_log_;
    auto catalog = index::Catalog::Open(o);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
    v1::Person ann = MakePerson("ann", "Lab");
    ann.set_manager_id(kErasee);
    ASSERT_TRUE(catalog_
                    ->UpsertPeople({{MakePerson(kErasee, "Lab"), ann,
                                     MakePerson("bo", "Lab")}})
                    .ok());
    const std::string marked = std::string("calibrating the ") + kMarker;
    v1::Post q = MakePost("p1", kErasee, v1::POST_KIND_QUESTION,
                          "How do I go about " + marked + " flux capacitor?",
                          marked + " drifts after every restart of the rig",
                          1700000000, "", "en");
    q.add_tags(kMarker);
    v1::Post a = MakePost("p2", "bo", v1::POST_KIND_ANSWER, "",
                          "Let the rig warm up for an hour before you start",
                          1700001000, "p1", "en");
    v1::Post other = MakePost("p3", "ann", v1::POST_KIND_QUESTION,
                              "Which centrifuge rotor for plasma samples?",
                              "We spin plasma samples at four degrees",
                              1700002000, "", "en");
    other.add_liked_by(kErasee);
    other.add_mentioned(kErasee);
    other.add_mentioned("bo");
    v1::Post own_answer =
        MakePost("p4", kErasee, v1::POST_KIND_ANSWER, "",
                 "Use the fixed angle rotor; " + marked + " is unrelated",
                 1700003000, "p3", "en");
    v1::Post more =
        MakePost("p5", "bo", v1::POST_KIND_ARTICLE,
                 "Centrifuge maintenance and rotor care",
                 "Clean the rotor after plasma runs", 1700004000, "", "en");
    ASSERT_TRUE(catalog_->UpsertPosts({{q, a, other, own_answer, more}}).ok());
    const std::vector<index::Interaction> mails = {
        Mail(std::string("mail-") + kMarker, kErasee, {"ann"}),
        Mail("m2", "ann", {kErasee, "bo"}),
        Mail("m3", "bo", {kErasee}),
        Mail("m4", "ann", {"bo"}),
    };
    ASSERT_TRUE(index::InteractionLog(dir_).Append(mails).ok());
    // Outcomes: the erasee helped ann (the question carries the marker),
    // bo helped the erasee with p1, and bo helped ann (kept).
    index::OutcomeLog outcomes(dir_);
    ASSERT_TRUE(
        outcomes
            .Append(Outcome("o1", "",
                            "Why does the " + std::string(kMarker) + " drift?",
                            "ann", kErasee))
            .ok());
    ASSERT_TRUE(outcomes.Append(Outcome("o2", "p1", "", kErasee, "bo")).ok());
    ASSERT_TRUE(
        outcomes.Append(Outcome("o3", "", "Rotor balance", "ann", "bo")).ok());
    catalog_->Refresh();
    ranking::ModelStoreOptions mo;
    mo.path = index::DataDir(dir_).embeddings();
    mo.background = false;
    models_ = std::make_unique<ranking::ModelStore>(*catalog_, mo);
    ASSERT_TRUE(models_->RebuildNow().ok());
  }

  EraserOptions Options() {
    EraserOptions o;
    o.data_dir = dir_;
    o.clock = [] { return absl::FromUnixSeconds(1750000000); };
    return o;
  }

  // A server on the fixture's folder, as `serve` starts (ResumePending
  // included).
  absl::StatusOr<std::unique_ptr<Server>> StartServer() const {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_;
    return Server::Start(options);
  }

  // Options whose erasure stops after `at` with `error`, as a crash (or a
  // failure) there would leave it.
  EraserOptions StoppingAfter(
      ErasureStage at,
      absl::Status error = absl::AbortedError("simulated crash")) {
    EraserOptions o = Options();
    o.after_stage = [at, error](ErasureStage stage) {
      return stage == at ? error : absl::OkStatus();
    };
    return o;
  }

  bool change_log_ = false;  // CatalogOptions::change_log_on_folder
  std::string dir_;
  std::unique_ptr<index::Catalog> catalog_;
  std::unique_ptr<ranking::ModelStore> models_;
};

// The same company on a writer that keeps the followers' change log
// (index/change_log.h), which names the erasee and their posts' ids.
class ErasureWithChangeLogTest : public ErasureTest {
 protected:
  ErasureWithChangeLogTest() { change_log_ = true; }
};

TEST_F(ErasureTest, ReceiptCountsWhatWasRemoved) {
  Eraser eraser(*catalog_, models_.get(), Options());
  auto receipt = eraser.Erase(kErasee);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_TRUE(receipt->profile_found);
  EXPECT_EQ(receipt->posts_deleted, 2);
  EXPECT_EQ(receipt->likes_removed, 1);
  EXPECT_EQ(receipt->mentions_removed, 1);
  EXPECT_EQ(receipt->manager_references_cleared, 1);
  EXPECT_EQ(receipt->interactions_removed, 2);   // sent one, sole receiver
  EXPECT_EQ(receipt->interactions_redacted, 1);  // one of two receivers
  EXPECT_EQ(receipt->outcomes_removed, 2);       // helped one, asked one
  EXPECT_TRUE(receipt->model_updated);
  EXPECT_FALSE(receipt->resumed);
  EXPECT_EQ(receipt->erased_at, absl::FromUnixSeconds(1750000000));

  const v1::DeletePersonResponse response = ToResponse(*receipt);
  EXPECT_TRUE(response.found());
  EXPECT_EQ(response.interactions_removed(), 2);
  EXPECT_EQ(response.outcomes_removed(), 2);
  EXPECT_EQ(response.erased_at().seconds(), 1750000000);

  auto log = index::InteractionLog(dir_).Load();
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].id, "m2");
  EXPECT_EQ((*log)[0].to, std::vector<std::string>{"bo"});
  EXPECT_EQ((*log)[1].id, "m4");
  auto outcomes = index::OutcomeLog(dir_).Load();
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_EQ((*outcomes)[0].id(), "o3");
  EXPECT_EQ(catalog_->snapshot()->FindPerson("ann")->manager_id(), "");
  EXPECT_EQ(catalog_->snapshot()->FindPerson(kErasee), nullptr);
  EXPECT_FALSE(fs::exists(index::DataDir(dir_).erasure_journal()));

  // Again: nothing left, nothing found, not an error.
  auto again = eraser.Erase(kErasee);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->profile_found);
  EXPECT_EQ(again->posts_deleted + again->likes_removed +
                again->interactions_removed + again->interactions_redacted +
                again->outcomes_removed,
            0);
}

TEST_F(ErasureTest, AfterCompactionNoByteOfThemIsLeftInTheDataFolder) {
  ASSERT_THAT(FilesContaining(dir_, kMarker), testing::Not(testing::IsEmpty()))
      << "the test would prove nothing";
  ASSERT_THAT(FilesContaining(dir_, kErasee), testing::Not(testing::IsEmpty()));
  Eraser eraser(*catalog_, models_.get(), Options());
  ASSERT_TRUE(eraser.Erase(kErasee).ok());
  auto compacted = catalog_->Compact();
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_GT(compacted->bytes_after, 0);
  // Still a working catalog: the others' posts are searchable.
  index::SearchOptions search;
  search.query = "centrifuge rotor";
  auto hits = catalog_->Search(search);
  ASSERT_TRUE(hits.ok()) << hits.status();
  EXPECT_FALSE(hits->hits.empty());
  ASSERT_TRUE(catalog_->UpsertPeople({{MakePerson("cy", "Lab")}}).ok());
  models_.reset();
  catalog_.reset();  // on disk at rest, every file closed

  EXPECT_THAT(FilesContaining(dir_, kMarker), testing::IsEmpty());
  EXPECT_THAT(FilesContaining(dir_, kErasee), testing::IsEmpty());
  auto reopened = index::Catalog::OpenForReading(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_NE((*reopened)->snapshot()->FindPost("p3"), nullptr);
  EXPECT_NE((*reopened)->snapshot()->FindPerson("cy"), nullptr);
}

// The erasure resets the log (no entry written before it stays), so that
// after a compaction no byte of the erasee is left in people/ either.
TEST_F(ErasureWithChangeLogTest,
       AfterCompactionNoByteOfThemIsLeftInTheLogEither) {
  const std::string people = index::DataDir(dir_).people();
  auto log_naming = [&](const std::string& needle) {
    std::vector<std::string> keys;
    const Xapian::Database db(people);
    for (auto k = db.metadata_keys_begin(); k != db.metadata_keys_end(); ++k)
      if (db.get_metadata(*k).find(needle) != std::string::npos)
        keys.push_back(*k);
    return keys;
  };
  ASSERT_THAT(log_naming(kErasee), testing::Not(testing::IsEmpty()))
      << "the test would prove nothing";
  Eraser eraser(*catalog_, models_.get(), Options());
  ASSERT_TRUE(eraser.Erase(kErasee).ok());
  EXPECT_THAT(log_naming(kErasee), testing::IsEmpty());
  ASSERT_TRUE(catalog_->Compact().ok());
  ASSERT_TRUE(catalog_->UpsertPeople({{MakePerson("cy", "Lab")}}).ok());
  catalog_->Refresh();  // a tick: the log goes on
  models_.reset();
  catalog_.reset();  // on disk at rest, every file closed

  EXPECT_THAT(FilesContaining(dir_, kErasee), testing::IsEmpty());
  EXPECT_THAT(FilesContaining(dir_, kMarker), testing::IsEmpty());
  const Xapian::Database db(people);
  EXPECT_NE(index::ReadChangeLogPosition(db).epoch, "");
}

// In memory too: once the erasure is acknowledged (published, the model
// rebuilt) and nothing holds an older snapshot, the process's interning
// table holds neither their id nor a tag or group only they used (a heap
// dump or a core file would show them otherwise).
TEST_F(ErasureTest, NothingOfThemIsLeftInTheInterningTable) {
  constexpr char kGroup[] = "group:erasee-lab-7f3a9c";
  constexpr char kTag[] = "erasee-only-tag-7f3a9c";
  v1::Post own =
      MakePost("p6", kErasee, v1::POST_KIND_QUESTION, "Rig log for the lab",
               "Only the lab sees this", 1700005000, "", "en");
  own.set_visibility(kGroup);
  own.add_tags(kTag);
  ASSERT_TRUE(catalog_->UpsertPosts({{own}}).ok());
  catalog_->Refresh();
  ASSERT_TRUE(models_->RebuildNow().ok());
  for (const char* value : {kErasee, kMarker, kGroup, kTag}) {
    ASSERT_TRUE(index::Interned::TableContains(value))
        << value << ": the test would prove nothing";
  }
  Eraser eraser(*catalog_, models_.get(), Options());
  auto receipt = eraser.Erase(kErasee);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->posts_deleted, 3);
  // The server goes on: the catalog and the model stay open.
  for (const char* value : {kErasee, kMarker, kGroup, kTag}) {
    EXPECT_FALSE(index::Interned::TableContains(value)) << value;
  }
  EXPECT_TRUE(index::Interned::TableContains("bo"));
}

TEST_F(ErasureTest, AJournalLeftByACrashIsFinishedByResumePending) {
  const EraserOptions crashing = StoppingAfter(ErasureStage::kDerivedFilesHeld);
  ASSERT_FALSE(Eraser(*catalog_, models_.get(), crashing).Erase(kErasee).ok());
  ASSERT_TRUE(fs::exists(index::DataDir(dir_).erasure_journal()));
  ASSERT_THAT(FilesContaining(dir_ + "/interactions.tsv", kErasee),
              testing::Not(testing::IsEmpty()));

  Eraser eraser(*catalog_, models_.get(), Options());
  auto resumed = eraser.ResumePending();
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(resumed->has_value());
  EXPECT_TRUE((*resumed)->resumed);
  EXPECT_EQ((*resumed)->person_id, kErasee);
  EXPECT_EQ((*resumed)->interactions_removed, 2);
  EXPECT_FALSE(fs::exists(index::DataDir(dir_).erasure_journal()));
  EXPECT_THAT(FilesContaining(dir_ + "/interactions.tsv", kErasee),
              testing::IsEmpty());
  auto none = eraser.ResumePending();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// Ids may begin or end with spaces; the journal keeps the id exact, so a
// resumed erasure of " bo" never erases "bo".
TEST_F(ErasureTest, AResumedErasureKeepsTheIdExact) {
  ASSERT_TRUE(catalog_->UpsertPeople({{MakePerson(" bo ", "Lab")}}).ok());
  const EraserOptions crashing = StoppingAfter(ErasureStage::kJournalWritten);
  ASSERT_FALSE(Eraser(*catalog_, models_.get(), crashing).Erase(" bo ").ok());
  auto resumed = Eraser(*catalog_, models_.get(), Options()).ResumePending();
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(resumed->has_value());
  EXPECT_EQ((*resumed)->person_id, " bo ");
  catalog_->Refresh();
  EXPECT_EQ(catalog_->snapshot()->FindPerson(" bo "), nullptr);
  EXPECT_NE(catalog_->snapshot()->FindPerson("bo"), nullptr);
}

// The files derived from published snapshots, and whether each names the
// erasee (a missing file names no one).
std::vector<std::string> DerivedFilesNaming(const std::string& dir,
                                            const std::string& id) {
  const index::DataDir d(dir);
  std::vector<std::string> naming;
  for (const std::string& path : {d.graph(), d.embeddings(), d.derived_state(),
                                  d.graph_state(), d.docid_state()}) {
    if (fs::exists(path) && FileContains(path, id)) naming.push_back(path);
  }
  return naming;
}

// A process that dies once the catalog has committed the erasure leaves no
// file that names the person but the databases (freed blocks, until
// Compact) and the erasure's journal, even when a model build from the
// snapshot published before the erasure ends in that window (as the model
// store's background loop may) and the catalog then closes (its graph
// saver writes the published graph when it is due).
TEST_F(ErasureTest, ACrashAfterTheCatalogsCommitLeavesNoFileNamingThem) {
  ASSERT_THAT(DerivedFilesNaming(dir_, kErasee),
              testing::IsSupersetOf({index::DataDir(dir_).graph(),
                                     index::DataDir(dir_).embeddings()}));
  EraserOptions crashing = Options();
  crashing.after_stage = [this](ErasureStage stage) -> absl::Status {
    if (stage != ErasureStage::kCatalogErased) return absl::OkStatus();
    // Built from the snapshot still published, which holds them.
    EXPECT_NE(catalog_->snapshot()->FindPerson(kErasee), nullptr);
    EXPECT_TRUE(models_->RebuildNow().ok());
    return absl::AbortedError("simulated crash");
  };
  ASSERT_FALSE(Eraser(*catalog_, models_.get(), crashing).Erase(kErasee).ok());
  models_.reset();
  catalog_.reset();
  EXPECT_THAT(DerivedFilesNaming(dir_, kErasee), testing::IsEmpty());
  const index::DataDir d(dir_);
  std::vector<std::string> naming;
  for (const std::string& path : FilesContaining(dir_, kErasee)) {
    const fs::path rel = fs::relative(path, dir_);
    const std::string top = rel.begin()->string();
    if (top != "posts" && top != "private_posts" && top != "people" &&
        path != d.erasure_journal())
      naming.push_back(path);
  }
  EXPECT_THAT(naming, testing::IsEmpty());

  // The next start finishes the erasure and writes the files again.
  auto server = StartServer();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(fs::exists(index::DataDir(dir_).erasure_journal()));
  EXPECT_TRUE(fs::exists(index::DataDir(dir_).embeddings()));
  (*server)->Shutdown();
  server->reset();
  EXPECT_TRUE(fs::exists(index::DataDir(dir_).graph()));
  EXPECT_THAT(DerivedFilesNaming(dir_, kErasee), testing::IsEmpty());
}

// An erasure that failed half-way (its journal left) is finished before
// the next one begins, whose journal would otherwise replace it; once an
// erasure succeeds, the derived files are written again.
TEST_F(ErasureTest, AnErasureThatFailedIsFinishedBeforeTheNext) {
  ASSERT_TRUE(catalog_->UpsertPeople({{MakePerson("cy", "Lab")}}).ok());
  EraserOptions failing =
      StoppingAfter(ErasureStage::kDerivedFilesHeld,
                    absl::UnavailableError("simulated failure"));
  std::vector<absl::Status> reported;
  failing.on_incomplete = [&](const absl::Status& e) { reported.push_back(e); };
  ASSERT_FALSE(Eraser(*catalog_, models_.get(), failing).Erase(kErasee).ok());
  ASSERT_THAT(FilesContaining(dir_ + "/interactions.tsv", kErasee),
              testing::Not(testing::IsEmpty()));
  // Reported for the operator, without the person.
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(reported[0].message()),
              testing::HasSubstr("ERASURE"));
  EXPECT_THAT(std::string(reported[0].message()),
              testing::Not(testing::HasSubstr(kErasee)));

  EraserOptions next = Options();
  next.on_incomplete = [&](const absl::Status& e) { reported.push_back(e); };
  std::vector<ErasureReceipt> resumed;  // audited by the server
  next.on_resumed = [&](const ErasureReceipt& r) { resumed.push_back(r); };
  auto receipt = Eraser(*catalog_, models_.get(), next).Erase("cy");
  EXPECT_EQ(reported.size(), 1u) << "the next erasure completed both";
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].person_id, kErasee);
  EXPECT_TRUE(resumed[0].resumed);
  EXPECT_EQ(resumed[0].posts_deleted, 2);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->person_id, "cy");
  EXPECT_TRUE(receipt->model_updated);
  EXPECT_FALSE(fs::exists(index::DataDir(dir_).erasure_journal()));
  EXPECT_THAT(FilesContaining(dir_ + "/interactions.tsv", kErasee),
              testing::IsEmpty());
  auto snap = catalog_->snapshot();
  EXPECT_EQ(snap->FindPerson(kErasee), nullptr);
  EXPECT_EQ(snap->FindPerson("cy"), nullptr);
  EXPECT_NE(snap->FindPerson("bo"), nullptr);
  EXPECT_EQ(snap->FindPost("p1"), nullptr);
  // Held back while the erasure was open, written again after it.
  EXPECT_TRUE(fs::exists(index::DataDir(dir_).graph()));
  EXPECT_TRUE(fs::exists(index::DataDir(dir_).embeddings()));
  EXPECT_THAT(DerivedFilesNaming(dir_, kErasee), testing::IsEmpty());
}

TEST_F(ErasureTest, ServerStartFinishesAnInterruptedErasure) {
  const EraserOptions crashing = StoppingAfter(ErasureStage::kJournalWritten);
  ASSERT_FALSE(Eraser(*catalog_, models_.get(), crashing).Erase(kErasee).ok());
  models_.reset();
  catalog_.reset();
  ASSERT_TRUE(fs::exists(index::DataDir(dir_).erasure_journal()));

  auto server = StartServer();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(fs::exists(index::DataDir(dir_).erasure_journal()));
  EXPECT_EQ((*server)->catalog().snapshot()->FindPerson(kErasee), nullptr);
  EXPECT_EQ((*server)->catalog().snapshot()->FindPost("p1"), nullptr);
  EXPECT_THAT(FilesContaining(dir_ + "/interactions.tsv", kErasee),
              testing::IsEmpty());
  EXPECT_THAT(FilesContaining(dir_ + "/graph.tsv", kErasee),
              testing::IsEmpty());
  EXPECT_THAT(FilesContaining(dir_ + "/embeddings.bin", kErasee),
              testing::IsEmpty());
  // The audit trail says the erasure was finished, and by whom.
  std::ifstream audit(index::DataDir(dir_).audit_log());
  std::string line, finished;
  while (std::getline(audit, line)) {
    if (line.find("DeletePerson") != std::string::npos) finished = line;
  }
  EXPECT_THAT(finished, testing::HasSubstr("whoknows serve: resumed"));
  EXPECT_THAT(finished, testing::HasSubstr(std::string("\"target\":\"") +
                                           kErasee + "\""));
  EXPECT_THAT(finished, testing::HasSubstr("\"code\":\"OK\""));
  EXPECT_THAT(finished, testing::HasSubstr("\"posts\":2"));
  (*server)->Shutdown();
}

// A call that records an outcome waits for an erasure in progress (with
// more than one ingest thread they may overlap), so that it cannot pass
// its check of the helper against the snapshot published before the
// erasure after the erasure has removed their outcomes, and leave one
// naming them.
TEST_F(ErasureTest, AnOutcomeRecordedDuringAnErasureCannotNameThem) {
  ranking::OutcomeStore outcomes(*catalog_, dir_);
  EraserOptions o = Options();
  o.outcomes = &outcomes;
  Eraser* eraser_ptr = nullptr;
  std::thread recorder;
  absl::StatusOr<v1::RecordOutcomeResponse> recorded;
  o.after_stage = [&](ErasureStage stage) {
    if (stage != ErasureStage::kCatalogErased) return absl::OkStatus();
    // Their outcomes are gone; the published snapshot still holds them.
    recorder = std::thread([&] {
      v1::RecordOutcomeRequest r;
      *r.mutable_outcome() = Outcome("o9", "", "Rotor noise", "ann", kErasee);
      r.mutable_outcome()->clear_id();
      Caller intranet;
      intranet.subject = "intranet";
      intranet.roles = static_cast<unsigned>(Role::kIntranet);
      intranet.method = AuthMethod::kToken;
      recorded = eraser_ptr->OutsideErasures([&] {
        return RecordOutcome(intranet, *catalog_, outcomes,
                             catalog_->options().validation, r);
      });
    });
    // Time for the call to run now, as it would without the wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return absl::OkStatus();
  };
  Eraser eraser(*catalog_, models_.get(), o);
  eraser_ptr = &eraser;
  ASSERT_TRUE(eraser.Erase(kErasee).ok());
  recorder.join();
  EXPECT_EQ(recorded.status().code(), absl::StatusCode::kNotFound)
      << recorded.status();
  EXPECT_THAT(FilesContaining(dir_ + "/outcomes.jsonl", kErasee),
              testing::IsEmpty());
}

// A crash between the catalog's commits of an erasure (posts, then people)
// leaves both journals: the server's start finishes the catalog's write
// from BATCH (Catalog::Open) before anything is served, then the erasure
// from ERASURE, and neither journal, with the person's id, stays behind.
TEST_F(ErasureTest, ServerStartFinishesAnErasureCutBetweenCatalogCommits) {
  models_.reset();
  catalog_.reset();
  {
    index::CatalogOptions o;
    o.data_dir = dir_;
    o.refresh_interval = std::chrono::milliseconds(0);
    o.after_commit = [](index::Store store) {
      return store == index::Store::kPosts
                 ? absl::AbortedError("simulated crash")
                 : absl::OkStatus();
    };
    auto crashing = index::Catalog::Open(o);
    ASSERT_TRUE(crashing.ok()) << crashing.status();
    ASSERT_FALSE(Eraser(**crashing, nullptr, Options()).Erase(kErasee).ok());
    // The failed commit keeps the derived files held back: its close
    // writes no graph.tsv from the snapshot published before.
  }
  EXPECT_THAT(DerivedFilesNaming(dir_, kErasee), testing::IsEmpty());
  const index::DataDir dir(dir_);
  ASSERT_TRUE(fs::exists(dir.erasure_journal()));
  ASSERT_TRUE(fs::exists(dir.batch_journal()));

  auto server = StartServer();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(fs::exists(dir.erasure_journal()));
  EXPECT_FALSE(fs::exists(dir.batch_journal()));
  auto snap = (*server)->catalog().snapshot();
  EXPECT_EQ(snap->FindPerson(kErasee), nullptr);
  EXPECT_EQ(snap->FindPost("p1"), nullptr);
  EXPECT_EQ(snap->FindPost("p4"), nullptr);
  ASSERT_NE(snap->FindPerson("ann"), nullptr);
  EXPECT_EQ(snap->FindPerson("ann")->manager_id(), "");
  ASSERT_NE(snap->FindPost("p3"), nullptr);
  EXPECT_THAT(snap->FindPost("p3")->liked_by, testing::IsEmpty());
  EXPECT_THAT(snap->FindPost("p3")->mentioned, testing::ElementsAre("bo"));
  (*server)->Shutdown();
}

}  // namespace
}  // namespace whoknows::api
