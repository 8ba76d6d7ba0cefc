// One family of subcommands of the whoknows binary, and what they share.
// Internal to cli/.
#ifndef WHOKNOWS_CLI_COMMAND_H_
#define WHOKNOWS_CLI_COMMAND_H_

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace google::protobuf {
class Message;
}

namespace whoknows::importers {
struct ImportProgress;
}

namespace whoknows::cli {

inline constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2,
                     kExitSkipped = 3;

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommands and flags; called before parsing.
  virtual void Register(CLI::App& app) = 0;
  // After parsing: the exit status when one of its subcommands ran, nullopt
  // when another one was chosen.
  virtual std::optional<int> RunIfParsed() = 0;
};

// Each in its own file (cli/<name>_command.cc).
std::unique_ptr<Command> MakeImportCommand();
std::unique_ptr<Command> MakeAskCommand();
std::unique_ptr<Command> MakeLearnCommand();
std::unique_ptr<Command> MakeEvalCommand();
std::unique_ptr<Command> MakeNetworksCommand();
std::unique_ptr<Command> MakeServeCommand();
std::unique_ptr<Command> MakeCompactCommand();
std::unique_ptr<Command> MakeBackupCommand();  // backup and restore
std::unique_ptr<Command> MakeStatusCommand();

// How a client subcommand reaches a server: TLS when a CA is given, a
// bearer token when one is given (--token, else WHOKNOWS_TOKEN).
struct Connection {
  std::string address;  // HOST:PORT
  std::string tls_ca_file = "";
  std::string token = "";
};

// A channel to `c.address` (INVALID_ARGUMENT naming --tls-ca when the CA
// cannot be read).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& c);
// The token, when there is one, and a deadline of 10 s.
void PrepareCall(const Connection& c, grpc::ClientContext* ctx);

// "whoknows: <message>" on stderr; returns kExitFailure.
int Fail(const std::string& message);

// A message as indented JSON with the proto's field names.
std::string ToJson(const google::protobuf::Message& message);

// Prints "\r<phase>: N records, P%, R/s, ETA" on a terminal; silent
// otherwise (logs and CI stay clean).
class ProgressLine {
 public:
  ProgressLine();
  void operator()(const importers::ImportProgress& p);
  // Ends the line, if one was drawn.
  void Done();

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  bool dirty_ = false;
  Clock::time_point start_;
};

}  // namespace whoknows::cli

#endif  // WHOKNOWS_CLI_COMMAND_H_
