// FindExperts latency on a company export: imports a JSONL file into a
// scratch data folder, builds the expertise model, then asks every question
// title in the export (as its own asker, with its tags), in process, through
// the same path the gRPC handler takes (ranking, evidence, path). Prints
// p50/p90/p99 beside a raw Xapian search of the same queries over what
// each call searches (the public posts and the asker's groups' private
// ones), and the ratio, then the same for SuggestForPost on the questions' own
// drafts (title, body, tags, author), the model build time and the peak memory;
// asserts nothing.
//
//   find_experts_bench [--jsonl data/demo/company.jsonl] [--work DIR]
//                      [--repeat N] [--replicate K] [--max-queries N]
//   find_experts_bench --data DIR [--repeat N] [--max-queries N]
//   ... [--answers FILE] [--restart FILE] [--drafts typed|full]
//
// --replicate K imports K copies of the export, each with its own ids (a
// group of K look-alike subsidiaries), to see how the service scales with
// the number of people and posts; --max-queries asks an evenly spaced
// sample of the question titles. --data DIR benches an existing data
// folder instead (e.g. one `whoknows import` filled), opened read-only: no
// import, and no ingest stage, so the folder is left as it was.
// --answers FILE writes every answer (at a fixed "now") in protobuf text
// format first, FindExperts' then SuggestForPost's: two builds' files
// compare byte for byte. --restart FILE answers with the model a warm
// start would serve: the built one saved to FILE (embeddings.bin's format)
// and loaded back over the same snapshot. --drafts typed asks
// SuggestForPost what load_bench --mode typing does (issue 14's target): a
// title's first 3-8 words by another author; full (the default) the whole
// question, title, body and tags, by its author.
//
// Under callgrind, instruction counts of the queries alone (not of the
// import and the model build, which take most of a run):
//   valgrind --tool=callgrind --instr-atstart=no find_experts_bench ...
// counts from the first timed query on (a valgrind client request, which
// does nothing outside valgrind); callgrind_annotate --inclusive=yes then
// gives FindExperts, SuggestForPost, the raw search (Catalog::SearchOnly)
// and each stage of the ranking.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#endif

#include "absl/strings/ascii.h"
#include "api/expertise.h"
#include "api/suggest.h"
#include "bench/bench_flags.h"
#include "bench/typed_draft.h"
#include "common/status_macros.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"

using namespace whoknows;

namespace {

// Writes `copies` copies of the JSONL export to `out`; copy c > 0 appends
// "~c" to every id and every reference to one. The copies form one company:
// each copy's top managers report to copy 0's, and every fifth like goes to
// the same person in the next copy, so the colleague graph is connected.
bool Replicate(const std::string& in, int copies, const std::string& out) {
  std::ifstream src(in);
  std::ofstream dst(out);
  if (!src || !dst) return false;
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(src, line);) {
    if (!line.empty()) records.push_back(nlohmann::json::parse(line));
  }
  const char* kIds[] = {"id", "author_id", "thread_id", "parent_id",
                        "manager_id"};
  const char* kIdLists[] = {"liked_by", "mentioned"};
  for (int c = 0; c < copies; ++c) {
    const std::string suffix = c == 0 ? "" : "~" + std::to_string(c);
    const std::string next =
        (c + 1) % copies == 0 ? "" : "~" + std::to_string((c + 1) % copies);
    int like = 0;
    for (auto r : records) {
      const bool top_manager = c > 0 && r.value("type", "") == "person" &&
                               r.value("manager_id", "").empty();
      for (const char* k : kIds) {
        if (r.contains(k) && r[k].is_string() &&
            !r[k].get<std::string>().empty())
          r[k] = r[k].get<std::string>() + suffix;
      }
      if (top_manager) r["manager_id"] = records.front().value("id", "");
      for (const char* k : kIdLists) {
        if (!r.contains(k) || !r[k].is_array()) continue;
        for (auto& id : r[k]) {
          const bool across = copies > 1 && k[0] == 'l' && ++like % 5 == 0;
          id = id.get<std::string>() + (across ? next : suffix);
        }
      }
      dst << r.dump() << "\n";
    }
  }
  return static_cast<bool>(dst);
}

double PeakMegabytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

// This thread's CPU time in ms: unlike the wall clock, it does not count
// the time other processes take the cores from it, so it compares builds
// on a busy machine.
double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 +
         static_cast<double>(t.tv_nsec) / 1e6;
}

double Percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(p * sorted.size()))];
}

struct Flags {
  std::string jsonl = "data/demo/company.jsonl";
  std::string work = "var/bench-find-experts";
  std::string data;     // an existing data folder, read-only
  std::string answers;  // where to write every answer, for before/after
  std::string restart;  // the model saved here and loaded back
  // Drafts as load_bench --mode typing sends them: a title's first 3-8
  // words by another author, no body, no tags (what issue 14's
  // SuggestForPost target is measured on).
  bool typed = false;
  int repeat = 3, replicate = 1;
  size_t max_queries = 0;
};

// --jsonl FILE --work DIR --repeat N --replicate K --max-queries N.
bool ParseFlags(int argc, char** argv, Flags& f) {
  if (!whoknows::bench::FlagsArePairs(
          argc, argv,
          "find_experts_bench [--jsonl FILE] [--work DIR] [--repeat N] "
          "[--replicate K] [--max-queries N] [--answers FILE] [--restart FILE] "
          "| --data DIR ..."))
    return false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--jsonl") {
      f.jsonl = argv[i + 1];
    } else if (flag == "--data") {
      f.data = argv[i + 1];
    } else if (flag == "--answers") {
      f.answers = argv[i + 1];
    } else if (flag == "--restart") {
      f.restart = argv[i + 1];
    } else if (flag == "--drafts") {
      if (std::string(argv[i + 1]) != "typed" &&
          std::string(argv[i + 1]) != "full") {
        std::fprintf(stderr, "--drafts: typed or full, got %s\n", argv[i + 1]);
        return false;
      }
      f.typed = std::string(argv[i + 1]) == "typed";
    } else if (flag == "--work") {
      f.work = argv[i + 1];
    } else if (flag == "--repeat") {
      f.repeat = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--replicate") {
      f.replicate = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--max-queries") {
      f.max_queries = static_cast<size_t>(std::max(0, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return false;
    }
  }
  return true;
}

