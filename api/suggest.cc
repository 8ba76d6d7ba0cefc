#include "api/suggest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/expertise.h"
#include "common/status_macros.h"
#include "index/dense_index.h"
#include "index/validation.h"

namespace whoknows::api {
namespace {

using index::Invalid;

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points
// past U+10FFFF). Parsed protobuf strings already are; in-process callers
// may pass anything.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;  // continuation bytes
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += n + 1;
  }
  return true;
}

absl::Status CheckText(const std::string& text, std::string_view field,
                       size_t max_bytes) {
  if (text.size() > max_bytes)
    return Invalid("", field,
                   absl::StrCat("longer than ", max_bytes, " bytes"));
  if (!IsUtf8(text)) return Invalid("", field, "not valid UTF-8");
  return absl::OkStatus();
}

absl::Status CheckCount(int value, std::string_view field) {
  if (value < 0 || value > kMaxSuggestions)
    return Invalid(
        "", field,
        absl::StrCat("must be 0-", kMaxSuggestions, ", got ", value));
  return absl::OkStatus();
}

int OrDefault(int value, int fallback) { return value == 0 ? fallback : value; }

// One earlier thread like the draft, while it is being chosen.
struct Candidate {
  const index::PostMeta* root = nullptr;
  double similarity = 0;  // best hit in the thread / best thread's
  const index::PostMeta* accepted = nullptr;  // visible accepted answer
  int answers = 0;                            // visible answers
};

// The snapshot's record of a hit: read through its number when the search
// numbered it (SearchOptions::numbering), else found by id; null when the
// post is not in the snapshot.
const index::PostMeta* MetaOf(const index::Snapshot& snap,
                              const index::SearchResult& found,
                              const index::Hit& hit) {
  if (!found.numbered) return snap.FindPost(hit.post_id);
  return hit.post == index::DenseIndex::kNone ? nullptr
                                              : &snap.dense->post(hit.post);
}

// The snapshot's post `id`, found through its numbering when it has one
// (one open-addressing probe) or else by id; null when it lacks the post.
const index::PostMeta* FindPost(const index::Snapshot& snap,
                                const std::string& id) {
  if (!snap.dense) return snap.FindPost(id);
  const uint32_t n = snap.dense->PostNumber(id);
  return n == index::DenseIndex::kNone ? nullptr : &snap.dense->post(n);
}

// Counts the answers of `c`'s thread that the author may see, and notes
// the (last) accepted one. False when the snapshot has no such thread.
// A root that is its own thread (every root the catalog stores) is read
// through the numbering: its answers' numbers and 16-byte records, no id
// hashed.
bool CountAnswers(const index::Snapshot& snap,
                  const std::vector<std::string>& groups, Candidate& c) {
  const index::DenseIndex* dense = snap.dense.get();
  const uint32_t root = dense && c.root->thread_id == c.root->id
                            ? dense->PostNumber(c.root->id)
                            : index::DenseIndex::kNone;
  if (root != index::DenseIndex::kNone) {
    for (const uint32_t a : dense->answers_of(root)) {
      const index::DenseIndex::Facts& f = dense->facts(a);
      const index::PostMeta& p = dense->post(a);
      if (!f.is_public && !index::VisibleTo(p, groups)) continue;
      ++c.answers;
      if (f.accepted) c.accepted = &p;
    }
    return true;
  }
  auto thread = snap.threads.find(c.root->id);
  if (thread == snap.threads.end()) return false;
  for (const auto& post_id : thread->second) {
    const index::PostMeta* p = snap.FindPost(post_id);
    if (!p || !index::VisibleTo(*p, groups) || p->kind != v1::POST_KIND_ANSWER)
      continue;
    ++c.answers;
    if (p->accepted) c.accepted = p;
  }
  return true;
}

// The question threads of the first `depth` hits that the author may see
// (public, or private to one of `groups`), each with its best hit's weight
// relative to the best thread's, at least `min_similarity`. `found` is
// numbered in `snap` when it is numbered at all.
std::vector<Candidate> SimilarThreads(const index::Snapshot& snap,
                                      const index::SearchResult& found,
                                      size_t depth,
                                      const std::vector<std::string>& groups,
                                      double min_similarity) {
  // By root: the order is the sort's below (a total order), not the map's.
  absl::flat_hash_map<const index::PostMeta*, Candidate> by_thread;
  double top = 0;
  const size_t n = std::min(depth, found.hits.size());
  for (size_t i = 0; i < n; ++i) {
    const index::Hit& hit = found.hits[i];
    const index::PostMeta* m = MetaOf(snap, found, hit);
    if (!m || !index::VisibleTo(*m, groups)) continue;
    const index::PostMeta* root = FindPost(snap, m->thread_id);
    if (!root || !index::VisibleTo(*root, groups) ||
        root->kind != v1::POST_KIND_QUESTION)
      continue;
    Candidate& c = by_thread[root];
    c.root = root;
    c.similarity = std::max(c.similarity, hit.weight);
    top = std::max(top, hit.weight);
  }
  std::vector<Candidate> out;
  for (auto& [root, c] : by_thread) {
    c.similarity = top > 0 ? c.similarity / top : 0;
    if (c.similarity < min_similarity) continue;
    if (CountAnswers(snap, groups, c)) out.push_back(c);
  }
  // Solved first, then the most similar, then by id (stable answers).
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if ((a.accepted != nullptr) != (b.accepted != nullptr))
      return a.accepted != nullptr;
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    return a.root->id < b.root->id;
  });
  return out;
}

