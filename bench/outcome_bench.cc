// RecordOutcome's cost as the outcomes grow: Ingest.RecordOutcome appends
// one line to outcomes.jsonl (fsynced) and publishes a new outcome set to
// queries (ranking::OutcomeStore::Record). Outcomes by question text (the
// costly kind: their words are indexed), titles drawn from the demo
// company's posts with a running number, so that no two are equal. At each
// size it prints Record's p50/p99/max over the last block of records, and
// OutcomeStore::Load (reading and indexing the whole file: what every
// record cost before the set was kept in memory), and their ratio. Asserts
// nothing.
//
//   outcome_bench [--jsonl data/demo/company.jsonl] [--work DIR]
//                 [--sizes 1000,10000,50000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/bench_flags.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "ranking/outcomes.h"

using namespace whoknows;

namespace {

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

std::vector<std::string> Titles(const std::string& path) {
  std::vector<std::string> titles;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto record = importers::ParseJsonlRecord(line);
    if (!record.ok()) continue;
    const auto* p = std::get_if<v1::Post>(&*record);
    if (p != nullptr && !p->title().empty()) titles.push_back(p->title());
  }
  return titles;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "outcome_bench: %s\n", message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string jsonl = "data/demo/company.jsonl";
  std::string work = "/tmp/whoknows-outcome-bench";
  std::vector<int> sizes = {1000, 10000, 50000};
  if (!whoknows::bench::FlagsArePairs(
          argc, argv,
          "outcome_bench [--jsonl data/demo/company.jsonl] [--work DIR] "
          "[--sizes 1000,10000,50000]"))
    return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--jsonl") {
      jsonl = value;
    } else if (flag == "--work") {
      work = value;
    } else if (flag == "--sizes") {
      sizes.clear();
      for (auto part : absl::StrSplit(value, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 1) Die("bad --sizes " + value);
        sizes.push_back(n);
      }
    } else {
      Die("unknown flag " + flag);
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line as each size is done
  const std::vector<std::string> titles = Titles(jsonl);
  if (titles.empty()) Die("no titles in " + jsonl);
  if (!whoknows::bench::LockScratchFolder(work)) return 2;
  std::filesystem::remove_all(work);
  index::CatalogOptions o;
  o.data_dir = work;
  o.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(o);
  if (!catalog.ok()) Die(catalog.status().ToString());
  ranking::OutcomeStore store(**catalog, work);
  if (auto s = store.Load(); !s.ok()) Die(s.ToString());

  std::printf("%8s %12s %12s %12s %12s %8s\n", "outcomes", "record p50",
              "record p99", "record max", "Load (ms)", "ratio");
  int recorded = 0;
  for (int size : sizes) {
    std::vector<double> ms;
    for (; recorded < size; ++recorded) {
      v1::Outcome out;
      out.set_id("o" + std::to_string(recorded));
      out.set_title(titles[recorded % titles.size()] + " " +
                    std::to_string(recorded));
      out.set_asker_id("asker");
      out.set_helper_id("helper" + std::to_string(recorded % 500));
      out.set_kind(v1::OUTCOME_KIND_ANSWERED);
      out.mutable_time()->set_seconds(1'700'000'000 + recorded);
      const auto start = std::chrono::steady_clock::now();
      if (auto s = store.Record(out); !s.ok()) Die(s.ToString());
      ms.push_back(Ms(std::chrono::steady_clock::now() - start));
    }
    // The last block of records, at about this size.
    if (ms.size() > 200) ms.erase(ms.begin(), ms.end() - 200);
    const auto start = std::chrono::steady_clock::now();
    if (auto s = store.Load(); !s.ok()) Die(s.ToString());
    const double load = Ms(std::chrono::steady_clock::now() - start);
    const double p50 = Quantile(ms, 0.5);
    std::printf("%8d %12.2f %12.2f %12.2f %12.1f %7.1fx\n", size, p50,
                Quantile(ms, 0.99), Quantile(ms, 1.0), load,
                p50 > 0 ? load / p50 : 0.0);
  }
  std::filesystem::remove_all(work);
  return 0;
}
