// What the benches' command lines share. Their flags come as `--name
// value` pairs; a flag left without its value (`--help`, or a value
// forgotten at the end of the line) used to be dropped without a word, and
// the bench then ran for minutes on defaults nobody asked for. And a bench
// that imports into a scratch folder must not share it with a second run
// of itself: one run's import removed the other's databases under it.
#ifndef WHOKNOWS_BENCH_BENCH_FLAGS_H_
#define WHOKNOWS_BENCH_BENCH_FLAGS_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace whoknows::bench {

// False, after saying why on stderr, when the arguments after the program
// name are not `--name value` pairs or ask for help: the caller exits 2.
// `usage` is the bench's synopsis, printed in both cases.
inline bool FlagsArePairs(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fprintf(stderr, "usage: %s\n", usage);
      return false;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %.*s needs a value\nusage: %s\n", argv[0],
                   static_cast<int>(flag.size()), flag.data(), usage);
      return false;
    }
  }
  return true;
}

// Holds an exclusive lock on `work`.lock for the life of the process (the
// descriptor is left open on purpose; the kernel drops the lock at exit,
// kill -9 included). False, after saying why, when another process holds
// it.
inline bool LockScratchFolder(const std::string& work) {
  std::filesystem::path lock_path = std::filesystem::path(work);
  lock_path += ".lock";
  std::error_code ec;
  if (lock_path.has_parent_path())
    std::filesystem::create_directories(lock_path.parent_path(), ec);
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "%s: %s\n", lock_path.c_str(), std::strerror(errno));
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr,
                 "%s: another run uses this scratch folder (its lock %s is "
                 "held); wait for it or pass --work with another folder\n",
                 work.c_str(), lock_path.c_str());
    ::close(fd);
    return false;
  }
  return true;
}

}  // namespace whoknows::bench

#endif  // WHOKNOWS_BENCH_BENCH_FLAGS_H_