// Tags of the similar threads weighted by their similarity, never one of the
// draft's own, best first.
void SuggestTags(const std::vector<Candidate>& threads,
                 const v1::SuggestForPostRequest& r, int max_tags,
                 v1::SuggestForPostResponse* response) {
  std::unordered_set<std::string> own;
  for (const auto& t : r.tags()) own.insert(absl::AsciiStrToLower(t));
  std::map<std::string, double> score;
  for (const auto& c : threads)
    for (const auto& tag : c.root->tags)
      if (!own.count(tag)) score[tag] += c.similarity;
  std::vector<std::pair<std::string, double>> ranked(score.begin(),
                                                     score.end());
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < max_tags; ++i) {
    v1::SuggestedTag* t = response->add_suggested_tags();
    t->set_tag(ranked[i].first);
    t->set_score(ranked[i].second);
  }
}

// The best `max_threads` threads with their snippets. A thread (or accepted
// answer) that the author may no longer see (turned private, or moved to a
// group they are not in, since the snapshot) is left out (or shown
// unsolved). A private thread is marked with its group.
absl::Status AddThreads(const index::Catalog& catalog, const std::string& query,
                        const std::vector<Candidate>& threads,
                        const std::vector<std::string>& groups, int max_threads,
                        v1::SuggestForPostResponse* response) {
  std::vector<std::string> ids;
  const size_t n = std::min(threads.size(), static_cast<size_t>(max_threads));
  for (size_t i = 0; i < n; ++i) {
    ids.push_back(threads[i].root->id);
    if (threads[i].accepted) ids.push_back(threads[i].accepted->id);
  }
  WK_ASSIGN_OR_RETURN(auto texts,
                      catalog.Fetch(query, ids, 300,
                                    /*include_private=*/false, groups));
  std::unordered_map<std::string, const index::PostText*> text_of;
  for (const auto& t : texts) {
    if (index::IsPublic(t.post) ||
        std::binary_search(groups.begin(), groups.end(), t.post.visibility()))
      text_of[t.post.id()] = &t;
  }
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = threads[i];
    auto root = text_of.find(c.root->id);
    if (root == text_of.end()) continue;
    v1::SimilarThread* t = response->add_threads();
    t->set_thread_id(c.root->id);
    t->set_title(root->second->post.title());
    t->set_snippet(root->second->snippet);
    t->set_answers(c.answers);
    for (const auto& tag : c.root->tags) t->add_tags(tag);
    *t->mutable_created() = root->second->post.created();
    t->set_similarity(c.similarity);
    if (!index::IsPublic(root->second->post))
      t->set_group(root->second->post.visibility());
    if (!c.accepted) continue;
    auto answer = text_of.find(c.accepted->id);
    if (answer == text_of.end()) continue;
    t->set_solved(true);
    t->set_accepted_answer_id(c.accepted->id);
    t->set_accepted_answer_snippet(answer->second->snippet);
  }
  // A thread shown unsolved after all goes after the solved ones.
  std::stable_partition(response->mutable_threads()->begin(),
                        response->mutable_threads()->end(),
                        [](const v1::SimilarThread& t) { return t.solved(); });
  return absl::OkStatus();
}

