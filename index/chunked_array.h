// An array whose copies share storage in fixed chunks, so that a snapshot's
// per-post arrays (DenseIndex) cost a publish the chunks its change writes
// instead of a copy of every element.
#ifndef WHOKNOWS_INDEX_CHUNKED_ARRAY_H_
#define WHOKNOWS_INDEX_CHUNKED_ARRAY_H_

#include <array>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace whoknows::index {

// A vector of T in chunks of 2^kChunkBits elements, each held by a
// shared_ptr. A copy shares every chunk (it copies the chunk table: a
// million elements are about a thousand pointers) and owns none of them;
// the first write to a chunk it does not own copies that chunk. Ownership
// is a flag of the copy, not the chunk's use_count: a count of 1 read
// while another thread drops the last other reference does not order that
// thread's reads before this write. So a chunk is written only by the
// array that made it, and only until that array is copied: an array
// copied from must not be written again (DenseIndex is immutable once
// built; Update copies the previous one and writes the copy).
template <typename T, size_t kChunkBits = 10>
class ChunkedArray {
 public:
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  ChunkedArray() = default;
  ChunkedArray(const ChunkedArray& other)
      : chunks_(other.chunks_),
        owned_(other.chunks_.size(), false),
        size_(other.size_) {}
  ChunkedArray& operator=(const ChunkedArray& other) {
    if (this != &other) *this = ChunkedArray(other);
    return *this;
  }
  ChunkedArray(ChunkedArray&&) noexcept = default;
  ChunkedArray& operator=(ChunkedArray&&) noexcept = default;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const T& operator[](size_t i) const {
    return (*chunks_[i >> kChunkBits])[i & (kChunk - 1)];
  }

  // Element i for writing: its chunk is copied first unless this array
  // made it.
  T& Mutable(size_t i) {
    const size_t c = i >> kChunkBits;
    if (!owned_[c]) {
      chunks_[c] = std::make_shared<Chunk>(*chunks_[c]);
      owned_[c] = true;
    }
    return (*chunks_[c])[i & (kChunk - 1)];
  }

  void push_back(T value) {
    if ((size_ & (kChunk - 1)) == 0) {
      chunks_.push_back(std::make_shared<Chunk>());
      owned_.push_back(true);
    }
    Mutable(size_) = std::move(value);
    ++size_;
  }

  // n copies of `value`, in chunks of its own.
  void assign(size_t n, const T& value) {
    chunks_.clear();
    owned_.clear();
    size_ = 0;
    for (size_t i = 0; i < n; i += kChunk) {
      auto chunk = std::make_shared<Chunk>();
      chunk->fill(value);
      chunks_.push_back(std::move(chunk));
      owned_.push_back(true);
    }
    size_ = n;
  }

  // Grows to n elements, the new ones `value` (the last chunk is copied
  // first when this array did not make it), or drops those from n on.
  void resize(size_t n, const T& value) {
    if (n <= size_) {
      const size_t chunks = (n + kChunk - 1) >> kChunkBits;
      chunks_.resize(chunks);
      owned_.resize(chunks);
      size_ = n;
      return;
    }
    reserve(n);
    while (size_ < n) push_back(value);
  }

  void reserve(size_t n) {
    chunks_.reserve((n + kChunk - 1) >> kChunkBits);
    owned_.reserve((n + kChunk - 1) >> kChunkBits);
  }

  // Whether chunk c of the two arrays is one object (tests: what a copy
  // shares).
  bool SharesChunkWith(const ChunkedArray& other, size_t i) const {
    const size_t c = i >> kChunkBits;
    return c < chunks_.size() && c < other.chunks_.size() &&
           chunks_[c] == other.chunks_[c];
  }

 private:
  // Elements past size() in the last chunk are value-initialized and
  // never read.
  using Chunk = std::array<T, kChunk>;
  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::vector<bool> owned_;
  size_t size_ = 0;
};

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_CHUNKED_ARRAY_H_
