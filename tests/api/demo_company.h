// The bundled demo company (data/demo/company.jsonl) imported into a data
// folder for the api tests that serve it.
#ifndef WHOKNOWS_TESTS_API_DEMO_COMPANY_H_
#define WHOKNOWS_TESTS_API_DEMO_COMPANY_H_

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "importers/jsonl.h"
#include "index/catalog.h"
#include "index/data_dir.h"

namespace whoknows::api {

// Imports the demo company into `dir` (emptied first). Without `keep_model`
// the model the import leaves is removed, so that a server started on the
// folder builds its own.
inline void ImportDemo(const std::string& dir, bool keep_model = true) {
  std::filesystem::remove_all(dir);
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  auto catalog = index::Catalog::Open(o);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto imported = importers::ImportJsonl(
      std::string(WHOKNOWS_SOURCE_DIR) + "/data/demo/company.jsonl", **catalog,
      {});
  ASSERT_TRUE(imported.ok()) << imported.status();
  catalog->reset();
  if (!keep_model) std::filesystem::remove(index::DataDir(dir).embeddings());
}

}  // namespace whoknows::api

#endif  // WHOKNOWS_TESTS_API_DEMO_COMPANY_H_
