#include "index/catalog.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/thread_priority.h"
#include "index/batch_journal.h"
#include "index/change_log.h"
#include "index/data_dir.h"
#include "index/derived_state.h"
#include "index/graph.h"
#include "index/group_databases.h"
#include "index/language.h"
#include "index/shard_databases.h"
#include "index/shards.h"
#include "index/snapshot_delta.h"
#include "index/text.h"
#include "index/validation.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;

// Microseconds since `stage`, which moves to now.
int64_t LapUs(absl::Time& stage) {
  const absl::Time now = absl::Now();
  const int64_t us = absl::ToInt64Microseconds(now - stage);
  stage = now;
  return us;
}

// Boolean term prefixes of post documents (Xapian's conventions: Q for the
// unique id, single capitals for filters).
constexpr char kIdPrefix[] = "Q";
constexpr char kAuthorPrefix[] = "A";
constexpr char kThreadPrefix[] = "T";
constexpr char kVisibilityPrefix[] = "V";
constexpr char kLanguagePrefix[] = "L";
constexpr char kLikePrefix[] = "XU";
constexpr char kMentionPrefix[] = "XM";
constexpr char kTagPrefix[] = "K";
constexpr Xapian::valueno kCreatedSlot = 0;  // sortable_serialise(unix s)
constexpr Xapian::valueno kIdSlot = 1;
// Metadata key of the first shard of posts (CatalogOptions::post_shards):
// a stamp the writer changes at each commit of posts, by which followers
// tell that the shards changed (the remote backend tells no revision).
constexpr char kShardStampKey[] = "whoknows.stamp";
// Why a change log entry says "read everything" (ChangeLogEntry::why), for
// the reasons written from more than one place.
constexpr char kUnloggedCommits[] =
    "commits no entry covers (the writer stopped before its publish tick)";
constexpr char kFailedWrite[] =
    "a failed write (what it committed is not known)";
// A write that cannot reach a shard server is tried this many times in all,
// reconnecting before each, the n-th retry after n pauses (CommitLocked).
constexpr int kShardWriteAttempts = 3;
constexpr absl::Duration kShardRetryPause = absl::Milliseconds(250);
// How often the refresher looks for committed writes to publish (at most
// every CatalogOptions::refresh_interval): the delay a write after a quiet
// spell waits for its publish to start.
constexpr absl::Duration kRefreshTick = absl::Milliseconds(50);
// The least time between two publishes' starts under
// CatalogOptions::publish_cpu_share: each publish bumps the generation
// (readers reopen, the change log takes an entry, caches keyed by it
// start over), so cheap publishes come at most four times a second.
constexpr absl::Duration kMinRefreshSpacing = absl::Milliseconds(250);
// How often the graph saver looks whether graph.tsv is due
// (CatalogOptions::graph_save_interval).
constexpr absl::Duration kGraphSaverTick = absl::Milliseconds(200);
// Within-document frequency increment of the title's words: the title says
// what the post is about, so it counts twice. Part of the index format
// (changing it needs a reindex).
constexpr Xapian::termcount kTitleWdfInc = 2;

// Query "words" longer than this (in bytes) are skipped: they are hashes,
// encoded blobs or URLs, not words anyone is asked about.
constexpr size_t kMaxQueryWordBytes = 64;

// CPU time of the calling thread.
absl::Duration ThreadCpuTime() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return absl::DurationFromTimespec(t);
}

absl::Status XapianError(std::string_view what, const Xapian::Error& e) {
  return absl::InternalError(
      absl::StrCat(std::string(what), ": ", e.get_type(), ": ", e.get_msg()));
}

// Each query word's index terms: its stem in every query language
// (`languages`, see Snapshot::query_languages; distinct stems only), and the
// stems of its dictionary translations (cross-lingual search). Words that
// are stopwords in any of the languages are left out.
std::vector<std::vector<std::string>> QueryWordTerms(
    const std::string& text, const std::vector<std::string>& languages,
    const Dictionary* dictionary) {
  Xapian::TermGenerator tg;
  Xapian::Document scratch;
  tg.set_document(scratch);
  tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
  tg.index_text_without_positions(text);
  static thread_local std::unordered_map<std::string, Xapian::Stem> stemmers;
  std::vector<std::pair<std::string, Xapian::Stem*>> stems;
  for (const auto& lang : languages) {
    auto it = stemmers.find(lang);
    if (it == stemmers.end())
      it = stemmers.emplace(lang, Xapian::Stem(StemmerNameFor(lang))).first;
    stems.emplace_back(lang, &it->second);
  }
  std::vector<std::vector<std::string>> words;
  for (auto t = scratch.termlist_begin(); t != scratch.termlist_end(); ++t) {
    const std::string word = *t;
    if (IsStopword(word, languages) || word.size() > kMaxQueryWordBytes)
      continue;
    std::vector<std::string> variants;
    auto add = [&](std::string term) {
      if (std::find(variants.begin(), variants.end(), term) == variants.end())
        variants.push_back(std::move(term));
    };
    for (auto& [lang, stem] : stems) add("Z" + (*stem)(word));
    if (dictionary) {
      for (auto& [lang, stem] : stems) {
        for (const auto& [to, translation] :
             dictionary->Translate(lang, word)) {
          for (auto& [target, target_stem] : stems) {
            if (target == to) add("Z" + (*target_stem)(translation));
          }
        }
      }
    }
    words.push_back(std::move(variants));
  }
  return words;
}

// Turns free text into a query: each word is matched through its stems in
// every query language at once (OP_SYNONYM, so BM25 sees one term), and the
// words are OR-ed so that partial matches still rank.
Xapian::Query BuildQuery(const std::string& text,
                         const std::vector<std::string>& languages,
                         const Dictionary* dictionary) {
  std::vector<Xapian::Query> words;
  for (const auto& variants : QueryWordTerms(text, languages, dictionary)) {
    words.emplace_back(Xapian::Query::OP_SYNONYM, variants.begin(),
                       variants.end());
  }
  return Xapian::Query(Xapian::Query::OP_OR, words.begin(), words.end());
}

// The Xapian query of a search: the expanded free text, filtered to a
// language and a creation time as `o` asks; who may see which post is
// VisibleIn's. Empty when the text has no searchable word.
Xapian::Query SearchQuery(const SearchOptions& o,
                          const std::vector<std::string>& languages,
                          const Dictionary* dictionary) {
  Xapian::Query query = BuildQuery(o.query, languages, dictionary);
  if (query.empty()) return query;
  if (!o.language.empty()) {
    query = Xapian::Query(Xapian::Query::OP_FILTER, query,
                          Xapian::Query(kLanguagePrefix + o.language));
  }
  if (o.created_before > 0) {
    query = Xapian::Query(
        Xapian::Query::OP_FILTER, query,
        Xapian::Query(Xapian::Query::OP_VALUE_LE, kCreatedSlot,
                      Xapian::sortable_serialise(
                          static_cast<double>(o.created_before - 1))));
  }
  return query;
}

// `query` narrowed to the posts of `db` that `o`'s asker may see: public
// ones (the term Vpublic), and with `o.groups` their groups' ones
// (Vgroup:...). Fail-closed: a document with any other visibility term, or
// none, is nobody's hit.
// When every document of `db` is public, as the public database's are, a
// public search needs no filter: filtering by Vpublic steps through that
// term's postings (every document's) beside the words' ones, about 12% of
// a search at 1M posts. The check reads two counts of the database's
// revision, so a post that is not public (a folder from before
// private_posts/, read without the writer that moves such posts; an unknown
// term) brings the filter back. `local`: on remote shards (false) the count
// of a term is a round trip, and the filter stays.
Xapian::Query VisibleIn(const Xapian::Database& db, bool local,
                        const SearchOptions& o, Xapian::Query query) {
  if (!o.public_only) return query;
  const std::string is_public = std::string(kVisibilityPrefix) + "public";
  if (o.groups.empty()) {
    if (local && db.get_termfreq(is_public) == db.get_doccount()) return query;
    return Xapian::Query(Xapian::Query::OP_FILTER, std::move(query),
                         Xapian::Query(is_public));
  }
  // Public, or private to one of the asker's groups.
  std::vector<Xapian::Query> visible = {Xapian::Query(is_public)};
  for (const auto& g : o.groups) visible.emplace_back(kVisibilityPrefix + g);
  return Xapian::Query(
      Xapian::Query::OP_FILTER, std::move(query),
      Xapian::Query(Xapian::Query::OP_OR, visible.begin(), visible.end()));
}

// The MSet's posts with their ids, best first. The ids are read from one
// stream of the id slot in docid order: Document::get_value would look each
// document's value chunk up afresh (a B-tree search a hit, most of a search's
// time at 1,000 hits).
// Sets the post_id of hits[index] for each (docid, index), read in docid
// order.
void ReadHitIds(const Xapian::Database& db,
                std::vector<std::pair<Xapian::docid, size_t>> by_docid,
                std::vector<Hit>* hits) {
  std::sort(by_docid.begin(), by_docid.end());
  const Xapian::ValueIterator end = db.valuestream_end(kIdSlot);
  Xapian::ValueIterator value = db.valuestream_begin(kIdSlot);
  for (const auto& [docid, index] : by_docid) {
    if (value == end) break;
    value.skip_to(docid);
    if (value != end && value.get_docid() == docid)
      (*hits)[index].post_id = *value;
  }
}

// With `ids_as_keys` (remote shards), each hit's id is its collapse key,
// which came back with the MSet (Catalog::Search).
std::vector<Hit> HitsOf(const Xapian::Database& db, const Xapian::MSet& mset,
                        bool ids_as_keys) {
  std::vector<Hit> hits(mset.size());
  std::vector<std::pair<Xapian::docid, size_t>> by_docid;
  by_docid.reserve(mset.size());
  size_t i = 0;
  for (auto it = mset.begin(); it != mset.end(); ++it, ++i) {
    hits[i].weight = it.get_weight();
    if (ids_as_keys) {
      hits[i].post_id = it.get_collapse_key();
    } else {
      by_docid.emplace_back(*it, i);
    }
  }
  if (!by_docid.empty()) ReadHitIds(db, std::move(by_docid), &hits);
  return hits;
}

// The MSet's posts numbered in `dense` (SearchOptions::numbering): from
// `table` (optional) when it was read from `db` (the same database, on the
// same folders), the ids of newer documents read and looked up; otherwise
// every id read and looked up.
std::vector<Hit> NumberedHits(const Xapian::Database& db, uint64_t files,
                              const Xapian::MSet& mset, const DenseIndex& dense,
                              const PostDocids* table, bool ids_as_keys) {
  if (table && (table->files != files || table->uuid != db.get_uuid()))
    table = nullptr;
  std::vector<Hit> hits(mset.size());
  std::vector<std::pair<Xapian::docid, size_t>> unknown;
  size_t i = 0;
  for (auto it = mset.begin(); it != mset.end(); ++it, ++i) {
    hits[i].weight = it.get_weight();
    if (table && *it < table->number.size()) {
      hits[i].post = table->number[*it];
    } else {
      unknown.emplace_back(*it, i);
      if (ids_as_keys) hits[i].post_id = it.get_collapse_key();
    }
  }
  if (unknown.empty()) return hits;
  if (!ids_as_keys) ReadHitIds(db, unknown, &hits);
  for (const auto& [docid, index] : unknown) {
    Hit& hit = hits[index];
    hit.post = dense.PostNumber(hit.post_id);
    hit.post_id.clear();
  }
  return hits;
}

}  // namespace

std::shared_ptr<const PostMeta> MetaOf(const v1::Post& p) {
  auto m = std::make_shared<PostMeta>();
  m->id = p.id();
  m->author_id = p.author_id();
  m->thread_id = p.thread_id();
  m->parent_id = p.parent_id();
  m->kind = p.kind();
  m->accepted = p.accepted();
  m->is_public = IsPublic(p);
  m->visibility = p.visibility().empty() ? "public" : p.visibility();
  m->inherited_visibility = p.inherited_visibility();
  m->created = p.created().seconds();
  m->language = p.language();
  m->title = p.title();
  m->tags.assign(p.tags().begin(), p.tags().end());
  m->liked_by.assign(p.liked_by().begin(), p.liked_by().end());
  m->mentioned.assign(p.mentioned().begin(), p.mentioned().end());
  m->embedding.assign(p.embedding().begin(), p.embedding().end());
  return m;
}

const v1::Person* Snapshot::FindPerson(const std::string& id) const {
  auto it = people.find(id);
  return it == people.end() ? nullptr : it->second.get();
}

const PostMeta* Snapshot::FindPost(const std::string& id) const {
  auto it = posts.find(id);
  return it == posts.end() ? nullptr : it->second.get();
}

std::vector<std::string> Snapshot::GroupsOf(
    const std::string& person_id) const {
  if (person_id.empty()) return {};
  const v1::Person* p = FindPerson(person_id);
  if (!p || p->groups().empty()) return {};
  std::vector<std::string> groups(p->groups().begin(), p->groups().end());
  std::sort(groups.begin(), groups.end());
  return groups;
}

bool VisibleTo(const PostMeta& post, const std::vector<std::string>& groups) {
  return post.is_public ||
         (!groups.empty() &&
          std::binary_search(groups.begin(), groups.end(), post.visibility));
}

namespace {

// Threads, private groups' posts, activity and language counts of the
// posts in `s` (BuildSnapshot's), read in `order`. The posts are grouped
// first in flat
// tables keyed by the Interned string's address (one value, one address),
// and each thread, author and language goes into its map once, in the
// order of its first post: a map entry per post (a million at 1M, each a
// cache miss in a large map) was most of the first snapshot's build, and
// inserting in first-seen order leaves each map, iteration order
// included, as the entry-per-post loop left it. `places` gets the
// threads as places in `order`, for DenseIndex::Finish.
void SnapshotCounts(Snapshot* s, DenseIndex::PostOrder order,
                    DenseIndex::ThreadPlaces* places) {
  s->public_posts = 0;
  // Thread slot of each post, in `order`; a thread's ids keep it.
  absl::flat_hash_map<const std::string*, uint32_t> thread_slots;
  std::vector<const std::string*> thread_ids;
  std::vector<uint32_t> thread_sizes;
  std::vector<std::pair<uint32_t, const std::string*>> members;
  members.reserve(order.size());
  absl::flat_hash_map<const std::string*, uint32_t> author_slots;
  std::vector<std::pair<const std::string*, Activity>> activity;
  std::vector<std::pair<const std::string*, int64_t>> languages;
  for (const std::shared_ptr<const PostMeta>* record : order) {
    const std::shared_ptr<const PostMeta>& m = *record;
    const std::string& id = m->id;
    const auto [thread, new_thread] = thread_slots.try_emplace(
        &m->thread_id.str(), static_cast<uint32_t>(thread_ids.size()));
    if (new_thread) {
      thread_ids.push_back(&m->thread_id.str());
      thread_sizes.push_back(0);
    }
    ++thread_sizes[thread->second];
    members.emplace_back(thread->second, &id);
    if (!m->is_public) {
      s->group_posts[m->visibility].push_back(m.get());
      continue;
    }
    ++s->public_posts;
    const auto [author, new_author] = author_slots.try_emplace(
        &m->author_id.str(), static_cast<uint32_t>(activity.size()));
    if (new_author) activity.emplace_back(&m->author_id.str(), Activity());
    Activity& a = activity[author->second].second;
    switch (m->kind) {
      case v1::POST_KIND_QUESTION:
        ++a.questions;
        break;
      case v1::POST_KIND_ANSWER:
        ++a.answers;
        a.answer_times.push_back(m->created);
        if (m->accepted) ++a.accepted_answers;
        break;
      case v1::POST_KIND_COMMENT:
        ++a.comments;
        break;
      case v1::POST_KIND_ARTICLE:
        ++a.articles;
        break;
      default:
        break;
    }
    // A handful of languages: a scan beats a hash.
    const std::string* code = &m->language.str();
    auto language =
        std::find_if(languages.begin(), languages.end(),
                     [code](const auto& l) { return l.first == code; });
    if (language == languages.end())
      language = languages.insert(languages.end(), {code, 0});
    ++language->second;
    if (a.first_post == 0 || m->created < a.first_post)
      a.first_post = m->created;
    a.last_post = std::max(a.last_post, m->created);
    s->newest_post = std::max(s->newest_post, m->created);
  }
  thread_slots = {};
  author_slots = {};
  std::vector<std::vector<std::string>> threads(thread_ids.size());
  places->starts.resize(thread_ids.size() + 1);
  uint32_t start = 0;
  for (size_t t = 0; t < threads.size(); ++t) {
    threads[t].reserve(thread_sizes[t]);
    places->starts[t] = start;
    start += thread_sizes[t];
  }
  places->starts.back() = start;
  thread_sizes.assign(places->starts.begin(), places->starts.end() - 1);
  places->positions.resize(members.size());
  for (uint32_t place = 0; place < members.size(); ++place) {
    const auto& [thread, id] = members[place];
    threads[thread].push_back(*id);
    places->positions[thread_sizes[thread]++] = place;
  }
  members = {};
  for (size_t t = 0; t < threads.size(); ++t)
    s->threads.emplace(*thread_ids[t], std::move(threads[t]));
  places->ids = std::move(thread_ids);
  for (auto& [author, a] : activity) s->activity.emplace(*author, std::move(a));
  for (const auto& [language, posts] : languages)
    s->language_posts[*language] += posts;
  s->query_languages = QueryLanguagesFor(s->language_posts);
}

}  // namespace

namespace {

// A snapshot of `people`, its posts not in yet. People who opted out are
// out of every computation: their posts are not in the snapshot (they vote
// for nobody, credit no answerer, count in no activity or tag profile,
// train no model) and they are not in the graph. `opted_out` gets them.
std::shared_ptr<Snapshot> SnapshotOfPeople(
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people,
    std::unordered_set<std::string>& opted_out) {
  auto s = std::make_shared<Snapshot>();
  s->people.reserve(people.size());
  for (auto& [id, p] : people) s->people.emplace(id, std::move(p));
  people.clear();
  for (const auto& [id, p] : s->people)
    if (p->opted_out()) opted_out.insert(id);
  s->opted_out.assign(opted_out.begin(), opted_out.end());
  std::sort(s->opted_out.begin(), s->opted_out.end());
  return s;
}

// The rest of BuildSnapshot, its people and posts in `s`, the posts read
// in `order` (each of s->posts once).
std::shared_ptr<Snapshot> FinishSnapshot(
    std::shared_ptr<Snapshot> s,
    const std::unordered_set<std::string>& opted_out,
    DenseIndex::PostOrder order, const GraphOptions& graph_options,
    int64_t* graph_us, std::shared_ptr<const ColleagueGraph> built);

}  // namespace

std::shared_ptr<Snapshot> BuildSnapshot(
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people,
    std::unordered_map<std::string, std::shared_ptr<const PostMeta>> all_posts,
    const GraphOptions& graph_options, int64_t created_before,
    int64_t* graph_us, std::shared_ptr<const ColleagueGraph> built) {
  std::unordered_set<std::string> opted_out;
  std::shared_ptr<Snapshot> s = SnapshotOfPeople(std::move(people), opted_out);
  // Each entry moves over whole (its node, key and value), in the map's
  // order: taking the first entry each time is the iteration. The
  // insertions run on two threads (SharedMap::InsertAll).
  s->posts.reserve(all_posts.size());
  {
    std::vector<SharedMap<std::shared_ptr<const PostMeta>>::node_type> kept;
    kept.reserve(all_posts.size());
    while (!all_posts.empty()) {
      auto entry = all_posts.extract(all_posts.begin());
      const PostMeta& m = *entry.mapped();
      if (created_before > 0 && m.created >= created_before) continue;
      if (opted_out.contains(m.author_id)) continue;
      kept.push_back(std::move(entry));
    }
    s->posts.InsertAll(std::move(kept));
  }
  const auto order = DenseIndex::MapOrder(*s);
  return FinishSnapshot(std::move(s), opted_out, order, graph_options, graph_us,
                        std::move(built));
}

std::shared_ptr<Snapshot> BuildSnapshot(
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people,
    std::vector<std::shared_ptr<const PostMeta>> posts,
    const GraphOptions& graph_options, int64_t* graph_us,
    std::shared_ptr<const ColleagueGraph> built) {
  std::unordered_set<std::string> opted_out;
  std::shared_ptr<Snapshot> s = SnapshotOfPeople(std::move(people), opted_out);
  // On two threads, each reading the records in the list's order. An id
  // listed twice keeps its first record, as the map's overload would.
  const size_t added = s->posts.EmplaceAll(
      std::span<const std::shared_ptr<const PostMeta>>(posts),
      [](const auto& m) noexcept -> const std::string& { return m->id; });
  // Then the posts of whom opted out leave (the record the map took).
  std::vector<bool> left_out;
  if (!opted_out.empty()) {
    left_out.resize(posts.size());
    for (size_t i = 0; i < posts.size(); ++i) {
      const PostMeta& m = *posts[i];
      if (!opted_out.contains(m.author_id)) continue;
      left_out[i] = true;
      auto kept = s->posts.find(m.id);
      if (kept != s->posts.end() && kept->second == posts[i])
        s->posts.erase(m.id);
    }
  }
  // The counts and the numbering read the records in the list's order too,
  // not the map's: in the order they lie in memory, a pass over a million
  // misses the cache far less often. (An id listed twice: the map's
  // order.)
  std::vector<const std::shared_ptr<const PostMeta>*> order;
  if (added == posts.size()) {
    order.reserve(s->posts.size());
    for (size_t i = 0; i < posts.size(); ++i)
      if (left_out.empty() || !left_out[i]) order.push_back(&posts[i]);
  } else {
    order = DenseIndex::MapOrder(*s);
  }
  return FinishSnapshot(std::move(s), opted_out, order, graph_options, graph_us,
                        std::move(built));
}

