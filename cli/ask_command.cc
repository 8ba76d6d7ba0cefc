// `whoknows ask`: who knows something, from a running server or straight
// from a data folder.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "absl/strings/str_format.h"
#include "api/expertise.h"
#include "cli/command.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "index/catalog.h"
#include "index/data_dir.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "ranking/learning.h"
#include "ranking/outcomes.h"
#include "whoknows/v1/expertise.grpc.pb.h"

namespace whoknows::cli {
namespace {

const char* RoleName(v1::EvidenceRole r) {
  switch (r) {
    case v1::EVIDENCE_ROLE_ACCEPTED_ANSWER:
      return "accepted answer";
    case v1::EVIDENCE_ROLE_ANSWER:
      return "answer";
    case v1::EVIDENCE_ROLE_ARTICLE:
      return "article";
    case v1::EVIDENCE_ROLE_QUESTION:
      return "question";
    case v1::EVIDENCE_ROLE_COMMENT:
      return "comment";
    case v1::EVIDENCE_ROLE_MENTIONED:
      return "mentioned";
    case v1::EVIDENCE_ROLE_OUTCOME:
      return "outcome";
    default:
      return "post";
  }
}

std::string Date(int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%d");
}

void PrintEvidence(const v1::ExpertMatch& e) {
  for (const auto& ev : e.evidence()) {
    std::string snippet = ev.snippet();
    for (char& c : snippet)
      if (c == '\n') c = ' ';
    std::printf("      %s, %s: %s\n", RoleName(ev.role()),
                Date(ev.created().seconds()).c_str(), ev.title().c_str());
    if (!snippet.empty()) std::printf("        “%s”\n", snippet.c_str());
  }
}

void PrintPath(const v1::ExpertMatch& e) {
  if (e.path_size() <= 1) return;
  std::string chain;
  for (int i = 0; i < e.path_size(); ++i) {
    const auto& step = e.path(i);
    chain += i == 0
                 ? "you"
                 : " → " + (step.display_name().empty() ? step.person_id()
                                                        : step.display_name());
  }
  std::printf("      how you are connected: %s\n", chain.c_str());
}

// Largest contributions first, either sign.
void PrintBreakdown(const v1::ExpertMatch& e) {
  std::vector<std::pair<std::string, double>> parts(e.breakdown().begin(),
                                                    e.breakdown().end());
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
    return std::abs(a.second) != std::abs(b.second)
               ? std::abs(a.second) > std::abs(b.second)
               : a.first < b.first;
  });
  std::string why;
  for (const auto& [name, value] : parts)
    why += absl::StrFormat("%s%s %+.2f", why.empty() ? "" : ", ", name, value);
  if (!why.empty()) std::printf("      score: %s\n", why.c_str());
}

void PrintAnswer(const std::string& question,
                 const v1::FindExpertsResponse& r) {
  std::printf("Who knows: %s\n", question.c_str());
  if (r.experts().empty()) {
    std::printf("  nobody yet (%lld matching posts)\n",
                static_cast<long long>(r.matched_posts()));
    return;
  }
  int rank = 0;
  for (const auto& e : r.experts()) {
    const auto& p = e.person();
    std::string where = p.department();
    if (!p.site().empty()) where += (where.empty() ? "" : ", ") + p.site();
    std::printf(
        "%2d. %s%s%s  score %.3f, confidence %.0f%%\n", ++rank,
        p.display_name().empty() ? p.id().c_str() : p.display_name().c_str(),
        p.title().empty() ? "" : (" — " + p.title()).c_str(),
        where.empty() ? "" : (" (" + where + ")").c_str(), e.score(),
        100 * e.confidence());
    PrintEvidence(e);
    PrintPath(e);
    PrintBreakdown(e);
  }
}

absl::StatusOr<v1::FindExpertsResponse> AskServer(
    const Connection& c, const v1::FindExpertsRequest& request) {
  const std::string& address = c.address;
  WK_ASSIGN_OR_RETURN(auto channel, OpenChannel(c));
  auto stub = v1::Expertise::NewStub(channel);
  grpc::ClientContext ctx;
  PrepareCall(c, &ctx);
  v1::FindExpertsResponse response;
  grpc::Status s = stub->FindExperts(&ctx, request, &response);
  if (!s.ok())
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrFormat("%s: %s", address, s.error_message()));
  return response;
}

