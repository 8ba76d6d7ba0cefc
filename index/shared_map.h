// A hash map from string ids whose copies share their entries, for the
// maps of a snapshot (index/catalog.h): publishing the next snapshot copies
// the previous one's maps and changes a few entries, which must cost the
// change, not the size of the company.
#ifndef WHOKNOWS_INDEX_SHARED_MAP_H_
#define WHOKNOWS_INDEX_SHARED_MAP_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <latch>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace whoknows::index {

// The entries are split by hash into chunks of a few dozen, each an
// std::unordered_map behind a shared_ptr. A copy of the map copies the
// chunk pointers (one per ~16 entries, no key hashed or copied); a write
// copies the chunk it changes first when another map shares it (copy on
// write), so a copy changed in k entries costs O(size / 16 + 16 k). The
// number of chunks grows by 4 when entries pass 32 a chunk on average
// (every entry moved: amortized O(1) an insertion).
//
// Reads are an unordered_map's: find, at, contains, count, size, and
// iteration over (const std::string, V) pairs, in no particular order (not
// an unordered_map's either). Iterators are const: writes go through
// operator[], Mutable, emplace, insert_or_assign and erase, which
// invalidate iterators and references into the map written (never into
// its copies).
//
// Thread safety: as a standard container. Distinct maps sharing chunks may
// be read and written from different threads: a shared chunk is never
// written, and a chunk's use count reaches 1 only when no other map holds
// it any more.
template <typename V>
class SharedMap {
 public:
  using Chunk = std::unordered_map<std::string, V>;
  using key_type = std::string;
  using mapped_type = V;
  using value_type = typename Chunk::value_type;
  // An entry taken out of an std::unordered_map<std::string, V> (extract).
  using node_type = typename Chunk::node_type;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = SharedMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    const_iterator& operator++() {
      ++it_;
      if (it_ == (*chunks_)[chunk_]->end()) SkipEmpty(chunk_ + 1);
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++*this;
      return was;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && (a.end() || a.it_ == b.it_);
    }

   private:
    friend class SharedMap;
    using Chunks = std::vector<std::shared_ptr<Chunk>>;
    const_iterator(const Chunks* chunks, size_t chunk,
                   typename Chunk::const_iterator it)
        : chunks_(chunks), chunk_(chunk), it_(it) {}
    bool end() const { return chunks_ == nullptr || chunk_ >= chunks_->size(); }
    // Moves to the first entry of the first non-empty chunk from `chunk`.
    void SkipEmpty(size_t chunk) {
      for (chunk_ = chunk; chunk_ < chunks_->size(); ++chunk_) {
        const auto& c = (*chunks_)[chunk_];
        if (c && !c->empty()) {
          it_ = c->begin();
          return;
        }
      }
      it_ = {};
    }