namespace {

std::shared_ptr<Snapshot> FinishSnapshot(
    std::shared_ptr<Snapshot> s,
    const std::unordered_set<std::string>& opted_out,
    DenseIndex::PostOrder order, const GraphOptions& graph_options,
    int64_t* graph_us, std::shared_ptr<const ColleagueGraph> built) {
  std::unordered_map<std::string, std::string> managers;
  for (const auto& [id, p] : s->people) {
    if (!p->manager_id().empty()) managers[id] = p->manager_id();
  }
  // The colleague graph reads only the posts, managers and opt-outs, and
  // the numbering's larger part (DenseIndex::NumberPosts) only the posts
  // and people, so either runs on a second thread while this one counts
  // threads and activity: the graph when it must be built (the longest
  // stage), else the numbering (at start-up with graph.bin). Both only
  // read s->posts meanwhile.
  std::optional<ColleagueGraph> graph;
  auto build_graph = [&] {
    const absl::Time started = absl::Now();
    graph.emplace(ColleagueGraph::BuildFromSnapshot(s->posts, managers,
                                                    graph_options, opted_out));
    if (graph_us) *graph_us = absl::ToInt64Microseconds(absl::Now() - started);
  };
  std::unique_ptr<DenseIndex> numbered;
  auto number_posts = [&] { numbered = DenseIndex::NumberPosts(*s, order); };
  if (built && graph_us) *graph_us = 0;
  auto beside = [&] {
    if (built) {
      number_posts();
    } else {
      build_graph();
    }
  };
  DenseIndex::ThreadPlaces places;
  std::jthread second;  // joined however this ends (an exception included)
  try {
    second = std::jthread(beside);
  } catch (const std::system_error&) {
    beside();  // no thread to be had: one after the other
  }
  SnapshotCounts(s.get(), order, &places);
  if (!built) number_posts();
  if (second.joinable()) second.join();
  s->dense = DenseIndex::Finish(std::move(numbered), *s, &places);
  s->graph = built ? std::move(built)
                   : std::make_shared<ColleagueGraph>(std::move(*graph));
  return s;
}

}  // namespace

std::shared_ptr<Snapshot> BuildSnapshot(
    const SharedMap<std::shared_ptr<const v1::Person>>& people,
    const SharedMap<std::shared_ptr<const PostMeta>>& posts,
    const GraphOptions& graph_options, int64_t created_before,
    int64_t* graph_us) {
  return BuildSnapshot({people.begin(), people.end()},
                       {posts.begin(), posts.end()}, graph_options,
                       created_before, graph_us);
}

// Lock order (a thread holding one may only take those after it):
//
//   stop_mu -> follow_mu -> publish_mu -> write_mu -> handoff_mu
//                                      -> handoff_mu
//                                      -> graph_mu -> snap_mu
//                                      -> snap_mu
//   pool_mu: a leaf (taken alone, or by Compact under write_mu).
//
// The graph saver takes write_mu and releases it, then graph_mu, then
// snap_mu under it; it never holds stop_mu while it saves.
//
// A follower's tick (FollowOnce) holds follow_mu throughout: it takes
// write_mu briefly, then publishes.
//
// The refresher holds stop_mu while it publishes, so the destructor's
// stopping waits for a publish in flight. Publish holds publish_mu
// throughout and takes handoff_mu (to take the committed change) or, for
// a build from scratch, write_mu (to copy the writer's state), and then
// snap_mu (to install the snapshot), one after the other, never two.
// Writers hold write_mu for a whole batch and take handoff_mu at its end
// (HandOverLocked); readers take snap_mu or pool_mu only briefly.
struct Catalog::Impl {
  // posts_path holds public posts, private_path the others (DataDir).
  std::string posts_path, private_path, people_path, graph_path;
  // Public posts on remote shards (CatalogOptions::post_shards); empty:
  // posts_path.
  std::vector<ShardServers> shards;
  // Whether private_posts/ exists: always with the writer; a read-only
  // catalog of a folder written before it existed has none.
  bool has_private = true;
  // The writer's hold on the data folder; null when read-only.
  std::unique_ptr<DataDirLock> lock;

  // Writer side.
  mutable absl::Mutex write_mu;
  std::optional<Xapian::WritableDatabase> posts_db ABSL_GUARDED_BY(write_mu);
  std::optional<Xapian::WritableDatabase> private_db ABSL_GUARDED_BY(write_mu);
  std::optional<Xapian::WritableDatabase> people_db ABSL_GUARDED_BY(write_mu);
  std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people
      ABSL_GUARDED_BY(write_mu);
  std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts
      ABSL_GUARDED_BY(write_mu);
  // Every id that a stored post names as its parent or thread (never
  // shrunk: a stale id only costs a scan). A private post of a batch whose
  // id is not here has no stored descendants, so InheritPrivacyLocked need
  // not look through every post for them: without it, each batch with a
  // private post cost a pass over the whole catalog. Held as 64-bit
  // hashes (IdHash), not strings: a node and a key copy an id made it a
  // quarter of the records' start-up, and no id need stay in memory for
  // it; a collision, like a stale id, only costs a scan (and a publish from
  // scratch instead of an incremental one).
  absl::flat_hash_set<uint64_t> referenced ABSL_GUARDED_BY(write_mu);
  static uint64_t IdHash(std::string_view id) {
    return absl::Hash<std::string_view>()(id);
  }
  // What the write under way changed, for an incremental publish
  // (index/snapshot_delta.h); `full_change` when the next publish must
  // build from scratch instead: at Open, after a reload, an erasure or an
  // opt-out. Both are handed over to `committed` when the writer lets go
  // (HandOverLocked).
  SnapshotChange change ABSL_GUARDED_BY(write_mu);
  bool full_change ABSL_GUARDED_BY(write_mu) = true;
  // When the first change not handed over yet was made (unix ms; 0: none).
  int64_t unhanded_since_ms ABSL_GUARDED_BY(write_mu) = 0;

  // What the writer held when it last let go of write_mu: every change
  // since the last publish took it, and the figures a snapshot of that
  // state carries. An incremental publish takes it under handoff_mu
  // alone, so that it never waits for a write under way (an ingest group
  // holds write_mu for its Xapian commits, up to seconds at 1M posts on a
  // slow disk); a build from scratch takes write_mu for the maps.
  struct Committed {
    SnapshotChange change;
    bool full = true;      // a build from scratch is due (full_change)
    bool pending = false;  // records applied but not committed (bulk)
    bool writable = false;
    uint64_t changes = 0;             // Impl::changes
    uint64_t erasures_committed = 0;  // Impl::erasures_committed
    std::string stamp;                // Snapshot::stamp; empty: unknown
    size_t posts = 0;                 // posts.size()
  };
  absl::Mutex handoff_mu;  // after write_mu and publish_mu; a leaf
  Committed committed ABSL_GUARDED_BY(handoff_mu);
  // A publish found the writer busy: the writer commits the change log's
  // pending entry when it lets go (HandOverLocked), as the publish would
  // have (FlushChangeLogLocked).
  std::atomic<bool> log_flush_due{false};
  // <data>/BATCH (DataDir::batch_journal).
  std::string journal_path;
  // <data>/derived.bin (index/derived_state.h): the records below,
  // persisted. `derived_saved`: the file holds exactly what memory holds
  // (loaded from it, or written by this catalog), so closing need not
  // write it. `derived_on_disk`: a file may be there, to be removed at the
  // next write, so that no file outlives a write (an erasure's above all).
  std::string derived_path;
  bool derived_saved ABSL_GUARDED_BY(write_mu) = false;
  bool derived_on_disk ABSL_GUARDED_BY(write_mu) = false;
  // Whether the last LoadRecordsLocked read everything (a failed Open or
  // reload leaves a part, which must never be saved as the whole).
  bool records_loaded ABSL_GUARDED_BY(write_mu) = false;
  // Whether the last LoadRecordsLocked read them from derived.bin, and
  // the stamps the file was checked against.
  bool records_from_file ABSL_GUARDED_BY(write_mu) = false;
  DatabaseStamps records_stamps ABSL_GUARDED_BY(write_mu);
  // <data>/graph.bin (index/derived_state.h): the published snapshot's
  // colleague graph, persisted beside derived.bin. `graph_state_saved`:
  // the file holds the graph of what memory holds; `graph_state_on_disk`:
  // a file may be there (removed with derived.bin at the next write).
  std::string graph_state_path;
  bool graph_state_saved ABSL_GUARDED_BY(write_mu) = false;
  bool graph_state_on_disk ABSL_GUARDED_BY(write_mu) = false;
  // The graph Open read from graph.bin, for its first publish; dropped by a
  // write before it. `loaded_graph_tsv_in_step`: the file said graph.tsv
  // holds it (kGraphTsvInStep) and graph.tsv is still as it was then (its
  // size and time), so that the first publish counts it saved instead of
  // leaving the saver to write it again. `graph_state_tsv`: what the file
  // on disk says of graph.tsv.
  std::shared_ptr<const ColleagueGraph> loaded_graph ABSL_GUARDED_BY(write_mu);
  bool loaded_graph_tsv_in_step ABSL_GUARDED_BY(write_mu) = false;
  std::optional<FileVersion> graph_state_tsv ABSL_GUARDED_BY(write_mu);
  // The posts Open read from derived.bin, listed in the file's order
  // (DerivedRecords::posts_in_order), for its first publish instead of a
  // copy of `posts`; dropped by a write before it, and by any publish.
  std::optional<std::vector<std::shared_ptr<const PostMeta>>> loaded_posts
      ABSL_GUARDED_BY(write_mu);
  // <data>/docids.bin (index/derived_state.h): the public database's docid
  // table as a numbering from scratch of the records gives it, persisted
  // beside derived.bin; its flags as graph.bin's. `loaded_docids`: the
  // table Open read, for its first publish; dropped by a write before it.
  std::string docid_state_path;
  bool docid_state_saved ABSL_GUARDED_BY(write_mu) = false;
  bool docid_state_on_disk ABSL_GUARDED_BY(write_mu) = false;
  std::shared_ptr<const DocidState> loaded_docids ABSL_GUARDED_BY(write_mu);
  // Counts the changes to the records (MarkDirtyLocked, LoadRecordsLocked),
  // and that count as the newest installed snapshot holds them: equal, the
  // published graph is the graph of what memory holds (SaveGraphState).
  uint64_t changes ABSL_GUARDED_BY(write_mu) = 0;
  std::atomic<uint64_t> published_changes{~uint64_t{0}};
  // Catalog::Open's stages (Catalog::stats); written before Open returns.
  OpenTimings open_timings;
  // A journaled write this catalog left unfinished (a failure mid-way, or
  // the after_commit test seam): the next write finishes it first.
  bool journal_pending ABSL_GUARDED_BY(write_mu) = false;
  // ReloadLocked could not reopen the databases or read the records again
  // (a shard server down): memory may not be what is committed, so the
  // next write reloads first.
  bool reload_pending ABSL_GUARDED_BY(write_mu) = false;
  std::string reload_error ABSL_GUARDED_BY(write_mu);  // why, when pending
  // Bulk loading (CatalogOptions::bulk_commit_records; 0: off): the records
  // applied but not committed yet, and the databases holding them (each in
  // an unflushed Xapian transaction, so that Xapian's own flush threshold
  // does not commit them piecemeal).
  int bulk_commit_records = 0;
  int64_t uncommitted ABSL_GUARDED_BY(write_mu) = 0;
  std::array<bool, kStoreCount> in_bulk ABSL_GUARDED_BY(write_mu) = {};
  // Written under write_mu; read without it by the refresher, which at worst
  // publishes once more or one tick later.
  std::atomic<bool> dirty{true};

  // Operators' figures (Catalog::stats): written where they change, read
  // without a lock. Times are unix ms.
  std::array<std::atomic<uint64_t>, kStoreCount> revisions{};
  std::atomic<int64_t> last_write_ms{0};
  std::atomic<int64_t> oldest_unpublished_ms{0};
  std::atomic<int64_t> last_publish_ms{0};
  std::atomic<int64_t> last_publish_duration_ms{0};
  std::atomic<int> writes_waiting{0};
  std::atomic<int64_t> pending_records{0};  // mirrors `uncommitted`
  // CatalogOptions::on_background_error.
  std::function<void(const char*, const absl::Status&)> on_background_error;

  // Holds write_mu for a write, counting the writes waiting for it, and
  // hands the write's changes over when it lets go. Every scope that
  // changes the records holds write_mu through one.
  class ABSL_SCOPED_LOCKABLE WriteLock {
   public:
    explicit WriteLock(Impl& d) ABSL_EXCLUSIVE_LOCK_FUNCTION(d.write_mu)
        : d_(d), mu_(d.write_mu) {
      d.writes_waiting.fetch_add(1);
      mu_.Lock();
      d.writes_waiting.fetch_sub(1);
    }
    // Hands what the write changed over to publishes (HandOverLocked).
    ~WriteLock() ABSL_UNLOCK_FUNCTION() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      d_.HandOverLocked();
      mu_.Unlock();
    }
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

