// The whoknows command line: import, serve, ask, learn, eval, networks.
#ifndef WHOKNOWS_CLI_CLI_H_
#define WHOKNOWS_CLI_CLI_H_

namespace whoknows::cli {

// Parses the arguments and runs the chosen command; returns the exit
// status (0 ok, 1 failure, 2 usage, 3 done but records were skipped).
int Run(int argc, char** argv);

}  // namespace whoknows::cli

#endif  // WHOKNOWS_CLI_CLI_H_
