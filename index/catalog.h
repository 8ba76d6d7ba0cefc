// The catalog: posts in a Xapian database on disk, the people directory and
// the colleague graph, with one writer and many concurrent readers.
#ifndef WHOKNOWS_INDEX_CATALOG_H_
#define WHOKNOWS_INDEX_CATALOG_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/chunked_array.h"
#include "index/data_dir.h"
#include "index/dense_index.h"
#include "index/graph_options.h"
#include "index/interned.h"
#include "index/shared_map.h"
#include "index/translation.h"
#include "index/validation.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {

class ColleagueGraph;  // index/graph.h

// Points in the publishing of a snapshot where CatalogOptions::publish_hook
// is called.
enum class PublishStage {
  // The writer's state (people and posts) has been copied; the snapshot is
  // not built or installed yet.
  kStateCopied,
};

struct CatalogOptions {
  // Folder holding everything (created if missing): posts/, private_posts/
  // and people/ (Xapian databases) and graph.tsv. Required.
  std::string data_dir;
  // Committed writes become visible to readers within this interval (plus
  // the publish's own time): a publish starts once something changed and
  // the previous one started at least this long ago. Shorter costs more
  // snapshot rebuilds during bulk ingest.
  std::chrono::milliseconds refresh_interval{1000};
  // With a share (0-1], a publish may start sooner than refresh_interval
  // after the previous one started: once the CPU time the previous took
  // (the publishing thread's) is at most this share of the time since it
  // started, and at least 250 ms after it. So cheap publishes
  // come about every 250 ms under sustained writes, and
  // publishing takes at most this share of a core whatever the size. 0:
  // every refresh_interval (tests and tools that publish by hand). `serve`
  // sets 0.25 (--publish-cpu-share).
  double publish_cpu_share = 0;
  // Open without the writer (no lock is taken, writes fail). Lets `ask
  // --data` read a folder that a running server is writing.
  bool read_only = false;
  // Public posts on Xapian remote shards (`xapian-tcpsrv`) instead of
  // <data>/posts/: a list of "tcp://HOST:PORT" a shard, in shard order. The
  // writer writes each shard through its first server (`xapian-tcpsrv
  // --writable`); readers try a shard's servers in order (a replica first,
  // then the primary, say) and move to the next one when the one they read
  // goes down. Every process of a deployment must list the shards in the
  // same order. people/ and private_posts/ stay in data_dir. Empty (the
  // default): posts/ in data_dir. docs/operations.md, "Topology".
  std::vector<std::vector<std::string>> post_shards;
  // A read-only catalog kept in step with a writer elsewhere (`serve
  // --follow`): every refresh_interval it looks at the revisions of
  // people/ and private_posts/ (kept by xapian-replicate) and at the stamp
  // the writer leaves in the first shard at each commit of posts; when one
  // changed, it reads the writer's change log (index/change_log.h) from
  // people/, fetches only the records written or deleted since the last
  // entry it applied and publishes them the incremental way (as the writer
  // does); when it is too far behind (the entries it needs pruned), the
  // log is damaged or absent, or a replica stays behind the log, it reads
  // every record again. Refresh() does one such step. Implies read_only.
  bool follow = false;
  // The change log for followers (index/change_log.h): at each publish
  // tick after writes (and with each commit of people/), the writer lists
  // the ids written and deleted since the last entry, in people/'s
  // metadata; an erasure resets it. Kept by a writer whose posts are on
  // remote shards (post_shards), or with `change_log_on_folder` (`serve
  // --change-log-on-folder`) by one whose posts/ is replicated to
  // followers. It costs a commit of people/ a tick. The newest
  // change_log_entries entries are kept; a follower further behind reads
  // everything again. Bigger lets followers fall further behind before
  // that, at about 20 bytes a record written in people/. 0: no log.
  int change_log_entries = 1000;
  bool change_log_on_folder = false;
  // Language assumed for posts too short for detection to tell.
  std::string default_language = "en";
  GraphOptions graph;
  // graph.tsv (the colleague graph, for other tools) is written by the
  // writer's graph saver thread (nice +10) at most this often after
  // incremental publishes, and when the catalog is closed; a publish that
  // builds from scratch (at Open, after an erasure or an opt-out, for a
  // large change) or follows a failed save writes it at once. Saving costs
  // O(graph) (seconds at 1M posts), which would otherwise make every
  // publish cost the size of the company and hold the next publish up.
  // Shorter keeps the file closer to the snapshot.
  std::chrono::milliseconds graph_save_interval{60000};
  // And at least the last save's CPU time divided by this share (0-1]
  // after it, so that the saver takes at most this share of a core
  // whatever the graph's size: at 1M posts a save costs seconds of CPU
  // and writes about 100 MB, which a sustained ingest's commits wait
  // behind. 0 or less: graph_save_interval alone. After a failed save the
  // saver tries again at every tick, whatever the share.
  double graph_save_cpu_share = 0.02;
  // Bilingual dictionary for cross-lingual search: each query word also
  // matches its translations. When unset, the FreeDict Swedish-English
  // dictionaries are read from `dictionary_dir` at Open (absent files mean
  // no translation); an empty dictionary_dir turns translation off.
  std::shared_ptr<const Dictionary> dictionary;
  std::string dictionary_dir = "/usr/share/dictd";
  // Times a read (Search, Fetch, ForEachPostTerms) is tried before it fails
  // with UNAVAILABLE. A commit can invalidate the revision a reader is on
  // (Xapian's DatabaseModifiedError); the reader is then reopened and the
  // read starts over. More attempts ride out heavier write traffic, each
  // one at the cost of the whole read again. ForEachPostTerms goes on from
  // where it was instead: it fails after this many tries in a row that
  // read nothing.
  int read_attempts = 3;
  // Bulk loading (`whoknows import`): when > 0, a write that deletes
  // nothing is applied to its databases but not committed when it returns;
  // the writes pending are committed together once this many records are
  // pending, and by Commit(), by any write that deletes or moves a post
  // (which then goes the journaled, committed way), SetOptOut, Compact and
  // the destructor. One commit for many batches is what makes an import
  // fast: each Xapian commit merges every changed term's posting list into
  // the B-trees, so its cost grows with the vocabulary, not with the batch.
  // The price: a returned write is not durable until the next commit, and a
  // crash loses what was pending (and, if it cuts the commit of the three
  // databases, may keep part of it). Imports replace records by id, so
  // running the same import again restores everything. Readers (the
  // snapshot) see pending writes; Search and Fetch see them once committed.
  // Larger values cost memory: Xapian buffers the pending postings (about
  // 1 KB a post). 0 (the default, and what `serve` uses): every write is
  // committed, durable, before it returns.
  int bulk_commit_records = 0;
  // Members' searches read posts/ plus an in-memory copy of each of their
  // groups' posts (docs/ranking.md, "Private groups"), built at a group's
  // first search after its posts changed and kept until they change again.
  // The copies kept hold at most about this many posts in all (the least
  // recently searched group is dropped past it, and built again when next
  // asked for). A copy costs about 120 bytes a term occurrence, some 13 KB
  // for a post of 110 terms (docs/ranking.md). A bigger value saves
  // rebuilds when many groups are searched; 0 keeps only the groups of
  // searches under way.
  int64_t group_cache_posts = 50000;
  // Checks of written records that depend on more than the record: the
  // server's clock (timestamps may be at most a tolerance in the future).
  ValidationOptions validation;
  // Test seam: called on the publishing thread at each PublishStage of every
  // publish (Open's, Refresh's, the refresher's), so that tests can hold a
  // publish there and force an interleaving. Unset in production.
  std::function<void(PublishStage)> publish_hook;
  // Test seam: called on a follower's thread (CatalogOptions::follow) at
  // the start of each attempt of a tick, before it reads the replicas'
  // stub files, so that tests can change a replica under it. Unset in
  // production.
  std::function<void()> follow_hook;
  // Test seam: called on a follower's thread when a tick has opened the
  // posts' databases, before it reads the records the change log names, so
  // that tests can commit under the reader (Xapian's DatabaseModifiedError
  // once the revision it holds is discarded). Unset in production.
  std::function<void()> follow_read_hook;
  // Test seam: called after each commit of a database by a write, with the
  // database; a non-OK status stops the write there, as a crash would (no
  // later database is written, nothing is rolled back), and the write
  // returns it. Tests then reopen the folder to see what a crash leaves.
  // Unset in production.
  std::function<absl::Status(Store)> after_commit;
  // Called with each failure of background work as it happens, and where
  // ("publish": a publish that cannot save graph.tsv, background_error();
  // "journal": a journaled write left unfinished after an error, or a
  // journal that cannot be removed). It may run on the refresher or on a
  // writer holding the writer's lock, so it must be quick and take only
  // leaf locks (api/admin.h's ErrorRing). Unset: the failures are only
  // printed to stderr, as before.
  std::function<void(const char* source, const absl::Status&)>
      on_background_error;
};