int Failed(const absl::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

// The company's questions, sorted by title and evenly thinned to
// `max_queries` (0: all): each asked by title (FindExperts, by its asker
// with its tags) and as a draft (SuggestForPost: title, body, tags,
// author).
struct Questions {
  std::vector<v1::FindExpertsRequest> requests;
  std::vector<v1::SuggestForPostRequest> drafts;
};

absl::StatusOr<Questions> SampleQuestions(const index::Catalog& catalog,
                                          const index::Snapshot& snap,
                                          size_t max_queries, bool typed) {
  std::vector<const index::PostMeta*> questions;
  for (const auto& [id, m] : snap.posts) {
    if (m->kind == v1::POST_KIND_QUESTION && !m->title.empty())
      questions.push_back(m.get());
  }
  std::sort(questions.begin(), questions.end(),
            [](const index::PostMeta* a, const index::PostMeta* b) {
              return a->title != b->title ? a->title < b->title : a->id < b->id;
            });
  if (max_queries > 0 && questions.size() > max_queries) {
    std::vector<const index::PostMeta*> sample;
    for (size_t i = 0; i < max_queries; ++i)
      sample.push_back(questions[i * questions.size() / max_queries]);
    questions = std::move(sample);
  }
  Questions out;
  if (typed) {
    for (size_t i = 0; i < questions.size(); ++i) {
      v1::FindExpertsRequest r;
      r.set_query(questions[i]->title);
      r.set_asker_id(questions[i]->author_id);
      for (const auto& t : questions[i]->tags) r.add_tags(t);
      out.requests.push_back(std::move(r));
      v1::SuggestForPostRequest d;
      d.set_title(bench::Typed(questions[i]->title, i));
      d.set_author_id(questions[(i * 13) % questions.size()]->author_id);
      out.drafts.push_back(std::move(d));
    }
    return out;
  }
  std::vector<std::string> ids;
  for (const index::PostMeta* m : questions) {
    v1::FindExpertsRequest r;
    r.set_query(m->title);
    r.set_asker_id(m->author_id);
    for (const auto& t : m->tags) r.add_tags(t);
    out.requests.push_back(std::move(r));
    ids.push_back(m->id);
  }
  WK_ASSIGN_OR_RETURN(const std::vector<index::PostText> texts,
                      catalog.Fetch("", ids));
  for (const index::PostText& t : texts) {
    v1::SuggestForPostRequest d;
    d.set_title(t.post.title());
    d.set_body(t.post.body());
    *d.mutable_tags() = t.post.tags();
    d.set_author_id(t.post.author_id());
    out.drafts.push_back(std::move(d));
  }
  return out;
}

// Milliseconds of each call (FindExperts or SuggestForPost) and of the raw
// Xapian search under it (the same expanded query, top K =
// RankingOptions::max_posts, nothing else), each sorted. The two alternate
// query by query, which goes first too, so that machine noise hits both
// alike.
struct Timings {
  std::vector<double> call_ms, raw_ms;
  std::vector<double> call_cpu_ms, raw_cpu_ms;  // the thread's CPU time
};

template <typename Request, typename Call>
absl::StatusOr<Timings> TimeAgainstRaw(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const std::vector<Request>& requests, int repeat, const Call& call,
    ranking::ExpertQuery (*query_of)(const Request&)) {
  Timings t;
  auto timed = [&](const Request& r) -> absl::Status {
    const double cpu = ThreadCpuMs();
    auto start = Clock::now();
    const absl::Status status = call(r);
    t.call_ms.push_back(SecondsSince(start) * 1000);
    t.call_cpu_ms.push_back(ThreadCpuMs() - cpu);
    return status;
  };
  auto raw = [&](const Request& r) -> absl::Status {
    // The call's own retrieval: its query, and its asker's scope (the
    // public posts and the private ones of the asker's groups), as
    // ExpertFinder::Find searches them.
    const ranking::ExpertQuery q = query_of(r);
    ranking::RankingContext context;
    context.snapshot = catalog.snapshot();
    const index::SearchOptions search =
        ranking::RetrievalOptions(finder.options(), q, context);
    const double cpu = ThreadCpuMs();
    auto start = Clock::now();
    auto size = catalog.SearchOnly(search);
    t.raw_ms.push_back(SecondsSince(start) * 1000);
    t.raw_cpu_ms.push_back(ThreadCpuMs() - cpu);
    return size.status();
  };
  size_t i = 0;
  for (int round = 0; round < repeat; ++round) {
    for (const auto& r : requests) {
      const bool raw_first = i++ % 2 == 1;
      if (raw_first) WK_RETURN_IF_ERROR(raw(r));
      WK_RETURN_IF_ERROR(timed(r));
      if (!raw_first) WK_RETURN_IF_ERROR(raw(r));
    }
  }
  for (auto* v : {&t.call_ms, &t.raw_ms, &t.call_cpu_ms, &t.raw_cpu_ms})
    std::sort(v->begin(), v->end());
  return t;
}

ranking::ExpertQuery QueryOf(const v1::FindExpertsRequest& r) {
  ranking::ExpertQuery q;
  q.query = r.query();
  q.asker_id = r.asker_id();
  return q;
}
ranking::ExpertQuery DraftOf(const v1::SuggestForPostRequest& r) {
  ranking::ExpertQuery q;
  q.query = api::DraftQuery(r, api::SuggestOptions{}.query_bytes);
  q.asker_id = r.author_id();  // SuggestForPost asks as the draft's author
  return q;
}

void PrintTimings(const char* what, const char* how, const Timings& t, int k) {
  const auto& ms = t.call_ms;
  const auto& raw = t.raw_ms;
  if (ms.empty() || raw.empty()) return;
  std::printf(
      "%s (%s), %zu queries: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f "
      "ms\n"
      "raw Xapian top-%d search of the same queries in the askers' scopes, "
      "alternating: p50 %.2f "
      "ms, p90 %.2f ms, p99 %.2f ms\n"
      "%s / raw: p50 %.2fx, p99 %.2fx\n",
      what, how, ms.size(), Percentile(ms, 0.5), Percentile(ms, 0.9),
      Percentile(ms, 0.99), ms.back(), k, Percentile(raw, 0.5),
      Percentile(raw, 0.9), Percentile(raw, 0.99), what,
      Percentile(ms, 0.5) / Percentile(raw, 0.5),
      Percentile(ms, 0.99) / Percentile(raw, 0.99));
  const auto& cpu = t.call_cpu_ms;
  const auto& raw_cpu = t.raw_cpu_ms;
  std::printf(
      "%s CPU time: p50 %.2f ms, p99 %.2f ms; raw search's: p50 %.2f ms, "
      "p99 %.2f ms; %s / raw CPU: p50 %.2fx, p99 %.2fx\n",
      what, Percentile(cpu, 0.5), Percentile(cpu, 0.99),
      Percentile(raw_cpu, 0.5), Percentile(raw_cpu, 0.99), what,
      Percentile(cpu, 0.5) / Percentile(raw_cpu, 0.5),
      Percentile(cpu, 0.99) / Percentile(raw_cpu, 0.99));
}

// Where FindExperts' time goes: the mean of each ExpertFinder stage and of
// the evidence fetch (texts and snippets) over the requests, in ms.
absl::Status PrintStages(const index::Catalog& catalog,
                         const ranking::ExpertFinder& finder,
                         const std::vector<v1::FindExpertsRequest>& requests) {
  ranking::StageTimes sum;
  double fetch = 0, fetch_cpu = 0, find_cpu = 0;
  for (const auto& r : requests) {
    ranking::ExpertQuery q;
    q.query = r.query();
    q.asker_id = r.asker_id();
    q.tags.assign(r.tags().begin(), r.tags().end());
    q.limit = r.limit() == 0 ? 10 : r.limit();
    const double find_start = ThreadCpuMs();
    WK_ASSIGN_OR_RETURN(const ranking::FindResult found, finder.Find(q));
    find_cpu += ThreadCpuMs() - find_start;
    sum += found.stage_ms;
    std::vector<std::string> ids;
    for (const auto& e : found.experts)
      for (const auto& ev : e.evidence) ids.push_back(ev.post_id);
    const double cpu = ThreadCpuMs();
    auto start = Clock::now();
    WK_RETURN_IF_ERROR(catalog.Fetch(q.query, ids).status());
    fetch += SecondsSince(start) * 1000;
    fetch_cpu += ThreadCpuMs() - cpu;
  }
  const double n = std::max<double>(1, static_cast<double>(requests.size()));
  sum /= n;
  std::printf(
      "stages, mean ms: retrieve %.2f, vote %.2f, widen %.2f, features %.2f, "
      "fuse %.2f, explain %.2f, evidence fetch + snippets %.2f\n"
      "CPU time, mean ms: ranking (the stages above) %.2f, evidence fetch + "
      "snippets %.2f\n",
      sum.retrieve, sum.vote, sum.widen, sum.features, sum.fuse, sum.explain,
      fetch / n, find_cpu / n, fetch_cpu / n);
  return absl::OkStatus();
}

// Where SuggestForPost's CPU time goes, mean ms over the drafts: its
// people (FindExperts for the draft with the author asking, the
// threshold applied: the ranking, then the evidence and the response),
// then the similar threads and tags (the rest of the call). Each part is
// timed in a call of its own.
absl::Status PrintSuggestStages(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const std::vector<v1::SuggestForPostRequest>& drafts) {
  const api::SuggestOptions o;
  double ranking = 0, people = 0, whole = 0;
  int withheld = 0, nobody = 0;
  for (const auto& d : drafts) {
    v1::FindExpertsRequest ask;  // as SuggestForPost asks
    ask.set_query(api::DraftQuery(d, o.query_bytes));
    ask.set_asker_id(d.author_id());
    ask.set_limit(d.max_people() == 0 ? api::kDefaultSuggestedPeople
                                      : d.max_people());
    for (const auto& t : d.tags()) ask.add_tags(absl::AsciiStrToLower(t));
    ranking::ExpertQuery q;
    q.query = ask.query();
    q.asker_id = ask.asker_id();
    q.limit = ask.limit();
    q.tags.assign(ask.tags().begin(), ask.tags().end());
    double cpu = ThreadCpuMs();
    WK_RETURN_IF_ERROR(finder.Find(q).status());
    ranking += ThreadCpuMs() - cpu;
    cpu = ThreadCpuMs();
    ranking::FindResult ranked;
    int below = 0;
    WK_ASSIGN_OR_RETURN(const v1::FindExpertsResponse found,
                        api::FindExperts(catalog, finder, ask, &ranked,
                                         o.min_confidence, &below));
    people += ThreadCpuMs() - cpu;
    withheld += below;
    nobody += found.experts_size() == 0 ? 1 : 0;
    cpu = ThreadCpuMs();
    WK_RETURN_IF_ERROR(api::SuggestForPost(catalog, finder, d).status());
    whole += ThreadCpuMs() - cpu;
  }
  const double n = std::max<double>(1, static_cast<double>(drafts.size()));
  std::printf(
      "SuggestForPost CPU time by part, mean ms: people %.2f (ranking %.2f, "
      "evidence + response %.2f), similar threads + tags %.2f, whole %.2f; "
      "%d people withheld, %d of %zu drafts shown nobody\n",
      people / n, ranking / n, (people - ranking) / n, (whole - people) / n,
      whole / n, withheld, nobody, drafts.size());
  return absl::OkStatus();
}

// --answers' "now" (2027-01-15), for the model and the ranking alike.
int64_t FixedNow() { return 1800000000; }

// Every request's answer (experts, scores, breakdowns, confidence,
// evidence with snippets, paths), then every draft's suggestions, in
// protobuf text format, ranked at a fixed
// "now" so that two builds' files can be compared byte for byte.
absl::Status WriteAnswers(const index::Catalog& catalog,
                          const ranking::ExpertFinder::ModelSource& models,
                          const Questions& questions, const std::string& path) {
  ranking::RankingOptions o;
  o.clock = FixedNow;
  const ranking::ExpertFinder finder(catalog, o, models);
  std::ofstream out(path);
  for (const auto& r : questions.requests) {
    WK_ASSIGN_OR_RETURN(const v1::FindExpertsResponse response,
                        api::FindExperts(catalog, finder, r));
    out << "# " << r.query() << "\n" << response.DebugString();
  }
  for (const auto& d : questions.drafts) {
    WK_ASSIGN_OR_RETURN(const v1::SuggestForPostResponse response,
                        api::SuggestForPost(catalog, finder, d));
    out << "# suggest: " << d.title() << "\n" << response.DebugString();
  }
  out.close();
  if (!out) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

// Ingest while the catalog publishes once a second, as `serve`'s refresher
// does under a steady stream of writes: how long does a batch wait? Done
// last, so that the posts it adds do not touch the queries.
absl::Status TimeIngestWhilePublishing(index::Catalog& catalog,
                                       const std::string& author) {
  std::atomic<bool> done{false};
  int publishes = 0;
  std::thread publisher([&] {
    while (!done) {
      for (int i = 0; i < 10 && !done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (done) break;
      catalog.Refresh();
      ++publishes;
    }
  });
  std::vector<double> write_ms;
  absl::Status written;
  const auto ingest_start = Clock::now();
  for (int b = 0; written.ok() && SecondsSince(ingest_start) < 8; ++b) {
    std::vector<v1::Post> batch;
    for (int i = 0; i < 20; ++i) {
      v1::Post p;
      p.set_id("bench-" + std::to_string(b) + "-" + std::to_string(i));
      p.set_author_id(author);
      p.set_kind(v1::POST_KIND_QUESTION);
      p.set_title("The print queue is stuck again");
      p.set_body("Who can restart the spooler on the third floor?");
      p.set_language("en");
      p.mutable_created()->set_seconds(1700000000);
      batch.push_back(std::move(p));
    }
    auto start = Clock::now();
    written = catalog.UpsertPosts(batch);
    write_ms.push_back(SecondsSince(start) * 1000);
  }
  done = true;
  publisher.join();
  if (!written.ok()) return written;
  std::sort(write_ms.begin(), write_ms.end());
  std::printf(
      "UpsertPosts of 20 posts for 8 s while publishing every second (%zu "
      "batches, %d publishes): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      write_ms.size(), publishes, write_ms[write_ms.size() / 2],
      Percentile(write_ms, 0.99), write_ms.back());
  return absl::OkStatus();
}

// The company to bench: the --data folder read as it is, or a scratch
// folder the JSONL export (replicated K times when asked) is imported into
// and published once. `import_s` is the time taken, opening included.
absl::StatusOr<std::unique_ptr<index::Catalog>> OpenCompany(const Flags& flags,
                                                            double& import_s) {
  auto t0 = Clock::now();
  if (!flags.data.empty()) {
    auto catalog = index::Catalog::OpenForReading(flags.data);
    import_s = SecondsSince(t0);
    return catalog;
  }
  if (!bench::LockScratchFolder(flags.work))
    return absl::FailedPreconditionError(flags.work + " is in use");
  std::filesystem::remove_all(flags.work);
  std::string input = flags.jsonl;
  if (flags.replicate > 1) {
    std::filesystem::create_directories(flags.work + "-input");
    input = flags.work + "-input/replicated.jsonl";
    if (!Replicate(flags.jsonl, flags.replicate, input))
      return absl::InternalError("cannot replicate " + flags.jsonl + " into " +
                                 input);
  }
  index::CatalogOptions o;
  o.data_dir = flags.work;
  o.refresh_interval = std::chrono::milliseconds(0);
  WK_ASSIGN_OR_RETURN(auto catalog, index::Catalog::Open(o));
  WK_RETURN_IF_ERROR(importers::ImportJsonl(input, *catalog, {}).status());
  catalog->Refresh();
  import_s = SecondsSince(t0);
  return catalog;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  // 1. The company: imported from the JSONL, or an existing folder opened.
  double import_s = 0;
  auto catalog = OpenCompany(flags, import_s);
  if (!catalog.ok()) return Failed(catalog.status());
  // 2. One publish (snapshot, colleague graph, graph file), the model.
  auto t0 = Clock::now();
  (*catalog)->Refresh();
  const double publish_s = SecondsSince(t0);
  t0 = Clock::now();
  auto snap = (*catalog)->snapshot();
  ranking::ModelOptions model_options;
  if (!flags.answers.empty()) model_options.clock = FixedNow;
  auto model = ranking::ExpertiseModel::Build(**catalog, snap, model_options);
  if (!model.ok()) return Failed(model.status());
  if (!flags.restart.empty()) {
    if (auto s = (*model)->SaveEmbeddings(flags.restart); !s.ok())
      return Failed(s);
    model = ranking::ExpertiseModel::Load(flags.restart, snap, model_options);
    if (!model.ok()) return Failed(model.status());
    const ranking::ExpertiseModel& m = **model;
    std::printf(
        "restarted from %s: tags %s, ties %s, pagerank %s, clients %s\n",
        flags.restart.c_str(), m.tags_restored() ? "read" : "rebuilt",
        m.ties_restored() ? "read" : "rebuilt",
        m.pagerank_restored() ? "read" : "rebuilt",
        m.clients_restored() ? "read" : "rebuilt");
  }
  const double model_s = SecondsSince(t0);
  std::printf(
      "%s x %d: %zu people, %zu posts; %s %.2f s, publish %.2f s, model "
      "%.2f s (%d dims, %zu profiles)\n",
      flags.data.empty() ? flags.jsonl.c_str() : flags.data.c_str(),
      flags.replicate, snap->people.size(), snap->posts.size(),
      flags.data.empty() ? "import" : "open", import_s, publish_s, model_s,
      (*model)->space().dimensions(), (*model)->profile_people().size());
  // 3. FindExperts on the company's own question titles.
  ranking::ExpertFinder finder(**catalog, {}, [m = *model] { return m; });
  auto questions =
      SampleQuestions(**catalog, *snap, flags.max_queries, flags.typed);
  if (!questions.ok()) return Failed(questions.status());
  const auto& requests = questions->requests;
  if (!flags.answers.empty()) {
    if (auto s = WriteAnswers(
            **catalog, [m = *model] { return m; }, *questions, flags.answers);
        !s.ok())
      return Failed(s);
  }
  CALLGRIND_START_INSTRUMENTATION;
  auto t = TimeAgainstRaw(
      **catalog, finder, requests, flags.repeat,
      [&](const v1::FindExpertsRequest& r) {
        return api::FindExperts(**catalog, finder, r).status();
      },
      QueryOf);
  if (!t.ok()) return Failed(t.status());
  PrintTimings("FindExperts", "ranking + evidence + path, in process", *t,
               finder.options().max_posts);
  // 4. SuggestForPost on the same questions as drafts (title and body).
  auto suggest = TimeAgainstRaw(
      **catalog, finder, questions->drafts, flags.repeat,
      [&](const v1::SuggestForPostRequest& r) {
        return api::SuggestForPost(**catalog, finder, r).status();
      },
      DraftOf);
  if (!suggest.ok()) return Failed(suggest.status());
  PrintTimings("SuggestForPost", "people, threads, tags, in process", *suggest,
               finder.options().max_posts);
  if (auto s = PrintStages(**catalog, finder, requests); !s.ok())
    return Failed(s);
  if (auto s = PrintSuggestStages(**catalog, finder, questions->drafts);
      !s.ok())
    return Failed(s);
  // 5. Ingest beside publishes (not into a folder that is only read).
  if (!flags.data.empty()) {
    std::printf("peak memory %.0f MB\n", PeakMegabytes());
    return 0;
  }
  if (auto s =
          TimeIngestWhilePublishing(**catalog, snap->people.begin()->first);
      !s.ok())
    return Failed(s);
  std::printf("peak memory %.0f MB\n", PeakMegabytes());
  return 0;
}
