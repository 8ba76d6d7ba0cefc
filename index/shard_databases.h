// Opening the shards of public posts (index/shards.h) as one Xapian
// database. Inside index/ only: it speaks Xapian.
#ifndef WHOKNOWS_INDEX_SHARD_DATABASES_H_
#define WHOKNOWS_INDEX_SHARD_DATABASES_H_

#include <xapian.h>

#include <vector>

#include "index/shards.h"

namespace whoknows::index {

// Every shard read through the first of its servers that answers, combined
// with Database::add_database so that term statistics (BM25) are those of
// all the shards together. Document ids interleave: shard s (from 0) of N
// holds the global docid (local - 1) * N + s + 1. Throws Xapian::Error
// (NetworkError when every server of a shard is down).
Xapian::Database OpenShardsForReading(const std::vector<ShardServers>& shards);

// Every shard through its first server (`xapian-tcpsrv --writable`), as one
// WritableDatabase: Xapian (1.4.19 and later) puts a new document in the
// shard its docid falls in, replaces and deletes by unique term in whichever
// shard holds it, and commits the shards one after the other. With `each`,
// also each shard's own handle (sharing the connection; written with the
// combined database's commit) for what Xapian 1.4 does to the first shard
// only (set_metadata). Throws Xapian::Error.
Xapian::WritableDatabase OpenShardsForWriting(
    const std::vector<ShardServers>& shards,
    std::vector<Xapian::WritableDatabase>* each = nullptr);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_SHARD_DATABASES_H_