// Where the newest publish spent its time (CatalogStats::last_publish), in
// microseconds.
struct PublishTimings {
  // Built from the previous snapshot and what changed since (index/
  // snapshot_delta.h) rather than from scratch.
  bool incremental = false;
  // And of those, with the colleague graph extended by the new ties
  // rather than built from every post.
  bool graph_extended = false;
  int64_t posts_changed = 0;  // post ids written or deleted since the last
  // Taking the committed change or, for a build from scratch, copying the
  // writer's state (holding the writer).
  int64_t copy_us = 0;
  // Of copy_us: a build from scratch's wait for the writer's lock, held by
  // a write under way (its Xapian write and commit) when the publish
  // began. 0 for an incremental publish, which takes what the last write
  // handed over without waiting for the one under way.
  int64_t writer_wait_us = 0;
  // The posts came listed in derived.bin's order (Open's first publish:
  // DerivedRecords::posts_in_order) instead of copied from the writer's
  // map: copy_us is then the people's copy alone.
  bool posts_listed = false;
  int64_t groups_us = 0;  // the private groups' records compared
  int64_t build_us = 0;   // threads, activity, graph, dense numbering
  int64_t graph_us = 0;   // of build_us: the colleague graph
  // The graph was read from graph.bin (Open's first publish) instead of
  // built: graph_us is then 0, the read being part of OpenTimings'
  // records_us (beside the records, on another thread).
  bool graph_from_file = false;
  int64_t docids_us = 0;  // the public database's docid table read
  // The table came from docids.bin (Open's first publish) instead of
  // every document's id.
  bool docids_from_file = false;
  int64_t save_us = 0;  // graph.tsv written (0 when not saved this time)
};

