// Unix seconds as UTC text, for output and the exchange formats.
#ifndef WHOKNOWS_COMMON_TIME_FORMAT_H_
#define WHOKNOWS_COMMON_TIME_FORMAT_H_

#include <cstdint>
#include <ctime>
#include <string>

namespace whoknows {

// strftime of `unix_seconds` in UTC, e.g. "%Y-%m-%d" or
// "%Y-%m-%dT%H:%M:%SZ".
inline std::string FormatUtc(int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace whoknows

#endif  // WHOKNOWS_COMMON_TIME_FORMAT_H_
