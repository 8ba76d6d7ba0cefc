// Fuzzes the readers of the data folder's derived files (index/
// derived_state.h): derived.bin (ReadDerivedState), graph.bin
// (ReadGraphState) and docids.bin (ReadDocidState). All are read at every
// start, from a folder a crash, a full disk or a hand may have damaged,
// and all are parsed by hand.
//
// Random bytes would stop at the magic, the stamps or the checksum, so the
// input is a list of edits to a valid file written by the product itself
// from a small company: the first byte picks the file (bit 0: graph.bin,
// bit 2: docids.bin, neither: derived.bin) and whether the
// trailer is recomputed after the edits (so the parser behind the
// checksum is reached) or left (so the checksum's own check is); then
// 4-byte edits: a 16-bit offset (modulo the size), an operation (set a
// byte, insert a byte, cut a run) and its byte. Besides crashes and
// sanitizer reports it checks:
//  - a read returns records or an error, never throws;
//  - records read back are written again and read back the same count
//    (derived.bin), a graph read back is written and read again with
//    the same people and ties (graph.bin), and a docid table read back
//    numbers no post past its count and reads back the same when written
//    again (docids.bin).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_support.h"
#include "index/catalog.h"
#include "index/derived_state.h"
#include "index/graph.h"
#include "index/graph_options.h"
#include "index/shared_map.h"
#include "whoknows/v1/people.pb.h"

namespace {

namespace fs = std::filesystem;
using whoknows::fuzz::Fail;
using whoknows::index::ColleagueGraph;
using whoknows::index::DatabaseStamps;
using whoknows::index::GraphOptions;
using whoknows::index::PostMeta;
using whoknows::index::SharedMap;
namespace v1 = whoknows::v1;

using People =
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>>;
using Posts = std::unordered_map<std::string, std::shared_ptr<const PostMeta>>;

DatabaseStamps Stamps() {
  DatabaseStamps s;
  s[0] = {"0f0e0d0c-posts", 7};
  s[1] = {"private", 3};
  s[2] = {"people", 11};
  return s;
}

// A small company with every field set somewhere: threads of replies,
// private posts, likes, mentions, tags, embeddings, two languages.
void Company(People* people, Posts* posts) {
  for (int i = 0; i < 6; ++i) {
    auto p = std::make_shared<v1::Person>();
    p->set_id(absl::StrCat("person", i));
    p->set_display_name(absl::StrCat("Person ", i));
    if (i > 0) p->set_manager_id("person0");
    if (i % 2) p->add_groups("group:hr");
    people->emplace(p->id(), std::move(p));
  }
  for (int i = 0; i < 24; ++i) {
    auto m = std::make_shared<PostMeta>();
    m->id = absl::StrCat("post", i);
    m->author_id = absl::StrCat("person", i % 6);
    m->thread_id = absl::StrCat("post", i - i % 4);
    m->parent_id = i % 4 == 0 ? "" : m->thread_id.str();
    m->kind = i % 4 == 0 ? v1::POST_KIND_QUESTION : v1::POST_KIND_ANSWER;
    m->accepted = i % 7 == 1;
    m->is_public = i % 5 != 0;
    if (!m->is_public) m->visibility = "group:hr";
    m->created = 1'700'000'000 + 3600 * i;
    m->language = i % 2 ? "en" : "sv";
    m->title = std::string(static_cast<size_t>(i % 9), 'x');
    for (int t = 0; t < i % 3; ++t) m->tags.emplace_back(absl::StrCat("t", t));
    if (i % 3 == 0)
      m->liked_by.emplace_back(absl::StrCat("person", (i + 1) % 6));
    if (i % 4 == 2) m->mentioned.emplace_back("person5");
    if (i % 6 == 0) m->embedding = {0.5f, static_cast<float>(i)};
    posts->emplace(m->id, std::move(m));
  }
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Valid {
  std::string derived;  // derived.bin's bytes
  std::string graph;    // graph.bin's bytes
  std::string docids;   // docids.bin's bytes
};

const Valid& ValidFiles() {
  static const Valid valid = [] {
    People people;
    Posts posts;
    Company(&people, &posts);
    const std::string dir = whoknows::fuzz::ScratchDir("derived_files");
    Valid v;
    const std::string d = dir + "/seed_derived.bin";
    if (!whoknows::index::WriteDerivedState(d, Stamps(), people, posts).ok())
      Fail("could not write the seed derived.bin");
    v.derived = Read(d);
    SharedMap<std::shared_ptr<const PostMeta>> shared;
    for (const auto& [id, m] : posts) shared.emplace(id, m);
    std::unordered_map<std::string, std::string> managers;
    for (const auto& [id, p] : people)
      if (!p->manager_id().empty()) managers[id] = p->manager_id();
    const ColleagueGraph graph =
        ColleagueGraph::BuildFromSnapshot(shared, managers, GraphOptions{});
    const std::string g = dir + "/seed_graph.bin";
    if (!whoknows::index::WriteGraphState(g, Stamps(), GraphOptions{}, graph)
             .ok())
      Fail("could not write the seed graph.bin");
    v.graph = Read(g);
    whoknows::index::DocidState docids;
    docids.posts = posts.size();
    docids.number.assign(posts.size() + 2, 0xffffffffu);
    for (uint32_t n = 0; n < posts.size(); ++n) docids.number[n + 1] = n;
    const std::string t = dir + "/seed_docids.bin";
    if (!whoknows::index::WriteDocidState(t, Stamps(), docids).ok())
      Fail("could not write the seed docids.bin");
    v.docids = Read(t);
    return v;
  }();
  return valid;
}

// The trailer both files end with: the length of everything before it
// (8 bytes) and its zlib crc32 (4 bytes), little endian.
void Retrail(std::string* bytes) {
  if (bytes->size() < 12) return;
  bytes->resize(bytes->size() - 12);
  const uint64_t length = bytes->size();
  const auto crc = static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes->data()),
            static_cast<uInt>(bytes->size())));
  for (int i = 0; i < 8; ++i)
    bytes->push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  for (int i = 0; i < 4; ++i)
    bytes->push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
}