// What Catalog::Open spent, stage by stage (serve logs it at start).
struct OpenTimings {
  int64_t stores_us = 0;   // the folder, its lock, the databases opened
  int64_t records_us = 0;  // every person and post's metadata into memory
  // Whether the records came from derived.bin (else every document read).
  bool records_from_file = false;
  int64_t publish_us = 0;  // the first snapshot (its stages: first_publish)
  PublishTimings first_publish;
};

// Figures about a catalog for operators (api's Admin.GetStatus), each kept
// as it changes and read without a scan and without the writer's lock.
// Times are unix milliseconds, 0 for "never since Open".
struct CatalogStats {
  // Xapian revision of posts/, private_posts/ and people/ (index by Store)
  // as this process last committed or opened them; 0 when read-only, and
  // for posts/ on remote shards (the remote backend tells no revision).
  std::array<uint64_t, kStoreCount> revisions = {};
  uint64_t generation = 0;               // of the published snapshot
  int64_t last_publish_ms = 0;           // when the newest publish ended
  int64_t last_publish_duration_ms = 0;  // how long it took
  // The newest write (committed, or with bulk loading applied).
  int64_t last_write_ms = 0;
  // The oldest write the published snapshot does not hold yet; 0 when it
  // holds every one. Now minus this is the publish lag.
  int64_t oldest_unpublished_write_ms = 0;
  // Writes waiting for the writer's lock (one holds it at a time).
  int writes_waiting = 0;
  // Records applied but not committed yet (bulk loading; 0 in `serve`).
  int64_t bulk_pending_records = 0;
  // Idle Xapian readers kept for queries.
  int64_t reader_pool = 0;
  PublishTimings last_publish;  // of the newest publish
  OpenTimings open;             // of Catalog::Open
  // A follower's updates (CatalogOptions::follow) since Open: those made
  // from the change log, the records they read, and the reloads of every
  // record (log pruned, damaged or absent, a replica behind the log).
  int64_t follow_incremental = 0;
  int64_t follow_posts_read = 0;
  int64_t follow_people_read = 0;
  int64_t follow_full_reloads = 0;
};

