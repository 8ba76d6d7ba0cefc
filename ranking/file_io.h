// File helpers shared by the ranking's own files (embeddings.bin,
// fusion.json). Internal to ranking/.
#ifndef WHOKNOWS_RANKING_FILE_IO_H_
#define WHOKNOWS_RANKING_FILE_IO_H_

#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace whoknows::ranking::file_io {

// Fixed-size values in host byte order: the files are derived data, written
// and read by the same build.
template <typename T>
void Put(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
bool Get(std::istream& in, T& v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof(T)));
}

// Replaces `path` atomically: `write` fills `path`.tmp, which is then renamed
// over `path`. UNAVAILABLE when the temporary file cannot be created or
// renamed, DATA_LOSS when the bytes do not reach it, else what `write`
// returns.
absl::Status WriteAtomically(
    const std::string& path, std::ios::openmode mode,
    const std::function<absl::Status(std::ostream&)>& write);

}  // namespace whoknows::ranking::file_io

#endif  // WHOKNOWS_RANKING_FILE_IO_H_