absl::StatusOr<v1::FindExpertsResponse> AskDataFolder(
    const std::string& data_dir, const v1::FindExpertsRequest& request) {
  auto catalog = index::Catalog::OpenForReading(data_dir);
  if (!catalog.ok()) return catalog.status();
  ranking::RankingOptions ranking;
  WK_RETURN_IF_ERROR(ranking::ApplyLearnedWeights(data_dir, &ranking));
  // The persisted model when there is one, else one built now (in memory:
  // the folder is opened read-only).
  auto model = ranking::ExpertiseModel::Load(
      index::DataDir(data_dir).embeddings(), (*catalog)->snapshot());
  if (!model.ok())
    model = ranking::ExpertiseModel::Build(**catalog, (*catalog)->snapshot());
  if (!model.ok()) return model.status();
  // The outcomes count as they do in the server (reading the file only).
  ranking::OutcomeStore outcomes(**catalog, data_dir);
  WK_RETURN_IF_ERROR(outcomes.Load());
  ranking::ExpertFinder finder(
      **catalog, ranking, [m = *model] { return m; }, /*exposure=*/nullptr,
      [&outcomes] { return outcomes.current(); });
  return api::FindExperts(**catalog, finder, request);
}

class AskCommand final : public Command {
 public:
  void Register(CLI::App& app) override {
    ask_ = app.add_subcommand("ask", "Ask who knows something");
    ask_->add_option("question", question_,
                     "The question, in Swedish or English")
        ->required();
    auto* data =
        ask_->add_option("--data", data_dir_, "Read a data folder directly");
    auto* server = ask_->add_option("--server", server_address_,
                                    "Ask a running server, HOST:PORT");
    data->excludes(server);
    ask_->add_option("--tls-ca", connection_.tls_ca_file,
                     "With --server: PEM CA file; speak TLS")
        ->needs(server);
    ask_->add_option("--token", connection_.token,
                     "With --server: bearer token (env WHOKNOWS_TOKEN)")
        ->needs(server);
    ask_->add_option("--asker", asker_,
                     "Person id to ask as (never suggested); with a token, "
                     "your own unless the token may ask on behalf");
    ask_->add_option("--limit", limit_, "How many people")
        ->check(CLI::Range(1, api::kMaxLimit))
        ->capture_default_str();
    ask_->add_option("--tag", tags_,
                     "A topic tag of the question (repeatable)");
    ask_->add_option("--language", language_,
                     "Only evidence in this language (ISO 639-1, e.g. en)");
    ask_->add_flag("--json", json_, "Print the FindExpertsResponse as JSON");
  }

  std::optional<int> RunIfParsed() override {
    if (!ask_->parsed()) return std::nullopt;
    if (data_dir_.empty() && server_address_.empty())
      server_address_ = "127.0.0.1:50051";
    connection_.address = server_address_;
    if (const char* t = std::getenv("WHOKNOWS_TOKEN");
        t && connection_.token.empty() && !server_address_.empty())
      connection_.token = t;
    v1::FindExpertsRequest request;
    request.set_query(question_);
    request.set_asker_id(asker_);
    request.set_limit(limit_);
    for (const auto& t : tags_) request.add_tags(t);
    request.set_language(language_);
    auto response = server_address_.empty() ? AskDataFolder(data_dir_, request)
                                            : AskServer(connection_, request);
    if (!response.ok()) return Fail(std::string(response.status().message()));
    if (json_) {
      std::printf("%s\n", ToJson(*response).c_str());
    } else {
      PrintAnswer(question_, *response);
    }
    return kExitOk;
  }

 private:
  CLI::App* ask_ = nullptr;
  std::string question_, data_dir_, server_address_, asker_, language_;
  Connection connection_;
  int limit_ = 5;
  std::vector<std::string> tags_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeAskCommand() {
  return std::make_unique<AskCommand>();
}

}  // namespace whoknows::cli