// A post's tags, likes or mentions. Most posts have one or two of each, held
// inside the record (in the 24 bytes an std::vector takes): reading 1M
// records at start-up then allocates one block a list less.
using InternedList = absl::InlinedVector<Interned, 2>;

// What ranking needs to know about a post without reading its text.
// Fields that many posts share (people, threads, groups, languages, tags)
// are Interned: 8 bytes each instead of a std::string's 32, read as const
// std::string (about 200 bytes a post less, 0.2 GB at 1M posts).
struct PostMeta {
  std::string id;
  Interned author_id;
  Interned thread_id;
  Interned parent_id;
  v1::PostKind kind = v1::POST_KIND_UNSPECIFIED;
  bool accepted = false;
  bool is_public = true;
  // "public" or the group that may see it ("group:hr"), as stored: a post
  // under a private ancestor carries the ancestor's group.
  Interned visibility = Interned::Public();
  // The visibility it got from a private ancestor, sticky across re-upserts
  // (Catalog::UpsertPosts); empty when none.
  Interned inherited_visibility;
  int64_t created = 0;  // unix seconds
  Interned language;
  std::string title;
  InternedList tags;
  InternedList liked_by;
  InternedList mentioned;
  std::vector<float> embedding;  // client-supplied vector, often empty
};

// The post as the catalog keeps it in memory.
std::shared_ptr<const PostMeta> MetaOf(const v1::Post& p);

// How much a person has contributed, over public posts.
struct Activity {
  int32_t questions = 0;
  int32_t answers = 0;
  int32_t accepted_answers = 0;
  int32_t comments = 0;
  int32_t articles = 0;
  int64_t first_post = 0;  // unix seconds, 0 if none
  int64_t last_post = 0;
  // Creation times of their answers (unix seconds), for recency-weighted
  // priors.
  std::vector<int64_t> answer_times;
};

// The public database's document ids, each with the DenseIndex number of
// its post in one snapshot, read when the snapshot was published: a search
// numbers its hits from it (SearchOptions::numbering) instead of reading
// each hit's id. A document id keeps its post within one database (a
// re-upsert keeps it; a new post gets a new one), so the table holds for
// later revisions too, up to the ids it covers.
struct PostDocids {
  std::string uuid;    // of the public database it was read from
  uint64_t files = 0;  // the catalog's folders it was read from (Compact)
  // Document id -> post number, DenseIndex::kNone for a document whose post
  // the snapshot leaves out. Ids from number.size() on are newer. Chunked:
  // the next snapshot's table shares the chunks its change does not write,
  // so a publish costs the documents it adds and renumbers, not a copy of
  // the table.
  ChunkedArray<uint32_t> number;
};