   private:
    Impl& d_;
    absl::Mutex& mu_;
  };

  // Marks the writer's state as changed since the last publish.
  void MarkDirtyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    ForgetDerivedLocked();
    ++changes;
    loaded_graph.reset();
    loaded_graph_tsv_in_step = false;
    loaded_docids.reset();
    loaded_posts.reset();
    const int64_t now = absl::ToUnixMillis(absl::Now());
    last_write_ms = now;
    if (unhanded_since_ms == 0) unhanded_since_ms = now;
  }

  // Hands the writer's state over to `committed` for publishes: the
  // change is moved (merged into one no publish has taken yet), the rest
  // copied. Called when the writer lets go (WriteLock), so that what a
  // publish takes is always what a whole write left. First commits the
  // change log's entry a publish left to the writer (log_flush_due),
  // since that moves people/'s revision, which the stamp names.
  void HandOverLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu)
      ABSL_LOCKS_EXCLUDED(handoff_mu) {
    if (log_flush_due.exchange(false)) FlushChangeLogLocked();
    const bool writable = posts_db.has_value() && private_db.has_value();
    const bool pending = uncommitted > 0;
    std::string stamp;
    if (writable && !pending && shards.empty() && !journal_pending &&
        !reload_pending) {
      try {
        for (const DatabaseStamp& db : StampsLocked())
          absl::StrAppend(&stamp, db.uuid, ":", db.revision, "/");
      } catch (const Xapian::Error&) {
        stamp.clear();  // unknown: what is derived from it is rebuilt
      }
    }
    absl::MutexLock lock(&handoff_mu);
    Committed& c = committed;
    // Something a publish has not shown yet: the records, or only what
    // the snapshot says of them (its stamp, after a commit that changed
    // no record: a bulk load's, the change log's).
    const bool news = changes != c.changes || full_change || !change.empty() ||
                      stamp != c.stamp || pending != c.pending;
    c.full = c.full || full_change;
    if (c.full) {
      c.change.clear();  // the build from scratch reads the maps
    } else if (c.change.empty()) {
      c.change = std::move(change);
    } else {
      for (auto& [id, meta] : change.posts)
        c.change.posts[id] = std::move(meta);
      for (auto& [id, person] : change.people)
        c.change.people[id] = std::move(person);
      c.change.referenced.merge(change.referenced);
    }
    change = SnapshotChange();
    full_change = false;
    c.pending = pending;
    c.writable = writable;
    c.changes = changes;
    c.erasures_committed = erasures_committed;
    c.stamp = std::move(stamp);
    c.posts = posts.size();
    if (unhanded_since_ms != 0) {
      int64_t none = 0;
      oldest_unpublished_ms.compare_exchange_strong(none, unhanded_since_ms);
      unhanded_since_ms = 0;
    }
    if (news) dirty = true;
  }

  // Notes the revision `store` is at after a commit (or at Open).
  void NoteRevisionLocked(Store store) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (store == Store::kPosts && !shards.empty()) return;  // no revision
    revisions[static_cast<int>(store)] = DbLocked(store).get_revision();
  }

  // Public posts as readers see them: posts/, or the shards. May throw
  // Xapian::Error.
  Xapian::Database OpenPublic() const {
    return shards.empty() ? Xapian::Database(posts_path)
                          : OpenShardsForReading(shards);
  }
  // The writer of public posts. May throw Xapian::Error.
  Xapian::WritableDatabase OpenPublicWriter(
      int action, std::vector<Xapian::WritableDatabase>* each) const {
    return shards.empty() ? Xapian::WritableDatabase(posts_path, action)
                          : OpenShardsForWriting(shards, each);
  }
  // Changes the shards' stamp (kShardStampKey) in what the next commit of
  // posts writes. May throw Xapian::Error.
  void StampShardsLocked(Store store) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (store != Store::kPosts || shards.empty()) return;
    ++stamp;
    // Each shard: Xapian sets the metadata of a WritableDatabase of
    // several shards on the first only, and followers compare every
    // shard's replica with the stamp (ReplicasState).
    const std::string value =
        absl::StrCat(absl::ToUnixNanos(absl::Now()), "-", stamp);
    for (Xapian::WritableDatabase& shard : shard_writers)
      shard.set_metadata(kShardStampKey, value);
  }
  uint64_t stamp ABSL_GUARDED_BY(write_mu) = 0;
  // Each shard's own handle on posts_db's connections (OpenShardsForWriting).
  std::vector<Xapian::WritableDatabase> shard_writers ABSL_GUARDED_BY(write_mu);

  // The change log for followers (CatalogOptions::change_log_entries;
  // index/change_log.h): the entries the writer keeps, 0 when it keeps
  // none (and always on a read-only catalog), and where it stands.
  int change_log_keep = 0;
  ChangeLogPosition log_pos ABSL_GUARDED_BY(write_mu);
  // What the commits since the last entry changed, each id as it ends (a
  // fingerprint, none when deleted; a person written or deleted): one
  // entry a publish tick (FlushChangeLogLocked) or with the next commit of
  // people/, not one a write, which made every write commit people/ too
  // and be journaled. `full`: the next entry says only that (a bulk load,
  // a repair, a reload, commits no entry covers); `reset`: an erasure,
  // after which no entry written before may stay (ResetChangeLog).
  struct PendingLog {
    bool full = false;
    bool reset = false;
    std::string why;  // with `full`: each reason once, in order
    std::unordered_map<std::string, std::optional<uint64_t>> posts;
    std::unordered_map<std::string, bool> people;

    bool empty() const { return !full && posts.empty() && people.empty(); }
    // Makes the next entry say `full`, adding `reason` to why.
    void Full(absl::string_view reason) {
      full = true;
      if (reason.empty() || absl::StrContains(why, reason)) return;
      why = why.empty() ? std::string(reason) : absl::StrCat(why, "; ", reason);
    }
    ChangeLogEntry Entry() const {
      if (full) return ChangeLogEntry::Full(why);
      ChangeLogEntry e;
      for (const auto& [id, fingerprint] : posts) {
        if (fingerprint)
          e.posts.emplace_back(id, *fingerprint);
        else
          e.deleted_posts.push_back(id);
      }
      for (const auto& [id, written] : people)
        (written ? e.people : e.deleted_people).push_back(id);
      return e;
    }
  };
  PendingLog log_pending ABSL_GUARDED_BY(write_mu);

  // The entry that lists what `w` changes: each post id once, as it ends
  // (a post moving between databases is written, not deleted).
  static ChangeLogEntry LogEntryOf(const BatchWrites& w) {
    ChangeLogEntry e;
    std::unordered_set<std::string> written;
    for (Store s : {Store::kPosts, Store::kPrivatePosts}) {
      for (const auto& p : w[s].posts) {
        if (!written.insert(p.id()).second) continue;
        e.posts.emplace_back(p.id(), RecordFingerprint(p.SerializeAsString()));
      }
    }
    for (Store s : {Store::kPosts, Store::kPrivatePosts}) {
      for (const auto& id : w[s].deleted)
        if (written.insert(id).second) e.deleted_posts.push_back(id);
    }
    for (const auto& p : w[Store::kPeople].people) e.people.push_back(p.id());
    e.deleted_people = w[Store::kPeople].deleted;
    return e;
  }

  // Adds what `entry` lists to the log's next entry (nothing without a
  // log). An erasure (a person deleted) resets the log instead: the next
  // entry starts a new one, saying only `full`.
  void NoteChangeLocked(const ChangeLogEntry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (change_log_keep == 0) return;
    PendingLog& p = log_pending;
    if (!entry.deleted_people.empty()) {
      p = PendingLog();
      p.reset = true;
      p.Full("an erasure reset the log");
    }
    if (entry.full || p.reset) {
      p.Full(entry.why);
      p.posts.clear();
      p.people.clear();
    }
    if (p.full) return;
    for (const auto& id : entry.deleted_posts) p.posts[id] = std::nullopt;
    for (const auto& [id, fingerprint] : entry.posts) p.posts[id] = fingerprint;
    for (const auto& id : entry.people) p.people[id] = true;
  }

  // What the change log's newest entry covers: the revisions (or, on
  // shards, the stamp) of the posts' databases as it was written. At Open,
  // anything else means commits that a crash kept from being logged.
  // May throw Xapian::Error.
  std::string LoggedStateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    return absl::StrCat(shards.empty() ? absl::StrCat(posts_db->get_revision())
                                       : posts_db->get_metadata(kShardStampKey),
                        "/", private_db->get_revision());
  }

  // Writes the pending entry into people/'s next commit (nothing when none
  // is pending or there is no log). May throw Xapian::Error.
  void WritePendingLogLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (change_log_keep == 0 || log_pending.empty()) return;
    if (log_pending.reset) ResetChangeLog(*people_db, log_pos);
    AppendChangeLog(*people_db, log_pos, log_pending.Entry(), change_log_keep);
    SetChangeLogCovers(*people_db, LoggedStateLocked());
    log_pending = PendingLog();
  }

  // Notes `entry` and writes the pending entry into people/'s next commit.
  // May throw Xapian::Error.
  void LogChangeLocked(const ChangeLogEntry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    NoteChangeLocked(entry);
    WritePendingLogLocked();
  }

  // The publish tick's part of the log: commits the pending entry. A
  // failure is reported, and everything is read again as after a failed
  // write (ReloadLocked, which leaves a `full` entry pending).
  void FlushChangeLogLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (change_log_keep == 0 || log_pending.empty() || !people_db) return;
    try {
      WritePendingLogLocked();
      people_db->commit();
      NoteRevisionLocked(Store::kPeople);
    } catch (const Xapian::Error& e) {
      const absl::Status status = XapianError("writing the change log", e);
      std::fprintf(stderr, "whoknows: %s\n", status.ToString().c_str());
      ReportBackgroundError("change log", status);
      ReloadLocked();
    }
  }

  // Passes a background failure to CatalogOptions::on_background_error.
  void ReportBackgroundError(const char* source,
                             const absl::Status& error) const {
    if (on_background_error && !error.ok()) on_background_error(source, error);
  }

  // Published state.
  mutable absl::Mutex snap_mu;
  std::shared_ptr<const Snapshot> snap ABSL_GUARDED_BY(snap_mu);
  // The last publish's failure to save the colleague graph, OK once a save
  // succeeds (Catalog::background_error).
  absl::Status bg_error ABSL_GUARDED_BY(snap_mu);
  PublishTimings last_publish ABSL_GUARDED_BY(snap_mu);
  std::atomic<uint64_t> generation{0};

  // Pool of Xapian readers; each remembers the generation it was opened at.
  // `pub` reads public posts only, so that its statistics (BM25, snippets)
  // owe nothing to private ones; `all` reads both databases (tools; never a
  // member's search, which reads `pub` and group_dbs).
  struct Reader {
    Xapian::Database pub;
    Xapian::Database all;
    uint64_t generation = 0;
    uint64_t files = 0;  // the `files` it was opened at
    const Xapian::Database& db(bool include_private) const {
      return include_private ? all : pub;
    }
    void reopen() {
      pub.reopen();
      all.reopen();
    }
  };
  // Bumped when Compact swaps new database folders in: readers opened on
  // the old ones are dropped rather than reopened.
  std::atomic<uint64_t> files{0};
  // The private groups' posts, one in-memory database a group, for members'
  // searches (index/group_databases.h). Updated by each publish and each
  // write of private posts.
  mutable std::unique_ptr<GroupDatabases> group_dbs;
  mutable absl::Mutex pool_mu;
  mutable std::vector<std::unique_ptr<Reader>> pool ABSL_GUARDED_BY(pool_mu);

  // Refresher thread: started by Open, stopped and joined by ~Catalog.
  absl::Mutex stop_mu;
  bool stopping ABSL_GUARDED_BY(stop_mu) = false;
  std::thread refresher;

  GraphOptions graph_options;
  int read_attempts = 0;  // CatalogOptions::read_attempts
  std::function<void(PublishStage)> publish_hook;   // CatalogOptions
  std::function<void()> follow_hook;                // CatalogOptions
  std::function<void()> follow_read_hook;           // CatalogOptions
  std::function<absl::Status(Store)> after_commit;  // CatalogOptions
  std::string default_language;
  std::shared_ptr<const Dictionary> dictionary;

  // The test seam after a commit of `store` (CatalogOptions::after_commit).
  absl::Status AfterCommit(Store store) const {
    return after_commit ? after_commit(store) : absl::OkStatus();
  }

  // Whether Open opened the writer (false for a read-only catalog).
  bool HasWriter() const ABSL_LOCKS_EXCLUDED(write_mu) {
    absl::MutexLock lock(&write_mu);
    return posts_db.has_value() && private_db.has_value() &&
           people_db.has_value();
  }

  // A reader at the revision of the newest publish at least; with `newest`,
  // at the newest committed revision.
  std::unique_ptr<Reader> AcquireReader(bool newest = false) const
      ABSL_LOCKS_EXCLUDED(pool_mu) {
    std::unique_ptr<Reader> r;
    {
      absl::MutexLock lock(&pool_mu);
      if (!pool.empty()) {
        r = std::move(pool.back());
        pool.pop_back();
      }
    }
    const uint64_t gen = generation.load();
    if (r && r->files != files.load()) r.reset();
    if (!r) {
      r = std::make_unique<Reader>();
      r->files = files.load();
      r->pub = OpenPublic();
      // Shards share their connections between the two (a Database copy
      // shares its shards; add_database adds to the copy only).
      r->all = shards.empty() ? Xapian::Database(posts_path) : r->pub;
      if (has_private) r->all.add_database(Xapian::Database(private_path));
      r->generation = gen;
    } else if (r->generation != gen || newest) {
      r->reopen();
      r->generation = gen;
    }
    return r;
  }
  void ReleaseReader(std::unique_ptr<Reader> r) const
      ABSL_LOCKS_EXCLUDED(pool_mu) {
    if (r->files != files.load()) return;  // on folders Compact replaced
    absl::MutexLock lock(&pool_mu);
    pool.push_back(std::move(r));
  }

  // Runs `read(reader)` on a pooled reader and returns what it returns. A
  // commit can invalidate the revision the reader is on
  // (DatabaseModifiedError): the reader is reopened and `read` starts over, at
  // most read_attempts times in all, then UNAVAILABLE with `gave_up`. A
  // pooled reader whose files are gone (DatabaseOpeningError at its
  // reopen: xapian-replicate switched a follower's replica to a new copy and
  // removed the old one before the follower's tick dropped the pool) is
  // dropped with the pool, and the read starts over on readers opened
  // afresh from the stub files. Other Xapian errors are INTERNAL, prefixed
  // with `what`.
  //
  // `progress`, for a long read that goes on from where it stopped (a scan
  // of every post, which under sustained ingest outlives several
  // revisions): what it counts has moved since the last try, so a
  // DatabaseModifiedError after it costs no attempt, kMaxReadsGoneOn times
  // at most; read_attempts tries in a row that move nothing give up.
  static constexpr int kMaxReadsGoneOn = 1000;
  template <typename Read>
  absl::Status ReadWithRetry(const char* what, const char* gave_up, Read&& read,
                             bool newest = false,
                             const uint64_t* progress = nullptr) const {
    uint64_t progress_before = progress ? *progress : 0;
    int went_on = 0;
    for (int attempt = 0; attempt < read_attempts; ++attempt) {
      std::unique_ptr<Reader> reader;
      try {
        reader = AcquireReader(newest);
        absl::Status status = read(static_cast<const Reader&>(*reader));
        ReleaseReader(std::move(reader));
        return status;
      } catch (const Xapian::DatabaseModifiedError&) {
        if (reader) {
          reader->reopen();
          ReleaseReader(std::move(reader));
        }
        if (progress && *progress != progress_before &&
            ++went_on <= kMaxReadsGoneOn) {
          progress_before = *progress;
          attempt = -1;  // went on: a fresh count of tries that do not
        }
      } catch (const Xapian::DatabaseOpeningError& e) {
        if (attempt + 1 == read_attempts) return XapianError(what, e);
        absl::MutexLock lock(&pool_mu);
        pool.clear();
      } catch (const Xapian::NetworkError& e) {
        // A shard server went down: every pooled reader may be on it, so
        // all are dropped; the next opens on the shards' next servers.
        if (shards.empty()) return XapianError(what, e);
        absl::MutexLock lock(&pool_mu);
        pool.clear();
      } catch (const Xapian::Error& e) {
        return XapianError(what, e);
      }
    }
    return absl::UnavailableError(gave_up);
  }

  // ReadWithRetry over what a read of this scope may see: with
  // `include_private`, every post (`all`); else with `groups`, posts/ and
  // those groups' databases (group_dbs); else posts/ alone.
  absl::Status ReadScoped(
      const char* what, const char* gave_up, bool include_private,
      const std::vector<std::string>& groups,
      const std::function<absl::Status(const Xapian::Database&)>& read,
      bool newest = false) const {
    return ReadWithRetry(
        what, gave_up,
        [&](const Reader& reader) {
          return ReadIn(reader, include_private, groups, read);
        },
        newest);
  }
  // What ReadScoped reads, with a reader in hand.
  absl::Status ReadIn(
      const Reader& reader, bool include_private,
      const std::vector<std::string>& groups,
      const std::function<absl::Status(const Xapian::Database&)>& read) const {
    if (include_private || groups.empty() || !has_private)
      return read(reader.db(include_private));
    return group_dbs->Read(reader.pub, private_path, groups, read);
  }

  // The languages queries are expanded with, from the published snapshot
  // (the default pair before the first publish).
  std::vector<std::string> QueryLanguages() const ABSL_LOCKS_EXCLUDED(snap_mu) {
    absl::MutexLock lock(&snap_mu);
    return snap ? snap->query_languages : index::QueryLanguages();
  }

  // One publish at a time, so that snapshots appear in the order their
  // state was copied. Guards no field: it orders whole publishes.
  absl::Mutex publish_mu;
  // Orders writes of graph.tsv: a publish that builds from scratch saves
  // its graph at once, the saver thread (StartGraphSaver) the published
  // one at most every graph_save_interval, off the publishing thread.
  absl::Mutex graph_mu;
  // The graph graph.tsv holds, its snapshot's generation (a save never
  // writes an older snapshot's graph over a newer one's), when it was
  // saved, and whether the last try failed (MaybeSaveGraph).
  // Weak: a graph no snapshot holds any more is not kept alive for this.
  std::weak_ptr<const ColleagueGraph> saved_graph ABSL_GUARDED_BY(graph_mu);
  uint64_t saved_generation ABSL_GUARDED_BY(graph_mu) = 0;
  absl::Time graph_saved_at ABSL_GUARDED_BY(graph_mu) = absl::InfinitePast();
  // The CPU time of the last save that succeeded (the saving thread's):
  // the next incremental save waits at least this / graph_save_cpu_share.
  absl::Duration graph_save_cpu ABSL_GUARDED_BY(graph_mu);
  // Written under graph_mu; read without it by Publish.
  std::atomic<bool> graph_save_failed{false};
  // Erasures begun (HoldDerivedFilesForErasure; written under graph_mu) and
  // committed (DeletePerson): while a snapshot's erasures_committed is
  // below erasures_begun, nothing derived from it is written to disk.
  std::atomic<uint64_t> erasures_begun{0};
  uint64_t erasures_committed ABSL_GUARDED_BY(write_mu) = 0;
  std::thread saver;                                 // StartGraphSaver
  std::chrono::milliseconds graph_save_interval{0};  // CatalogOptions
  double graph_save_cpu_share = 0;                   // CatalogOptions

  // The state a publish starts from: what the writer changed since the
  // last one or, for a build from scratch, copies of its maps.
  struct PublishInput {
    bool full = true;
    SnapshotChange change;
    std::unordered_map<std::string, std::shared_ptr<const v1::Person>> people;
    std::unordered_map<std::string, std::shared_ptr<const PostMeta>> posts;
    // Instead of `posts`, for Open's first publish: Impl::loaded_posts.
    std::optional<std::vector<std::shared_ptr<const PostMeta>>> listed_posts;
    bool writable = false;
    bool pending = false;
    uint64_t changes = 0;  // Impl::changes when taken
    // A full build's graph read from graph.bin (Open's first publish), and
    // whether graph.tsv holds it (loaded_graph_tsv_in_step).
    std::shared_ptr<const ColleagueGraph> graph;
    bool graph_tsv_in_step = false;
    // And its docid table read from docids.bin, with the public database's
    // UUID and the catalog's folders it holds for (PostDocids).
    std::shared_ptr<const DocidState> docids;
    std::string docids_uuid;
    uint64_t docids_files = 0;
    std::string stamp;                // Snapshot::stamp
    uint64_t erasures_committed = 0;  // Snapshot::erasures_committed
  };

  // A change to more than this share of the posts is published by a build
  // from scratch: past it, applying it costs about as much.
  static constexpr double kIncrementalMaxShare = 0.1;

  // Takes the committed change for an incremental publish, without the
  // writer: false when a build from scratch is due instead (Open's first
  // publish, after a reload, an erasure or an opt-out, or a change to more
  // than kIncrementalMaxShare of the posts).
  bool TakeCommittedLocked(PublishInput* in)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(handoff_mu) {
    Committed& c = committed;
    if (c.full || static_cast<double>(c.change.posts.size()) >
                      kIncrementalMaxShare * static_cast<double>(c.posts))
      return false;
    in->full = false;
    in->change = std::move(c.change);
    c.change = SnapshotChange();
    in->pending = c.pending;
    in->writable = c.writable;
    in->changes = c.changes;
    in->erasures_committed = c.erasures_committed;
    in->stamp = c.stamp;
    dirty = false;
    oldest_unpublished_ms = 0;
    return true;
  }

  // Copies the writer's maps for a build from scratch (its posts taken
  // from loaded_posts instead when Open left them) and starts a new
  // change.
  PublishInput TakeStateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu)
      ABSL_LOCKS_EXCLUDED(handoff_mu) {
    HandOverLocked();  // nothing left behind: the figures below are the maps'
    PublishInput in;
    in.full = true;
    in.people = people;
    if (loaded_posts) {
      in.listed_posts = std::move(loaded_posts);  // nothing to copy
    } else {
      in.posts = posts;
    }
    in.graph = std::move(loaded_graph);
    in.graph_tsv_in_step = in.graph != nullptr && loaded_graph_tsv_in_step;
    loaded_graph_tsv_in_step = false;
    if (loaded_docids) {
      in.docids = std::move(loaded_docids);
      in.docids_uuid = records_stamps[static_cast<int>(Store::kPosts)].uuid;
      in.docids_files = files.load();
    }
    loaded_posts.reset();  // a million records' pointers: not kept idle
    loaded_graph.reset();
    loaded_docids.reset();
    absl::MutexLock lock(&handoff_mu);
    Committed& c = committed;
    c.change.clear();
    c.full = false;
    in.pending = c.pending;
    in.writable = c.writable;
    in.changes = c.changes;
    in.erasures_committed = c.erasures_committed;
    in.stamp = c.stamp;
    dirty = false;
    oldest_unpublished_ms = 0;
    return in;
  }

  // Builds and publishes a snapshot of the writer's state: from the
  // previous snapshot and what changed since (index/snapshot_delta.h) when
  // it can, else from scratch. The change is what the writer handed over
  // when it last let go (HandOverLocked), taken without waiting for a
  // write under way; only a build from scratch holds the writer, to copy
  // the two maps of pointers to immutable records (or take loaded_posts).
  // The rest is built while writes go on. `opening`: Open's first publish,
  // which leaves graph.tsv to the saver thread (or the close): the file is for
  // other tools, answers never read it, and writing it is O(graph) that
  // start-up need not wait for.
  void Publish(bool opening = false)
      ABSL_LOCKS_EXCLUDED(publish_mu, write_mu, handoff_mu, snap_mu) {
    absl::MutexLock publishing(&publish_mu);
    const absl::Time started = absl::Now();
    absl::Time stage = started;
    PublishTimings t;
    // Microseconds since the previous stage ended.
    auto lap = [&stage] {
      const absl::Time now = absl::Now();
      const int64_t us = absl::ToInt64Microseconds(now - stage);
      stage = now;
      return us;
    };
    std::shared_ptr<const Snapshot> prev;
    {
      absl::MutexLock lock(&snap_mu);
      prev = snap;
    }
    PublishInput in;
    bool taken = false;
    if (prev) {
      // The change log's entry: committed now when the writer is idle,
      // else by the writer when it lets go (before the hand-over this
      // publish may take, or after it: the entry waits a tick at most).
      if (change_log_keep > 0) {
        log_flush_due = true;
        if (write_mu.TryLock()) {
          HandOverLocked();
          write_mu.Unlock();
        }
      }
      absl::MutexLock lock(&handoff_mu);
      taken = TakeCommittedLocked(&in);
    }
    if (!taken) {
      absl::MutexLock lock(&write_mu);
      t.writer_wait_us = lap();
      FlushChangeLogLocked();
      in = TakeStateLocked();
    }
    t.copy_us = t.writer_wait_us + lap();
    t.posts_listed = in.listed_posts.has_value();
    if (publish_hook) publish_hook(PublishStage::kStateCopied);
    stage = absl::Now();
    std::shared_ptr<Snapshot> s;
    bool tsv_in_step = false;  // s's graph is the one graph.tsv holds
    if (!in.full) s = PublishChange(*prev, in, &t);
    if (!s) {
      if (!in.full) {  // a change the incremental path does not follow
        absl::MutexLock lock(&write_mu);
        in = TakeStateLocked();
      }
      stage = absl::Now();
      if (in.listed_posts) {
        group_dbs->Update(*in.listed_posts, in.pending);
      } else {
        group_dbs->Update(in.posts, in.pending);
      }
      t.groups_us = lap();
      t.graph_from_file = in.graph != nullptr;
      tsv_in_step = in.graph_tsv_in_step;
      s = in.listed_posts
              ? BuildSnapshot(std::move(in.people), std::move(*in.listed_posts),
                              graph_options, &t.graph_us, std::move(in.graph))
              : BuildSnapshot(std::move(in.people), std::move(in.posts),
                              graph_options, 0, &t.graph_us,
                              std::move(in.graph));
      t.build_us = lap();
      s->docids = DocidsFromFile(in, *s);
      if (s->docids && !SampleHolds(*s->docids, *s->dense)) {
        std::fprintf(stderr,
                     "whoknows: not using %s: it numbers other posts than "
                     "the documents hold; reading the documents' ids\n",
                     docid_state_path.c_str());
        s->docids = nullptr;
      }
      t.docids_from_file = s->docids != nullptr;
      if (!s->docids) {
        s->docids = ReadDocids(*s->dense);
        if (in.docids) {
          // docids.bin is not this numbering's: the close writes it anew.
          absl::MutexLock lock(&write_mu);
          docid_state_saved = false;
        }
      }
      t.docids_us = lap();
    }
    // Numbered before it is saved, so that the saver never writes an
    // older graph over this one.
    s->generation = generation.fetch_add(1) + 1;
    s->stamp = std::move(in.stamp);
    s->erasures_committed = in.erasures_committed;
    stage = absl::Now();
    // A build from scratch cost O(posts) anyway: its graph is saved now,
    // as is any graph after a failed save (so that a failure shows until
    // a publish succeeds in saving); an incremental publish's graph, later
    // by the saver thread.
    std::optional<absl::Status> saved;
    if (in.writable && !opening && (!t.incremental || graph_save_failed)) {
      absl::MutexLock saving(&graph_mu);
      saved = MaybeSaveGraph(s->graph, s->generation, s->erasures_committed,
                             /*now=*/true);
    } else if (tsv_in_step) {
      // Open's graph from graph.bin, which graph.tsv holds already: not
      // written again (98 MB and seconds of CPU at 1M posts).
      absl::MutexLock saving(&graph_mu);
      if (saved_graph.expired() && saved_generation < s->generation) {
        saved_graph = s->graph;
        saved_generation = s->generation;
        graph_saved_at = absl::Now();
      }
    }
    t.save_us = saved ? lap() : 0;
    InstallLocked(std::move(s), saved, t, started);
    published_changes = in.changes;
  }

  // The incremental publish: null when the change is one it does not
  // follow (UpdateSnapshot's).
  std::shared_ptr<Snapshot> PublishChange(const Snapshot& prev,
                                          const PublishInput& in,
                                          PublishTimings* t) const {
    absl::Time stage = absl::Now();
    auto lap = [&stage] {
      const absl::Time now = absl::Now();
      const int64_t us = absl::ToInt64Microseconds(now - stage);
      stage = now;
      return us;
    };
    SnapshotUpdateStats stats;
    auto s = UpdateSnapshot(prev, in.change, graph_options, &stats);
    if (!s) return nullptr;
    t->incremental = true;
    t->posts_changed = static_cast<int64_t>(in.change.posts.size());
    t->graph_us = stats.graph_us;
    t->graph_extended = stats.graph_extended;
    t->build_us = lap();
    group_dbs->UpdateChanged(in.change.posts, in.pending);
    t->groups_us = lap();
    s->docids =
        prev.docids && prev.dense
            ? UpdateDocids(*prev.docids, *prev.dense, *s->dense, in.change)
            : ReadDocids(*s->dense);
    t->docids_us = lap();
    return s;
  }

  // Saves s's colleague graph to graph.tsv when it differs from the one
  // saved, no erasure holds it back (its snapshot's `erasures` committed
  // below erasures_begun), and either `now` (a build from scratch, which
  // cost O(posts) anyway: at Open, after an erasure or an opt-out, for a
  // large change), the last save failed, or graph_save_interval has passed
  // since it and the last save's CPU time over graph_save_cpu_share. Its
  // outcome, or none when not saved.
  std::optional<absl::Status> MaybeSaveGraph(
      const std::shared_ptr<const ColleagueGraph>& graph, uint64_t generation,
      uint64_t erasures, bool now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(graph_mu) {
    if (graph == saved_graph.lock() || generation < saved_generation ||
        erasures < erasures_begun.load())
      return std::nullopt;
    const absl::Time started = absl::Now();
    if (!now && !graph_save_failed &&
        started - graph_saved_at < GraphSaveWaitLocked())
      return std::nullopt;
    // The graph is derived from the posts; its file is for other tools and
    // for inspection, so a failure to write it is not fatal to ingest: it
    // is kept as the background error instead.
    const absl::Duration cpu_before = ThreadCpuTime();
    absl::Status saved = graph->Save(graph_path);
    graph_save_failed = !saved.ok();
    if (!saved.ok()) {
      return absl::Status(
          saved.code(),
          absl::StrCat("saving the colleague graph: ", saved.message()));
    }
    saved_graph = graph;
    saved_generation = generation;
    graph_saved_at = started;
    graph_save_cpu = ThreadCpuTime() - cpu_before;
    return saved;
  }

  // How long after a save the saver leaves graph.tsv lagging the published
  // graph: graph_save_interval, or longer when the last save's CPU time
  // would otherwise take more than graph_save_cpu_share of a core.
  absl::Duration GraphSaveWaitLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(graph_mu) {
    absl::Duration wait = absl::FromChrono(graph_save_interval);
    if (graph_save_cpu_share > 0)
      wait = std::max(wait, graph_save_cpu / graph_save_cpu_share);
    return wait;
  }

  // Installs `s` as the published snapshot and notes the publish's figures
  // and the outcome of saving the graph, when it was saved.
  void InstallLocked(std::shared_ptr<Snapshot> s,
                     const std::optional<absl::Status>& saved,
                     const PublishTimings& t, absl::Time started)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(publish_mu) ABSL_LOCKS_EXCLUDED(snap_mu) {
    bool new_error = false;
    // The snapshot replaced is destroyed after snap_mu is released: when
    // this was its last reference, freeing every post's record and the
    // graph takes a while, and readers must not wait for it.
    std::shared_ptr<const Snapshot> replaced;
    {
      absl::MutexLock lock(&snap_mu);
      replaced = std::move(snap);
      snap = std::move(s);
      last_publish = t;
      if (saved) {
        new_error = !saved->ok() && *saved != bg_error;
        bg_error = *saved;
      }
    }
    replaced.reset();
    const absl::Time ended = absl::Now();
    last_publish_ms = absl::ToUnixMillis(ended);
    last_publish_duration_ms = absl::ToInt64Milliseconds(ended - started);
    if (new_error) {
      std::fprintf(stderr, "whoknows: background error: %s\n",
                   saved->ToString().c_str());
      ReportBackgroundError("publish", *saved);
    }
  }

  // The public database's docid table for `dense` (PostDocids), read at
  // the newest revision; null when it cannot be read (searches then read
  // their hits' ids).
  std::shared_ptr<const PostDocids> ReadDocids(const DenseIndex& dense) const
      ABSL_LOCKS_EXCLUDED(pool_mu) {
    auto table = std::make_shared<PostDocids>();
    const absl::Status read = ReadWithRetry(
        "numbering documents", "numbering documents: index kept changing",
        [&](const Reader& reader) {
          const Xapian::Database& db = reader.pub;
          table->uuid = db.get_uuid();
          table->files = reader.files;
          table->number.assign(db.get_lastdocid() + 1, DenseIndex::kNone);
          for (auto v = db.valuestream_begin(kIdSlot);
               v != db.valuestream_end(kIdSlot); ++v) {
            if (v.get_docid() < table->number.size())
              table->number.Mutable(v.get_docid()) = dense.PostNumber(*v);
          }
          return absl::OkStatus();
        },
        /*newest=*/true);
    if (!read.ok()) return nullptr;
    return table;
  }

  // The docid table of `s`, a build from scratch, from docids.bin
  // (PublishInput::docids): null when there is none or `s` does not number
  // exactly the posts it was written for (their count; the stamps vouched
  // for the rest: the same records number the same way).
  static std::shared_ptr<const PostDocids> DocidsFromFile(
      const PublishInput& in, const Snapshot& s) {
    if (!in.docids || !s.dense || s.dense->num_posts() != in.docids->posts ||
        s.posts.size() != in.docids->posts)
      return nullptr;
    auto table = std::make_shared<PostDocids>();
    table->uuid = in.docids_uuid;
    table->files = in.docids_files;
    const std::vector<uint32_t>& number = in.docids->number;
    table->number.assign(number.size(), DenseIndex::kNone);
    for (size_t d = 0; d < number.size(); ++d) {
      if (number[d] != DenseIndex::kNone) table->number.Mutable(d) = number[d];
    }
    return table;
  }

  // Whether `table` numbers the post each of about 64 evenly spaced
  // documents holds (or none where the document is gone or its post is
  // not numbered): a few milliseconds at 1M posts, against a table that
  // is not this numbering's for a reason the stamps do not see (a
  // numbering whose order is no longer the one the file was written in).
  bool SampleHolds(const PostDocids& table, const DenseIndex& dense) const
      ABSL_LOCKS_EXCLUDED(pool_mu) {
    bool holds = true;
    const absl::Status read = ReadWithRetry(
        "checking the docid table",
        "checking the docid table: index kept changing",
        [&](const Reader& reader) {
          const Xapian::Database& db = reader.pub;
          holds = db.get_uuid() == table.uuid &&
                  table.number.size() == db.get_lastdocid() + 1;
          const size_t n = table.number.size();
          const size_t step = std::max<size_t>(1, n / 64);
          for (size_t d = 1; holds && d < n; d += step) {
            std::string id;
            try {
              id = db.get_document(static_cast<Xapian::docid>(d))
                       .get_value(kIdSlot);
            } catch (const Xapian::DocNotFoundError&) {
            }
            const uint32_t number = table.number[d];
            holds =
                number == DenseIndex::kNone
                    ? id.empty() || dense.PostNumber(id) == DenseIndex::kNone
                    : number < dense.num_posts() && dense.post(number).id == id;
          }
          return absl::OkStatus();
        },
        /*newest=*/true);
    return read.ok() && holds;
  }

  // The docid table of `dense`, made from `prev`'s (numbering `was`): a
  // document keeps its post, so only documents added since are read, and
  // the changed posts' documents looked up by id; documents of posts
  // `dense` tombstoned number none. A table of other files (after a
  // compaction) is read afresh.
  std::shared_ptr<const PostDocids> UpdateDocids(
      const PostDocids& prev, const DenseIndex& was, const DenseIndex& dense,
      const SnapshotChange& change) const ABSL_LOCKS_EXCLUDED(pool_mu) {
    auto table = std::make_shared<PostDocids>();
    bool stale = false;
    const absl::Status read = ReadWithRetry(
        "numbering documents", "numbering documents: index kept changing",
        [&](const Reader& reader) {
          const Xapian::Database& db = reader.pub;
          stale = db.get_uuid() != prev.uuid || reader.files != prev.files;
          if (stale) return absl::OkStatus();
          table->uuid = prev.uuid;
          table->files = prev.files;
          // Shares prev's chunks (prev is published, never written again):
          // only the chunks written below are copied.
          table->number = prev.number;
          table->number.resize(db.get_lastdocid() + 1, DenseIndex::kNone);
          auto v = db.valuestream_begin(kIdSlot);
          if (v != db.valuestream_end(kIdSlot)) v.skip_to(prev.number.size());
          for (; v != db.valuestream_end(kIdSlot); ++v) {
            if (v.get_docid() < table->number.size())
              table->number.Mutable(v.get_docid()) = dense.PostNumber(*v);
          }
          for (const auto& [id, meta] : change.posts) {
            const std::string term = kIdPrefix + id;
            for (auto d = db.postlist_begin(term); d != db.postlist_end(term);
                 ++d) {
              if (*d < table->number.size() &&
                  table->number[*d] != dense.PostNumber(id))
                table->number.Mutable(*d) = dense.PostNumber(id);
            }
          }
          return absl::OkStatus();
        },
        /*newest=*/true);
    if (!read.ok()) return nullptr;
    if (stale) return ReadDocids(dense);
    // Numbers that no longer name their post: deleted documents' entries.
    // Their documents are gone from the index, so only a scan finds them;
    // publishes without a deletion or renumbering skip it.
    std::vector<uint32_t> gone;
    for (const auto& [id, meta] : change.posts) {
      const uint32_t n = was.PostNumber(id);
      if (n != DenseIndex::kNone && dense.PostNumber(id) != n)
        gone.push_back(n);
    }
    if (!gone.empty()) {
      std::vector<bool> tombstone(dense.num_posts(), false);
      for (const uint32_t n : gone) tombstone[n] = true;
      for (size_t d = 0; d < table->number.size(); ++d) {
        const uint32_t n = table->number[d];
        if (n != DenseIndex::kNone && tombstone[n])
          table->number.Mutable(d) = DenseIndex::kNone;
      }
    }
    return table;
  }

  Xapian::Document MakeDocument(const v1::Post& p) const {
    Xapian::Document doc;
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem(StemmerNameFor(p.language())));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    tg.set_document(doc);
    tg.index_text_without_positions(p.title(), kTitleWdfInc);
    tg.index_text_without_positions(p.body());
    for (const auto& tag : p.tags()) {
      tg.index_text_without_positions(tag);
      doc.add_boolean_term(kTagPrefix + tag);
    }
    doc.add_boolean_term(kIdPrefix + p.id());
    doc.add_boolean_term(kAuthorPrefix + p.author_id());
    doc.add_boolean_term(kThreadPrefix + p.thread_id());
    doc.add_boolean_term(kVisibilityPrefix + p.visibility());
    doc.add_boolean_term(kLanguagePrefix + p.language());
    for (const auto& id : p.liked_by()) doc.add_boolean_term(kLikePrefix + id);
    for (const auto& id : p.mentioned())
      doc.add_boolean_term(kMentionPrefix + id);
    doc.add_value(
        kCreatedSlot,
        Xapian::sortable_serialise(static_cast<double>(p.created().seconds())));
    doc.add_value(kIdSlot, p.id());
    doc.set_data(p.SerializeAsString());
    return doc;
  }

  // Creates the folder, takes its lock and opens the writers; read-only,
  // only checks that the databases exist. May throw Xapian::Error.
  absl::Status OpenStoresLocked(const DataDir& dir, bool read_only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::error_code ec;
    if (read_only) {
      const bool found = (!shards.empty() || fs::exists(posts_path, ec)) &&
                         fs::exists(people_path, ec);
      if (ec) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot read data folder ", dir.root(), ": ", ec.message()));
      }
      if (!found) {
        return absl::NotFoundError(absl::StrCat(
            "no whoknows data in ", dir.root(),
            " (expected posts/ and people/; run `whoknows import` first)"));
      }
      has_private = fs::exists(private_path, ec) && !ec;
      return absl::OkStatus();
    }
    fs::create_directories(dir.root(), ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create data folder ", dir.root(), ": ", ec.message()));
    }
    WK_ASSIGN_OR_RETURN(lock, DataDirLock::Acquire(dir));
    WK_RETURN_IF_ERROR(RecoverDataDir(dir).status());
    WK_RETURN_IF_ERROR(FinishCompaction(posts_path));
    WK_RETURN_IF_ERROR(FinishCompaction(private_path));
    WK_RETURN_IF_ERROR(FinishCompaction(people_path));
    posts_db.emplace(
        OpenPublicWriter(Xapian::DB_CREATE_OR_OPEN, &shard_writers));
    private_db.emplace(private_path, Xapian::DB_CREATE_OR_OPEN);
    people_db.emplace(people_path, Xapian::DB_CREATE_OR_OPEN);
    if (change_log_keep > 0) {
      log_pos = ReadChangeLogPosition(*people_db);
      PruneChangeLog(*people_db, log_pos, change_log_keep);  // keep may shrink
      // Commits after the newest entry (the writer stopped before its next
      // publish tick): which ones, no entry says, so followers read
      // everything.
      if (ReadChangeLogCovers(*people_db) != LoggedStateLocked())
        log_pending.Full(kUnloggedCommits);
    }
    // A write that a crash cut between two databases' commits is finished
    // before anything is read or served.
    return ReplayJournalLocked().status();
  }

  // Repairs what a crash during Compact's swap of `database` left: the old
  // folder back in place if the new one never arrived, and the leftovers
  // (the unfinished copy, the replaced folder) removed.
  static absl::Status FinishCompaction(const std::string& database) {
    const std::string copy = DataDir::CompactionCopy(database);
    const std::string old = DataDir::CompactionOld(database);
    std::error_code ec;
    if (!fs::exists(database, ec) && fs::exists(old, ec))
      fs::rename(old, database, ec);
    if (!ec) fs::remove_all(copy, ec);
    if (!ec) fs::remove_all(old, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("finishing the compaction of ",
                                                 database, ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  // Compacts the open writer `db` at `path` into a fresh folder and swaps
  // it in (see Catalog::Compact). May throw Xapian::Error.
  absl::Status CompactLocked(std::optional<Xapian::WritableDatabase>& db,
                             const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    const std::string copy = DataDir::CompactionCopy(path);
    const std::string old = DataDir::CompactionOld(path);
    WK_RETURN_IF_ERROR(FinishCompaction(path));
    db->commit();
    db->compact(copy);
    db->close();  // releases Xapian's lock on the folder
    db.reset();
    std::error_code ec;
    fs::rename(path, old, ec);
    if (!ec) fs::rename(copy, path, ec);
    absl::Status status;
    if (ec) {
      status = absl::UnavailableError(
          absl::StrCat("swapping in the compacted ", path, ": ", ec.message()));
    } else {
      status = SyncFolder(fs::path(path).parent_path().string());
    }
    // Reopen whatever is in place, so the catalog stays writable.
    absl::Status repaired = FinishCompaction(path);
    db.emplace(path, Xapian::DB_OPEN);
    return status.ok() ? repaired : status;
  }

  // The databases' stamps: the writers' committed revisions, or, without
  // the writer, those of readers opened now. May throw Xapian::Error.
  DatabaseStamps StampsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    DatabaseStamps stamps;
    auto stamp = [&](const Xapian::Database& db, Store store) {
      stamps[static_cast<int>(store)] = {db.get_uuid(), db.get_revision()};
    };
    if (posts_db.has_value()) {
      stamp(*posts_db, Store::kPosts);
      stamp(*private_db, Store::kPrivatePosts);
      stamp(*people_db, Store::kPeople);
      return stamps;
    }
    stamp(Xapian::Database(posts_path), Store::kPosts);
    if (has_private)
      stamp(Xapian::Database(private_path), Store::kPrivatePosts);
    stamp(Xapian::Database(people_path), Store::kPeople);
    return stamps;
  }

  // Loads the records from derived.bin when it matches the databases;
  // false when it cannot be used (absent, stale, damaged: said on stderr),
  // after removing it with the writer, since a stale file may hold records
  // erased since. May throw Xapian::Error.
  // `referenced_ids` gets the ids the posts name (DerivedRecords::referenced).
  bool LoadDerivedLocked(std::vector<Interned>& referenced_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    // Remote shards have no revision to stamp the file with (their stamp is
    // a key in shard 0's metadata): the records are read from them.
    if (!shards.empty()) return false;
    const DatabaseStamps stamps = StampsLocked();
    absl::StatusOr<DerivedRecords> loaded =
        ReadDerivedState(derived_path, stamps, /*for_snapshot=*/true);
    if (loaded.ok()) {
      records_stamps = stamps;
      people = std::move(loaded->people);
      posts = std::move(loaded->posts);
      loaded_posts = std::move(loaded->posts_in_order);
      referenced_ids = std::move(loaded->referenced);
      derived_saved = true;
      derived_on_disk = true;
      return true;
    }
    if (absl::IsNotFound(loaded.status())) return false;
    std::fprintf(stderr, "whoknows: not using %s (%s): reading every record\n",
                 derived_path.c_str(),
                 std::string(loaded.status().message()).c_str());
    derived_on_disk = true;
    if (posts_db.has_value()) ForgetDerivedLocked();
    return false;
  }

  // Removes derived.bin before memory and the databases move past it.
  void ForgetDerivedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    derived_saved = false;
    graph_state_saved = false;
    graph_state_tsv.reset();
    docid_state_saved = false;
    // A reader (a follower of the folder) leaves the writer's files alone.
    if (!posts_db.has_value()) return;
    // Their stamps keep them from being used; the next write tries again.
    if (derived_on_disk && RemoveLogged(derived_path)) derived_on_disk = false;
    if (graph_state_on_disk && RemoveLogged(graph_state_path))
      graph_state_on_disk = false;
    if (docid_state_on_disk && RemoveLogged(docid_state_path))
      docid_state_on_disk = false;
  }
  static bool RemoveLogged(const std::string& path) {
    absl::Status removed = RemoveFileDurably(path);
    if (!removed.ok())
      std::fprintf(stderr, "whoknows: %s\n", removed.ToString().c_str());
    return removed.ok();
  }

  // Reads graph.bin with `stamps` (Open's, taken before the records) on
  // another thread while `load` runs, and keeps the graph for the first
  // publish when the records came from derived.bin with the same stamps
  // (a graph is only the graph of the records it was written with). A
  // graph.bin that cannot be used is said on stderr and, with the writer,
  // removed. May throw Xapian::Error (from `load`).
  absl::Status LoadRecordsAndGraphLocked(const DatabaseStamps& stamps)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::optional<absl::StatusOr<ColleagueGraph>> read;
    std::optional<absl::StatusOr<DocidState>> read_docids;
    std::optional<FileVersion> tsv;
    auto read_graph = [&] {
      read.emplace(
          ReadGraphState(graph_state_path, stamps, graph_options, &tsv));
      read_docids.emplace(ReadDocidState(docid_state_path, stamps));
    };
    std::jthread reader;  // joined however this ends (an exception included)
    try {
      reader = std::jthread(read_graph);
    } catch (const std::system_error&) {
      read_graph();
    }
    const absl::Status loaded = LoadRecordsLocked();
    if (reader.joinable()) reader.join();
    if (!loaded.ok()) return loaded;
    KeepDocidsLocked(stamps, *std::move(read_docids));
    loaded_graph_tsv_in_step = false;
    if (read->ok() && records_from_file && records_stamps == stamps) {
      loaded_graph = std::make_shared<const ColleagueGraph>(*std::move(*read));
      graph_state_saved = true;
      graph_state_on_disk = true;
      graph_state_tsv = tsv;
      loaded_graph_tsv_in_step = tsv && VersionOf(graph_path) == tsv;
      return absl::OkStatus();
    }
    if (absl::IsNotFound(read->status())) return absl::OkStatus();
    graph_state_on_disk = true;
    if (read->ok()) return absl::OkStatus();  // records not from derived.bin
    std::fprintf(stderr,
                 "whoknows: not using %s (%s): building the colleague graph "
                 "from the posts\n",
                 graph_state_path.c_str(),
                 std::string(read->status().message()).c_str());
    if (posts_db.has_value() && RemoveLogged(graph_state_path))
      graph_state_on_disk = false;
    return absl::OkStatus();
  }

  // Keeps the docid table Open read from docids.bin for the first publish
  // when the records came from derived.bin with the same stamps; a file
  // that cannot be used is said on stderr and, with the writer, removed.
  void KeepDocidsLocked(const DatabaseStamps& stamps,
                        absl::StatusOr<DocidState> read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (absl::IsNotFound(read.status())) return;
    docid_state_on_disk = true;
    if (read.ok()) {
      if (records_from_file && records_stamps == stamps) {
        loaded_docids = std::make_shared<const DocidState>(*std::move(read));
        docid_state_saved = true;
      }
      return;
    }
    std::fprintf(
        stderr, "whoknows: not using %s (%s): reading the documents' ids\n",
        docid_state_path.c_str(), std::string(read.status().message()).c_str());
    if (posts_db.has_value() && RemoveLogged(docid_state_path))
      docid_state_on_disk = false;
  }

  // Whether `s`, the snapshot published last, holds every change to the
  // records, with the writer and nothing left uncommitted: what graph.bin
  // and docids.bin are written from at close.
  bool HoldsEveryWriteLocked(const std::shared_ptr<const Snapshot>& s) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    return s && records_loaded && posts_db.has_value() && shards.empty() &&
           !journal_pending && !reload_pending && uncommitted <= 0 &&
           published_changes == changes;
  }

  // Writes graph.bin from `s`, the snapshot published last, when it is not
  // there already and `s` holds every write (Catalog's destructor);
  // `tsv_in_step`: graph.tsv holds s's graph, which the file then says with
  // graph.tsv's size and time (and is written again to say it, when it
  // said otherwise).
  void SaveGraphStateLocked(const std::shared_ptr<const Snapshot>& s,
                            bool tsv_in_step)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (!HoldsEveryWriteLocked(s) || !s->graph) return;
    std::optional<FileVersion> tsv;
    if (tsv_in_step) tsv = VersionOf(graph_path);
    if (graph_state_saved && (!tsv || graph_state_tsv == tsv)) return;
    absl::Status saved;
    try {
      saved = WriteGraphState(graph_state_path, StampsLocked(), graph_options,
                              *s->graph, tsv);
    } catch (const Xapian::Error& e) {
      saved = XapianError("stamping the graph state", e);
    }
    graph_state_on_disk = true;  // or its temporary: removed at the next write
    if (!saved.ok()) {
      std::fprintf(stderr, "whoknows: %s\n", saved.ToString().c_str());
      return;
    }
    graph_state_saved = true;
    graph_state_tsv = tsv;
  }

  // Writes docids.bin from `s`, the snapshot published last, on the same
  // terms as graph.bin, when `s`'s docid table holds for the databases as
  // they are (the same UUID and folders, every document read).
  void SaveDocidStateLocked(const std::shared_ptr<const Snapshot>& s)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (docid_state_saved || !HoldsEveryWriteLocked(s) || !s->docids ||
        !s->dense || s->docids->files != files.load())
      return;
    absl::Status saved;
    try {
      const DatabaseStamps stamps = StampsLocked();
      if (s->docids->uuid != stamps[static_cast<int>(Store::kPosts)].uuid ||
          s->docids->number.size() != posts_db->get_lastdocid() + 1)
        return;
      std::optional<DocidState> state = FromScratchDocids(*s);
      if (!state) return;
      saved = WriteDocidState(docid_state_path, stamps, *state);
    } catch (const Xapian::Error& e) {
      saved = XapianError("stamping the docid table", e);
    }
    docid_state_on_disk = true;  // or its temporary: removed at the next write
    if (!saved.ok()) {
      std::fprintf(stderr, "whoknows: %s\n", saved.ToString().c_str());
      return;
    }
    docid_state_saved = true;
  }

  // `s`'s docid table with the numbers a numbering of its posts from
  // scratch gives them (DenseIndex: in id order), which `s`'s own may not
  // be after incremental publishes; none when the table names a number
  // that is not one of `s`'s posts.
  static std::optional<DocidState> FromScratchDocids(const Snapshot& s) {
    const DenseIndex& dense = *s.dense;
    const uint32_t numbers = dense.num_posts();
    // The live numbers (all of them unless a deletion left tombstones),
    // sorted by id: by the id's first eight bytes, then whole ids where
    // two share them.
    struct Keyed {
      uint64_t prefix;
      uint32_t number;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(s.posts.size());
    auto prefix = [](std::string_view id) {
      uint64_t p = 0;
      for (size_t i = 0; i < 8; ++i) {
        p = (p << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
      }
      return p;
    };
    for (uint32_t n = 0; n < numbers; ++n) {
      const std::string& id = dense.post(n).id;
      if (s.posts.size() != numbers && dense.PostNumber(id) != n) continue;
      keyed.push_back({prefix(id), n});
    }
    if (keyed.size() != s.posts.size()) return std::nullopt;
    std::sort(keyed.begin(), keyed.end(),
              [&dense](const Keyed& a, const Keyed& b) {
                if (a.prefix != b.prefix) return a.prefix < b.prefix;
                return dense.post(a.number).id < dense.post(b.number).id;
              });
    std::vector<uint32_t> rank(numbers, DenseIndex::kNone);
    for (uint32_t r = 0; r < keyed.size(); ++r) rank[keyed[r].number] = r;
    DocidState state;
    state.posts = keyed.size();
    const ChunkedArray<uint32_t>& table = s.docids->number;
    state.number.resize(table.size(), DenseIndex::kNone);
    for (size_t d = 0; d < table.size(); ++d) {
      const uint32_t n = table[d];
      if (n == DenseIndex::kNone) continue;
      if (n >= numbers || rank[n] == DenseIndex::kNone) return std::nullopt;
      state.number[d] = rank[n];
    }
    return state;
  }

  // Writes derived.bin from memory when it is not there already, with the
  // writer and nothing left uncommitted (Catalog's destructor).
  void SaveDerivedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (derived_saved || !records_loaded || !posts_db.has_value() ||
        !shards.empty() || journal_pending || uncommitted > 0)
      return;
    absl::Status saved;
    try {
      saved = WriteDerivedState(derived_path, StampsLocked(), people, posts);
    } catch (const Xapian::Error& e) {
      saved = XapianError("stamping the derived state", e);
    }
    derived_on_disk = true;  // or its temporary: removed at the next write
    if (!saved.ok()) {
      std::fprintf(stderr, "whoknows: %s\n", saved.ToString().c_str());
      return;
    }
    derived_saved = true;
  }

  // Every person and every post's metadata into memory: from derived.bin
  // when it matches the databases, else read from every document. May
  // throw Xapian::Error.
  absl::Status LoadRecordsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    people.clear();
    posts.clear();
    ++changes;
    loaded_graph.reset();
    loaded_graph_tsv_in_step = false;
    loaded_docids.reset();
    loaded_posts.reset();
    records_loaded = false;
    std::vector<Interned> referenced_ids;
    records_from_file = LoadDerivedLocked(referenced_ids);
    if (!records_from_file) WK_RETURN_IF_ERROR(ScanRecordsLocked());
    records_loaded = true;
    referenced.clear();
    if (posts_db.has_value() || follow) {  // for UpdateMemoryLocked
      if (records_from_file) {
        // Each id once, from the file's string table: a second pass over
        // a million map entries was a cache miss or two a post.
        referenced.reserve(referenced_ids.size());
        for (const Interned& id : referenced_ids) referenced.insert(IdHash(id));
      } else {
        // Sized once instead of rehashed at each doubling while it fills.
        referenced.reserve(posts.size() / 2);
        for (const auto& [id, m] : posts)
          Reference(m->parent_id, m->thread_id, id);
      }
    }
    return absl::OkStatus();
  }

  // Reads every person and every post's metadata from disk. May throw
  // Xapian::Error.
  absl::Status ScanRecordsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    Xapian::Database people_db(people_path);
    for (auto it = people_db.postlist_begin("");
         it != people_db.postlist_end(""); ++it) {
      auto p = std::make_shared<v1::Person>();
      if (!p->ParseFromString(people_db.get_document(*it).get_data())) {
        return absl::DataLossError(
            absl::StrCat("corrupt person record ", *it, " in ", people_path));
      }
      people[p->id()] = std::move(p);
    }
    return LoadPostsLocked();
  }

  // Reads every post's metadata from both databases. With the writer, it
  // also finishes what a crash interrupted: a post in both databases (a
  // move between them cut short) keeps its private copy, and a non-public
  // post found among the public ones (a folder written before
  // private_posts/ existed) is moved. May throw Xapian::Error.
  absl::Status LoadPostsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    posts.clear();
    auto scan = [&](const Xapian::Database& db, const std::string& path,
                    const std::function<void(v1::Post)>& fn) -> absl::Status {
      for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        v1::Post p;
        if (!p.ParseFromString(db.get_document(*it).get_data())) {
          return absl::DataLossError(
              absl::StrCat("corrupt post record ", *it, " in ", path));
        }
        fn(std::move(p));
      }
      return absl::OkStatus();
    };
    // The analysis does not follow the lock into lambdas; it is held here.
    auto* loaded = &posts;
    if (has_private) {
      Xapian::Database db(private_path);
      WK_RETURN_IF_ERROR(scan(db, private_path, [&](v1::Post p) {
        (*loaded)[p.id()] = MetaOf(p);
      }));
    }
    std::vector<std::string> stale;   // in both: the private copy wins
    std::vector<v1::Post> misplaced;  // private, among the public ones
    {
      const Xapian::Database db = OpenPublic();
      WK_RETURN_IF_ERROR(scan(db, posts_path, [&](v1::Post p) {
        if (loaded->count(p.id())) {
          stale.push_back(p.id());
        } else if (!IsPublic(p)) {
          (*loaded)[p.id()] = MetaOf(p);
          misplaced.push_back(std::move(p));
        } else {
          (*loaded)[p.id()] = MetaOf(p);
        }
      }));
    }
    if (!posts_db.has_value() || (stale.empty() && misplaced.empty()))
      return absl::OkStatus();
    // Written where it goes first, then deleted where it was.
    for (const auto& p : misplaced) {
      private_db->replace_document(kIdPrefix + p.id(), MakeDocument(p));
      stale.push_back(p.id());
    }
    private_db->commit();
    for (const auto& id : stale) posts_db->delete_document(kIdPrefix + id);
    posts_db->commit();
    if (change_log_keep > 0) {  // a repair: followers read everything
      LogChangeLocked(ChangeLogEntry::Full(
          "a repair at open (posts in both databases, or private ones among "
          "the public)"));
      people_db->commit();
    }
    return absl::OkStatus();
  }

  // Publishes committed writes until the catalog is destroyed: once
  // something changed and the last publish started at least `interval`
  // ago, looking every kRefreshTick (or `interval`, if shorter). So a write
  // after a quiet spell is published within a tick, and under sustained
  // writes publishes start `interval` apart (back to back when one takes
  // longer), where waiting `interval` after each publish ended made a
  // write wait up to two publishes and the interval. With `cpu_share`
  // (CatalogOptions::publish_cpu_share), the next may start as soon as
  // the last one's CPU time is that share of the time since it started
  // (kMinRefreshSpacing at least): the wait for the next publish, most of
  // a write's way to queries at 1M posts, shrinks with the publish's cost
  // while the CPU it takes from ingest and queries stays bounded.
  //
  // `opened`: what Open's publish took (wall time: its CPU time is not
  // known here, and is less), which sets when the first may start.
  void StartRefresher(std::chrono::milliseconds interval, double cpu_share,
                      absl::Duration opened) {
    const absl::Duration every = absl::FromChrono(interval);
    // When the next publish may start, the last having started at
    // `started` and taken `cpu`.
    auto after = [every, cpu_share](absl::Time started, absl::Duration cpu) {
      if (cpu_share <= 0) return started + every;
      return started +
             std::min(every, std::max(kMinRefreshSpacing, cpu / cpu_share));
    };
    refresher = std::thread([this, every, after, opened] {
      // Named for `top -H` and for bench/big_company.sh, which reads the
      // thread's CPU time.
      (void)::pthread_setname_np(::pthread_self(), "wk-publish");
      absl::MutexLock lock(&stop_mu);
      // Open has just published.
      absl::Time next = after(absl::Now(), opened);
      while (!stop_mu.AwaitWithTimeout(absl::Condition(&stopping),
                                       std::min(every, kRefreshTick))) {
        const absl::Time now = absl::Now();
        if (!dirty && log_flush_due) {
          // The change log's entry a publish left to a writer that has
          // not come back: committed now.
          if (write_mu.TryLock()) {  // else the writer commits it
            HandOverLocked();
            write_mu.Unlock();
          }
        }
        if (!dirty || now < next) continue;
        const absl::Duration cpu_before = ThreadCpuTime();
        Publish();
        next = after(now, ThreadCpuTime() - cpu_before);
      }
    });
  }

  // Saves the published graph (SaveGraphIfDue) every kGraphSaverTick until
  // the catalog is destroyed, on a thread of its own at nice +10: at 1M
  // posts a save takes seconds, during which the refresher, which saved
  // it before, published nothing.
  void StartGraphSaver() {
    saver = std::thread([this] {
      (void)::pthread_setname_np(::pthread_self(), "wk-graph-save");
      LowerThisThreadsPriority();
      // Not held while saving: the destructor's stop waits for one save.
      stop_mu.Lock();
      while (!stop_mu.AwaitWithTimeout(absl::Condition(&stopping),
                                       kGraphSaverTick)) {
        stop_mu.Unlock();
        SaveGraphIfDue(/*closing=*/false);
        stop_mu.Lock();
      }
      stop_mu.Unlock();
    });
  }

  // Saves the published graph when graph.tsv lags it and the interval has
  // passed (or, `closing`, in any case): an incremental publish leaves the
  // save of its graph to this.
  void SaveGraphIfDue(bool closing)
      ABSL_LOCKS_EXCLUDED(graph_mu, write_mu, snap_mu) {
    bool writable = false;
    {
      absl::MutexLock lock(&write_mu);
      writable = posts_db.has_value() && private_db.has_value();
    }
    absl::MutexLock saving(&graph_mu);
    // The graph and its generation, not the snapshot: a save takes seconds
    // at 1M posts, and a snapshot held that long keeps its numbering and
    // docids (over 100 MB at 1M) alive beside every newer one published
    // meanwhile.
    std::shared_ptr<const ColleagueGraph> graph;
    uint64_t generation = 0, erasures = 0;
    {
      absl::MutexLock lock(&snap_mu);
      if (snap) {
        graph = snap->graph;
        generation = snap->generation;
        erasures = snap->erasures_committed;
      }
    }
    if (!writable || !graph) return;
    const std::optional<absl::Status> saved =
        MaybeSaveGraph(graph, generation, erasures, closing);
    if (!saved) return;
    bool new_error = false;
    {
      absl::MutexLock lock(&snap_mu);
      new_error = !saved->ok() && *saved != bg_error;
      bg_error = *saved;
    }
    if (new_error) {
      std::fprintf(stderr, "whoknows: background error: %s\n",
                   saved->ToString().c_str());
      ReportBackgroundError("publish", *saved);
    }
  }

  // What a follower (CatalogOptions::follow) compares from one tick to the
  // next: the revisions of people/ and private_posts/, and of posts/ or the
  // shards' stamp, document count and last docid. May throw Xapian::Error.
  std::string FollowedState() const {
    std::error_code ec;
    std::string state =
        absl::StrCat(Xapian::Database(people_path).get_revision());
    if (fs::exists(private_path, ec)) {
      absl::StrAppend(&state, "/",
                      Xapian::Database(private_path).get_revision());
    }
    const Xapian::Database pub = OpenPublic();
    if (shards.empty()) {
      absl::StrAppend(&state, "/", pub.get_revision());
    } else {
      absl::StrAppend(&state, "/", pub.get_metadata(kShardStampKey), "/",
                      pub.get_doccount(), "/", pub.get_lastdocid());
    }
    return state;
  }

  // Which copy the stub files of posts/ and private_posts/ name ("auto
  // replica_1": xapian-replicate switches a replica to a whole new copy
  // beside the old one, then points the stub at it); empty lines for
  // databases that are no stubs. A reader opened before a switch stays on
  // the old copy, since reopen() never leaves the folder it opened.
  std::string ReplicaCopies() const {
    std::string out;
    for (const std::string* path : {&posts_path, &private_path}) {
      std::ifstream in(*path + "/XAPIANDB");
      std::string line;
      std::getline(in, line);
      absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

  // A follower's state (CatalogOptions::follow), kept across ticks: the
  // FollowedState it last caught up with, the change log's position it
  // last applied, since when it has waited for the log or a replica, the
  // last error reported.
  bool follow = false;
  absl::Mutex follow_mu;
  std::string follow_seen ABSL_GUARDED_BY(follow_mu);
  // The copies the followed replicas' stub files last named (ReplicaCopies).
  std::string follow_copies ABSL_GUARDED_BY(follow_mu);
  ChangeLogPosition follow_log ABSL_GUARDED_BY(follow_mu);
  std::optional<absl::Time> follow_waiting_since ABSL_GUARDED_BY(follow_mu);
  std::string follow_error ABSL_GUARDED_BY(follow_mu);
  // While a full read waits for the replicas (FollowOnce): the people
  // dropped at once because people/ no longer holds them (an erasure), whose
  // posts a replica still behind may hold, and the state awaited (logged
  // once).
  std::unordered_set<std::string> follow_erased ABSL_GUARDED_BY(follow_mu);
  std::string follow_awaited ABSL_GUARDED_BY(follow_mu);
  // CatalogStats' follow_* figures.
  std::atomic<int64_t> follow_incremental{0}, follow_posts_read{0},
      follow_people_read{0}, follow_full_reloads{0};
  // How long a follower waits for people/'s replica to bring the log's
  // entry of a change it sees on the shards, or for a replica to hold the
  // record an entry names, before it reads every record again instead.
  static constexpr absl::Duration kFollowMaxWait = absl::Seconds(15);

  // What a follower's step found in the change log: the records to apply
  // (as the writer wrote them), or why it cannot.
  struct FollowStep {
    enum Kind { kApply, kWait, kFull } kind = kFull;
    std::string why;  // kWait, kFull
    BatchWrites writes;
    bool erasure = false;  // someone was deleted: publish from scratch

    static FollowStep Not(Kind kind, std::string why) {
      FollowStep step;
      step.kind = kind;
      step.why = std::move(why);
      return step;
    }
  };

  // The change since follow_log, read from the log in `people` (at `log`)
  // and the records it names. May throw Xapian::Error.
  FollowStep ReadFollowStep(const Xapian::Database& people,
                            const ChangeLogPosition& log)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu) {
    FollowStep step;
    // A writer on shards always keeps a log: none yet is people/'s replica
    // behind (waited for); without shards, a writer that keeps none.
    if (log.epoch.empty()) {
      return FollowStep::Not(
          shards.empty() ? FollowStep::kFull : FollowStep::kWait, "no log");
    }
    if (log.epoch == follow_log.epoch && log.head == follow_log.head)
      return FollowStep::Not(FollowStep::kWait, "the log has no new entry");
    // Records read before the log began: its every entry (those of
    // changes already read are read again, which changes nothing).
    ChangeLogPosition from = follow_log;
    if (from.epoch.empty()) from = {log.epoch, 0};
    absl::StatusOr<std::vector<ChangeLogEntry>> entries =
        ReadChangeLog(people, from, log);
    if (!entries.ok())
      return FollowStep::Not(FollowStep::kFull,
                             std::string(entries.status().message()));
    // Each id as it ends: a fingerprint, or none when deleted.
    std::unordered_map<std::string, std::optional<uint64_t>> posts_now;
    std::unordered_map<std::string, bool> people_now;
    for (const ChangeLogEntry& e : *entries) {
      // An entry written before stop 26 holds no reason.
      if (e.full) {
        return FollowStep::Not(
            FollowStep::kFull,
            absl::StrCat("change log: an entry saying to read everything (",
                         e.why.empty() ? "a bulk load, a repair at open, a "
                                         "compaction, or commits no entry "
                                         "covers: it says not which"
                                       : e.why,
                         ")"));
      }
      for (const auto& id : e.deleted_posts) posts_now[id] = std::nullopt;
      for (const auto& [id, fp] : e.posts) posts_now[id] = fp;
      for (const auto& id : e.deleted_people) people_now[id] = false;
      for (const auto& id : e.people) people_now[id] = true;
    }
    for (const auto& [id, written] : people_now) {
      if (!written) {
        step.writes[Store::kPeople].deleted.push_back(id);
        step.erasure = true;
        continue;
      }
      auto it = people.postlist_begin(kIdPrefix + id);
      if (it == people.postlist_end(kIdPrefix + id)) continue;  // gone since
      v1::Person p;
      if (!p.ParseFromString(people.get_document(*it).get_data()))
        return FollowStep::Not(FollowStep::kFull, "a corrupt person record");
      step.writes[Store::kPeople].people.push_back(std::move(p));
    }
    return ReadFollowPosts(posts_now, std::move(step));
  }

  // ReadFollowStep's posts: each written one read where it is (its private
  // copy first, as at load) and checked against its fingerprint; a
  // replica that does not hold that version yet makes the step wait. May
  // throw Xapian::Error.
  FollowStep ReadFollowPosts(
      const std::unordered_map<std::string, std::optional<uint64_t>>& now,
      FollowStep step) ABSL_LOCKS_EXCLUDED(write_mu) {
    std::optional<Xapian::Database> priv;
    std::error_code ec;
    if (fs::exists(private_path, ec)) priv.emplace(private_path);
    Xapian::Database pub = OpenPublic();
    if (follow_read_hook) follow_read_hook();
    std::unordered_map<std::string, bool> stored_public;
    {
      absl::MutexLock lock(&write_mu);
      for (const auto& [id, fp] : now) {
        if (auto it = posts.find(id); it != posts.end())
          stored_public[id] = it->second->is_public;
      }
    }
    for (const auto& [id, fp] : now) {
      const auto stored = stored_public.find(id);
      if (!fp) {  // deleted where memory has it
        if (stored != stored_public.end()) {
          step.writes[stored->second ? Store::kPosts : Store::kPrivatePosts]
              .deleted.push_back(id);
        }
        continue;
      }
      const std::optional<std::string> data = ReadStored(priv, pub, id);
      if (!data || RecordFingerprint(*data) != *fp) {
        return FollowStep::Not(
            FollowStep::kWait,
            absl::StrCat("post ", id, " not at its logged version"));
      }
      v1::Post p;
      if (!p.ParseFromString(*data))
        return FollowStep::Not(FollowStep::kFull, "a corrupt post record");
      const bool to_public = IsPublic(p);
      if (stored != stored_public.end() && stored->second != to_public) {
        step.writes[stored->second ? Store::kPosts : Store::kPrivatePosts]
            .deleted.push_back(id);
      }
      step.writes[to_public ? Store::kPosts : Store::kPrivatePosts]
          .posts.push_back(std::move(p));
    }
    step.kind = FollowStep::kApply;
    return step;
  }

  // The stored record of post `id` (its private copy first, as at load),
  // none when neither holds it. A commit that discards the revision being
  // read (the writer commits while a follower reads post by post) moves
  // both to the newest and reads again, read_attempts times in all. May
  // throw Xapian::Error.
  std::optional<std::string> ReadStored(std::optional<Xapian::Database>& priv,
                                        Xapian::Database& pub,
                                        const std::string& id) const {
    const std::string term = kIdPrefix + id;
    for (int attempt = 1;; ++attempt) {
      try {
        for (Xapian::Database* db : {priv ? &*priv : &pub, &pub}) {
          auto it = db->postlist_begin(term);
          if (it != db->postlist_end(term))
            return db->get_document(*it).get_data();
        }
        return std::nullopt;
      } catch (const Xapian::DatabaseModifiedError&) {
        if (attempt >= read_attempts) throw;
        pub.reopen();
        if (priv) priv->reopen();
      }
    }
  }

  // One tick of a follower (FollowStepLocked). A replica that
  // xapian-replicate changes while the tick reads it starts the tick over,
  // from the stub files, read_attempts times in all: changesets applied in
  // place (DatabaseModifiedError), or a switch to a new copy that removed
  // the one a stub named a moment before (DatabaseOpeningError: no
  // `iamglass`). Other failures (a shard down), and these once the
  // attempts are spent, are reported and retried next tick.
  void FollowOnce()
      ABSL_LOCKS_EXCLUDED(follow_mu, write_mu, publish_mu, snap_mu) {
    absl::MutexLock following(&follow_mu);
    absl::Status status;
    for (int attempt = 1; attempt <= read_attempts; ++attempt) {
      if (follow_hook) follow_hook();
      const bool last = attempt == read_attempts;
      try {
        status = FollowStepLocked();
        break;
      } catch (const Xapian::DatabaseModifiedError& e) {
        status = XapianError("following the databases", e);
        if (last) break;
      } catch (const Xapian::DatabaseOpeningError& e) {
        status = XapianError("following the databases", e);
        if (last) break;
      } catch (const Xapian::Error& e) {
        status = XapianError("following the databases", e);
        break;
      }
    }
    if (!status.ok() && status.ToString() != follow_error) {
      std::fprintf(stderr, "whoknows: follow: %s\n", status.ToString().c_str());
      ReportBackgroundError("follow", status);
    }
    follow_error = status.ok() ? "" : status.ToString();
  }

  // When the followed databases changed since the follower last caught up,
  // applies what the change log says changed (the records it names,
  // through the writer's own incremental publish), or reads every record
  // again when the log cannot say (FollowStep). May throw Xapian::Error.
  absl::Status FollowStepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu)
      ABSL_LOCKS_EXCLUDED(write_mu, publish_mu, snap_mu) {
    // A replica switched to a new copy, even one at the revision seen
    // already: the pooled readers are dropped as after a compaction, so
    // that searches read the new copies, not the ones replaced.
    const std::string copies = ReplicaCopies();
    if (copies != follow_copies) {
      files.fetch_add(1);
      follow_copies = copies;
    }
    const std::string state = FollowedState();
    if (state == follow_seen) return absl::OkStatus();
    const auto start = std::chrono::steady_clock::now();
    const Xapian::Database directory(people_path);
    const ChangeLogPosition log = ReadChangeLogPosition(directory);
    FollowStep step = ReadFollowStep(directory, log);
    if (step.kind == FollowStep::kWait) {
      if (!follow_waiting_since) follow_waiting_since = absl::Now();
      if (absl::Now() - *follow_waiting_since < kFollowMaxWait)
        return absl::OkStatus();
    }
    // A full read the log asks for reads what the replicas hold: people/'s
    // replica may bring the log (reset by an erasure) before the posts'
    // replicas bring what it covers (the erasure's deletions). Reading
    // them then would serve the erased person's posts again, and read
    // everything a second time once they arrive: wait for them, bounded,
    // without the people people/ no longer holds meanwhile.
    bool behind = false;
    if (step.kind == FollowStep::kFull && !log.epoch.empty()) {
      const std::string covers = ReadChangeLogCovers(directory);
      const std::string at = ReplicasState();
      if (!StateReaches(at, covers)) {
        behind = true;
        if (!follow_waiting_since) follow_waiting_since = absl::Now();
        DropErasedNow(directory, start);
        const bool waited =
            absl::Now() - *follow_waiting_since >= kFollowMaxWait;
        if (!waited && follow_awaited != covers) {
          follow_awaited = covers;
          std::fprintf(stderr,
                       "whoknows: follow: waiting up to %s for the replicas "
                       "to reach what the change log covers (%s; they are "
                       "at %s) before reading every record\n",
                       absl::FormatDuration(kFollowMaxWait).c_str(),
                       covers.c_str(), at.c_str());
        }
        if (!waited) return absl::OkStatus();
      }
    }
    absl::Status status;
    if (step.kind == FollowStep::kApply) {
      ApplyFollowStep(step, start);
    } else {
      std::fprintf(stderr, "whoknows: follow: reading every record (%s)%s\n",
                   step.why.c_str(),
                   behind ? ", the replicas still behind what the change "
                            "log covers"
                          : "");
      status = FollowFully(
          start, behind ? follow_erased : std::unordered_set<std::string>{});
    }
    if (status.ok()) {
      follow_seen = state;
      follow_log = log;
      follow_waiting_since.reset();
      follow_awaited.clear();
      if (!behind) follow_erased.clear();
    }
    return status;
  }

  // Applies a step's records to memory as the writer's commit does
  // (UpdateMemoryLocked) and publishes.
  void ApplyFollowStep(const FollowStep& step,
                       std::chrono::steady_clock::time_point start)
      ABSL_LOCKS_EXCLUDED(write_mu) {
    size_t posts_read = 0;
    for (Store s : {Store::kPosts, Store::kPrivatePosts})
      posts_read += step.writes[s].posts.size();
    const size_t people_read = step.writes[Store::kPeople].people.size();
    {
      WriteLock lock(*this);
      UpdateMemoryLocked(step.writes);
      // As the writer's DeletePerson: ties taken away, built afresh.
      if (step.erasure) full_change = true;
    }
    const auto read = std::chrono::steady_clock::now();
    Publish();
    ++follow_incremental;
    follow_posts_read += static_cast<int64_t>(posts_read);
    follow_people_read += static_cast<int64_t>(people_read);
    // What following costs (docs/operations.md, "Front-ends in step").
    std::fprintf(
        stderr,
        "whoknows: follow: incremental: %zu posts and %zu people read in "
        "%.2f s, published in %.2f s\n",
        posts_read, people_read,
        std::chrono::duration<double>(read - start).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - read)
            .count());
  }

  // Reads every record again, but the posts of `erased` (people erased
  // whose posts replicas behind still hold), and publishes from scratch.
  // May throw Xapian::Error.
  absl::Status FollowFully(std::chrono::steady_clock::time_point start,
                           const std::unordered_set<std::string>& erased)
      ABSL_LOCKS_EXCLUDED(write_mu, publish_mu, snap_mu) {
    size_t people_read = 0, posts_read = 0;
    absl::Status status;
    {
      WriteLock lock(*this);
      std::error_code ec;
      has_private = fs::exists(private_path, ec) && !ec;
      people.clear();
      status = LoadRecordsLocked();
      if (status.ok() && !erased.empty())
        UpdateMemoryLocked(PostsOfLocked(erased));
      full_change = true;  // every record read again: build afresh
      people_read = people.size();
      posts_read = posts.size();
    }
    if (!status.ok()) return status;
    group_dbs->InvalidateAll();
    const auto read = std::chrono::steady_clock::now();
    Publish();
    ++follow_full_reloads;
    std::fprintf(
        stderr,
        "whoknows: follow: read %zu people and %zu posts in %.2f s, "
        "published in %.2f s\n",
        people_read, posts_read,
        std::chrono::duration<double>(read - start).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - read)
            .count());
    return status;
  }

  // Where the replicas a follower reads stand, as the writer's
  // LoggedStateLocked says what the change log covers: posts/' revision or
  // every shard's stamp (comma-separated, in shard order: each shard is
  // replicated on its own, and a Database of several shards reads the
  // first one's metadata only), and private_posts/' revision. May throw
  // Xapian::Error.
  std::string ReplicasState() const {
    std::error_code ec;
    const std::string priv =
        fs::exists(private_path, ec)
            ? absl::StrCat(Xapian::Database(private_path).get_revision())
            : "";
    std::string pub;
    if (shards.empty()) pub = absl::StrCat(OpenPublic().get_revision());
    for (const ShardServers& shard : shards) {
      absl::StrAppend(
          &pub, pub.empty() ? "" : ",",
          OpenShardsForReading({shard}).get_metadata(kShardStampKey));
    }
    return absl::StrCat(pub, "/", priv);
  }

  // Whether replicas at `at` (ReplicasState) hold what `covers` covers:
  // each part at least as new (for the shards, every shard's stamp). A
  // revision is a number, a stamp "<unix ns>-<count>"; a part that is
  // neither must be equal. "" covers nothing (a log written before covers
  // were kept); a part the follower has no database for (no
  // private_posts/) is not waited for.
  static bool StateReaches(const std::string& at, const std::string& covers) {
    if (covers.empty()) return true;
    const std::vector<std::string> have = absl::StrSplit(at, '/');
    const std::vector<std::string> want = absl::StrSplit(covers, '/');
    if (have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (have[i].empty()) continue;
      for (absl::string_view part : absl::StrSplit(have[i], ',')) {
        if (part.empty()) continue;  // a shard an older writer left unstamped
        const std::vector<std::string> h = absl::StrSplit(part, '-');
        const std::vector<std::string> w = absl::StrSplit(want[i], '-');
        std::vector<uint64_t> hn(h.size()), wn(w.size());
        bool numbers = h.size() == w.size();
        for (size_t j = 0; numbers && j < w.size(); ++j) {
          numbers =
              absl::SimpleAtoi(h[j], &hn[j]) && absl::SimpleAtoi(w[j], &wn[j]);
        }
        if (numbers ? hn < wn : part != want[i]) return false;
      }
    }
    return true;
  }

  // The deletion of the posts in memory whose author is one of `authors`,
  // each from where it is.
  BatchWrites PostsOfLocked(const std::unordered_set<std::string>& authors)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    BatchWrites w;
    for (const auto& [id, meta] : posts) {
      if (authors.contains(meta->author_id.str()))
        w[meta->is_public ? Store::kPosts : Store::kPrivatePosts]
            .deleted.push_back(id);
    }
    return w;
  }

  // While a full read waits for the replicas: the people in memory that
  // `directory` (people/'s replica, which brought the log) no longer holds
  // were erased; they and their posts leave what the follower serves now,
  // as the writer's DeletePerson took them away, not after the wait. Does
  // nothing when there are none. May throw Xapian::Error.
  void DropErasedNow(const Xapian::Database& directory,
                     std::chrono::steady_clock::time_point start)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(follow_mu) ABSL_LOCKS_EXCLUDED(write_mu) {
    size_t dropped = 0, posts_dropped = 0;
    {
      WriteLock lock(*this);
      std::unordered_set<std::string> gone;
      for (const auto& [id, person] : people) {
        const std::string term = kIdPrefix + id;
        if (directory.postlist_begin(term) == directory.postlist_end(term))
          gone.insert(id);
      }
      if (gone.empty()) return;
      BatchWrites w = PostsOfLocked(gone);
      for (Store s : {Store::kPosts, Store::kPrivatePosts})
        posts_dropped += w[s].deleted.size();
      dropped = gone.size();
      w[Store::kPeople].deleted.assign(gone.begin(), gone.end());
      UpdateMemoryLocked(w);
      full_change = true;  // ties taken away, as at the writer's erasure
      follow_erased.merge(gone);
    }
    const auto read = std::chrono::steady_clock::now();
    Publish();
    std::fprintf(
        stderr,
        "whoknows: follow: %zu people no longer in people/ (erased) "
        "and their %zu posts dropped at once in %.2f s, published in "
        "%.2f s\n",
        dropped, posts_dropped,
        std::chrono::duration<double>(read - start).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - read)
            .count());
  }

  // Follows the databases (FollowOnce) every `interval` until the catalog
  // is destroyed.
  void StartFollower(std::chrono::milliseconds interval) {
    refresher = std::thread([this, interval] {
      absl::MutexLock lock(&stop_mu);
      while (!stop_mu.AwaitWithTimeout(absl::Condition(&stopping),
                                       absl::FromChrono(interval))) {
        FollowOnce();
      }
    });
  }

  // After a failed write: drops what was not committed and reloads what
  // was, so that memory and disk agree again. Reconnects to the shards'
  // writable servers: a connection to a server that went down is closed
  // (an error closing it is of no interest), and a new one opened. When
  // that or the reload fails, reload_pending says so, and the next write
  // tries again first (ReconnectLocked).
  void ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    in_bulk = {};  // closing cancels the transactions
    uncommitted = 0;
    pending_records = 0;
    for (auto* db : {&posts_db, &private_db, &people_db}) {
      try {
        (*db)->close();
      } catch (const Xapian::Error&) {
      }
    }
    reload_pending = true;
    try {
      private_db.emplace(private_path, Xapian::DB_OPEN);
      people_db.emplace(people_path, Xapian::DB_OPEN);
      // An entry not committed is gone with the write, and what was
      // committed is not known: followers read everything.
      if (change_log_keep > 0) {
        log_pos = ReadChangeLogPosition(*people_db);
        log_pending = PendingLog();
        log_pending.Full(kFailedWrite);
      }
      // Left closed (every use throws) when a shard server cannot be
      // reached.
      posts_db.emplace(OpenPublicWriter(Xapian::DB_OPEN, &shard_writers));
      people.clear();
      // The write's error is reported; a failed reload is tried again.
      const absl::Status loaded = LoadRecordsLocked();
      reload_pending = !loaded.ok();
      reload_error = loaded.ToString();
    } catch (const Xapian::Error& e) {
      reload_error = XapianError("reopening", e).ToString();
    }
    full_change = true;
    MarkDirtyLocked();
    // Whatever was written before the failure may be committed: every
    // group's database is rebuilt from disk at its next search.
    group_dbs->InvalidateAll();
  }

  Xapian::WritableDatabase& DbLocked(Store store)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    switch (store) {
      case Store::kPosts:
        return *posts_db;
      case Store::kPrivatePosts:
        return *private_db;
      case Store::kPeople:
        break;
    }
    return *people_db;
  }

  static Xapian::Document PersonDocument(const v1::Person& p) {
    Xapian::Document doc;
    doc.add_boolean_term(kIdPrefix + p.id());
    doc.set_data(p.SerializeAsString());
    return doc;
  }

  // Whether new posts may be added rather than replaced by id: when memory
  // holds every stored post (records_loaded; a write cut by the test seam
  // leaves memory behind the folder) and posts/ is local (a sharded
  // database places a new document by its docid, and a replay may find
  // a post that memory does not hold yet, so replays always replace).
  bool MayAddNewPostsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    return records_loaded && shards.empty();
  }

  // Writes one database's part of a write, uncommitted: deletions, then
  // replacements. Idempotent. With `add_new` (MayAddNewPostsLocked), a
  // post that no stored post has the id of is added, without
  // replace_document's look-up of its id term: the same document and
  // docid, for about a tenth less of Xapian's write at 1M posts (a stream's
  // posts are mostly new). May throw Xapian::Error.
  void ApplyStoreLocked(Store store, const StoreWrites& w, bool add_new)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    Xapian::WritableDatabase& db = DbLocked(store);
    for (const auto& id : w.deleted) db.delete_document(kIdPrefix + id);
    std::unordered_set<std::string_view> added;
    for (const auto& p : w.posts) {
      if (add_new && !posts.contains(p.id()) && added.insert(p.id()).second)
        db.add_document(MakeDocument(p));
      else
        db.replace_document(kIdPrefix + p.id(), MakeDocument(p));
    }
    for (const auto& p : w.people)
      db.replace_document(kIdPrefix + p.id(), PersonDocument(p));
  }

  // Writes and commits one database's part of a write. Nothing of bulk
  // loading may be pending (CommitBulkLocked first). May throw
  // Xapian::Error.
  void CommitStoreLocked(Store store, const StoreWrites& w, bool add_new)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    ApplyStoreLocked(store, w, add_new);
    StampShardsLocked(store);
    DbLocked(store).commit();
    NoteRevisionLocked(store);
  }

  // Bulk loading: applies `w` (which deletes nothing) without committing,
  // and commits once bulk_commit_records records are pending. A failure
  // drops everything pending (ReloadLocked).
  absl::Status ApplyBulkLocked(const BatchWrites& w, std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    try {
      for (int i = 0; i < kStoreCount; ++i) {
        const Store store = static_cast<Store>(i);
        if (w[store].empty()) continue;
        if (!in_bulk[i]) {
          DbLocked(store).begin_transaction(/*flushed=*/false);
          in_bulk[i] = true;
        }
        ApplyStoreLocked(store, w[store], MayAddNewPostsLocked());
        uncommitted += static_cast<int64_t>(w[store].posts.size() +
                                            w[store].people.size());
        pending_records = uncommitted;
      }
    } catch (const Xapian::Error& e) {
      ReloadLocked();
      return XapianError(what, e);
    }
    UpdateMemoryLocked(w);
    if (uncommitted >= bulk_commit_records) return CommitBulkLocked();
    return absl::OkStatus();
  }

  // Commits what bulk loading left pending, database by database (nothing
  // that moves a post between them is ever pending: see CommitLocked).
  absl::Status CommitBulkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    try {
      // Bulk loading lists no ids: followers read everything after it.
      // (the entry goes with the publish tick's commit of people/).
      if (std::find(in_bulk.begin(), in_bulk.end(), true) != in_bulk.end())
        NoteChangeLocked(ChangeLogEntry::Full("a bulk load"));
      for (int i = 0; i < kStoreCount; ++i) {
        if (!in_bulk[i]) continue;
        const Store store = static_cast<Store>(i);
        Xapian::WritableDatabase& db = DbLocked(store);
        StampShardsLocked(store);
        db.commit_transaction();
        in_bulk[i] = false;
        db.commit();
        NoteRevisionLocked(store);
        WK_RETURN_IF_ERROR(AfterCommit(store));
      }
    } catch (const Xapian::Error& e) {
      ReloadLocked();
      return XapianError("committing the bulk load", e);
    }
    uncommitted = 0;
    pending_records = 0;
    return absl::OkStatus();
  }

  // The groups whose private posts `w` changes (as stored before `w` and as
  // `w` writes them): their databases are stale once it is committed.
  // The private posts `w` changes, (group, id) each: the group a post was
  // in and the one it goes to.
  std::vector<std::pair<std::string, std::string>> GroupsWrittenLocked(
      const BatchWrites& w) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::vector<std::pair<std::string, std::string>> changed;
    const StoreWrites& sw = w[Store::kPrivatePosts];
    // The analysis does not follow the lock into lambdas; it is held here.
    const auto* stored = &posts;
    auto was = [&](const std::string& id) {
      auto it = stored->find(id);
      if (it != stored->end() && !it->second->is_public)
        changed.emplace_back(it->second->visibility, id);
    };
    for (const auto& id : sw.deleted) was(id);
    for (const auto& p : sw.posts) {
      was(p.id());
      changed.emplace_back(MetaOf(p)->visibility, p.id());
    }
    return changed;
  }

  // Notes that a post `id` names `parent` and `thread` (referenced).
  void Reference(const std::string& parent, const std::string& thread,
                 const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (!parent.empty()) referenced.insert(IdHash(parent));
    if (!thread.empty() && thread != id) referenced.insert(IdHash(thread));
  }

  // Memory after `w`, as on disk: what it deletes, then what it writes (a
  // post moving between databases is deleted from one, written to the
  // other).
  void UpdateMemoryLocked(const BatchWrites& w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    group_dbs->Invalidate(GroupsWrittenLocked(w));
    for (Store s : {Store::kPosts, Store::kPrivatePosts}) {
      for (const auto& id : w[s].deleted) {
        posts.erase(id);
        change.posts[id] = nullptr;
      }
    }
    for (const auto& id : w[Store::kPeople].deleted) {
      people.erase(id);
      change.people[id] = nullptr;
    }
    for (Store s : {Store::kPosts, Store::kPrivatePosts}) {
      for (const auto& p : w[s].posts) {
        auto& meta = posts[p.id()];
        meta = MetaOf(p);
        change.posts[p.id()] = meta;
        if (referenced.contains(IdHash(p.id())))
          change.referenced.insert(p.id());
        Reference(p.parent_id(), p.thread_id(), p.id());
      }
    }
    for (const auto& p : w[Store::kPeople].people) {
      auto& person = people[p.id()];
      person = std::make_shared<v1::Person>(p);
      change.people[p.id()] = person;
    }
    MarkDirtyLocked();
  }

  // Commits `w` database by database (posts/, private_posts/, people/). A
  // write that changes more than one is journaled first (BATCH, atomically)
  // and the journal removed after the last commit, so that a crash between
  // commits is finished by the next Open; a write of one database is one
  // commit and pays for no journal. A journaled write that fails mid-way is
  // finished from its journal now if it can be, else by the next write or
  // Open: it is reported failed (not acknowledged) and ends whole, never
  // half.
  //
  // On remote shards, a write that fails because a shard server cannot be
  // reached (it went down, or came back and the connection to it is gone)
  // is tried again after reconnecting (ReloadLocked), kShardWriteAttempts
  // times in all: a server restarted meanwhile takes the write. Past that,
  // UNAVAILABLE: nothing of the write is acknowledged, and what was
  // committed before stays.
  absl::Status CommitLocked(const BatchWrites& w, std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    absl::Status status;
    for (int attempt = 1; attempt <= kShardWriteAttempts; ++attempt) {
      if (attempt > 1) absl::SleepFor(kShardRetryPause * (attempt - 1));
      status = CommitOnceLocked(w, what);
      if (shards.empty() || !absl::IsUnavailable(status)) return status;
    }
    return absl::UnavailableError(
        absl::StrCat(status.message(), " (", kShardWriteAttempts,
                     " attempts; nothing of this write was acknowledged, "
                     "what was committed before stays: try again)"));
  }

  // Before a write on remote shards: checks that the connections to the
  // shards' writable servers are alive (one round trip a shard). When one
  // is not (its server restarted, or is down) and nothing is pending,
  // memory is what is committed: new connections are all it takes. After
  // a write that failed mid-way (reload_pending), reconnects and reloads
  // every record (ReloadLocked). UNAVAILABLE, naming why, while a shard
  // server cannot be reached.
  absl::Status ReconnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (shards.empty()) return absl::OkStatus();
    if (!reload_pending && uncommitted == 0) {
      try {
        posts_db->keep_alive();
        return absl::OkStatus();
      } catch (const Xapian::Error&) {
      }
      try {
        try {
          posts_db->close();
        } catch (const Xapian::Error&) {
        }
        posts_db.emplace(OpenPublicWriter(Xapian::DB_OPEN, &shard_writers));
        return absl::OkStatus();
      } catch (const Xapian::Error& e) {
        return absl::UnavailableError(
            XapianError("reconnecting to the shards", e).message());
      }
    }
    ReloadLocked();
    if (!reload_pending) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("reconnecting to the shards: ", reload_error));
  }

  // A write's error: UNAVAILABLE when a shard server could not be reached
  // (CommitLocked tries again; the next write reconnects first), else
  // INTERNAL.
  absl::Status WriteError(std::string_view what, const Xapian::Error& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    absl::Status status = XapianError(what, e);
    // Xapian::Error is not polymorphic: NetworkError and its subclass
    // NetworkTimeoutError by name.
    if (shards.empty() ||
        !std::string_view(e.get_type()).starts_with("Network"))
      return status;
    reload_pending = true;
    return absl::UnavailableError(status.message());
  }

  absl::Status CommitOnceLocked(const BatchWrites& w, std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (reload_pending) WK_RETURN_IF_ERROR(ReconnectLocked());
    WK_RETURN_IF_ERROR(FinishPendingLocked());
    // Bulk loading defers writes that only add or replace records; one that
    // deletes (a post moving between databases, a deletion) keeps its
    // journal and its commits, after what was pending.
    bool deletes = false;
    for (const StoreWrites& sw : w.stores) deletes |= !sw.deleted.empty();
    if (bulk_commit_records > 0 && !deletes) return ApplyBulkLocked(w, what);
    WK_RETURN_IF_ERROR(CommitBulkLocked());
    // derived.bin, graph.bin and docids.bin go before the databases move
    // past them, not after (UpdateMemoryLocked would): a process killed
    // between a deletion's commit and its memory update would leave files
    // holding what was deleted (unused, their stamps differ, but on disk
    // until the next open).
    ForgetDerivedLocked();
    // Posts on several shards are one commit a shard: journaled too.
    const bool journaled = w.StoresTouched() > 1 ||
                           (shards.size() > 1 && !w[Store::kPosts].empty());
    if (journaled) {
      WK_RETURN_IF_ERROR(
          WriteFileAtomically(journal_path, EncodeBatchJournal(w)));
    }
    try {
      const bool add_new = MayAddNewPostsLocked();
      // The change log's entry goes with a commit of people/ (the last),
      // else with the publish tick's.
      NoteChangeLocked(LogEntryOf(w));
      for (int i = 0; i < kStoreCount; ++i) {
        const Store store = static_cast<Store>(i);
        if (w[store].empty()) continue;
        if (store == Store::kPeople) WritePendingLogLocked();
        CommitStoreLocked(store, w[store], add_new);
        if (absl::Status crash = AfterCommit(store); !crash.ok()) {
          journal_pending = journaled;  // the test seam: as if killed here
          records_loaded = false;       // memory is behind disk: never saved
          return crash;
        }
      }
    } catch (const Xapian::Error& e) {
      ReloadLocked();
      journal_pending = journaled;
      absl::Status finished = FinishPendingLocked();
      if (!finished.ok()) {
        std::fprintf(stderr, "whoknows: %s: %s (the next write retries)\n",
                     journal_path.c_str(), finished.ToString().c_str());
        ReportBackgroundError(
            "journal",
            absl::Status(
                finished.code(),
                absl::StrCat("finishing the journaled write after an error: ",
                             finished.message(), " (the next write retries)")));
      }
      return WriteError(what, e);
    }
    UpdateMemoryLocked(w);
    if (journaled) {
      if (absl::Status removed = RemoveFileDurably(journal_path);
          !removed.ok()) {
        journal_pending = true;  // committed; the next write removes it
        std::fprintf(stderr, "whoknows: %s\n", removed.ToString().c_str());
        ReportBackgroundError("journal", removed);
      }
    }
    return absl::OkStatus();
  }

  // Finishes a journaled write this catalog left unfinished (an error
  // mid-way, or the test seam), before anything else is written.
  absl::Status FinishPendingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    if (!journal_pending) return absl::OkStatus();
    WK_ASSIGN_OR_RETURN(std::optional<BatchWrites> w, ReplayJournalLocked());
    if (w) UpdateMemoryLocked(*w);
    journal_pending = false;
    return absl::OkStatus();
  }

  // Finishes the write that the journal in the folder describes, if there
  // is one, and removes the journal: its writes, or nullopt when there was
  // none. A torn or damaged journal is discarded with a log line: its write
  // was never acknowledged (the journal is removed before a write returns),
  // and a crash while writing it leaves only BATCH.tmp (RecoverDataDir).
  absl::StatusOr<std::optional<BatchWrites>> ReplayJournalLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::error_code ec;
    if (!fs::exists(journal_path, ec)) return std::nullopt;
    std::string bytes;
    {
      std::ifstream in(journal_path, std::ios::binary);
      std::ostringstream all;
      all << in.rdbuf();
      if (!in)
        return absl::UnavailableError(
            absl::StrCat("cannot read ", journal_path));
      bytes = std::move(all).str();
    }
    absl::StatusOr<BatchWrites> w = DecodeBatchJournal(bytes);
    if (!w.ok()) {
      std::fprintf(stderr,
                   "whoknows: %s: discarded (%s); its write was never "
                   "acknowledged\n",
                   journal_path.c_str(),
                   std::string(w.status().message()).c_str());
      WK_RETURN_IF_ERROR(RemoveFileDurably(journal_path));
      return std::nullopt;
    }
    try {
      NoteChangeLocked(LogEntryOf(*w));
      for (int i = 0; i < kStoreCount; ++i) {
        const Store store = static_cast<Store>(i);
        if ((*w)[store].empty()) continue;
        if (store == Store::kPeople) WritePendingLogLocked();
        CommitStoreLocked(store, (*w)[store], /*add_new=*/false);
      }
    } catch (const Xapian::Error& e) {
      return XapianError(absl::StrCat("replaying ", journal_path), e);
    }
    WK_RETURN_IF_ERROR(RemoveFileDurably(journal_path));
    std::fprintf(stderr, "whoknows: %s: finished an interrupted write (%s)\n",
                 journal_path.c_str(), w->Describe().c_str());
    return std::optional<BatchWrites>(std::move(*w));
  }

  // Stored opted_out = true is sticky (UpsertPolicy): the people of a batch
  // as they are written.
  std::vector<v1::Person> StickyOptOutLocked(std::span<const v1::Person> batch,
                                             const UpsertPolicy& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::vector<v1::Person> out(batch.begin(), batch.end());
    for (auto& p : out) {
      if (p.opted_out() || policy.MayClearOptOut(p.id())) continue;
      auto stored = people.find(p.id());
      if (stored != people.end() && stored->second->opted_out())
        p.set_opted_out(true);
    }
    return out;
  }

  // The posts of a batch as they are written, into `w`: threads resolved,
  // languages detected, the last version of each id, privacy inherited
  // (Catalog::UpsertPosts), each in the database it belongs to and deleted
  // from the one it leaves. May throw Xapian::Error (reading stored posts).
  void PreparePostsLocked(std::span<const v1::Post> incoming, BatchWrites* w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::vector<v1::Post> normalized(incoming.begin(), incoming.end());
    // Threads through parents (earlier in the batch or already stored).
    std::unordered_map<std::string, std::string> batch_thread;
    for (auto& p : normalized) {
      NormalizePost(p);
      if (p.thread_id().empty()) {
        std::string thread = p.parent_id();
        if (auto it = batch_thread.find(p.parent_id());
            it != batch_thread.end()) {
          thread = it->second;
        } else if (auto jt = posts.find(p.parent_id()); jt != posts.end()) {
          thread = jt->second->thread_id;
        }
        p.set_thread_id(thread);
      }
      batch_thread[p.id()] = p.thread_id();
      if (p.language().empty()) {
        // Bodies may be HTML (Stack Exchange): CLD2 reads the text alone.
        p.set_language(DetectLanguage(p.title() + "\n" + HtmlToText(p.body()),
                                      default_language));
      }
    }
    // The last version of each id is the one written.
    std::unordered_map<std::string, v1::Post*> last;
    for (auto& p : normalized) last[p.id()] = &p;
    std::vector<v1::Post*> batch;
    for (auto& p : normalized)
      if (last[p.id()] == &p) batch.push_back(&p);
    std::vector<v1::Post> inherited = InheritPrivacyLocked(batch);
    for (auto& p : inherited) batch.push_back(&p);
    for (v1::Post* p : batch) {
      const bool to_public = IsPublic(*p);
      // Moving: deleted where it was.
      auto it = posts.find(p->id());
      if (it != posts.end() && it->second->is_public != to_public) {
        (*w)[to_public ? Store::kPrivatePosts : Store::kPosts]
            .deleted.push_back(p->id());
      }
      // Moved, not copied: `batch` is not read again.
      (*w)[to_public ? Store::kPosts : Store::kPrivatePosts].posts.push_back(
          std::move(*p));
    }
  }

  // A person's part of one posts database, for DeletePerson: their own
  // posts (deleted) and other posts without their likes and mentions
  // (rewritten), counted into `result`. May throw Xapian::Error.
  absl::Status CollectPersonPostsLocked(Store store,
                                        const std::string& person_id,
                                        StoreWrites* w,
                                        DeletePersonResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    Xapian::WritableDatabase& db = DbLocked(store);
    const std::string author_term = kAuthorPrefix + person_id;
    std::unordered_set<Xapian::docid> own;
    for (auto it = db.postlist_begin(author_term);
         it != db.postlist_end(author_term); ++it) {
      own.insert(*it);
      w->deleted.push_back(db.get_document(*it).get_value(kIdSlot));
    }
    std::unordered_set<Xapian::docid> touched;
    for (const std::string& term :
         {kLikePrefix + person_id, kMentionPrefix + person_id}) {
      for (auto it = db.postlist_begin(term); it != db.postlist_end(term);
           ++it) {
        if (!own.count(*it)) touched.insert(*it);
      }
    }
    for (Xapian::docid id : touched) {
      v1::Post p;
      if (!p.ParseFromString(db.get_document(id).get_data())) {
        return absl::DataLossError(
            absl::StrCat("corrupt post record ", id, " in ", StoreName(store)));
      }
      auto strip = [&](google::protobuf::RepeatedPtrField<std::string>* ids) {
        const auto last = std::remove(ids->begin(), ids->end(), person_id);
        const int removed = static_cast<int>(ids->end() - last);
        ids->erase(last, ids->end());
        return removed;
      };
      result->likes_removed += strip(p.mutable_liked_by());
      result->mentions_removed += strip(p.mutable_mentioned());
      w->posts.push_back(std::move(p));
    }
    return absl::OkStatus();
  }

  // The full stored record of a post, from whichever database holds it.
  std::optional<v1::Post> ReadPostLocked(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    const std::string term = kIdPrefix + id;
    for (Xapian::WritableDatabase* db : {&*private_db, &*posts_db}) {
      auto it = db->postlist_begin(term);
      if (it == db->postlist_end(term)) continue;
      v1::Post p;
      if (p.ParseFromString(db->get_document(*it).get_data())) return p;
    }
    return std::nullopt;
  }

  // INVALID_ARGUMENT when a person of `batch` (its last version of each id)
  // would close a management cycle, within the batch or through stored
  // people.
  absl::Status CheckManagerCyclesLocked(std::span<const v1::Person> batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::unordered_map<std::string, const std::string*> in_batch;
    for (const auto& p : batch) in_batch[p.id()] = &p.manager_id();
    const auto* stored = &people;  // held; the analysis skips lambdas
    auto manager = [&](const std::string& id) -> const std::string* {
      if (auto it = in_batch.find(id); it != in_batch.end()) return it->second;
      auto it = stored->find(id);
      return it == stored->end() ? nullptr : &it->second->manager_id();
    };
    for (size_t i = 0; i < batch.size(); ++i) {
      if (in_batch[batch[i].id()] != &batch[i].manager_id()) continue;
      std::vector<std::string> cycle = FindCycle(batch[i].id(), manager);
      if (!cycle.empty()) {
        return Invalid(absl::StrCat("people[", i, "]"), "manager_id",
                       absl::StrCat("would close a management cycle (",
                                    DescribeChain(cycle), ")"));
      }
    }
    return absl::OkStatus();
  }

  // INVALID_ARGUMENT when a post of `batch` (its last version of each id)
  // would close a reply cycle, within the batch or through stored posts.
  absl::Status CheckReplyCyclesLocked(std::span<const v1::Post> batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::unordered_map<std::string, const std::string*> in_batch;
    for (const auto& p : batch) in_batch[p.id()] = &p.parent_id();
    const auto* stored = &posts;  // held; the analysis skips lambdas
    auto parent = [&](const std::string& id) -> const std::string* {
      if (auto it = in_batch.find(id); it != in_batch.end()) return it->second;
      auto it = stored->find(id);
      return it == stored->end() ? nullptr : &it->second->parent_id.str();
    };
    for (size_t i = 0; i < batch.size(); ++i) {
      if (in_batch[batch[i].id()] != &batch[i].parent_id()) continue;
      std::vector<std::string> cycle = FindCycle(batch[i].id(), parent);
      if (!cycle.empty()) {
        return Invalid(absl::StrCat("posts[", i, "]"), "parent_id",
                       absl::StrCat("would close a reply cycle (",
                                    DescribeChain(cycle), ")"));
      }
    }
    return absl::OkStatus();
  }

  // A thread is as private as its most private post (Catalog::UpsertPosts):
  // gives public posts of the batch the visibility they inherited before
  // (sticky) or that of a private ancestor, and returns the stored public
  // posts below a private post of the batch, with its visibility, to be
  // rewritten.
  std::vector<v1::Post> InheritPrivacyLocked(std::vector<v1::Post*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
    std::unordered_map<std::string, v1::Post*> in_batch;
    for (v1::Post* p : batch) in_batch[p->id()] = p;
    const auto* stored = &posts;  // held; the analysis skips lambdas
    // What each post inherited before is the server's to say, and sticky.
    for (v1::Post* p : batch) {
      p->clear_inherited_visibility();
      auto it = stored->find(p->id());
      if (it == stored->end() || it->second->inherited_visibility.empty())
        continue;
      p->set_inherited_visibility(it->second->inherited_visibility);
      if (IsPublic(*p)) p->set_visibility(p->inherited_visibility());
    }
    auto private_visibility = [&](const std::string& id) -> const std::string* {
      if (id.empty()) return nullptr;
      if (auto it = in_batch.find(id); it != in_batch.end())
        return IsPublic(*it->second) ? nullptr : &it->second->visibility();
      if (auto it = stored->find(id); it != stored->end())
        return it->second->is_public ? nullptr : &it->second->visibility.str();
      return nullptr;
    };
    // Down from ancestors: repeated until nothing changes, so that order
    // within the batch does not matter (each round privatizes at least one
    // post, so at most batch.size() + 1 rounds).
    for (bool changed = true; changed;) {
      changed = false;
      for (v1::Post* p : batch) {
        if (!IsPublic(*p)) continue;
        const std::string* v = private_visibility(p->parent_id());
        if (!v && p->thread_id() != p->id())
          v = private_visibility(p->thread_id());
        if (v) {
          p->set_visibility(*v);
          p->set_inherited_visibility(*v);
          changed = true;
        }
      }
    }
    // Up to stored descendants, which may have arrived first.
    std::vector<const v1::Post*> sources;
    for (v1::Post* p : batch)
      if (!IsPublic(*p) && referenced.contains(IdHash(p->id())))
        sources.push_back(p);
    std::vector<v1::Post> rewritten;
    if (sources.empty()) return rewritten;
    std::unordered_map<std::string, std::vector<std::string>> children, thread;
    for (const auto& [id, m] : posts) {
      if (in_batch.count(id) || !m->is_public) continue;
      if (!m->parent_id.empty()) children[m->parent_id].push_back(id);
      if (m->thread_id != id) thread[m->thread_id].push_back(id);
    }
    std::unordered_set<std::string> done;
    for (const v1::Post* source : sources) {
      std::vector<std::string> work;
      auto add = [&](const std::string& id) {
        if (auto it = children.find(id); it != children.end())
          work.insert(work.end(), it->second.begin(), it->second.end());
      };
      add(source->id());
      if (source->thread_id() == source->id()) {
        if (auto it = thread.find(source->id()); it != thread.end())
          work.insert(work.end(), it->second.begin(), it->second.end());
      }
      while (!work.empty()) {
        std::string id = std::move(work.back());
        work.pop_back();
        if (!done.insert(id).second) continue;
        add(id);
        std::optional<v1::Post> p = ReadPostLocked(id);
        if (!p) continue;
        p->set_visibility(source->visibility());
        p->set_inherited_visibility(source->visibility());
        rewritten.push_back(std::move(*p));
      }
    }
    return rewritten;
  }
};

