#include "index/dense_index.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "index/catalog.h"
#include "index/people.h"

namespace whoknows::index {
namespace {

template <typename Map, typename View>
uint32_t Lookup(const Map& numbers, View id) {
  auto it = numbers.find(id);
  return it == numbers.end() ? DenseIndex::kNone : it->second;
}

// The first eight bytes of `id` as a big-endian integer, zero-padded:
// where two ids' prefixes differ, they order as the ids do (std::string
// compares bytes unsigned, and a shorter id whose bytes all match is a
// prefix of the other, the smaller one).
uint64_t IdPrefix(std::string_view id) {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key <<= 8;
    if (i < id.size()) key |= static_cast<unsigned char>(id[i]);
  }
  return key;
}

// A post's place in the order NumberPosts reads them, keyed by its id's
// prefix.
struct Keyed {
  uint64_t prefix;
  uint32_t place;
};

// Sorts `keyed` by prefix, stably: a least-significant-digit radix sort,
// a byte a pass, passes over a byte all keys share skipped (ids of one
// scheme share their first bytes). O(n) a pass: std::sort's comparisons
// were a quarter of the numbering's instructions at 100k posts.
void SortByPrefix(std::vector<Keyed>& keyed) {
  std::array<std::array<uint32_t, 256>, 8> counts{};
  for (const Keyed& k : keyed)
    for (size_t b = 0; b < 8; ++b) ++counts[b][(k.prefix >> (8 * b)) & 0xff];
  std::vector<Keyed> sorted;
  for (size_t b = 0; b < 8; ++b) {
    std::array<uint32_t, 256>& count = counts[b];
    if (std::find(count.begin(), count.end(), keyed.size()) != count.end())
      continue;  // every key has this byte
    uint32_t start = 0;
    for (uint32_t& c : count) start += std::exchange(c, start);
    sorted.resize(keyed.size());
    for (const Keyed& k : keyed)
      sorted[count[(k.prefix >> (8 * b)) & 0xff]++] = k;
    keyed.swap(sorted);
  }
}

// Thread k's answers, from its posts (numbered already), and each post's
// thread set to k. Written only where it changes: most members of a thread
// a reply joins keep their thread, and their chunks stay shared.
template <typename ThreadT>
void MarkThread(uint32_t k, ThreadT& t,
                const ChunkedArray<DenseIndex::Facts>& facts,
                ChunkedArray<uint32_t>& thread_of) {
  for (const uint32_t n : t.posts) {
    if (facts[n].kind() == v1::POST_KIND_ANSWER) t.answers.push_back(n);
    if (thread_of[n] != k) thread_of.Mutable(n) = k;
  }
}

// A post's Facts, its author numbered already.
DenseIndex::Facts FactsOf(const PostMeta& m, uint32_t author) {
  static_assert(v1::PostKind_MAX <= 255, "Facts::kind_value is 8 bits");
  return {.created = m.created,
          .author = author,
          .kind_value = static_cast<uint8_t>(m.kind),
          .accepted = m.accepted,
          .is_public = m.is_public};
}

}  // namespace

uint32_t DenseIndex::PostNumber(std::string_view post_id) const {
  return post_numbers_.Find(post_id);
}

uint32_t DenseIndex::PostNumbers::Find(std::string_view id) const {
  if (!delta.empty()) {
    if (auto it = delta.find(id); it != delta.end()) return it->second;
  }
  return Lookup(*base, id);
}

void DenseIndex::PostNumbers::Set(const PostMeta& record, uint32_t n) {
  // Erased first: assigning to an equal key would keep its view of an
  // older record.
  delta.erase(record.id);
  delta.emplace(record.id, n);
}

void DenseIndex::FoldPostNumbers() {
  constexpr size_t kMinFold = 1024;
  PostNumbers& t = post_numbers_;
  if (t.delta.size() <= std::max(kMinFold, t.base->size() / 16)) return;
  PostNumbers::Map folded(*t.base);
  for (const auto& [id, n] : t.delta) {
    folded.erase(id);
    if (n != kNone) folded.emplace(id, n);
  }
  // Every key now views a record of posts_: an id the delta lacks kept
  // its record since the base was built.
  t.base = std::make_shared<const PostNumbers::Map>(std::move(folded));
  // A copy of the chunks: Update's last step, so posts_ is not written
  // after it shares them.
  t.base_records =
      std::make_shared<const ChunkedArray<std::shared_ptr<const PostMeta>>>(
          posts_);
  t.delta.clear();
}

