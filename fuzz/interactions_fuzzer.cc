// Fuzzes the interaction log's reader (index/interactions.h): the input is
// a data folder's interactions.tsv. Besides crashes and sanitizer reports it
// checks what the log promises of a file it could load:
//  - erasing a person (RemovePerson) leaves a file that still loads and
//    names them nowhere, as sender or receiver;
//  - the valid interactions loaded, appended to an empty log, load back the
//    same.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "index/interactions.h"

namespace {

namespace fs = std::filesystem;
using whoknows::fuzz::Fail;
using whoknows::index::Interaction;
using whoknows::index::InteractionLog;

bool Same(const Interaction& a, const Interaction& b) {
  return a.id == b.id && a.from == b.from && a.to == b.to && a.time == b.time &&
         a.kind == b.kind;
}

// Someone the file names, to erase: the first receiver of the last line, so
// that both senders and receivers get removed over the corpus.
std::string SomeoneIn(const std::vector<Interaction>& loaded) {
  if (loaded.empty()) return "";
  const Interaction& last = loaded.back();
  return last.to.empty() ? last.from : last.to.front();
}

void CheckErasure(const InteractionLog& log, const std::string& person) {
  if (person.empty()) return;
  auto erased = log.RemovePerson(person);
  if (!erased.ok()) Fail("RemovePerson failed: " + erased.status().ToString());
  auto after = log.Load();
  if (!after.ok()) Fail("the log no longer loads after RemovePerson");
  for (const Interaction& it : *after) {
    if (it.from == person) Fail("RemovePerson left a line they sent");
    for (const std::string& to : it.to)
      if (to == person) Fail("RemovePerson left them as a receiver");
  }
}

void CheckAppend(const std::vector<Interaction>& loaded) {
  std::vector<Interaction> valid;
  for (const Interaction& it : loaded)
    if (whoknows::index::ValidateInteraction(it, "it", {}).ok())
      valid.push_back(it);
  const std::string dir =
      (fs::path(whoknows::fuzz::ScratchDir("interactions")) / "copy").string();
  std::error_code ec;
  fs::remove_all(dir, ec);
  InteractionLog copy(dir);
  if (auto s = copy.Append(valid); !s.ok())
    Fail("Append of valid interactions failed: " + s.ToString());
  auto back = copy.Load();
  if (!back.ok())
    Fail("an appended log does not load: " + back.status().ToString());
  if (back->size() != valid.size()) Fail("appended interactions lost or added");
  for (size_t i = 0; i < valid.size(); ++i)
    if (!Same((*back)[i], valid[i])) Fail("an appended interaction changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string dir =
      (fs::path(whoknows::fuzz::ScratchDir("interactions")) / "data").string();
  fs::create_directories(dir);
  InteractionLog log(dir);
  whoknows::fuzz::WriteFile(
      log.path(), std::string_view(reinterpret_cast<const char*>(data), size));
  auto loaded = log.Load();
  if (!loaded.ok()) return 0;  // DATA_LOSS naming the line: fine
  CheckAppend(*loaded);
  CheckErasure(log, SomeoneIn(*loaded));
  return 0;
}
