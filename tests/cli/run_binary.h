// Runs the real `whoknows` binary (WHOKNOWS_BINARY) in a shell and captures
// what it prints. For the CLI tests of commands that run to completion.
#ifndef WHOKNOWS_TESTS_CLI_RUN_BINARY_H_
#define WHOKNOWS_TESTS_CLI_RUN_BINARY_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace whoknows::cli {

struct Ran {
  int exit_status = -1;
  std::string out;  // stdout
};

// `args` are appended to the binary's path as they are (quote paths); stderr
// goes to the test's log.
inline Ran RunWhoknows(const std::string& args) {
  Ran ran;
  const std::string command = std::string(WHOKNOWS_BINARY) + " " + args;
  std::FILE* p = popen(command.c_str(), "r");
  if (!p) return ran;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) ran.out.append(buf, n);
  const int status = pclose(p);
  if (WIFEXITED(status)) ran.exit_status = WEXITSTATUS(status);
  return ran;
}

}  // namespace whoknows::cli

#endif  // WHOKNOWS_TESTS_CLI_RUN_BINARY_H_
