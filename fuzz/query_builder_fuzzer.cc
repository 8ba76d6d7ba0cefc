// Fuzzes the way from a FindExperts question to a Xapian query and back: the
// query builder (Catalog::QueryTerms, Catalog::Search: words, stems in each
// query language, dictionary translations, language filter) and the ranking
// and evidence on top of it (api::FindExperts: tags, snippets).
// The input is "language\ntags,comma,separated\nquery text": the first two
// lines are the request's language and tags, the rest its query. Requests
// that ValidateFindExperts refuses stop there. The catalog is a slice of
// the demo company (data/demo/company.jsonl: its people and first posts)
// loaded once into a scratch folder, with the FreeDict dictionaries and an
// expertise model, so every signal takes part.
// Checks, besides crashes and sanitizer reports: a valid request is
// answered; at most `limit` experts, each with a finite score that its
// breakdown adds up to and at most 3 evidence posts.
#include <google/protobuf/stubs/logging.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/expertise.h"
#include "fuzz/fuzz_support.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"

namespace {

namespace v1 = whoknows::v1;
using whoknows::fuzz::Fail;

// How much of the demo company the catalog holds: enough posts for every
// role and both languages, small enough to start in seconds under ASan.
constexpr int kDemoPosts = 400;

struct World {
  std::unique_ptr<whoknows::index::Catalog> catalog;
  std::shared_ptr<const whoknows::ranking::ExpertiseModel> model;
  std::unique_ptr<whoknows::ranking::ExpertFinder> finder;
};

void LoadDemo(whoknows::index::Catalog& catalog) {
  std::ifstream in(WHOKNOWS_SOURCE_DIR "/data/demo/company.jsonl");
  if (!in) Fail("no data/demo/company.jsonl");
  std::vector<v1::Person> people;
  std::vector<v1::Post> posts;
  for (std::string line;
       std::getline(in, line) && static_cast<int>(posts.size()) < kDemoPosts;) {
    auto record = whoknows::importers::ParseJsonlRecord(line);
    if (!record.ok()) Fail("demo line: " + record.status().ToString());
    if (auto* p = std::get_if<v1::Post>(&*record))
      posts.push_back(std::move(*p));
    else
      people.push_back(std::get<v1::Person>(std::move(*record)));
  }
  if (auto s = catalog.UpsertPeople(people); !s.ok()) Fail(s.ToString());
  if (auto s = catalog.UpsertPosts(posts); !s.ok()) Fail(s.ToString());
  catalog.Refresh();
}

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;  // lives until exit, like the server's
    whoknows::index::CatalogOptions o;
    o.data_dir = whoknows::fuzz::ScratchDir("query") + "/data";
    auto opened = whoknows::index::Catalog::Open(o);
    if (!opened.ok()) Fail(opened.status().ToString());
    w->catalog = std::move(*opened);
    LoadDemo(*w->catalog);
    auto model = whoknows::ranking::ExpertiseModel::Build(
        *w->catalog, w->catalog->snapshot());
    if (!model.ok()) Fail(model.status().ToString());
    w->model = *model;
    w->finder = std::make_unique<whoknows::ranking::ExpertFinder>(
        *w->catalog, whoknows::ranking::RankingOptions{},
        [w] { return w->model; });
    return w;
  }();
  return *world;
}

v1::FindExpertsRequest RequestOf(std::string_view input) {
  v1::FindExpertsRequest r;
  std::vector<std::string_view> lines = whoknows::fuzz::Split(input, "\n");
  std::string_view query = input;
  if (lines.size() >= 3) {
    r.set_language(std::string(lines[0]));
    if (!lines[1].empty())
      for (std::string_view tag : whoknows::fuzz::Split(lines[1], ","))
        r.add_tags(std::string(tag));
    query.remove_prefix(lines[0].size() + lines[1].size() + 2);
  }
  r.set_query(std::string(query));
  r.set_limit(5);
  return r;
}

void CheckResponse(const v1::FindExpertsRequest& r,
                   const v1::FindExpertsResponse& response) {
  if (response.experts_size() > r.limit()) Fail("more experts than limit");
  for (const v1::ExpertMatch& e : response.experts()) {
    if (!std::isfinite(e.score())) Fail("a score is not finite");
    double sum = 0;
    for (const auto& [signal, value] : e.breakdown()) sum += value;
    if (std::abs(sum - e.score()) > 1e-6 * std::max(1.0, std::abs(e.score())))
      Fail("the breakdown does not add up to the score");
    if (e.evidence_size() > 3) Fail("more than 3 evidence posts");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  TheWorld();  // load before the first input, not inside its time
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const v1::FindExpertsRequest r = RequestOf(input);
  // Text that is not UTF-8 never arrives: gRPC's parse refuses it.
  v1::FindExpertsRequest wire;
  if (!wire.ParseFromString(r.SerializeAsString())) return 0;
  if (!whoknows::api::ValidateFindExperts(r).ok()) return 0;
  World& w = TheWorld();
  // The builder alone, then the whole answer.
  (void)w.catalog->QueryTerms(r.query());
  whoknows::index::SearchOptions search;
  search.query = r.query();
  search.language = r.language();
  auto hits = w.catalog->Search(search);
  if (!hits.ok()) Fail("Search failed: " + hits.status().ToString());
  auto response = whoknows::api::FindExperts(*w.catalog, *w.finder, r);
  if (!response.ok())
    Fail("FindExperts failed: " + response.status().ToString());
  CheckResponse(r, *response);
  return 0;
}