Catalog::Catalog(const CatalogOptions& options)
    : options_(options), impl_(std::make_unique<Impl>()) {}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(
    const CatalogOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: required");
  }
  if (options.read_attempts < 1 || options.read_attempts > 100) {
    return absl::InvalidArgumentError("read_attempts: must be 1-100");
  }
  if (options.bulk_commit_records < 0) {
    return absl::InvalidArgumentError("bulk_commit_records: must be >= 0");
  }
  if (options.change_log_entries < 0) {
    return absl::InvalidArgumentError("change_log_entries: must be >= 0");
  }
  if (options.group_cache_posts < 0) {
    return absl::InvalidArgumentError("group_cache_posts: must be >= 0");
  }
  if (auto s = options.validation.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("validation.", s.message()));
  }
  auto shards = ParsePostShards(options.post_shards);
  if (!shards.ok()) return shards.status();
  const bool read_only = options.read_only || options.follow;
  std::unique_ptr<Catalog> c(new Catalog(options));
  Impl& d = *c->impl_;
  d.shards = *std::move(shards);
  // 1. Options and the dictionary for cross-lingual search.
  const DataDir dir(options.data_dir);
  d.posts_path = dir.posts();
  d.private_path = dir.private_posts();
  d.people_path = dir.people();
  d.graph_path = dir.graph();
  d.journal_path = dir.batch_journal();
  d.derived_path = dir.derived_state();
  d.graph_state_path = dir.graph_state();
  d.docid_state_path = dir.docid_state();
  d.read_attempts = options.read_attempts;
  d.publish_hook = options.publish_hook;
  d.follow_hook = options.follow_hook;
  d.follow_read_hook = options.follow_read_hook;
  d.after_commit = options.after_commit;
  d.on_background_error = options.on_background_error;
  d.bulk_commit_records = options.bulk_commit_records;
  d.graph_options = options.graph;
  d.graph_save_interval = options.graph_save_interval;
  d.graph_save_cpu_share = options.graph_save_cpu_share;
  d.follow = options.follow;
  if (!read_only && (!d.shards.empty() || options.change_log_on_folder))
    d.change_log_keep = options.change_log_entries;
  d.default_language = options.default_language;
  d.dictionary = options.dictionary;
  d.group_dbs = std::make_unique<GroupDatabases>(options.group_cache_posts,
                                                 kVisibilityPrefix, kIdPrefix);
  if (!d.dictionary && !options.dictionary_dir.empty()) {
    auto dict = Dictionary::LoadFreedict(options.dictionary_dir);
    if (!dict.ok()) return dict.status();
    d.dictionary = std::make_shared<const Dictionary>(std::move(*dict));
  }
  // CatalogOptions::follow: what the records read at Open are as of.
  std::string followed;
  ChangeLogPosition followed_log;
  {
    // Nothing else can see the catalog yet; the lock is for the analysis.
    Impl::WriteLock lock(d);
    try {
      // 2. The folder, its lock and the writers (or, read-only, a check
      //    that there is something to read).
      absl::Time stage = absl::Now();
      WK_RETURN_IF_ERROR(d.OpenStoresLocked(dir, read_only));
      d.open_timings.stores_us = LapUs(stage);
      // 3. Every person and every post's metadata, into memory (a
      //    follower notes what it read first: a change while it reads is
      //    read again at its first tick).
      if (options.follow) {
        followed = d.FollowedState();
        followed_log = ReadChangeLogPosition(Xapian::Database(d.people_path));
      }
      if (d.shards.empty()) {
        WK_RETURN_IF_ERROR(d.LoadRecordsAndGraphLocked(d.StampsLocked()));
      } else {
        WK_RETURN_IF_ERROR(d.LoadRecordsLocked());
      }
      if (!read_only) {
        for (int i = 0; i < kStoreCount; ++i)
          d.NoteRevisionLocked(static_cast<Store>(i));
      }
      d.open_timings.records_us = LapUs(stage);
      d.open_timings.records_from_file = d.records_from_file;
    } catch (const Xapian::DatabaseLockError& e) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data folder ", options.data_dir,
          " is locked by another writer (is `whoknows serve` running on it?): ",
          e.get_msg()));
    } catch (const Xapian::Error& e) {
      return XapianError(absl::StrCat("opening ", options.data_dir), e);
    }
  }
  if (options.follow) {
    absl::MutexLock following(&d.follow_mu);
    d.follow_seen = std::move(followed);
    d.follow_log = std::move(followed_log);
  }
  // 4. The first snapshot, then the refresher that publishes later writes.
  absl::Time stage = absl::Now();
  d.Publish(/*opening=*/true);
  d.open_timings.publish_us = LapUs(stage);
  {
    absl::MutexLock lock(&d.snap_mu);
    d.open_timings.first_publish = d.last_publish;
  }
  if (options.follow && options.refresh_interval.count() > 0) {
    d.StartFollower(options.refresh_interval);
  } else if (!read_only && options.refresh_interval.count() > 0) {
    d.StartRefresher(options.refresh_interval, options.publish_cpu_share,
                     absl::Microseconds(d.open_timings.publish_us));
  }
  if (!read_only && !options.follow) d.StartGraphSaver();
  return c;
}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::OpenForReading(
    const std::string& data_dir) {
  CatalogOptions o;
  o.data_dir = data_dir;
  o.read_only = true;
  o.refresh_interval = std::chrono::milliseconds(0);
  return Open(o);
}

