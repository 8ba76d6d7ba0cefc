// The `whoknows` command line: import, serve, ask, eval.
#ifndef WHOKNOWS_API_CLI_H_
#define WHOKNOWS_API_CLI_H_

namespace whoknows::api {

// Exit status: 0 success, 1 failure, 2 bad usage, 3 import finished but
// skipped malformed records.
int RunCli(int argc, char** argv);

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_CLI_H_