// A consistent, immutable view of the catalog published to readers. Its
// maps share their entries with the previous snapshot's (SharedMap): a
// publish costs what changed, not a copy of every map.
struct Snapshot {
  uint64_t generation = 0;
  SharedMap<std::shared_ptr<const v1::Person>> people;
  // The posts that count: those of people who opted out are left out.
  SharedMap<std::shared_ptr<const PostMeta>> posts;
  // Thread id -> ids of its posts (root included), in no particular order.
  SharedMap<std::vector<std::string>> threads;
  // Group ("group:<name>") -> its private posts (views into `posts`), in no
  // particular order: what a member's answer adds (ranking's path ties).
  // A group's list is shared between snapshots until that group changes.
  SharedMap<SharedVector<const PostMeta*>> group_posts;
  std::shared_ptr<const ColleagueGraph> graph;
  // People who opted out, sorted: what the posts and graph leave out.
  std::vector<std::string> opted_out;
  // Person id -> their public activity. People with no posts are absent.
  SharedMap<Activity> activity;
  // Creation time of the newest public post. Not "now": decay and recency
  // are measured from an injected clock (ranking::RankingOptions::clock),
  // so that no single post, however dated, moves everyone's scores. Used to
  // tell whether a persisted model is current.
  int64_t newest_post = 0;
  // How many of `posts` are public, kept by BuildSnapshot and
  // UpdateSnapshot (-1 in a snapshot put together by hand): Admin.GetStatus
  // and the model ask at every call, and counting walked every post (tens
  // of ms at 1M posts, 100 times a second under a freshness prober).
  int64_t public_posts = -1;
  // Language (ISO 639-1, as stored with each post) -> number of public
  // posts in it.
  std::unordered_map<std::string, int64_t> language_posts;
  // The languages queries are expanded with: those of language_posts that
  // are present (index::QueryLanguagesFor), most posts first.
  std::vector<std::string> query_languages;
  // The posts and people above numbered densely, for ranking's inner loops
  // (index/dense_index.h). Set by BuildSnapshot; null in a snapshot put
  // together by hand.
  std::shared_ptr<const DenseIndex> dense;
  // The public database's document ids numbered in `dense`; set by the
  // catalog's publish, null in any other snapshot (and when it could not be
  // read: searches then read the hits' ids).
  std::shared_ptr<const PostDocids> docids;
  // Which committed databases this snapshot's records are, when the writer
  // published it with every change committed: each database's UUID and
  // revision (posts/, private_posts/, people/). Empty when that is not
  // known (changes not committed yet, a follower, remote shards, a snapshot
  // put together by hand). Files derived from a snapshot (ranking's
  // embeddings.bin) carry it and are used only by a snapshot with the same
  // one: any write, erasure or opt-out since changes a revision.
  std::string stamp;
  // How many erasures the writer had committed when this snapshot's state
  // was copied (Catalog::HoldDerivedFilesForErasure): whether files derived
  // from it may be written (Catalog::MayPersistDerivedFrom).
  uint64_t erasures_committed = 0;

  const v1::Person* FindPerson(const std::string& id) const;
  const PostMeta* FindPost(const std::string& id) const;
  // The private groups ("group:<name>", sorted) whose posts `person_id`
  // may see: their Person.groups. Empty for an unknown or empty id.
  std::vector<std::string> GroupsOf(const std::string& person_id) const;
};

// Whether `post` may be shown to a member of `groups` (sorted, as
// Snapshot::GroupsOf gives them): public, or private to one of them.
bool VisibleTo(const PostMeta& post, const std::vector<std::string>& groups);

// Builds a snapshot (threads, activity, colleague graph, dense numbering) of
// people and posts, leaving out the posts and ties of people who opted out.
// With `created_before` > 0 only posts created before it are kept: the
// catalog as it was then, for learning from history without hindsight.
// `generation` is left 0. With `graph_us`, the time the colleague graph
// took (microseconds) is stored there. With `graph`, that graph is the
// snapshot's instead of one built: the caller vouches that it is the one
// these people, posts and options build (index/derived_state.h's graph.bin).
std::shared_ptr<Snapshot> BuildSnapshot(
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people,
    std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts,
    const GraphOptions& graph_options, int64_t created_before = 0,
    int64_t* graph_us = nullptr,
    std::shared_ptr<const ColleagueGraph> graph = nullptr);