Catalog::~Catalog() {
  {
    // Wakes the refresher: absl::Mutex re-evaluates its condition on unlock.
    absl::MutexLock lock(&impl_->stop_mu);
    impl_->stopping = true;
  }
  if (impl_->refresher.joinable()) impl_->refresher.join();
  if (impl_->saver.joinable()) impl_->saver.join();
  impl_->SaveGraphIfDue(/*closing=*/true);
  std::shared_ptr<const Snapshot> published;
  {
    absl::MutexLock lock(&impl_->snap_mu);
    published = impl_->snap;
  }
  // Whether graph.tsv holds the graph graph.bin is written from: the
  // threads that publish and save are gone, so neither moves on.
  bool tsv_in_step = false;
  if (published && published->graph) {
    absl::MutexLock saving(&impl_->graph_mu);
    tsv_in_step = !impl_->graph_save_failed &&
                  impl_->saved_graph.lock() == published->graph;
  }
  absl::MutexLock w(&impl_->write_mu);
  if (absl::Status s = impl_->CommitBulkLocked(); !s.ok()) {
    std::fprintf(stderr, "whoknows: %s\n", s.ToString().c_str());
  }
  impl_->FlushChangeLogLocked();
  // The records and their graph for the next Open, when they are not on
  // disk already.
  impl_->SaveDerivedLocked();
  impl_->SaveGraphStateLocked(published, tsv_in_step);
  impl_->SaveDocidStateLocked(published);
  try {
    // Writes are committed; this only releases the lock.
    if (impl_->posts_db) impl_->posts_db->close();
    if (impl_->private_db) impl_->private_db->close();
    if (impl_->people_db) impl_->people_db->close();
  } catch (const Xapian::Error&) {
  }
}