// The people, as FindExperts ranks them for the same text with the author as
// asker, those below the threshold withheld.
absl::Status AddPeople(const index::Catalog& catalog,
                       const ranking::ExpertFinder& finder,
                       const std::string& query,
                       const v1::SuggestForPostRequest& r,
                       double min_confidence, ranking::FindResult* ranked,
                       v1::SuggestForPostResponse* response) {
  v1::FindExpertsRequest ask;
  ask.set_query(query);
  ask.set_asker_id(r.author_id());
  ask.set_limit(OrDefault(r.max_people(), kDefaultSuggestedPeople));
  *ask.mutable_tags() = r.tags();
  for (auto& t : *ask.mutable_tags()) t = absl::AsciiStrToLower(t);
  int withheld = 0;
  WK_ASSIGN_OR_RETURN(
      v1::FindExpertsResponse found,
      FindExperts(catalog, finder, ask, ranked, min_confidence, &withheld));
  *response->mutable_model() = found.model();
  *response->mutable_experts() = std::move(*found.mutable_experts());
  response->set_withheld_experts(withheld);
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSuggestForPost(const v1::SuggestForPostRequest& r) {
  WK_RETURN_IF_ERROR(CheckText(r.title(), "title", kMaxDraftTitleBytes));
  WK_RETURN_IF_ERROR(CheckText(r.body(), "body", kMaxDraftBodyBytes));
  if (absl::StripAsciiWhitespace(r.title()).empty() &&
      absl::StripAsciiWhitespace(r.body()).empty())
    return Invalid("", "title", "title or body required");
  if (r.tags_size() > index::kMaxTags)
    return Invalid(
        "", "tags",
        absl::StrCat(r.tags_size(), " tags, more than ", index::kMaxTags));
  for (int i = 0; i < r.tags_size(); ++i) {
    const std::string field = absl::StrCat("tags[", i, "]");
    const std::string& tag = r.tags(i);
    if (tag.empty() || tag.size() > index::kMaxTagBytes)
      return Invalid("", field,
                     absl::StrCat("must be 1-", index::kMaxTagBytes, " bytes"));
    for (unsigned char c : tag)
      if (c <= 0x20 || c == 0x7f)
        return Invalid("", field, "no spaces or control characters");
    if (!IsUtf8(tag)) return Invalid("", field, "not valid UTF-8");
  }
  WK_RETURN_IF_ERROR(index::CheckId(r.author_id(), "", "author_id", false));
  WK_RETURN_IF_ERROR(CheckCount(r.max_people(), "max_people"));
  WK_RETURN_IF_ERROR(CheckCount(r.max_threads(), "max_threads"));
  WK_RETURN_IF_ERROR(CheckCount(r.max_tags(), "max_tags"));
  if (r.has_min_confidence() &&
      !(r.min_confidence() >= 0 && r.min_confidence() <= 1))
    return Invalid("", "min_confidence", "must be 0-1");
  return absl::OkStatus();
}

std::string DraftQuery(const v1::SuggestForPostRequest& r, size_t max_bytes) {
  std::string q = absl::StrCat(absl::StripAsciiWhitespace(r.title()), "\n",
                               absl::StripAsciiWhitespace(r.body()));
  if (q.size() <= max_bytes) return q;
  size_t cut = max_bytes;
  // Back off continuation bytes so that no character is split.
  while (cut > 0 && (static_cast<unsigned char>(q[cut]) & 0xc0) == 0x80) --cut;
  q.resize(cut);
  return q;
}

absl::StatusOr<v1::SuggestForPostResponse> SuggestForPost(
    const index::Catalog& catalog, const ranking::ExpertFinder& finder,
    const v1::SuggestForPostRequest& r, const SuggestOptions& o) {
  WK_RETURN_IF_ERROR(ValidateSuggestForPost(r));
  const std::string query = DraftQuery(r, o.query_bytes);
  const double min_confidence =
      r.has_min_confidence() ? r.min_confidence() : o.min_confidence;
  v1::SuggestForPostResponse response;
  // 1. People to ask.
  ranking::FindResult ranked;
  WK_RETURN_IF_ERROR(
      AddPeople(catalog, finder, query, r, min_confidence, &ranked, &response));
  // 2. Earlier threads: public questions, and those private to the
  // author's groups; whatever the caller's rights. The people's ranking
  // searched the same text with the author's groups (RetrievalOptions):
  // its best posts are the thread search's, unless it ranked fewer.
  const size_t depth = static_cast<size_t>(std::max(1, o.thread_search_depth));
  std::shared_ptr<const index::Snapshot> snap = ranked.snapshot;
  index::SearchResult hits = std::move(ranked.retrieved);
  if (!snap || static_cast<size_t>(finder.options().max_posts) < depth) {
    snap = catalog.snapshot();
    index::SearchOptions search;
    search.query = query;
    search.max_posts = o.thread_search_depth;
    search.public_only = true;
    search.groups = snap->GroupsOf(r.author_id());
    WK_ASSIGN_OR_RETURN(hits, catalog.Search(search));
  }
  const std::vector<std::string> groups = snap->GroupsOf(r.author_id());
  const std::vector<Candidate> threads =
      SimilarThreads(*snap, hits, depth, groups, o.min_thread_similarity);
  WK_RETURN_IF_ERROR(AddThreads(
      catalog, query, threads, groups,
      OrDefault(r.max_threads(), kDefaultSuggestedThreads), &response));
  // 3. Tags of those threads.
  SuggestTags(threads, r, OrDefault(r.max_tags(), kDefaultSuggestedTags),
              &response);
  return response;
}

}  // namespace whoknows::api
