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
// ending with length and crc32 trailers) with its version replaced and its
// crc32 made right again, so that only the version tells it apart.
inline std::string WithVersion(std::string bytes, uint32_t version) {
  for (int i = 0; i < 4; ++i)
    bytes[8 + i] = static_cast<char>(version >> (8 * i));
  const size_t length = bytes.size() - 12;
  const auto crc = static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(length)));
  for (int i = 0; i < 4; ++i)
    bytes[length + 8 + i] = static_cast<char>(crc >> (8 * i));
  return bytes;
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