absl::Status Catalog::UpsertPeople(std::span<const v1::Person> people,
                                   const UpsertPolicy& policy) {
  return Upsert(people, {}, policy);
}

absl::StatusOr<bool> Catalog::SetOptOut(const std::string& person_id,
                                        bool opted_out) {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  if (person_id.empty())
    return absl::InvalidArgumentError("person_id: required");
  Impl& d = *impl_;
  Impl::WriteLock lock(d);
  auto stored = d.people.find(person_id);
  if (stored == d.people.end())
    return absl::NotFoundError(
        absl::StrCat("person_id: no person \"", person_id, "\""));
  if (stored->second->opted_out() == opted_out) return false;
  WK_RETURN_IF_ERROR(d.CommitBulkLocked());
  v1::Person p = *stored->second;
  p.set_opted_out(opted_out);
  try {
    Xapian::Document doc;
    doc.add_boolean_term(kIdPrefix + p.id());
    doc.set_data(p.SerializeAsString());
    d.people_db->replace_document(kIdPrefix + p.id(), doc);
    ChangeLogEntry entry;
    entry.people.push_back(p.id());
    d.LogChangeLocked(entry);
    d.people_db->commit();
    d.NoteRevisionLocked(Store::kPeople);
  } catch (const Xapian::Error& e) {
    try {
      d.people_db->close();
      d.people_db.emplace(d.people_path, Xapian::DB_OPEN);
      if (d.change_log_keep > 0) {
        d.log_pos = ReadChangeLogPosition(*d.people_db);
        d.NoteChangeLocked(ChangeLogEntry::Full(kFailedWrite));
      }
    } catch (const Xapian::Error&) {
    }
    return XapianError("writing people", e);
  }
  stored->second = std::make_shared<v1::Person>(std::move(p));
  d.full_change = true;  // what the snapshot leaves out changes
  d.MarkDirtyLocked();
  return true;
}

