// A draft as the intranet's editor sends it to SuggestForPost while its
// author types: the first words of a question. load_bench's SuggestForPost
// clients and find_experts_bench's typed drafts ask the same ones, so that
// their figures compare.
#ifndef WHOKNOWS_BENCH_TYPED_DRAFT_H_
#define WHOKNOWS_BENCH_TYPED_DRAFT_H_

#include <cstddef>
#include <string>

namespace whoknows::bench {

// The first 3-8 words of `question` (by `n`), or all of it when shorter.
inline std::string Typed(const std::string& question, size_t n) {
  size_t end = 0;
  for (size_t words = 0; words < 3 + n % 6; ++words) {
    const size_t next = question.find(' ', end + 1);
    if (next == std::string::npos) return question;
    end = next;
  }
  return question.substr(0, end);
}

}  // namespace whoknows::bench

#endif  // WHOKNOWS_BENCH_TYPED_DRAFT_H_