uint32_t DenseIndex::IdNumbers::Find(std::string_view id) const {
  // Owned keys: heterogeneous lookup takes abseil's string_view.
  const absl::string_view key(id.data(), id.size());
  if (!delta.empty()) {
    if (auto it = delta.find(key); it != delta.end()) return it->second;
  }
  return Lookup(*base, key);
}

std::pair<uint32_t, bool> DenseIndex::IdNumbers::Add(const std::string& id,
                                                     uint32_t next) {
  if (const uint32_t n = Find(id); n != kNone) return {n, false};
  delta.emplace(id, next);
  return {next, true};
}

void DenseIndex::IdNumbers::Fold() {
  constexpr size_t kMinFold = 1024;
  if (delta.empty()) return;
  if (base->empty()) {
    base = std::make_shared<const Map>(std::move(delta));
    delta = Map();
    return;
  }
  if (delta.size() <= std::max(kMinFold, base->size() / 16)) return;
  Map folded(*base);
  folded.reserve(base->size() + delta.size());
  for (auto& [id, n] : delta) folded.emplace(id, n);
  base = std::make_shared<const Map>(std::move(folded));
  delta.clear();
}

uint32_t DenseIndex::PersonNumber(std::string_view person_id) const {
  return person_numbers_.Find(person_id);
}

std::span<const uint32_t> DenseIndex::thread_of(uint32_t post) const {
  return threads_[thread_[post]]->posts;
}

std::span<const uint32_t> DenseIndex::thread_posts(
    std::string_view thread_id) const {
  const uint32_t k = thread_numbers_.Find(thread_id);
  if (k == kNone || k >= threads_.size() || !threads_[k]) return {};
  return threads_[k]->posts;
}

std::span<const uint32_t> DenseIndex::answers_of(uint32_t post) const {
  return threads_[thread_[post]]->answers;
}

uint32_t DenseIndex::AddPerson(const std::string& id) {
  const auto [n, added] =
      person_numbers_.Add(id, static_cast<uint32_t>(person_ids_.size()));
  if (added) {
    person_ids_.push_back(id);
    people_.push_back(nullptr);
    person_facts_.push_back({});
    activity_.push_back(nullptr);
  }
  return n;
}

void DenseIndex::SetPerson(uint32_t n,
                           std::shared_ptr<const v1::Person> person) {
  PersonFacts facts;
  if (person) {
    facts.suggestable = IsSuggestable(*person) && !person_ids_[n].empty();
    if (person->has_away_until())
      facts.away_until = person->away_until().seconds();
  }
  person_facts_.Mutable(n) = facts;
  people_.Mutable(n) = std::move(person);
}

// Numbers the thread `thread_id` of `next` afresh (its posts numbered
// already); a thread `next` lacks is left empty.
void DenseIndex::NumberThread(const std::string& thread_id,
                              const Snapshot& next) {
  auto members = next.threads.find(thread_id);
  NumberThread(thread_id,
               members == next.threads.end() ? nullptr : &members->second);
}

// The same with the thread's posts at hand (null: none).
void DenseIndex::NumberThread(const std::string& thread_id,
                              const std::vector<std::string>* members) {
  const auto [k, added] =
      thread_numbers_.Add(thread_id, static_cast<uint32_t>(threads_.size()));
  if (added) threads_.push_back(nullptr);
  auto t = std::make_shared<Thread>();
  if (members) {
    t->posts.reserve(members->size());
    for (const auto& id : *members) t->posts.push_back(PostNumber(id));
    MarkThread(k, *t, facts_, thread_);
  }
  threads_.Mutable(k) = std::move(t);
}

std::shared_ptr<const DenseIndex> DenseIndex::Build(const Snapshot& s) {
  return Finish(NumberPosts(s), s);
}

std::vector<const std::shared_ptr<const PostMeta>*> DenseIndex::MapOrder(
    const Snapshot& s) {
  std::vector<const std::shared_ptr<const PostMeta>*> order;
  order.reserve(s.posts.size());
  for (const auto& [id, m] : s.posts) order.push_back(&m);
  return order;
}

