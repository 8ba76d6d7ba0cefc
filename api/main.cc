#include "api/cli.h"

int main(int argc, char** argv) { return whoknows::api::RunCli(argc, argv); }