// The same with the posts listed, in an order the caller chose: the
// snapshot's map gets them in it, so that a list in the order the records
// lie in memory (DerivedRecords::posts_in_order) is read in that order.
// Its iteration order, and the counts' order, follow from the list's. An
// id listed twice is the map's: its first record, counted in the map's
// order (no list derived.bin gives holds one).
std::shared_ptr<Snapshot> BuildSnapshot(
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people,
    std::vector<std::shared_ptr<const PostMeta>> posts,
    const GraphOptions& graph_options, int64_t* graph_us = nullptr,
    std::shared_ptr<const ColleagueGraph> graph = nullptr);
// The same from another snapshot's people and posts.
std::shared_ptr<Snapshot> BuildSnapshot(
    const SharedMap<std::shared_ptr<const v1::Person>>& people,
    const SharedMap<std::shared_ptr<const PostMeta>>& posts,
    const GraphOptions& graph_options, int64_t created_before = 0,
    int64_t* graph_us = nullptr);

struct SearchOptions {
  std::string query;        // free text, in any language of the index
  int max_posts = 1000;     // depth K of the post ranking
  std::string language;     // only posts in this language when set
  bool public_only = true;  // never false for user-facing answers
  // With public_only: also the private posts of these groups (an asker's,
  // Snapshot::GroupsOf, sorted), searched with the public ones in one
  // ranking over posts/ and those groups' posts alone, so that BM25 term
  // statistics count exactly what the asker may see: no other group's post
  // moves a score (docs/ranking.md, "Private groups"). Empty: posts/ alone,
  // exactly as without groups.
  std::vector<std::string> groups;
  int64_t created_before = 0;  // only posts created before (unix s); 0: all
  // When set (with its `dense`), the hits come numbered in it: each Hit's
  // `post` is its DenseIndex number (kNone when the snapshot lacks the
  // post) and `post_id` is left empty. Read from numbering->docids where it
  // applies, which saves reading every hit's id. Must outlive the search.
  const Snapshot* numbering = nullptr;
};

struct Hit {
  std::string post_id;  // empty when numbered (SearchOptions::numbering)
  double weight = 0;    // BM25
  uint32_t post = DenseIndex::kNone;  // with SearchOptions::numbering
};

struct SearchResult {
  std::vector<Hit> hits;  // best first
  int64_t matched_estimate = 0;
  bool numbered = false;  // the hits carry `post` (SearchOptions::numbering)
};

// A post with a snippet of its text around the query's words.
struct PostText {
  v1::Post post;
  std::string snippet;
};

// What Catalog::DeletePerson removed.
struct DeletePersonResult {
  bool found = false;        // whether the people directory had them
  int posts_deleted = 0;     // posts they wrote
  int likes_removed = 0;     // their likes on other people's posts
  int mentions_removed = 0;  // mentions of them in other people's posts
  // People whose manager_id named them (now empty).
  int manager_references_cleared = 0;
};

// What Catalog::Compact did.
struct CompactResult {
  int64_t bytes_before = 0;  // posts/ and people/ before, in bytes
  int64_t bytes_after = 0;   // and after
};

// Thread safety: every method may be called from any thread. Writes are
// serialized and committed before they return; reads run concurrently on
// their own Xapian readers and on immutable snapshots.
// Who writes a batch of people, as far as the store must care: a stored
// opted_out = true is sticky, so a connector re-importing the directory
// cannot clear it (the person themself clears it with Catalog::SetOptOut,
// the Ingest.SetOptOut RPC).
struct UpsertPolicy {
  // May clear anyone's stored opted_out (an admin through the API, or the
  // operator writing the data folder directly with `whoknows import`).
  bool may_clear_any_opt_out = true;
  // Write only the people not stored yet; stored ones are left as they are.
  // For minimal records (an id and perhaps a name) that an importer makes
  // for a post's author missing from the directory: they never replace a
  // directory record nor its opt-out, and a later plain upsert replaces
  // them.
  bool only_new = false;

  bool MayClearOptOut(const std::string& /*person_id*/) const {
    return may_clear_any_opt_out;
  }
};

