// Fuzzes the reader of the model's file, embeddings.bin
// (ranking::ExpertiseModel::Load): read at every start from a folder a
// crash, a full disk or a hand may have damaged, and parsed by hand: the
// header, the space, the people's sums and ranks, then three sections under
// their own length and CRC-32 (tag profiles; ties and PageRank; client
// vectors), each restored only when the file's stamp is the snapshot's.
//
// Random bytes would stop at the magic, the stamp or a checksum, so the
// input is a list of edits to a valid file written by the product itself
// for a small company built through a real catalog (tags, ties, people,
// private posts, client vectors), read over that catalog's snapshot so
// that the stamp matches. Byte 0: bit 0 set edits the raw file (lengths
// and checksums as edited); clear edits the header and the three sections'
// contents, then writes each section's length and CRC-32 afresh (so the
// parsers behind the checksums are reached); bits 1-2 drop that many of
// the last sections (older files end early). Then 4-byte edits: a 16-bit
// offset (modulo the size), an operation (set a byte, insert a byte, cut a
// run) and its byte. Besides crashes and sanitizer reports it checks:
//  - a read returns a model or an error, never throws;
//  - a model read back is written again and read back with every section
//    restored and the same ties, PageRank, client vectors and tag scores.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_support.h"
#include "index/catalog.h"
#include "ranking/expertise_model.h"

