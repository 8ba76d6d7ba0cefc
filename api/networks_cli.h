// The command line of the network analyses: `import enron`, `import
// interactions`, `networks report`, `networks analyze`, and the Networks
// flags of `serve`. Kept apart from cli.cc, which only wires it in.
#ifndef WHOKNOWS_API_NETWORKS_CLI_H_
#define WHOKNOWS_API_NETWORKS_CLI_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "api/server.h"

namespace whoknows::api {

class NetworksCli {
 public:
  // Adds the subcommands to `import` and to `app`, and the Networks flags to
  // `serve` (writing into `server_options`). Call before parsing.
  void Register(CLI::App& app, CLI::App& import, CLI::App& serve,
                ServerOptions& server_options);
  // After parsing: the exit status when one of these subcommands ran,
  // nullopt when another one was chosen.
  std::optional<int> RunIfParsed();

 private:
  int Import(bool enron);
  int Networks(bool report);

  CLI::App* enron_ = nullptr;
  CLI::App* interactions_ = nullptr;
  CLI::App* report_ = nullptr;
  CLI::App* analyze_ = nullptr;
  std::string input_, data_dir_, out_, window_end_;
  bool strict_ = false;
  int min_group_ = 5;
  int window_days_ = 0;
  bool compare_ = false;
  bool hr_ = false;
  bool manager_ties_ = false;
  int top_brokers_ = 10;
};

}  // namespace whoknows::api

#endif  // WHOKNOWS_API_NETWORKS_CLI_H_
