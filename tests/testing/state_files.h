// Support for tests of the files the catalog derives and persists
// (derived.bin, graph.bin) and of the colleague graph they hold.
#ifndef WHOKNOWS_TESTS_TESTING_STATE_FILES_H_
#define WHOKNOWS_TESTS_TESTING_STATE_FILES_H_

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>

#include "index/graph.h"

namespace whoknows::testing_util {

// The whole file at `path` ("" when it cannot be read).
inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  return std::move(all).str();
}

// A state file (magic, then a 4-byte little-endian version at offset 8,
// ending with length and crc32 trailers) whose trailers are made right
// again for the bytes before them, so that a change a test made reaches
// the parser instead of stopping at the checksum.
inline std::string Resealed(std::string bytes) {
  const size_t length = bytes.size() - 12;
  const auto crc = static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(length)));
  for (int i = 0; i < 8; ++i)
    bytes[length + i] = static_cast<char>(uint64_t{length} >> (8 * i));
  for (int i = 0; i < 4; ++i)
    bytes[length + 8 + i] = static_cast<char>(crc >> (8 * i));
  return bytes;
}

// A state file with its version replaced, resealed: only the version tells
// it apart.
inline std::string WithVersion(std::string bytes, uint32_t version) {
  for (int i = 0; i < 4; ++i)
    bytes[8 + i] = static_cast<char>(version >> (8 * i));
  return Resealed(std::move(bytes));
}

// `body` (what follows a state file's magic and version, before its
// trailers) put in place of `file`'s, resealed.
inline std::string WithBody(const std::string& file, std::string_view body) {
  std::string bytes = file.substr(0, 12);
  bytes.append(body);
  bytes.append(12, '\0');
  return Resealed(std::move(bytes));
}

// Where a state file's three database stamps end (each a uuid as length
// and bytes, then a revision, as LEB128 varints), which is where the
// file's own content begins.
inline size_t StampsEnd(const std::string& file) {
  size_t at = 12;
  auto varint = [&] {
    uint64_t v = 0;
    for (int shift = 0; at < file.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(file[at++]);
      v |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) break;
    }
    return v;
  };
  for (int i = 0; i < 3; ++i) {
    const uint64_t uuid_bytes = varint();
    at += uuid_bytes;
    varint();  // the revision
  }
  return at;
}

// `v` as an unsigned LEB128 varint, as the state files write counts.
inline std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}

// Every edge of a colleague graph by person ids (from, to, kind), whatever
// the numbering: weight, count and last seen.
using Edges = std::map<std::tuple<std::string, std::string, int>,
                       std::tuple<double, uint32_t, int64_t>>;
inline Edges EdgesOf(const index::ColleagueGraph& g) {
  Edges edges;
  g.ForEachEdge([&](int64_t from, int64_t to, const index::EdgeProps& p) {
    edges[{g.PersonId(from), g.PersonId(to), static_cast<int>(p.kind)}] = {
        p.weight, p.count, p.last_seen};
  });
  return edges;
}

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_STATE_FILES_H_