    const Chunks* chunks_ = nullptr;
    size_t chunk_ = 0;
    typename Chunk::const_iterator it_;
  };
  using iterator = const_iterator;

  SharedMap() = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const_iterator begin() const {
    const_iterator it(&chunks_, 0, {});
    it.SkipEmpty(0);
    return it;
  }
  const_iterator end() const { return const_iterator(&chunks_, Count(), {}); }

  const_iterator find(const std::string& key) const {
    if (chunks_.empty()) return end();
    const size_t c = ChunkOf(key);
    const auto& chunk = chunks_[c];
    if (!chunk) return end();
    auto it = chunk->find(key);
    return it == chunk->end() ? end() : const_iterator(&chunks_, c, it);
  }
  bool contains(const std::string& key) const { return find(key) != end(); }
  size_t count(const std::string& key) const { return contains(key) ? 1 : 0; }
  const V& at(const std::string& key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("SharedMap::at");
    return it->second;
  }

  // The entry of `key`, inserted (value-initialized) when missing.
  V& operator[](const std::string& key) {
    return *TryEmplace(key, [] { return V(); }).first;
  }
  // The entry of `key` to change in place, or null when missing.
  V* Mutable(const std::string& key) {
    if (!contains(key)) return nullptr;
    Chunk& chunk = Own(ChunkOf(key));
    return &chunk.find(key)->second;
  }
  // Inserts when missing; whether it did. The pair's first is the entry.
  std::pair<V*, bool> emplace(const std::string& key, V value) {
    return TryEmplace(key, [&value] { return std::move(value); });
  }
  // Moves in the entry `node` holds when its key is missing, without a
  // copy or an allocation (a snapshot built from a copy of the writer's map
  // takes its entries instead of copying each again); whether it did. A
  // key already here keeps its entry, and `node`'s is dropped.
  bool insert(node_type&& node) {
    const std::string& key = node.key();
    if (chunks_.empty() || (size_ + 1 > Count() * kMaxLoad && !contains(key)))
      Grow();
    const bool added = Own(ChunkOf(key)).insert(std::move(node)).inserted;
    if (added) ++size_;
    return added;
  }
  // Inserts `nodes` (keys distinct) on two threads (one when no second can
  // be had), each inserting the nodes of half the chunks in the order
  // given: every chunk gets its nodes in that order, so the map, iteration
  // order included, is the one reserve(size() + nodes.size()) and then
  // inserting them one by one would make. A key already in the map stays
  // as it was. For a snapshot's posts built from scratch (a million at
  // start-up). Returns how many were inserted.
  size_t InsertAll(std::vector<node_type> nodes) {
    return ByHalves(
        nodes.size(),
        [&nodes](size_t i) noexcept -> const std::string& {
          return nodes[i].key();
        },
        [&nodes](Chunk& chunk, size_t i) {
          return chunk.insert(std::move(nodes[i])).inserted;
        });
  }
  // The same with copies of `values`, each under the key `key_of(value)`.
  // A key given twice keeps its first value, as emplace does.
  template <typename KeyOf>
  size_t EmplaceAll(std::span<const V> values, KeyOf key_of) {
    static_assert(std::is_nothrow_invocable_v<KeyOf&, const V&>,
                  "the hashing threads may not throw");
    return ByHalves(
        values.size(),
        [&](size_t i) noexcept -> const std::string& {
          return key_of(values[i]);
        },
        [&](Chunk& chunk, size_t i) {
          return chunk.try_emplace(key_of(values[i]), values[i]).second;
        });
  }
  void insert_or_assign(const std::string& key, V value) {
    *TryEmplace(key, [] { return V(); }).first = std::move(value);
  }
  size_t erase(const std::string& key) {
    if (!contains(key)) return 0;
    Own(ChunkOf(key)).erase(key);
    --size_;
    return 1;
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }
  void reserve(size_t entries) {
    while (Count() * kMaxLoad < entries) Grow();
  }

 private:
  static constexpr size_t kMaxLoad = 32;  // entries a chunk, on average

  size_t Count() const { return chunks_.size(); }
  // InsertAll's and EmplaceAll's threads: `put(chunk, i)` puts item i of
  // `n` in its chunk (of the key `key_at(i)`), whether it was added.
  template <typename KeyAt, typename Put>
  size_t ByHalves(size_t n, KeyAt key_at, Put put) {
    // Both threads hash before the latch: a throw there would leave the
    // other waiting for ever.
    static_assert(std::is_nothrow_invocable_v<KeyAt&, size_t>);
    if (n == 0) return 0;
    reserve(size_ + n);
    std::vector<uint32_t> chunk_of(n);
    const size_t half_items = n / 2;
    const size_t half_chunks = Count() / 2;
    auto hash = [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i)
        chunk_of[i] = static_cast<uint32_t>(ChunkOf(key_at(i)));
    };
    // The items of the lower half of the chunks, or of the upper.
    auto insert = [&](bool lower) {
      size_t added = 0;
      for (size_t i = 0; i < n; ++i) {
        if ((chunk_of[i] < half_chunks) != lower) continue;
        if (put(Own(chunk_of[i]), i)) ++added;
      }
      return added;
    };
    std::latch hashed(2);
    size_t added_upper = 0;
    std::exception_ptr upper_error;
    // Joined however this ends: an insertion may throw bad_alloc (the map
    // is then left unspecified, as the caller's build fails).
    std::jthread upper;
    try {
      upper = std::jthread([&] {
        hash(half_items, n);  // allocates nothing: cannot throw
        hashed.arrive_and_wait();
        try {
          added_upper = insert(false);
        } catch (...) {
          upper_error = std::current_exception();  // read after the join
        }
      });
    } catch (const std::system_error&) {
      // No second thread: this one does both halves.
    }
    size_t added = 0;
    if (upper.joinable()) {
      hash(0, half_items);
      hashed.arrive_and_wait();
      added = insert(true);
      upper.join();
      if (upper_error) std::rethrow_exception(upper_error);
      added += added_upper;
    } else {
      hash(0, n);
      added = insert(true) + insert(false);
    }
    size_ += added;
    return added;
  }
  size_t ChunkOf(const std::string& key) const {
    if (bits_ == 0) return 0;
    // Fibonacci hashing: the high bits, which the chunk's own table (hash
    // modulo a prime) hardly uses.
    const uint64_t h = std::hash<std::string>()(key) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> (64 - bits_));
  }
  // Chunk `c`, copied first when another map shares it.
  Chunk& Own(size_t c) {
    auto& chunk = chunks_[c];
    if (!chunk) {
      chunk = std::make_shared<Chunk>();
    } else if (chunk.use_count() > 1) {
      chunk = std::make_shared<Chunk>(*chunk);
    }
    return *chunk;
  }
  template <typename Make>
  std::pair<V*, bool> TryEmplace(const std::string& key, Make make) {
    // The size test first: looking the key up is a cache miss in a large
    // map, and every insertion would otherwise pay it twice (BuildSnapshot
    // inserts a million posts).
    if (chunks_.empty() || (size_ + 1 > Count() * kMaxLoad && !contains(key)))
      Grow();
    Chunk& chunk = Own(ChunkOf(key));
    auto [it, added] = chunk.try_emplace(key);
    if (added) {
      it->second = make();
      ++size_;
    }
    return {&it->second, added};
  }
  // Four times the chunks, every entry moved (copied from shared chunks).
  void Grow() {
    std::vector<std::shared_ptr<Chunk>> old = std::move(chunks_);
    bits_ = old.empty() ? 0 : bits_ + 2;
    chunks_.assign(size_t{1} << bits_, nullptr);
    for (auto& chunk : old) {
      if (!chunk) continue;
      const bool mine = chunk.use_count() == 1;
      for (auto& [key, value] : *chunk) {
        Chunk& to = Own(ChunkOf(key));
        if (mine) {
          to.emplace(key, std::move(value));
        } else {
          to.emplace(key, value);
        }
      }
    }
  }

  std::vector<std::shared_ptr<Chunk>> chunks_;
  int bits_ = 0;  // chunks_.size() == 1 << bits_ (when not empty)
  size_t size_ = 0;
};

