// The whoknows binary: every command lives in cli/; main only hands over.
#include "cli/cli.h"

int main(int argc, char** argv) { return whoknows::cli::Run(argc, argv); }
