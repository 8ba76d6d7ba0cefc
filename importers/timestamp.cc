#include "importers/timestamp.h"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/time_format.h"

namespace whoknows::importers {
namespace {

// 9999-12-31T23:59:59Z.
constexpr int64_t kLastSecondOf9999 = 253402300799;

}  // namespace

std::string FormatTimestamp(int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

absl::StatusOr<int64_t> ParseTimestamp(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &sec, &consumed) < 6) {
    if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) < 3 ||
        consumed != static_cast<int>(str.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a timestamp (want 2024-03-01T10:00:00Z): \"",
                       std::string(s), "\""));
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || sec < 0 || sec > 60 || y < 1970 || y > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp out of range: \"", std::string(s), "\""));
  }
  std::string_view rest = s.substr(consumed);
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    rest.remove_prefix(i);
  }
  int64_t offset = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 &&
             rest[3] == ':' &&
             std::isdigit(static_cast<unsigned char>(rest[1])) &&
             std::isdigit(static_cast<unsigned char>(rest[2])) &&
             std::isdigit(static_cast<unsigned char>(rest[4])) &&
             std::isdigit(static_cast<unsigned char>(rest[5]))) {
    int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad time zone in \"", std::string(s), "\""));
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  // timegm normalizes 30 February to 1 March: reject days the month lacks.
  std::tm check{};
  gmtime_r(&t, &check);
  if (check.tm_mday != d || check.tm_mon != mo - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("no such day: \"", std::string(s), "\""));
  }
  // An offset can move the edges of the range out of it; what comes back
  // must format as a year this function reads.
  const int64_t utc = static_cast<int64_t>(t) - offset;
  if (utc < 0 || utc > kLastSecondOf9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp out of range: \"", std::string(s), "\""));
  }
  return utc;
}

}  // namespace whoknows::importers
