// The derived-state file (<data>/derived.bin): the records the catalog keeps
// in memory (every person, every post's PostMeta), persisted so that Open
// loads them instead of reading and parsing every document of the three
// Xapian databases (16.6 s at 1M posts; docs/measurements.md).
//
// The file is derived, never primary: it is stamped with the UUID and
// revision of each database it was read from, and is used only when all
// three stamps equal the databases on disk. Anything else (absent, another
// format version, a bad checksum, a truncated file, a stamp that differs
// because a write, a crash, a compaction, a restore or an erasure happened
// since) makes the caller fall back to the full scan. Format (version 2),
// integers as unsigned LEB128 varints unless said otherwise:
//   "WKDERIVD"  8 bytes of magic
//   version     fixed 4 bytes, little endian
//   3 stamps    (posts/, private_posts/, people/): uuid (length + bytes),
//               revision
//   people      count, then each v1::Person serialized (length + bytes)
//   strings     count, then each (length + bytes): every distinct value of
//               the posts' Interned fields, each once
//   posts       count, then each PostMeta's fields in declaration order
//               (id and title as length + bytes, an Interned field as its
//               number in `strings`, lists as count + items, `created`
//               zigzag, floats as fixed 4 bytes)
// Version 1 (no string table: every field as length + bytes) is not read.
//   trailer     fixed 8 bytes: the length of everything before it; fixed
//               4 bytes: zlib crc32 of everything before it
#ifndef WHOKNOWS_INDEX_DERIVED_STATE_H_
#define WHOKNOWS_INDEX_DERIVED_STATE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "index/graph.h"
#include "index/graph_options.h"
#include "whoknows/v1/people.pb.h"

namespace whoknows::index {

// The format version written; a file of any other version is not used.
inline constexpr uint32_t kDerivedStateVersion = 2;

// What a database was when the records were read from it: Xapian's
// Database::get_uuid() and get_revision(). An absent database (a read-only
// folder without private_posts/) is the empty stamp.
struct DatabaseStamp {
  std::string uuid;
  uint64_t revision = 0;
  bool operator==(const DatabaseStamp&) const = default;
};
// Indexed by Store.
using DatabaseStamps = std::array<DatabaseStamp, kStoreCount>;

struct DerivedRecords {
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
  // Every distinct id that a post names as its parent or, when it is not
  // the post's own id, as its thread (the catalog's `referenced` filter),
  // each once, in the file's string table order: gathered from the table
  // while the posts are read, instead of from every post again after.
  std::vector<Interned> referenced;
  // With ReadDerivedState's `for_snapshot`: the posts again, in the file's
  // order (where the records lie in memory), for the first snapshot's map
  // (BuildSnapshot's overload that takes them): it is then filled on two
  // threads, instead of from a copy of `posts` taken apart.
  std::vector<std::shared_ptr<const PostMeta>> posts_in_order;
};

// Writes `people` and `posts`, stamped with `stamps`, to `path` atomically
// (WriteFileAtomically: a crash leaves the old file or the new one).
absl::Status WriteDerivedState(
    const std::string& path, const DatabaseStamps& stamps,
    const std::unordered_map<std::string, std::shared_ptr<const v1::Person>>&
        people,
    const std::unordered_map<std::string, std::shared_ptr<const PostMeta>>&
        posts);

// The records in `path` when it is whole and was written from databases
// stamped exactly `expected`. NOT_FOUND when there is no file;
// FAILED_PRECONDITION for another format version or other stamps (saying
// which); DATA_LOSS for a file that is truncated, damaged or unparsable.
absl::StatusOr<DerivedRecords> ReadDerivedState(const std::string& path,
                                                const DatabaseStamps& expected,
                                                bool for_snapshot = false);

// The colleague graph file (<data>/graph.bin): the first snapshot's graph
// (index/graph.h), persisted so that Open loads it instead of building it
// from every post (11.6 s at 1M posts). Derived, as derived.bin: stamped
// with the same three database stamps and, since the graph depends on
// them, the GraphOptions it was built with; used only when both equal the
// folder's and the catalog's, else built from the posts. Written by the
// writer's close with the snapshot it published last when that snapshot
// holds every write; removed with derived.bin at the first write after
// Open. Format (version 2), integers as in derived.bin:
//   "WKGRAPHB"  8 bytes of magic
//   version     fixed 4 bytes, little endian
//   3 stamps    as derived.bin's
//   options     5 kind weights (fixed 8 bytes, IEEE double), then
//               max_thread_participants zigzag
//   flags       varint: bit 0 (kGraphTsvInStep) when graph.tsv was written
//               from this same graph, so that Open need not write it again
//               (98 MB at 1M posts), followed by graph.tsv's size (varint)
//               and modification time in ns (zigzag) as they were then:
//               Open trusts the file only while both still hold. Version 1
//               had no flags (read as 0)
//   vertices    count, then for each vertex in order: the person id
//               (length + bytes); out-edges: count, then each target, kind,
//               weight (fixed 8 bytes), count, last_seen zigzag; in-edges:
//               count, then each source and the edge's place among the
//               source's out-edges
//   trailer     as derived.bin's (length, crc32)
inline constexpr uint32_t kGraphStateVersion = 2;
// The oldest version ReadGraphState reads (its flags read as 0).
inline constexpr uint32_t kGraphStateOldestVersion = 1;
inline constexpr uint64_t kGraphTsvInStep = 1;

// A file as stat(2) tells it apart from another written since: its size
// and modification time (not its inode, so that a copy of the folder that
// keeps the times, `cp -a`, is still trusted). An edit that keeps the size
// within the time's granularity (a second on some filesystems) goes
// unseen.
struct FileVersion {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileVersion&) const = default;
};
// `path`'s, or none when it is not a regular file that can be stat'ed.
std::optional<FileVersion> VersionOf(const std::string& path);

