// Public posts over Xapian's remote backend: the addresses of the shards
// (each served by `xapian-tcpsrv`) as CatalogOptions::post_shards names them,
// parsed and checked. docs/operations.md, "Topology", says how a deployment
// of several machines is put together.
#ifndef WHOKNOWS_INDEX_SHARDS_H_
#define WHOKNOWS_INDEX_SHARDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace whoknows::index {

// One `xapian-tcpsrv`: "tcp://HOST:PORT".
struct ShardAddress {
  std::string host;
  int port = 0;

  std::string ToString() const;
};

// A shard: the servers of one shard of posts, tried in order (a replica
// first, say, then the primary). The writer writes through the first.
using ShardServers = std::vector<ShardAddress>;

// "tcp://HOST:PORT[,tcp://HOST2:PORT2...]": one shard's servers.
// INVALID_ARGUMENT naming what is wrong (the caller adds the flag's name).
absl::StatusOr<ShardServers> ParseShardServers(const std::string& text);

// Every shard's servers, in shard order, from one list of addresses a
// shard (CatalogOptions::post_shards). INVALID_ARGUMENT with the shard's
// index and the reason.
absl::StatusOr<std::vector<ShardServers>> ParsePostShards(
    const std::vector<std::vector<std::string>>& shards);

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_SHARDS_H_
