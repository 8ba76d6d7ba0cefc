#include "index/shards.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "index/shard_databases.h"

namespace whoknows::index {
namespace {

constexpr char kScheme[] = "tcp://";
// Milliseconds (as Xapian's microseconds) a shard server has to accept a
// connection before the next server of the shard is tried, and, for
// readers, to answer a request.
constexpr useconds_t kConnectTimeoutUs = 2'000'000;
constexpr useconds_t kReadTimeoutUs = 10'000'000;

absl::StatusOr<ShardAddress> ParseAddress(const std::string& text) {
  if (text.rfind(kScheme, 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("want tcp://HOST:PORT, got \"", text, "\""));
  }
  const std::string rest = text.substr(sizeof(kScheme) - 1);
  const auto colon = rest.rfind(':');
  ShardAddress a;
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("want tcp://HOST:PORT, got \"", text, "\""));
  }
  a.host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  if (port.empty() ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port, &a.port) || a.port < 1 || a.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port \"", port, "\" in \"", text, "\""));
  }
  return a;
}

}  // namespace

std::string ShardAddress::ToString() const {
  return absl::StrCat(kScheme, host, ":", port);
}

absl::StatusOr<ShardServers> ParseShardServers(const std::string& text) {
  ShardServers servers;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    auto a = ParseAddress(std::string(part));
    if (!a.ok()) return a.status();
    servers.push_back(*std::move(a));
  }
  return servers;
}

absl::StatusOr<std::vector<ShardServers>> ParsePostShards(
    const std::vector<std::vector<std::string>>& shards) {
  std::vector<ShardServers> parsed;
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("post_shards[", i, "]: no server"));
    }
    ShardServers servers;
    for (const auto& text : shards[i]) {
      auto a = ParseAddress(text);
      if (!a.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("post_shards[", i, "]: ", a.status().message()));
      }
      servers.push_back(*std::move(a));
    }
    parsed.push_back(std::move(servers));
  }
  return parsed;
}

Xapian::Database OpenShardsForReading(const std::vector<ShardServers>& shards) {
  Xapian::Database all;
  for (const ShardServers& servers : shards) {
    for (size_t i = 0; i < servers.size(); ++i) {
      try {
        all.add_database(Xapian::Remote::open(servers[i].host, servers[i].port,
                                              kReadTimeoutUs,
                                              kConnectTimeoutUs));
        break;
      } catch (const Xapian::NetworkError&) {
        if (i + 1 == servers.size()) throw;  // every server of it is down
      }
    }
  }
  return all;
}

Xapian::WritableDatabase OpenShardsForWriting(
    const std::vector<ShardServers>& shards,
    std::vector<Xapian::WritableDatabase>* each) {
  Xapian::WritableDatabase all;
  std::vector<Xapian::WritableDatabase> opened;
  for (const ShardServers& servers : shards) {
    opened.push_back(Xapian::Remote::open_writable(
        servers.front().host, servers.front().port, 0, kConnectTimeoutUs));
    all.add_database(opened.back());
  }
  if (each) *each = std::move(opened);
  return all;
}

}  // namespace whoknows::index