std::unique_ptr<DenseIndex> DenseIndex::NumberPosts(const Snapshot& s) {
  return NumberPosts(s, MapOrder(s));
}

std::unique_ptr<DenseIndex> DenseIndex::NumberPosts(const Snapshot& s,
                                                    PostOrder order) {
  auto d = std::make_unique<DenseIndex>();
  const size_t size = order.size();
  // One pass over the records, in `order`, takes all the numbering
  // needs from each (its pointer, the one reference count written; its
  // author, facts and id's table entry) while it is in cache; the passes
  // after it read these flat arrays. A pass over a million records in id
  // order missed the cache on each, and there were four (the numbering
  // was the first snapshot's longest stage at 1M posts). Each id's entry
  // holds its place until the places are numbered.
  std::vector<Keyed> keyed;
  keyed.reserve(size);
  std::vector<std::shared_ptr<const PostMeta>> records;
  records.reserve(size);
  std::vector<Facts> facts;
  facts.reserve(size);
  // An author id is Interned, one string however many posts name it, so
  // the authors are told apart by address before the sort by value (a
  // million posts, fifty thousand authors); each author's number is kept
  // by address too, a pointer's hash instead of the id's.
  std::vector<const std::string*> author_of;
  author_of.reserve(size);
  absl::flat_hash_map<const std::string*, uint32_t> authors;
  PostNumbers::Map numbers;
  numbers.reserve(size);
  for (const std::shared_ptr<const PostMeta>* record : order) {
    const std::shared_ptr<const PostMeta>& m = *record;
    const auto place = static_cast<uint32_t>(records.size());
    keyed.push_back({IdPrefix(m->id), place});
    records.push_back(m);
    author_of.push_back(&m->author_id.str());
    authors.try_emplace(author_of.back(), kNone);
    facts.push_back(FactsOf(*m, kNone));
    numbers.emplace(m->id, place);
  }
  // Posts, in id order. Sorted by a key that holds the id's first eight
  // bytes (a radix sort, SortByPrefix), the ids compared only where two
  // share them (the sort was a fifth of the start-up's instructions at
  // 100k posts).
  SortByPrefix(keyed);
  auto by_id = [&records](const Keyed& a, const Keyed& b) {
    return records[a.place]->id < records[b.place]->id;
  };
  for (auto run = keyed.begin(); run != keyed.end();) {
    auto next = std::find_if(run, keyed.end(), [&](const Keyed& k) {
      return k.prefix != run->prefix;
    });
    if (next - run > 1) std::sort(run, next, by_id);
    run = next;
  }
  // People: the directory's and the authors', in id order.
  std::vector<const std::string*> ids;
  ids.reserve(s.people.size() + authors.size());
  for (const auto& [id, p] : s.people) ids.push_back(&p->id());
  for (const auto& [author, n] : authors) ids.push_back(author);
  std::sort(ids.begin(), ids.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  ids.erase(std::unique(ids.begin(), ids.end(),
                        [](const std::string* a, const std::string* b) {
                          return *a == *b;
                        }),
            ids.end());
  d->person_numbers_.delta.reserve(ids.size());
  d->person_ids_.reserve(ids.size());
  d->people_.reserve(ids.size());
  d->person_facts_.reserve(ids.size());
  d->activity_.reserve(ids.size());
  for (const std::string* id : ids) {
    const uint32_t n = d->AddPerson(*id);
    auto person = s.people.find(*id);
    if (person != s.people.end()) d->SetPerson(n, person->second);
  }
  d->person_numbers_.Fold();
  for (auto& [author, n] : authors) n = d->PersonNumber(*author);
  for (size_t place = 0; place < size; ++place)
    facts[place].author = authors.find(author_of[place])->second;
  author_of = {};
  d->posts_.reserve(size);
  d->facts_.reserve(size);
  d->place_numbers_.resize(size);
  for (const Keyed& k : keyed) {
    d->place_numbers_[k.place] = static_cast<uint32_t>(d->posts_.size());
    d->posts_.push_back(std::move(records[k.place]));
    d->facts_.push_back(facts[k.place]);
  }
  for (auto& [id, number] : numbers) number = d->place_numbers_[number];
  d->post_numbers_.base =
      std::make_shared<const PostNumbers::Map>(std::move(numbers));
  return d;
}

std::shared_ptr<const DenseIndex> DenseIndex::Finish(
    std::unique_ptr<DenseIndex> d, const Snapshot& s,
    const ThreadPlaces* places) {
  for (uint32_t n = 0; n < d->person_ids_.size(); ++n) {
    auto activity = s.activity.find(d->person_ids_[n]);
    if (activity != s.activity.end())
      d->activity_.Mutable(n) =
          std::make_shared<const Activity>(activity->second);
  }
  // Threads, each in Snapshot::threads' order.
  d->thread_.assign(d->posts_.size(), 0);
  d->threads_.reserve(s.threads.size());
  d->thread_numbers_.delta.reserve(s.threads.size());
  if (places && d->place_numbers_.size() == d->posts_.size()) {
    for (size_t k = 0; k < places->ids.size(); ++k) {
      // A build numbers each thread once: no number to look up first.
      d->thread_numbers_.delta.emplace(*places->ids[k],
                                       static_cast<uint32_t>(k));
      auto t = std::make_shared<Thread>();
      const auto begin = places->positions.begin() + places->starts[k];
      const auto end = places->positions.begin() + places->starts[k + 1];
      t->posts.reserve(end - begin);
      for (auto place = begin; place != end; ++place)
        t->posts.push_back(d->place_numbers_[*place]);
      MarkThread(static_cast<uint32_t>(k), *t, d->facts_, d->thread_);
      d->threads_.push_back(std::move(t));
    }
  } else {
    for (const auto& [thread_id, members] : s.threads)
      d->NumberThread(thread_id, &members);
  }
  d->place_numbers_ = {};
  d->thread_numbers_.Fold();
  return d;
}

// Gives post `id` its number in `next` (kept, new, or a tombstone) and
// notes its threads before and after in `threads`.
void DenseIndex::NumberPost(const std::string& id, const Snapshot& next,
                            std::vector<std::string>* threads) {
  const uint32_t was = PostNumber(id);
  const PostMeta* now = next.FindPost(id);
  if (was != kNone) {
    threads->push_back(posts_[was]->thread_id);
    if (!now || posts_[was].get() != now)
      post_numbers_.Set(*posts_[was], kNone);
  }
  if (!now) return;  // gone: a tombstone keeps its last record
  threads->push_back(now->thread_id);
  uint32_t n = was;
  if (n == kNone) {
    n = static_cast<uint32_t>(posts_.size());
    posts_.push_back(nullptr);
    facts_.push_back({});
    thread_.push_back(0);
  }
  posts_.Mutable(n) = next.posts.at(id);
  post_numbers_.Set(*posts_[n], n);
  facts_.Mutable(n) = FactsOf(*now, AddPerson(now->author_id));
}

std::shared_ptr<const DenseIndex> DenseIndex::Update(const DenseIndex& prev,
                                                     const Snapshot& next,
                                                     const Change& change) {
  auto d = std::make_shared<DenseIndex>(prev);
  if (!d->post_numbers_.base_records) {
    // The base's keys view prev's records, which d may now replace.
    d->post_numbers_.base_records =
        std::make_shared<const ChunkedArray<std::shared_ptr<const PostMeta>>>(
            prev.posts_);
  }
  std::vector<std::string> threads;
  for (const auto& id : change.posts) d->NumberPost(id, next, &threads);
  std::sort(threads.begin(), threads.end());
  threads.erase(std::unique(threads.begin(), threads.end()), threads.end());
  for (const auto& thread_id : threads) d->NumberThread(thread_id, next);
  for (const auto& id : change.people) {
    const auto person = next.people.find(id);
    const auto activity = next.activity.find(id);
    const uint32_t n = d->PersonNumber(id);
    if (n == kNone && person == next.people.end()) continue;
    const uint32_t k = n == kNone ? d->AddPerson(id) : n;
    d->SetPerson(k, person == next.people.end() ? nullptr : person->second);
    d->activity_.Mutable(k) =
        activity == next.activity.end()
            ? nullptr
            : std::make_shared<const Activity>(activity->second);
  }
  d->thread_numbers_.Fold();
  d->person_numbers_.Fold();
  d->FoldPostNumbers();
  return d;
}

}  // namespace whoknows::index
