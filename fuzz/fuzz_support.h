// What the fuzz targets share: a scratch folder per process and the split
// of one fuzz input into parts. Header-only; fuzz/ only.
#ifndef WHOKNOWS_FUZZ_FUZZ_SUPPORT_H_
#define WHOKNOWS_FUZZ_FUZZ_SUPPORT_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace whoknows::fuzz {

// "$TMPDIR/whoknows_fuzz_<name>_<pid>" (TMPDIR defaults to /tmp), emptied
// and created on first use and removed at exit: parallel fuzzers (or
// -fork/-jobs workers) never share one.
inline const std::string& ScratchDir(const std::string& name) {
  static const std::string dir = [&] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d =
        std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
        ("whoknows_fuzz_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    static std::string keep = d.string();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return d.string();
  }();
  return dir;
}

// Writes `bytes` to `path`, replacing it.
inline void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Splits `input` at each `separator`: "a<sep>b" is {"a", "b"}. Lets one fuzz
// input carry several files or fields, with a separator that the mutator
// can find and copy (seeds contain it).
inline std::vector<std::string_view> Split(std::string_view input,
                                           std::string_view separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t at; (at = input.find(separator, start)) != std::string::npos;
       start = at + separator.size()) {
    parts.push_back(input.substr(start, at - start));
  }
  parts.push_back(input.substr(start));
  return parts;
}

// Stops the fuzzer with a message: a broken invariant, not a crash of the
// code under test, but reported (and kept as a crash input) the same way.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace whoknows::fuzz

#endif  // WHOKNOWS_FUZZ_FUZZ_SUPPORT_H_