// A vector whose copies share their elements until one is written (copy on
// write): a snapshot's long lists (SharedMap values) are then copied only
// when they change. Reads are a const std::vector's.
template <typename T>
class SharedVector {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;
  using iterator = const_iterator;

  SharedVector() = default;
  SharedVector(std::initializer_list<T> items)
      : items_(std::make_shared<std::vector<T>>(items)) {}

  size_t size() const { return items_ ? items_->size() : 0; }
  bool empty() const { return size() == 0; }
  const_iterator begin() const { return items().begin(); }
  const_iterator end() const { return items().end(); }
  const T& operator[](size_t i) const { return items()[i]; }
  const std::vector<T>& items() const {
    static const std::vector<T> kNone;
    return items_ ? *items_ : kNone;
  }
  // The elements to change, copied first when another vector shares them.
  std::vector<T>& Mutable() {
    if (!items_) {
      items_ = std::make_shared<std::vector<T>>();
    } else if (items_.use_count() > 1) {
      items_ = std::make_shared<std::vector<T>>(*items_);
    }
    return *items_;
  }
  void push_back(T item) { Mutable().push_back(std::move(item)); }

 private:
  std::shared_ptr<std::vector<T>> items_;
};

// A vector in chunks of kChunk elements, each behind a shared_ptr: a copy
// copies the chunk pointers, and a write copies the chunk it changes first
// when another vector shares it. For the colleague graph's vertices, so
// that extending a graph costs the vertices it touches.
template <typename T, size_t kChunk>
class ChunkedVector {
 public:
  size_t size() const { return size_; }
  const T& operator[](size_t i) const {
    return (*chunks_[i / kChunk])[i % kChunk];
  }
  // Element `i` to change, its chunk copied first when shared.
  T& Mutable(size_t i) { return Own(i / kChunk)[i % kChunk]; }
  void push_back(T item) {
    if (size_ % kChunk == 0) {
      chunks_.push_back(std::make_shared<std::vector<T>>());
      chunks_.back()->reserve(kChunk);
    }
    Own(size_ / kChunk).push_back(std::move(item));
    ++size_;
  }

 private:
  std::vector<T>& Own(size_t c) {
    auto& chunk = chunks_[c];
    if (chunk.use_count() > 1) {
      auto copy = std::make_shared<std::vector<T>>();
      copy->reserve(kChunk);
      copy->insert(copy->end(), chunk->begin(), chunk->end());
      chunk = std::move(copy);
    }
    return *chunk;
  }

  std::vector<std::shared_ptr<std::vector<T>>> chunks_;
  size_t size_ = 0;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_SHARED_MAP_H_