// Writes `graph`, stamped with `stamps` and `options`, to `path` atomically;
// `tsv`: graph.tsv as it was when it held this graph (kGraphTsvInStep), or
// none.
absl::Status WriteGraphState(const std::string& path,
                             const DatabaseStamps& stamps,
                             const GraphOptions& options,
                             const ColleagueGraph& graph,
                             const std::optional<FileVersion>& tsv = {});

// The graph in `path`, equal to the one written vertex for vertex and edge
// for edge, when the file is whole and was written from databases stamped
// `expected` with `options`; `tsv`, when given, is set to what the writer
// said of graph.tsv. NOT_FOUND when there is no file;
// FAILED_PRECONDITION for another format version, flags this build does
// not know, other stamps or other options (saying which); DATA_LOSS for a
// file that is truncated, damaged or does not hold a graph.
absl::StatusOr<ColleagueGraph> ReadGraphState(
    const std::string& path, const DatabaseStamps& expected,
    const GraphOptions& options, std::optional<FileVersion>* tsv = nullptr);

// The docid file (<data>/docids.bin): the public database's docid table
// (PostDocids: document id -> post number) as a snapshot built from scratch
// numbers the posts (DenseIndex: in id order), persisted so that Open's
// first publish reads it instead of every document's id (0.4 s at 1M
// posts). Derived, as derived.bin: stamped with the same three database
// stamps and used only with records read from derived.bin under the same
// ones (the same records number the same way), only when that
// numbering has exactly `posts` posts, and only when about 64 documents
// spread over the table hold the posts it numbers (the catalog checks; a
// few milliseconds at 1M posts). Written by the writer's close from
// the snapshot it published last when that snapshot holds every write
// (its numbers, incremental ones included, turned into the id order's);
// removed with derived.bin at the first write after Open. Format
// (version 1), integers as in derived.bin unless said otherwise:
//   "WKDOCIDS"  8 bytes of magic
//   version     fixed 4 bytes, little endian
//   3 stamps    as derived.bin's
//   posts       how many posts the numbering has
//   documents   count (the public database's last docid + 1), then each
//               document's post number, fixed 4 bytes, little endian;
//               0xffffffff (DenseIndex::kNone) for none
//   trailer     as derived.bin's (length, crc32)
inline constexpr uint32_t kDocidStateVersion = 1;

struct DocidState {
  uint64_t posts = 0;            // the numbering's post count
  std::vector<uint32_t> number;  // document id -> post number, or kNone
};

// Writes `state`, stamped with `stamps`, to `path` atomically.
absl::Status WriteDocidState(const std::string& path,
                             const DatabaseStamps& stamps,
                             const DocidState& state);

// The table in `path` when the file is whole, was written from databases
// stamped `expected`, and every number in it is below its post count or
// none. NOT_FOUND when there is no file; FAILED_PRECONDITION for another
// format version or other stamps; DATA_LOSS for a file that is truncated,
// damaged or holds a number past its posts.
absl::StatusOr<DocidState> ReadDocidState(const std::string& path,
                                          const DatabaseStamps& expected);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_DERIVED_STATE_H_