absl::Status Catalog::UpsertPosts(std::span<const v1::Post> posts) {
  return Upsert({}, posts, UpsertPolicy{});
}

absl::Status Catalog::Upsert(std::span<const v1::Person> people,
                             std::span<const v1::Post> posts,
                             const UpsertPolicy& policy) {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  for (size_t i = 0; i < people.size(); ++i) {
    WK_RETURN_IF_ERROR(ValidatePerson(
        people[i], absl::StrCat("people[", i, "]"), options_.validation));
  }
  for (size_t i = 0; i < posts.size(); ++i) {
    WK_RETURN_IF_ERROR(ValidatePost(posts[i], absl::StrCat("posts[", i, "]"),
                                    options_.validation));
  }
  Impl& d = *impl_;
  Impl::WriteLock lock(d);
  WK_RETURN_IF_ERROR(d.ReconnectLocked());
  WK_RETURN_IF_ERROR(d.FinishPendingLocked());
  // Minimal records (people known only from their posts) are written only
  // for people not stored yet: never over a directory record or its
  // opt-out. A loop, not a lambda: the analysis sees write_mu held here.
  std::vector<v1::Person> fresh;
  if (policy.only_new) {
    for (const auto& p : people)
      if (!d.people.contains(p.id())) fresh.push_back(p);
    people = fresh;
  }
  // Nothing to write (an IngestStream message without records, people all
  // stored already) commits nothing: with a change log, each would be an
  // empty entry pushing those followers need out of the log.
  if (people.empty() && posts.empty()) return absl::OkStatus();
  WK_RETURN_IF_ERROR(d.CheckManagerCyclesLocked(people));
  WK_RETURN_IF_ERROR(d.CheckReplyCyclesLocked(posts));
  BatchWrites w;
  // Sticky opt-out: decided under the writer lock, against what is stored.
  w[Store::kPeople].people = d.StickyOptOutLocked(people, policy);
  try {
    d.PreparePostsLocked(posts, &w);
  } catch (const Xapian::Error& e) {
    return d.WriteError("reading stored posts", e);
  }
  return d.CommitLocked(w, "writing");
}

