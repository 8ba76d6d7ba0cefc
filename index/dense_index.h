// Dense numbers for a snapshot's posts and people, so that ranking's inner
// loops (a vote a matching post, a credit an answer of its thread) index
// arrays instead of hashing string ids.
#ifndef WHOKNOWS_INDEX_DENSE_INDEX_H_
#define WHOKNOWS_INDEX_DENSE_INDEX_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "index/chunked_array.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::index {

struct Activity;
struct PostMeta;
struct Snapshot;

// The posts of one snapshot numbered 0..num_posts()-1, and the people
// (everyone in the directory and every author) 0..num_people()-1: in id
// order when built from scratch, with later additions appended by Update.
// Nothing may rely on the order but the catalog's docids.bin (index/
// derived_state.h), which holds the numbers a build from scratch gives
// and is checked against a sample of the documents when read: changing
// the order from scratch calls for a new kDocidStateVersion. Immutable
// once built; safe to share between threads. It owns what it points to
// (shared with the snapshot), so a copy of the snapshot may outlive the
// original.
class DenseIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // Numbers `snapshot`'s posts, people, threads and activity.
  static std::shared_ptr<const DenseIndex> Build(const Snapshot& snapshot);
  // Build in two parts, so that the first, the larger, can run while the
  // snapshot's threads and activity are still being counted
  // (BuildSnapshot): NumberPosts reads only `snapshot`'s posts and people
  // (numbers them, and each post's Facts); Finish adds its threads and
  // activity. Finish(NumberPosts(s), s) is Build(s).
  static std::unique_ptr<DenseIndex> NumberPosts(const Snapshot& snapshot);
  // Each of a snapshot's posts once, in an order of the caller's: its
  // places (ThreadPlaces).
  using PostOrder = std::span<const std::shared_ptr<const PostMeta>* const>;
  // The order of Snapshot::posts' own iteration.
  static std::vector<const std::shared_ptr<const PostMeta>*> MapOrder(
      const Snapshot& snapshot);
  // NumberPosts reading the posts in `order` (its places), not in
  // Snapshot::posts' iteration.
  static std::unique_ptr<DenseIndex> NumberPosts(const Snapshot& snapshot,
                                                 PostOrder order);
  // The threads of a snapshot's posts as their places in the order
  // NumberPosts read them (BuildSnapshot counts them so): thread t is `ids[t]`,
  // its posts the places positions[starts[t]] .. positions[starts[t + 1]]
  // - 1, in Snapshot::threads' order. Given to Finish, it spares a post-id
  // lookup a post (NumberPosts notes each place's number); the threads are
  // then numbered in this order instead of Snapshot::threads'.
  struct ThreadPlaces {
    std::vector<const std::string*> ids;
    std::vector<uint32_t> starts;  // ids.size() + 1 of them
    std::vector<uint32_t> positions;
  };
  static std::shared_ptr<const DenseIndex> Finish(
      std::unique_ptr<DenseIndex> numbered, const Snapshot& snapshot,
      const ThreadPlaces* threads = nullptr);

  // What changed between the snapshot `prev` numbers and `next`
  // (index/snapshot_delta.h): post ids written or deleted, and people whose
  // directory record or activity may differ.
  struct Change {
    std::vector<std::string> posts;
    std::vector<std::string> people;
  };
  // The numbering of `next` made from `prev`'s: a post keeps its number
  // while it stays in the snapshot (a re-upsert too), a new one gets the
  // next number, and a deleted one's number is a tombstone (post() still
  // gives its last record, PostNumber no longer finds it, no thread lists
  // it); people likewise. So numbers are in id order only up to the first
  // change, and num_posts() counts tombstones. Costs the chunks of the
  // per-post and per-person arrays the change writes (ChunkedArray: the
  // rest is shared with `prev`), the ids changed since the id tables were
  // last folded (PostNumbers, IdNumbers), plus the changed posts and their
  // threads.
  static std::shared_ptr<const DenseIndex> Update(const DenseIndex& prev,
                                                  const Snapshot& next,
                                                  const Change& change);

  uint32_t num_posts() const { return static_cast<uint32_t>(posts_.size()); }
  uint32_t num_people() const { return static_cast<uint32_t>(people_.size()); }

  // The number of a post or a person, kNone when the snapshot lacks it.
  uint32_t PostNumber(std::string_view post_id) const;
  uint32_t PersonNumber(std::string_view person_id) const;

  // What a vote reads of a post, in one array indexed by post number (16
  // bytes a post, no pointer to follow): a ranking that touches a thousand
  // hits and their answers reads these instead of a PostMeta each.
  struct Facts {
    int64_t created = 0;     // PostMeta::created
    uint32_t author = 0;     // person number of PostMeta::author_id
    uint8_t kind_value = 0;  // PostMeta::kind (kind())
    bool accepted = false;   // PostMeta::accepted
    bool is_public = true;   // PostMeta::is_public

    v1::PostKind kind() const { return static_cast<v1::PostKind>(kind_value); }
  };

  const PostMeta& post(uint32_t post) const { return *posts_[post]; }
  const Facts& facts(uint32_t post) const { return facts_[post]; }
  // The person number of the post's author.
  uint32_t author(uint32_t post) const { return facts_[post].author; }
  // The posts of the post's thread (Snapshot::threads of its thread_id), in
  // the same order.
  std::span<const uint32_t> thread_of(uint32_t post) const;
  // The posts of the thread `thread_id` (Snapshot::threads' entry), in the
  // same order; empty for a thread the snapshot lacks.
  std::span<const uint32_t> thread_posts(std::string_view thread_id) const;
  // The answers (POST_KIND_ANSWER) among thread_of(post), in the same order:
  // who a matching question credits, without reading the other posts.
  std::span<const uint32_t> answers_of(uint32_t post) const;

  const std::string& person_id(uint32_t person) const {
    return person_ids_[person];
  }
  // Their directory record; null for an author the directory lacks.
  const v1::Person* person(uint32_t person) const {
    return people_[person].get();
  }
  // What may make a person unsuggestable, from their directory record, in
  // one array by person number (16 bytes a person, no pointer to follow):
  // a vote that meets a few hundred authors reads these instead of a
  // record each (ranking's MayBeSuggested).
  struct PersonFacts {
    // Person::away_until in seconds; the lowest value when unset.
    int64_t away_until = std::numeric_limits<int64_t>::min();
    // Listed in the directory, active and not opted out (IsSuggestable),
    // with an id: false for an author the directory lacks.
    bool suggestable = false;
  };
  const PersonFacts& person_facts(uint32_t person) const {
    return person_facts_[person];
  }
  // Their public activity (Snapshot::activity); null when they have none.
  const Activity* activity(uint32_t person) const {
    return activity_[person].get();
  }

 private:
  // One thread's posts and, of those, its answers (post numbers), in
  // Snapshot::threads' order; shared between the numberings of successive
  // snapshots while the thread does not change.
  struct Thread {
    std::vector<uint32_t> posts, answers;
  };

  // Id -> number of threads and people, shared between successive
  // numberings as PostNumbers is (copying the thread table rehashed every
  // thread id at each publish): `base` is never written once built, and
  // `delta` holds the ids numbered since. A number is never taken back,
  // so the delta only adds.
  struct IdNumbers {
    using Map = absl::flat_hash_map<std::string, uint32_t>;
    std::shared_ptr<const Map> base = std::make_shared<const Map>();
    Map delta;

    uint32_t Find(std::string_view id) const;
    // Numbers `id` `next` unless it has a number: its number, and whether
    // it was added.
    std::pair<uint32_t, bool> Add(const std::string& id, uint32_t next);
    // Folds the delta into a new base once it passes max(1,024, a
    // sixteenth of the base), or when the base is empty (a build).
    void Fold();
  };

  uint32_t AddPerson(const std::string& id);
  // Person `n`'s record (null: unlisted) and their PersonFacts.
  void SetPerson(uint32_t n, std::shared_ptr<const v1::Person> person);
  void NumberPost(const std::string& id, const Snapshot& next,
                  std::vector<std::string>* threads);
  void NumberThread(const std::string& thread_id, const Snapshot& next);
  void NumberThread(const std::string& thread_id,
                    const std::vector<std::string>* members);

  // Post id -> number. Copying a million-entry table rehashed every id
  // and was most of an incremental publish's CPU at 100k and 1M posts, so
  // the numberings of successive snapshots share one table (`base`, never
  // written once built) and each holds the ids changed since in `delta`
  // (kNone: no longer numbered), folded into a new base once it passes a
  // sixteenth of it (O(posts) then, O(changes) amortized). Open
  // addressing: a lookup a hit is one probe, not a bucket and a node.
  struct PostNumbers {
    using Map = absl::flat_hash_map<std::string_view, uint32_t>;
    std::shared_ptr<const Map> base = std::make_shared<const Map>();
    // The records base's keys view. Null while the table is the one
    // NumberPosts built, whose keys view posts_' records: they may be
    // replaced only once another numbering shares it (Update), which
    // sets this first, so that no key outlives its string.
    std::shared_ptr<const ChunkedArray<std::shared_ptr<const PostMeta>>>
        base_records;
    // Keys view posts_' records (a tombstone's, its last).
    Map delta;

    uint32_t Find(std::string_view id) const;
    // Numbers the record's id `n` (kNone: none), the key viewing `record`.
    void Set(const PostMeta& record, uint32_t n);
  };
  // Folds post_numbers_.delta into a new base when it has grown past its
  // share (Update).
  void FoldPostNumbers();

  // The per-post and per-person arrays are chunked so that a publish
  // copies what it writes, not a million elements (ChunkedArray); a read
  // costs one more load.
  ChunkedArray<std::shared_ptr<const PostMeta>> posts_;
  PostNumbers post_numbers_;
  ChunkedArray<Facts> facts_;  // by post number
  // Post number -> thread number (an index of threads_).
  ChunkedArray<uint32_t> thread_;
  ChunkedArray<std::shared_ptr<const Thread>> threads_;
  IdNumbers thread_numbers_;
  ChunkedArray<std::string> person_ids_;
  IdNumbers person_numbers_;
  ChunkedArray<std::shared_ptr<const v1::Person>> people_;
  ChunkedArray<PersonFacts> person_facts_;  // of people_, by number
  ChunkedArray<std::shared_ptr<const Activity>> activity_;
  // Between NumberPosts and Finish only: the number of the post at each
  // place of the order NumberPosts read them in.
  std::vector<uint32_t> place_numbers_;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_DENSE_INDEX_H_
