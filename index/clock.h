// Time as whoknows reads it: unix seconds from an injected clock, and the
// one overflow-safe difference of two times.
#ifndef WHOKNOWS_INDEX_CLOCK_H_
#define WHOKNOWS_INDEX_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>

namespace whoknows::index {

// "Now" in unix seconds. Passed through options wherever time matters
// (validation of timestamps, decay, recency) so that tests and the
// evaluation can fix it; production uses SystemClock.
using Clock = std::function<int64_t()>;

// The server's clock, unix seconds.
inline int64_t SystemClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A clock stopped at `unix_seconds` (tests, evaluation cut-offs).
inline Clock FixedClock(int64_t unix_seconds) {
  return [unix_seconds] { return unix_seconds; };
}

// Seconds from `t` to `now`: 0 when `t` is not before `now`, and
// INT64_MAX instead of overflowing (any int64 pair is safe, so times read
// from old data folders that predate validation cannot wrap around).
inline int64_t SecondsSince(int64_t now, int64_t t) {
  if (t >= now) return 0;
  int64_t d = 0;
  if (__builtin_sub_overflow(now, t, &d))
    return std::numeric_limits<int64_t>::max();
  return d;
}

// `t + seconds`, clamped to the int64 range instead of overflowing.
inline int64_t SaturatingAdd(int64_t t, int64_t seconds) {
  int64_t r = 0;
  if (__builtin_add_overflow(t, seconds, &r))
    return seconds > 0 ? std::numeric_limits<int64_t>::max()
                       : std::numeric_limits<int64_t>::min();
  return r;
}

}  // namespace whoknows::index

#endif  // WHOKNOWS_INDEX_CLOCK_H_