class Catalog {
 public:
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(
      const CatalogOptions& options);
  // Opens `data_dir` read-only with no refresher: one consistent view for
  // tools (ask --data, learn, networks) while a server may be writing it.
  static absl::StatusOr<std::unique_ptr<Catalog>> OpenForReading(
      const std::string& data_dir);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Every write validates the whole batch first (INVALID_ARGUMENT naming
  // item and field, and nothing written), then commits each database it
  // changes (posts/, private_posts/, people/), one after another. A write
  // that changes more than one database is atomic across a crash: it is
  // journaled (<data>/BATCH, index/batch_journal.h) before its first commit
  // and the journal removed after its last, and Open finishes a write the
  // journal names before anything is served. A write of one database (all
  // public posts, say) is one commit and writes no journal.
  //
  // People and posts as one write (an IngestStream message): both, or, after
  // a crash, neither. Validated as a whole, as UpsertPeople and UpsertPosts
  // below.
  absl::Status Upsert(std::span<const v1::Person> people,
                      std::span<const v1::Post> posts,
                      const UpsertPolicy& policy = {});
  // A manager not (yet) known is kept; a manager_id that would close a
  // management cycle, with the batch or with stored people, is
  // INVALID_ARGUMENT. A person whose stored opted_out is true keeps it unless
  // `policy` lets the writer clear it.
  absl::Status UpsertPeople(std::span<const v1::Person> people,
                            const UpsertPolicy& policy = {});
  // Sets a stored person's opted_out (who may is the API's business):
  // whether it changed; NOT_FOUND for an unknown id.
  absl::StatusOr<bool> SetOptOut(const std::string& person_id, bool opted_out);
  // A thread is as private as its most private post: a public post under a
  // private ancestor (parent, its parents, the thread's root; stored or in
  // the batch) is stored with the ancestor's visibility, and stored public
  // posts under a post that arrives private are rewritten with its
  // visibility, whatever the order of arrival. Inherited privacy is sticky
  // (Post.inherited_visibility): a later version of the post sent public is
  // stored with it again, even when the ancestor was deleted, turned public
  // or is no longer its ancestor; only DeletePost of the post forgets it.
  // A parent not (yet) known is kept (connectors send in any order); a
  // parent_id that would close a reply cycle, within the batch or through
  // stored posts, is INVALID_ARGUMENT.
  // Public posts go to posts/, others to private_posts/; a post whose
  // visibility changes moves between them in one journaled write (deleted
  // from posts/ before it is written to private_posts/, so a live reader
  // never finds a post turning private among the public ones). A folder
  // written before moves were journaled may hold a post in both: Open
  // keeps the private copy.
  absl::Status UpsertPosts(std::span<const v1::Post> posts);
  // Deletes a post from the database that holds it (one commit); false when
  // there is none.
  absl::StatusOr<bool> DeletePost(const std::string& post_id);
  // Deletes the person, their posts, their id from other posts' likes and
  // mentions and from other people's manager_id, in one journaled write
  // (posts, private posts, then people); repeating it is harmless. Xapian only
  // frees the blocks: Compact() makes the deletion physical. Derived files
  // (graph.tsv at the next publish, embeddings.bin) and interactions.tsv
  // are the caller's: api/erasure.h erases a person from every store.
  absl::StatusOr<DeletePersonResult> DeletePerson(const std::string& person_id);
  // An erasure's first step, before DeletePerson: removes graph.tsv and
  // holds back every file derived from a published snapshot (graph.tsv
  // here, embeddings.bin in ranking's ModelStore, which asks
  // MayPersistDerivedFrom) until a snapshot copied after a DeletePerson that
  // succeeds is published. Without the hold, the graph saver or a model
  // build from a snapshot published before the erasure could write the
  // person back, and a crash before the erasure's own publish would leave
  // them on disk. A DeletePerson that fails keeps the hold (the erasure is
  // retried: api/erasure.h).
  absl::Status HoldDerivedFilesForErasure();
  // Whether files derived from `s` may be written now: false when `s` was
  // copied before the erasure HoldDerivedFilesForErasure began was
  // committed. Thread-safe.
  bool MayPersistDerivedFrom(const Snapshot& s) const;

  // Rewrites posts/ and people/ with Xapian's compactor into fresh folders
  // and swaps them in, so that deleted records leave no bytes behind (Xapian
  // reuses freed blocks but never overwrites them). Holds the writer
  // throughout (writes wait; queries go on, on the old files, and reopen on
  // the new ones). A crash mid-swap is repaired by the next Open.
  absl::StatusOr<CompactResult> Compact();

  // Commits the writes that bulk loading (CatalogOptions::
  // bulk_commit_records) left pending; OK with nothing to do otherwise.
  absl::Status Commit();

  // Publishes committed writes to readers now rather than at the next
  // refresh tick; a follower follows its writer one step (see
  // CatalogOptions::follow).
  void Refresh();
  std::shared_ptr<const Snapshot> snapshot() const;

  // The failure of the last background work, or OK: today, writing
  // graph.tsv when a snapshot is published (the snapshot is published all
  // the same). Printed to stderr when it changes; back to OK once a later
  // save succeeds.
  absl::Status background_error() const;

  // Cheap figures for operators (CatalogStats).
  CatalogStats stats() const;

  absl::StatusOr<SearchResult> Search(const SearchOptions& options) const;
  // The retrieval alone, to measure what ranking adds to it: the Xapian
  // query Search builds for `options`, Enquire::get_mset(0, max_posts) and
  // nothing else (no document or value is read). Returns the MSet's size.
  absl::StatusOr<int64_t> SearchOnly(const SearchOptions& options) const;
  // Loads posts by id (missing ids are skipped) with snippets for `query`,
  // from the newest committed revision. Unless `include_private`, only
  // public posts are loaded (an id whose post has become private since the
  // caller's snapshot is skipped like a missing one) and the query words'
  // weights in the snippets are those of public posts alone. With `groups`
  // (a member's, sorted) and not `include_private`: public posts and those
  // of `groups`, read as SearchOptions::groups reads them, so the weights
  // count no other group's post. A snippet depends on its text, the query
  // and those weights only, not on the other posts fetched.
  absl::StatusOr<std::vector<PostText>> Fetch(
      const std::string& query, const std::vector<std::string>& post_ids,
      size_t snippet_bytes = 300, bool include_private = false,
      const std::vector<std::string>& groups = {}) const;

  // The index terms of each word of a free-text query, as Search matches
  // them: one group of alternatives (stems in each language present in the
  // index, see Snapshot::query_languages) a word.
  std::vector<std::vector<std::string>> QueryTerms(
      const std::string& query) const;

  // Calls `fn` for every indexed public post (and, with `include_private`,
  // every private one too) with its stemmed terms and their frequencies.
  // A commit that discards the revision being read (under sustained
  // ingest, several during a scan of a million posts) does not start the
  // read over: it goes on in the newest revision from the post it reached,
  // in the same database (a compaction's new files, or several databases
  // whose docids interleave, start it over). A post rewritten meanwhile
  // may come twice (the later last), and one that left the scope
  // meanwhile may have come already.
  struct TermCount {
    std::string term;
    uint32_t count = 0;
  };
  absl::Status ForEachPostTerms(
      const std::function<void(const std::string& post_id,
                               const std::vector<TermCount>& terms)>& fn,
      bool include_private = false) const;
  // The same for the public posts among `post_ids` (missing and private ones
  // are skipped): a look-up each, for a caller that follows new posts.
  absl::Status ForEachPostTerms(
      const std::vector<std::string>& post_ids,
      const std::function<void(const std::string& post_id,
                               const std::vector<TermCount>& terms)>& fn) const;

  const CatalogOptions& options() const { return options_; }

 private:
  struct Impl;
  explicit Catalog(const CatalogOptions& options);
  CatalogOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_CATALOG_H_