absl::StatusOr<bool> Catalog::DeletePost(const std::string& post_id) {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  if (post_id.empty()) return absl::InvalidArgumentError("post_id: required");
  Impl& d = *impl_;
  Impl::WriteLock lock(d);
  WK_RETURN_IF_ERROR(d.ReconnectLocked());
  WK_RETURN_IF_ERROR(d.FinishPendingLocked());
  auto stored = d.posts.find(post_id);
  if (stored == d.posts.end()) return false;
  // Deleted where it is: one database, one commit. A folder written before
  // moves were journaled may hold it in both; then both (journaled).
  BatchWrites w;
  try {
    for (Store s : {Store::kPosts, Store::kPrivatePosts})
      if (d.DbLocked(s).term_exists(kIdPrefix + post_id))
        w[s].deleted.push_back(post_id);
  } catch (const Xapian::Error& e) {
    return d.WriteError("reading stored posts", e);
  }
  if (w.StoresTouched() == 0) {
    const Store s =
        stored->second->is_public ? Store::kPosts : Store::kPrivatePosts;
    w[s].deleted.push_back(post_id);
  }
  WK_RETURN_IF_ERROR(d.CommitLocked(w, "deleting post"));
  return true;
}

absl::StatusOr<DeletePersonResult> Catalog::DeletePerson(
    const std::string& person_id) {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  if (person_id.empty())
    return absl::InvalidArgumentError("person_id: required");
  Impl& d = *impl_;
  Impl::WriteLock lock(d);
  WK_RETURN_IF_ERROR(d.ReconnectLocked());
  WK_RETURN_IF_ERROR(d.FinishPendingLocked());
  DeletePersonResult result;
  result.found = d.people.count(person_id) > 0;
  // Everything is read (and checked) before anything changes, so that a
  // corrupt record leaves no half-done deletion.
  BatchWrites w;
  try {
    for (Store s : {Store::kPosts, Store::kPrivatePosts}) {
      WK_RETURN_IF_ERROR(
          d.CollectPersonPostsLocked(s, person_id, &w[s], &result));
      result.posts_deleted += static_cast<int>(w[s].deleted.size());
    }
  } catch (const Xapian::Error& e) {
    return d.WriteError("reading stored posts", e);
  }
  // Their profile, and the people who had them as their manager.
  StoreWrites& people = w[Store::kPeople];
  people.deleted.push_back(person_id);
  for (const auto& [id, person] : d.people) {
    if (person->manager_id() != person_id || id == person_id) continue;
    v1::Person updated = *person;
    updated.clear_manager_id();
    people.people.push_back(std::move(updated));
  }
  result.manager_references_cleared = static_cast<int>(people.people.size());
  WK_RETURN_IF_ERROR(d.CommitLocked(w, "deleting person"));
  d.full_change = true;  // ties taken away: the graph is built afresh
  // Snapshots copied from here on hold no trace of them: the files derived
  // from those may be written again.
  d.erasures_committed = d.erasures_begun.load();
  return result;
}

absl::Status Catalog::HoldDerivedFilesForErasure() {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  Impl& d = *impl_;
  // Under graph_mu, so that a save in flight ends before the file goes and
  // every later one sees the hold.
  absl::MutexLock saving(&d.graph_mu);
  d.erasures_begun.fetch_add(1);
  d.saved_graph.reset();  // the next allowed publish's graph is saved
  return RemoveFileDurably(d.graph_path);
}

bool Catalog::MayPersistDerivedFrom(const Snapshot& s) const {
  return s.erasures_committed >= impl_->erasures_begun.load();
}

namespace {

int64_t FolderBytes(const std::string& path) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec))
      total += static_cast<int64_t>(entry.file_size(ec));
  }
  return total;
}

}  // namespace

absl::StatusOr<CompactResult> Catalog::Compact() {
  if (!impl_->HasWriter())
    return absl::FailedPreconditionError("catalog is read-only");
  Impl& d = *impl_;
  if (!d.shards.empty()) {
    return absl::FailedPreconditionError(
        "posts are on remote shards: compact each shard on its machine "
        "(xapian-compact, docs/operations.md \"Topology\")");
  }
  Impl::WriteLock lock(d);
  WK_RETURN_IF_ERROR(d.CommitBulkLocked());
  // New databases, new stamps: the file is written anew at close.
  d.ForgetDerivedLocked();
  CompactResult result;
  result.bytes_before = FolderBytes(d.posts_path) +
                        FolderBytes(d.private_path) +
                        FolderBytes(d.people_path);
  absl::Status status;
  try {
    status = d.CompactLocked(d.posts_db, d.posts_path);
    if (status.ok()) status = d.CompactLocked(d.private_db, d.private_path);
    if (status.ok()) status = d.CompactLocked(d.people_db, d.people_path);
  } catch (const Xapian::Error& e) {
    status = XapianError("compacting", e);
  }
  // Readers of the replaced folders are dropped; Xapian readers still in
  // use finish on the old files, which outlive their removal.
  d.files.fetch_add(1);
  {
    absl::MutexLock pool_lock(&d.pool_mu);
    d.pool.clear();
  }
  if (!d.posts_db || !d.private_db || !d.people_db) {
    // A failure that left no writer: reopen, or report the catalog unusable.
    try {
      if (!d.posts_db) d.posts_db.emplace(d.posts_path, Xapian::DB_OPEN);
      if (!d.private_db) d.private_db.emplace(d.private_path, Xapian::DB_OPEN);
      if (!d.people_db) d.people_db.emplace(d.people_path, Xapian::DB_OPEN);
    } catch (const Xapian::Error& e) {
      return XapianError("reopening after a failed compaction", e);
    }
  }
  if (!status.ok()) return status;
  // The databases are new files: followers' replicas copy them whole, and
  // followers read everything.
  d.NoteChangeLocked(ChangeLogEntry::Full("a compaction"));
  result.bytes_after = FolderBytes(d.posts_path) + FolderBytes(d.private_path) +
                       FolderBytes(d.people_path);
  return result;
}

absl::Status Catalog::Commit() {
  if (!impl_->HasWriter()) return absl::OkStatus();
  Impl::WriteLock lock(*impl_);
  return impl_->CommitBulkLocked();
}

void Catalog::Refresh() {
  if (impl_->follow) {
    impl_->FollowOnce();
  } else {
    impl_->Publish();
  }
}

absl::Status Catalog::background_error() const {
  absl::MutexLock lock(&impl_->snap_mu);
  return impl_->bg_error;
}

CatalogStats Catalog::stats() const {
  const Impl& d = *impl_;
  CatalogStats s;
  for (int i = 0; i < kStoreCount; ++i) s.revisions[i] = d.revisions[i];
  s.generation = d.generation.load();
  s.last_publish_ms = d.last_publish_ms;
  s.last_publish_duration_ms = d.last_publish_duration_ms;
  s.last_write_ms = d.last_write_ms;
  s.oldest_unpublished_write_ms = d.oldest_unpublished_ms;
  s.writes_waiting = d.writes_waiting;
  s.bulk_pending_records = d.pending_records;
  {
    absl::MutexLock lock(&d.pool_mu);  // a leaf, held for a size()
    s.reader_pool = static_cast<int64_t>(d.pool.size());
  }
  {
    absl::MutexLock lock(&d.snap_mu);  // held for a copy
    s.last_publish = d.last_publish;
  }
  s.open = d.open_timings;
  s.follow_incremental = d.follow_incremental;
  s.follow_posts_read = d.follow_posts_read;
  s.follow_people_read = d.follow_people_read;
  s.follow_full_reloads = d.follow_full_reloads;
  return s;
}

std::shared_ptr<const Snapshot> Catalog::snapshot() const {
  absl::MutexLock lock(&impl_->snap_mu);
  return impl_->snap;
}

absl::StatusOr<SearchResult> Catalog::Search(const SearchOptions& o) const {
  SearchResult result;
  const Xapian::Query query =
      SearchQuery(o, impl_->QueryLanguages(), impl_->dictionary.get());
  if (query.empty()) return result;
  // A public-only search reads the public database alone, so that no
  // private post moves a term's statistics and hence a score; a member's
  // search (groups) reads it with their groups' databases alone.
  absl::Status status = impl_->ReadWithRetry(
      "search", "search: index kept changing; try again",
      [&](const Impl::Reader& reader) {
        return impl_->ReadIn(
            reader, !o.public_only, o.groups, [&](const Xapian::Database& db) {
              Xapian::Enquire enquire(db);
              enquire.set_query(VisibleIn(db, impl_->shards.empty(), o, query));
              // On remote shards, reading a hit's id from its document is a
              // round trip a hit (Xapian 1.4's remote backend streams no
              // values): each hit's id comes back with the MSet instead, as
              // its collapse key. Ids are unique: nothing is collapsed.
              const bool ids_as_keys = !impl_->shards.empty();
              if (ids_as_keys) enquire.set_collapse_key(kIdSlot);
              Xapian::MSet mset = enquire.get_mset(0, std::max(1, o.max_posts));
              result.matched_estimate =
                  ids_as_keys ? mset.get_uncollapsed_matches_estimated()
                              : mset.get_matches_estimated();
              // The docid table numbers the public database's documents only,
              // which a combined database's docids do not.
              result.numbered = o.numbering && o.numbering->dense;
              if (!result.numbered) {
                result.hits = HitsOf(db, mset, ids_as_keys);
              } else {
                result.hits = NumberedHits(
                    db, reader.files, mset, *o.numbering->dense,
                    &db == &reader.pub ? o.numbering->docids.get() : nullptr,
                    ids_as_keys);
              }
              return absl::OkStatus();
            });
      });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> Catalog::SearchOnly(const SearchOptions& o) const {
  const Xapian::Query query =
      SearchQuery(o, impl_->QueryLanguages(), impl_->dictionary.get());
  if (query.empty()) return 0;
  int64_t size = 0;
  WK_RETURN_IF_ERROR(impl_->ReadScoped(
      "search", "search: index kept changing; try again", !o.public_only,
      o.groups, [&](const Xapian::Database& db) {
        Xapian::Enquire enquire(db);
        enquire.set_query(VisibleIn(db, impl_->shards.empty(), o, query));
        size = enquire.get_mset(0, std::max(1, o.max_posts)).size();
        return absl::OkStatus();
      }));
  return size;
}

std::vector<std::vector<std::string>> Catalog::QueryTerms(
    const std::string& query) const {
  return QueryWordTerms(query, impl_->QueryLanguages(),
                        impl_->dictionary.get());
}

namespace {

// A post's stemmed words and their frequencies (ForEachPostTerms).
void StemmedTerms(const Xapian::Document& doc,
                  std::vector<Catalog::TermCount>& terms) {
  terms.clear();
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
    const std::string& term = *t;
    // Stemmed words only: the unstemmed copies and boolean terms (ids,
    // authors, tags...) would only add noise.
    if (term.size() < 2 || term[0] != 'Z') continue;
    terms.push_back({term, t.get_wdf()});
  }
}

}  // namespace

absl::Status Catalog::ForEachPostTerms(
    const std::function<void(const std::string& post_id,
                             const std::vector<TermCount>& terms)>& fn,
    bool include_private) const {
  std::vector<TermCount> terms;
  // The first document not read yet: a try after a commit discarded the
  // revision goes on from it (a post keeps its docid when rewritten; new
  // ones come after), in the same database only: `read_in` names it (its
  // files and UUID: a compaction renumbers the docids into new files).
  // Several databases (private posts beside the public ones, shards)
  // interleave their docids, where a post added to one may come before
  // `next`: such a read starts over, as any read does.
  Xapian::docid next = 1;
  std::string read_in;
  uint64_t read = 0;  // posts read by tries that can go on: ReadWithRetry
  return impl_->ReadWithRetry(
      "reading post terms", "reading post terms: index kept changing",
      [&](const Impl::Reader& reader) {
        const Xapian::Database& db = reader.db(include_private);
        std::string in = absl::StrCat(reader.files, ":", db.get_uuid());
        const bool goes_on = db.size() == 1;
        if (!goes_on || in != read_in) next = 1;
        read_in = std::move(in);
        auto it = db.postlist_begin("");
        if (next > 1) it.skip_to(next);
        for (; it != db.postlist_end(""); ++it) {
          const Xapian::docid did = *it;
          Xapian::Document doc = db.get_document(did);
          StemmedTerms(doc, terms);
          fn(doc.get_value(kIdSlot), terms);
          next = did + 1;
          if (goes_on) ++read;
        }
        return absl::OkStatus();
      },
      /*newest=*/false, &read);
}

absl::Status Catalog::ForEachPostTerms(
    const std::vector<std::string>& post_ids,
    const std::function<void(const std::string& post_id,
                             const std::vector<TermCount>& terms)>& fn) const {
  std::vector<TermCount> terms;
  uint64_t next = 0;  // of post_ids, as above
  return impl_->ReadWithRetry(
      "reading post terms", "reading post terms: index kept changing",
      [&](const Impl::Reader& reader) {
        const Xapian::Database& db = reader.db(false);
        for (; next < post_ids.size(); ++next) {
          const std::string& id = post_ids[next];
          const std::string term = kIdPrefix + id;
          auto it = db.postlist_begin(term);
          if (it == db.postlist_end(term)) continue;
          StemmedTerms(db.get_document(*it), terms);
          fn(id, terms);
        }
        return absl::OkStatus();
      },
      /*newest=*/false, &next);
}

namespace {

// The text a post's snippet is made from.
const std::string& SnippetSource(const v1::Post& post) {
  return post.body().empty() ? post.title() : post.body();
}

}  // namespace

absl::StatusOr<std::vector<PostText>> Catalog::Fetch(
    const std::string& query_text, const std::vector<std::string>& post_ids,
    size_t snippet_bytes, bool include_private,
    const std::vector<std::string>& groups) const {
  std::vector<PostText> out;
  if (post_ids.empty()) return out;
  Xapian::Query query =
      BuildQuery(query_text, impl_->QueryLanguages(), impl_->dictionary.get());
  if (query.empty()) {
    // No word to weigh (stopwords only, or no query): the statistics of
    // the ids' match, which weigh no word of a text either.
    std::vector<Xapian::Query> ids;
    for (const auto& id : post_ids) ids.emplace_back(kIdPrefix + id);
    query = Xapian::Query(Xapian::Query::OP_OR, ids.begin(), ids.end());
  }
  // Each post is read by its id term. A text no longer than the snippet is
  // its own snippet (MSet::snippet returns it as it is, touching nothing).
  // A longer one is chosen by the query's words alone, weighed by the
  // statistics of a match that matches nothing (get_mset(0, 0): the
  // statistics are the whole database's, no document is matched).
  // Xapian's background model would also weigh every other word of the
  // text by its frequency: a term lookup a word (a block read at 1M posts,
  // a round trip to a shard on remote shards), and the weights it caches
  // in the MSet made a snippet depend on those made before it. On the five
  // Stack Exchange dumps and the 100k company it changed which query words
  // a snippet holds in 5 snippets of 39,628 (2 held more with it, 3
  // without; docs/ranking.md); without it, a local and a sharded catalog
  // make the same snippets.
  // A text that holds none of the query's words (evidence found by its
  // thread, or in another language's words) shows its opening: Xapian,
  // with no word to weigh, picks a window from its middle or its end.
  constexpr unsigned kSnippetFlags = Xapian::MSet::SNIPPET_EXHAUSTIVE |
                                     Xapian::MSet::SNIPPET_EMPTY_WITHOUT_MATCH;
  std::unordered_map<std::string, PostText> by_id;
  absl::Status status = impl_->ReadScoped(
      "fetch", "fetch: index kept changing; try again", include_private, groups,
      [&](const Xapian::Database& db) {
        by_id.clear();
        std::vector<PostText*> long_texts;
        for (const std::string& id : post_ids) {
          if (by_id.contains(id)) continue;
          const std::string term = kIdPrefix + id;
          const Xapian::PostingIterator found = db.postlist_begin(term);
          if (found == db.postlist_end(term)) continue;
          PostText t;
          const Xapian::Document doc = db.get_document(*found);
          if (!t.post.ParseFromString(doc.get_data())) {
            return absl::DataLossError(
                absl::StrCat("corrupt post record ", *found, " (post ", id,
                             ") in ", impl_->posts_path));
          }
          // A folder not yet migrated (read-only) may hold private posts
          // among the public ones.
          if (!include_private && !IsPublic(t.post) &&
              !std::binary_search(groups.begin(), groups.end(),
                                  t.post.visibility()))
            continue;
          PostText& kept = by_id[t.post.id()] = std::move(t);
          // MSet::snippet escapes for HTML; clients get plain text.
          if (SnippetSource(kept.post).size() <= snippet_bytes)
            kept.snippet = HtmlToText(SnippetSource(kept.post));
          else
            long_texts.push_back(&kept);
        }
        if (long_texts.empty()) return absl::OkStatus();
        Xapian::Enquire enquire(db);
        enquire.set_query(query);
        const Xapian::MSet mset = enquire.get_mset(0, 0);
        for (PostText* t : long_texts) {
          t->snippet = HtmlToText(
              mset.snippet(SnippetSource(t->post), snippet_bytes,
                           Xapian::Stem(StemmerNameFor(t->post.language())),
                           kSnippetFlags, "", "", "…"));
          if (t->snippet.empty()) {
            t->snippet =
                Opening(HtmlToText(SnippetSource(t->post)), snippet_bytes);
          }
        }
        return absl::OkStatus();
      },
      // The newest revision, so that a post that has turned private since
      // the caller's snapshot is no longer among the public ones.
      /*newest=*/true);
  if (!status.ok()) return status;
  std::unordered_map<std::string_view, size_t> moved_to;
  for (const auto& id : post_ids) {
    // Moved, not copied; an id asked again copies its first answer.
    if (auto it = by_id.find(id); it != by_id.end()) {
      out.push_back(std::move(it->second));
      by_id.erase(it);
      moved_to[id] = out.size() - 1;
    } else if (auto m = moved_to.find(id); m != moved_to.end()) {
      out.push_back(out[m->second]);
    }
  }
  return out;
}

}  // namespace whoknows::index