std::string Edited(std::string bytes, std::string_view edits) {
  for (size_t i = 0; i + 4 <= edits.size(); i += 4) {
    if (bytes.empty()) break;
    const size_t at = (static_cast<uint8_t>(edits[i]) |
                       static_cast<uint8_t>(edits[i + 1]) << 8) %
                      bytes.size();
    const auto op = static_cast<uint8_t>(edits[i + 2]) % 3;
    const char value = edits[i + 3];
    if (op == 0) {
      bytes[at] = value;
    } else if (op == 1) {
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), value);
    } else {
      bytes.erase(at, std::min<size_t>(static_cast<uint8_t>(value) % 16 + 1,
                                       bytes.size() - at));
    }
  }
  return bytes;
}

void CheckDerived(const std::string& path) {
  auto read = whoknows::index::ReadDerivedState(path, Stamps());
  if (!read.ok()) return;
  const std::string again = path + ".again";
  if (!whoknows::index::WriteDerivedState(again, Stamps(), read->people,
                                          read->posts)
           .ok())
    Fail("records read from derived.bin could not be written again");
  auto reread = whoknows::index::ReadDerivedState(again, Stamps());
  if (!reread.ok()) Fail("a rewritten derived.bin no longer reads");
  if (reread->people.size() != read->people.size() ||
      reread->posts.size() != read->posts.size())
    Fail("a rewritten derived.bin reads back other counts");
}

void CheckGraph(const std::string& path) {
  std::optional<whoknows::index::FileVersion> tsv;
  auto read =
      whoknows::index::ReadGraphState(path, Stamps(), GraphOptions{}, &tsv);
  if (!read.ok()) return;
  const std::string again = path + ".again";
  if (!whoknows::index::WriteGraphState(again, Stamps(), GraphOptions{}, *read,
                                        tsv)
           .ok())
    Fail("a graph read from graph.bin could not be written again");
  std::optional<whoknows::index::FileVersion> reread_tsv;
  auto reread = whoknows::index::ReadGraphState(again, Stamps(), GraphOptions{},
                                                &reread_tsv);
  if (!reread.ok()) Fail("a rewritten graph.bin no longer reads");
  if (reread->num_people() != read->num_people() ||
      reread->num_edges() != read->num_edges())
    Fail("a rewritten graph.bin reads back other people or ties");
  if (reread_tsv != tsv)
    Fail("a rewritten graph.bin says another thing of graph.tsv");
}

void CheckDocids(const std::string& path) {
  auto read = whoknows::index::ReadDocidState(path, Stamps());
  if (!read.ok()) return;
  for (const uint32_t n : read->number) {
    if (n >= read->posts && n != 0xffffffffu)
      Fail("docids.bin read back a number past its post count");
  }
  const std::string again = path + ".again";
  if (!whoknows::index::WriteDocidState(again, Stamps(), *read).ok())
    Fail("a table read from docids.bin could not be written again");
  auto reread = whoknows::index::ReadDocidState(again, Stamps());
  if (!reread.ok()) Fail("a rewritten docids.bin no longer reads");
  if (reread->posts != read->posts || reread->number != read->number)
    Fail("a rewritten docids.bin reads back another table");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto mode = static_cast<uint8_t>(input[0]);
  const bool docids = mode & 4;
  const bool graph = !docids && (mode & 1);
  const bool retrail = !(mode & 2);
  const Valid& valid = ValidFiles();
  std::string bytes = Edited(docids  ? valid.docids
                             : graph ? valid.graph
                                     : valid.derived,
                             input.substr(1));
  if (retrail) Retrail(&bytes);
  const std::string path =
      whoknows::fuzz::ScratchDir("derived_files") + (docids  ? "/docids.bin"
                                                     : graph ? "/graph.bin"
                                                             : "/derived.bin");
  whoknows::fuzz::WriteFile(path, bytes);
  try {
    if (docids) {
      CheckDocids(path);
    } else if (graph) {
      CheckGraph(path);
    } else {
      CheckDerived(path);
    }
  } catch (const std::exception& e) {
    Fail(std::string("a derived file's reader threw: ") + e.what());
  }
  return 0;
}
