#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

#include "cli/command.h"

namespace whoknows::cli {

int Run(int argc, char** argv) {
  CLI::App app{"whoknows: who in the company has faced this before?"};
  app.require_subcommand(1);
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(MakeImportCommand());
  commands.push_back(MakeServeCommand());
  commands.push_back(MakeAskCommand());
  commands.push_back(MakeLearnCommand());
  commands.push_back(MakeEvalCommand());
  commands.push_back(MakeNetworksCommand());
  commands.push_back(MakeCompactCommand());
  commands.push_back(MakeBackupCommand());
  commands.push_back(MakeStatusCommand());
  for (auto& command : commands) command->Register(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& command : commands) {
    if (auto status = command->RunIfParsed()) return *status;
  }
  return kExitUsage;
}

}  // namespace whoknows::cli
