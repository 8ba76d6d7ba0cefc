// The company generator (bench/company_generator.cc), run as the real
// binary: seeded output is reproducible, imports without a skipped record,
// has a manager tree without cycles, and its planted experts are the ones
// FindExperts finds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/expertise.h"
#include "importers/jsonl.h"
#include "index/catalog.h"
#include "ranking/expert_finder.h"
#include "ranking/expertise_model.h"
#include "tests/testing/test_dirs.h"

namespace whoknows::bench {
namespace {

using nlohmann::json;
using testing_util::TestDir;

// Runs the generator with `args` appended (quote paths); its exit status.
int Generate(const std::string& args) {
  const std::string command =
      std::string(WHOKNOWS_COMPANY_GENERATOR) + " " + args;
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> ReadJsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);)
    records.push_back(json::parse(line));
  return records;
}

// A small company in `dir`: company.jsonl and company.jsonl.truth.json.
std::string SmallCompany(const std::string& dir, int people, int posts,
                         int seed) {
  const std::string out = dir + "/company.jsonl";
  EXPECT_EQ(Generate("--people " + std::to_string(people) + " --posts " +
                     std::to_string(posts) + " --seed " + std::to_string(seed) +
                     " --out '" + out + "'"),
            0);
  return out;
}

TEST(CompanyGeneratorTest, SameSeedGivesTheSameBytes) {
  const std::string dir = TestDir(true);
  std::filesystem::create_directories(dir + "/a");
  const std::string a = SmallCompany(dir + "/a", 300, 3000, 7);
  const std::string a_bytes = ReadAll(a), a_truth = ReadAll(a + ".truth.json");
  // The same flags again, streamed to stdout this time.
  ASSERT_EQ(Generate("--people 300 --posts 3000 --seed 7 --out - --truth '" +
                     dir + "/b.truth.json' > '" + dir + "/b.jsonl'"),
            0);
  ASSERT_GT(a_bytes.size(), 100000u);
  EXPECT_TRUE(a_bytes == ReadAll(dir + "/b.jsonl"));
  EXPECT_TRUE(a_truth == ReadAll(dir + "/b.truth.json"));
  // Another seed, another company.
  ASSERT_EQ(Generate("--people 300 --posts 3000 --seed 8 --out '" + dir +
                     "/c.jsonl'"),
            0);
  EXPECT_FALSE(a_bytes == ReadAll(dir + "/c.jsonl"));
}

TEST(CompanyGeneratorTest, SmallCompanyImportsWithoutProblems) {
  const std::string dir = TestDir(true);
  const std::string file = SmallCompany(dir, 500, 5000, 3);
  index::CatalogOptions o;
  o.data_dir = dir + "/data";
  auto catalog = index::Catalog::Open(o);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  std::vector<std::string> problems;
  importers::ImportOptions options;
  options.on_problem = [&](const std::string& p) { problems.push_back(p); };
  auto stats = importers::ImportJsonl(file, **catalog, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->skipped, 0);
  EXPECT_EQ(stats->empty_posts, 0);
  EXPECT_EQ(stats->minimal_people, 0);
  EXPECT_EQ(stats->people, 500);
  EXPECT_EQ(stats->posts, 5000);
  for (const auto& p : problems) ADD_FAILURE() << p;
  // The shape the generator promises.
  std::set<std::string> departments, sites, countries, kinds, languages,
      visibilities;
  int inactive = 0, accepted = 0;
  for (const json& r : ReadJsonl(file)) {
    if (r["type"] == "person") {
      departments.insert(r["department"]);
      sites.insert(r["site"]);
      countries.insert(r["country"]);
      inactive += !r["active"].get<bool>();
    } else {
      kinds.insert(r["kind"]);
      languages.insert(r["language"]);
      visibilities.insert(r["visibility"]);
      accepted += r["accepted"].get<bool>();
    }
  }
  EXPECT_EQ(departments.size(), 10u);
  EXPECT_EQ(sites.size(), 20u);
  EXPECT_EQ(countries.size(), 8u);
  EXPECT_EQ(kinds.size(), 4u);
  EXPECT_GE(languages.size(), 5u);
  EXPECT_GE(visibilities.size(), 2u);  // public and at least one group
  EXPECT_GT(inactive, 0);
  EXPECT_GT(accepted, 0);
}

TEST(CompanyGeneratorTest, ManagerTreeHasOneRootAndNoCycles) {
  const std::string file = SmallCompany(TestDir(true), 2000, 100, 11);
  std::map<std::string, std::string> manager_of;
  std::vector<std::string> order;
  for (const json& r : ReadJsonl(file)) {
    if (r["type"] != "person") continue;
    const std::string id = r["id"], manager = r["manager_id"];
    // Managers come first: a reader never meets an unknown one.
    if (!manager.empty()) {
      EXPECT_TRUE(manager_of.count(manager)) << id;
    }
    manager_of[id] = manager;
    order.push_back(id);
  }
  ASSERT_EQ(order.size(), 2000u);
  int roots = 0;
  for (const auto& id : order) {
    std::string at = id;
    size_t steps = 0;
    while (!manager_of[at].empty() && steps <= order.size()) {
      at = manager_of[at];
      ++steps;
    }
    EXPECT_LE(steps, 5u) << id << " is " << steps << " levels down";
    roots += manager_of[id].empty();
  }
  EXPECT_EQ(roots, 1);
}

// For each public topic with questions, "who knows" its most frequent
// terms: is one of its planted experts in the top 3?
TEST(CompanyGeneratorTest, PlantedExpertsAreFoundForTheirTopics) {
  const std::string dir = TestDir(true);
  const std::string file = SmallCompany(dir, 500, 5000, 5);
  index::CatalogOptions o;
  o.data_dir = dir + "/data";
  o.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(o);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_TRUE(importers::ImportJsonl(file, **catalog, {}).ok());
  (*catalog)->Refresh();
  auto snap = (*catalog)->snapshot();
  auto model = ranking::ExpertiseModel::Build(**catalog, snap);
  ASSERT_TRUE(model.ok()) << model.status();
  ranking::ExpertFinder finder(**catalog, {}, [m = *model] { return m; });
  const json truth = json::parse(ReadAll(file + ".truth.json"));
  int asked = 0, found = 0;
  for (const json& topic : truth["topics"]) {
    if (topic["questions"] < 5 || topic["private_group"] != "") continue;
    std::set<std::string> experts;
    for (const json& e : topic["experts"]) experts.insert(e["id"]);
    v1::FindExpertsRequest r;
    r.set_query("Who knows " + topic["terms"][0].get<std::string>() + " " +
                topic["terms"][1].get<std::string>() + " " +
                topic["terms"][2].get<std::string>() + "?");
    r.set_limit(3);
    auto response = api::FindExperts(**catalog, finder, r);
    ASSERT_TRUE(response.ok()) << response.status();
    ++asked;
    bool hit = false;
    for (const auto& e : response->experts())
      hit = hit || experts.count(e.person().id()) > 0;
    found += hit;
  }
  std::printf("planted expert in the top 3 for %d of %d topics\n", found,
              asked);
  ASSERT_GE(asked, 8);
  EXPECT_GE(found * 3, asked * 2);  // a clear majority: at least two thirds
}

}  // namespace
}  // namespace whoknows::bench