namespace {

namespace v1 = whoknows::v1;
using whoknows::fuzz::Fail;
using whoknows::ranking::ExpertiseModel;
using whoknows::ranking::ModelOptions;

constexpr int64_t kNow = 1'700'000'000 + 90 * 24 * 3600;

v1::Post MakePost(int i) {
  v1::Post p;
  p.set_id(absl::StrCat("post", i));
  p.set_author_id(absl::StrCat("person", i % 7));
  const int root = i - i % 4;
  p.set_kind(i % 4 == 0   ? v1::POST_KIND_QUESTION
             : i % 4 == 3 ? v1::POST_KIND_COMMENT
                          : v1::POST_KIND_ANSWER);
  if (i % 4 != 0) {
    p.set_thread_id(absl::StrCat("post", root));
    p.set_parent_id(absl::StrCat("post", root));
  }
  p.set_accepted(i % 4 == 1);
  p.set_title(i % 4 == 0 ? absl::StrCat("printer toner question ", i) : "");
  p.set_body(absl::StrCat(i % 2 ? "toner duplex tray " : "invoice vat ledger ",
                          "word", i % 5));
  p.set_language("en");
  if (i % 4 == 0) {
    p.add_tags(i % 8 ? "printer" : "invoice");
    p.add_tags(absl::StrCat("tag", i % 3));
  }
  // A private group's thread: never in the graph, the tags or the vectors.
  if (root % 12 == 8) p.set_visibility("group:hr");
  if (i % 5 == 2) p.add_mentioned(absl::StrCat("person", (i + 2) % 7));
  if (i % 6 == 1) p.add_liked_by(absl::StrCat("person", (i + 3) % 7));
  if (i % 3 == 0)
    for (float x : {0.5f, static_cast<float>(i % 4), 1.0f}) p.add_embedding(x);
  p.mutable_created()->set_seconds(1'700'000'000 + 3600 * i);
  return p;
}

struct World {
  std::unique_ptr<whoknows::index::Catalog> catalog;
  std::shared_ptr<const whoknows::index::Snapshot> snapshot;
  ModelOptions options;
  std::vector<std::string> tags;
  // The valid file: the part before the sections, and each section's
  // bytes (without its length and checksum).
  std::string head;
  std::vector<std::string> sections;
};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
}

// The file of `head` and `sections`, each under its length and CRC-32.
std::string Assemble(const std::string& head,
                     const std::vector<std::string>& sections) {
  std::string out = head;
  for (const std::string& s : sections) {
    const uint64_t len = s.size();
    const uint32_t crc = Crc(s);
    out.append(reinterpret_cast<const char*>(&len), sizeof(len));
    out += s;
    out.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
  }
  return out;
}

const World& TheWorld() {
  static World* world = [] {
    auto* w = new World;  // lives until exit
    whoknows::index::CatalogOptions o;
    o.data_dir = whoknows::fuzz::ScratchDir("embeddings_file") + "/data";
    o.refresh_interval = std::chrono::milliseconds(0);
    o.dictionary_dir.clear();
    auto opened = whoknows::index::Catalog::Open(o);
    if (!opened.ok()) Fail(opened.status().ToString());
    w->catalog = std::move(*opened);
    std::vector<v1::Person> people;
    for (int i = 0; i < 7; ++i) {
      v1::Person p;
      p.set_id(absl::StrCat("person", i));
      p.set_display_name(absl::StrCat("Person ", i));
      if (i % 2) p.add_groups("group:hr");
      people.push_back(p);
    }
    std::vector<v1::Post> posts;
    for (int i = 0; i < 48; ++i) posts.push_back(MakePost(i));
    if (auto s = w->catalog->UpsertPeople(people); !s.ok()) Fail(s.ToString());
    if (auto s = w->catalog->UpsertPosts(posts); !s.ok()) Fail(s.ToString());
    w->catalog->Refresh();
    w->snapshot = w->catalog->snapshot();
    if (w->snapshot->stamp.empty()) Fail("the snapshot has no stamp");
    w->options.clock = [] { return kNow; };
    std::set<std::string> tags;
    for (const auto& [id, m] : w->snapshot->posts)
      for (const auto& tag : m->tags) tags.insert(tag);
    w->tags.assign(tags.begin(), tags.end());
    auto model = ExpertiseModel::Build(*w->catalog, w->snapshot, w->options);
    if (!model.ok()) Fail(model.status().ToString());
    if ((*model)->ties().num_nodes() < 3 || (*model)->client_dimensions() != 3)
      Fail("the seed company has too few ties or no client vectors");
    const std::string path = o.data_dir + "/seed_embeddings.bin";
    if (!(*model)->SaveEmbeddings(path).ok()) Fail("could not save the seed");
    const std::string file = Read(path);
    // The sections end the file: the one position from which three
    // length-prefixed, checksummed sections reach its end.
    for (size_t at = 0; at + 36 <= file.size() && w->sections.empty(); ++at) {
      std::vector<std::string> found;
      size_t next = at;
      while (found.size() < 3 && next + 12 <= file.size()) {
        uint64_t len = 0;
        std::memcpy(&len, file.data() + next, sizeof(len));
        if (len > file.size() - next - 12) break;
        found.push_back(file.substr(next + 8, len));
        uint32_t crc = 0;
        std::memcpy(&crc, file.data() + next + 8 + len, sizeof(crc));
        if (crc != Crc(found.back())) break;
        next += 8 + len + 4;
      }
      if (found.size() == 3 && next == file.size()) {
        w->head = file.substr(0, at);
        w->sections = std::move(found);
      }
    }
    if (w->sections.empty()) Fail("the seed's sections were not found");
    if (Assemble(w->head, w->sections) != file) Fail("the seed reassembles");
    return w;
  }();
  return *world;
}

// Applies the 4-byte edits of `edits` to `parts`: an edit's offset is taken
// in the parts laid end to end and edits the part it falls in.
void Edit(std::vector<std::string*> parts, std::string_view edits) {
  for (size_t i = 0; i + 4 <= edits.size(); i += 4) {
    size_t total = 0;
    for (const std::string* p : parts) total += p->size();
    if (total == 0) break;
    size_t at = (static_cast<uint8_t>(edits[i]) |
                 static_cast<uint8_t>(edits[i + 1]) << 8) %
                total;
    std::string* part = parts[0];
    for (std::string* p : parts) {
      part = p;
      if (at < p->size()) break;
      at -= p->size();
    }
    const auto op = static_cast<uint8_t>(edits[i + 2]) % 3;
    const char value = edits[i + 3];
    if (op == 0) {
      (*part)[at] = value;
    } else if (op == 1) {
      part->insert(part->begin() + static_cast<std::ptrdiff_t>(at), value);
    } else {
      part->erase(at, std::min<size_t>(static_cast<uint8_t>(value) % 16 + 1,
                                       part->size() - at));
    }
  }
}

// Everything the sections carry, as the model answers it.
struct Seen {
  std::vector<std::string> people;
  std::vector<int64_t> offsets;
  std::vector<int32_t> targets;
  std::vector<double> weights, ranks, authority, tag_scores;
  std::vector<std::pair<std::string, float>> clients;
  bool operator==(const Seen&) const = default;
};

Seen Look(const ExpertiseModel& m, const World& w) {
  Seen s;
  for (int32_t i = 0; i < m.ties().num_nodes(); ++i) {
    s.people.push_back(m.ties().PersonOf(i));
    s.authority.push_back(m.Authority(s.people.back()));
  }
  s.offsets = m.ties().offsets();
  s.targets = m.ties().targets();
  s.weights = m.ties().weights();
  s.ranks = m.pagerank().rank;
  for (const auto& tag : w.tags) {
    for (const auto& holder :
         std::set<std::string>{"person0", "person1", "person2", "person5"})
      s.tag_scores.push_back(m.TagScores({tag})[holder]);
  }
  s.clients = m.ClientSimilarities(
      std::vector<float>(static_cast<size_t>(m.client_dimensions()), 1.0f));
  return s;
}

void Check(const std::string& path, const World& w) {
  auto read = ExpertiseModel::Load(path, w.snapshot, w.options);
  if (!read.ok()) return;
  const std::string again = path + ".again";
  if (!(*read)->SaveEmbeddings(again).ok())
    Fail("a model read from embeddings.bin could not be written again");
  auto reread = ExpertiseModel::Load(again, w.snapshot, w.options);
  if (!reread.ok()) Fail("a rewritten embeddings.bin no longer reads");
  const ExpertiseModel& m = **reread;
  if (!m.tags_restored() || !m.ties_restored() || !m.pagerank_restored() ||
      !m.clients_restored()) {
    Fail(absl::StrCat("a rewritten embeddings.bin has a section rebuilt: ",
                      m.tags_rebuilt_because(), "|", m.ties_rebuilt_because(),
                      "|", m.pagerank_rebuilt_because(), "|",
                      m.clients_rebuilt_because()));
  }
  if (!(Look(**read, w) == Look(m, w)))
    Fail(
        "a rewritten embeddings.bin reads back other ties, ranks, tags or "
        "client vectors");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto mode = static_cast<uint8_t>(input[0]);
  const bool raw = mode & 1;
  const size_t dropped = (mode >> 1) & 3;
  const World& w = TheWorld();
  std::string head = w.head;
  std::vector<std::string> sections = w.sections;
  sections.resize(sections.size() - std::min(dropped, sections.size()));
  std::string bytes;
  if (raw) {
    bytes = Assemble(head, sections);
    Edit({&bytes}, input.substr(1));
  } else {
    std::vector<std::string*> parts = {&head};
    for (auto& s : sections) parts.push_back(&s);
    Edit(parts, input.substr(1));
    bytes = Assemble(head, sections);
  }
  const std::string path =
      whoknows::fuzz::ScratchDir("embeddings_file") + "/embeddings.bin";
  whoknows::fuzz::WriteFile(path, bytes);
  try {
    Check(path, w);
  } catch (const std::exception& e) {
    Fail(std::string("the embeddings reader threw: ") + e.what());
  }
  return 0;
}
