// Binary reading and writing for the ranking's own files (embeddings.bin).
// Internal to ranking/. Atomic replacement is index::WriteFileAtomically.
#ifndef WHOKNOWS_RANKING_FILE_IO_H_
#define WHOKNOWS_RANKING_FILE_IO_H_

#include <istream>
#include <ostream>

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

}  // namespace whoknows::ranking::file_io

#endif  // WHOKNOWS_RANKING_FILE_IO_H_
