#include "index/validation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace whoknows::index {

absl::Status Invalid(std::string_view where, std::string_view field,
                     std::string_view reason) {
  // Debian's abseil has its own string_view: build the message with std.
  std::string msg(where);
  if (!msg.empty()) msg.append(".");
  msg.append(field).append(": ").append(reason);
  return absl::InvalidArgumentError(msg);
}

absl::Status CheckId(std::string_view id, std::string_view where,
                     std::string_view field, bool required) {
  if (id.empty()) {
    return required ? Invalid(where, field, "required") : absl::OkStatus();
  }
  if (id.size() > kMaxIdBytes) {
    return Invalid(where, field,
                   absl::StrCat("longer than ", kMaxIdBytes, " bytes"));
  }
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) {
      return Invalid(where, field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckLength(std::string_view text, size_t max,
                         std::string_view where, std::string_view field) {
  if (text.size() > max) {
    return Invalid(where, field, absl::StrCat("longer than ", max, " bytes"));
  }
  return absl::OkStatus();
}

std::string FormatUtc(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

// "1 day", "3 days", "90 seconds".
std::string DescribeSeconds(int64_t seconds) {
  constexpr int64_t kDay = 86400;
  if (seconds > 0 && seconds % kDay == 0) {
    const int64_t days = seconds / kDay;
    return absl::StrCat(days, days == 1 ? " day" : " days");
  }
  return absl::StrCat(seconds, seconds == 1 ? " second" : " seconds");
}

// "group:" and 1-kMaxGroupBytes of [a-z0-9-]: the group ends up in an index
// term, so its length and alphabet are bounded. `field` names it in errors.
absl::Status CheckGroup(const std::string& vis, std::string_view where,
                        std::string_view field) {
  constexpr std::string_view kGroup = "group:";
  if (vis.rfind(kGroup, 0) != 0)
    return Invalid(where, field, "must be \"group:<name>\"");
  const std::string_view name = std::string_view(vis).substr(kGroup.size());
  if (name.empty() || name.size() > kMaxGroupBytes) {
    return Invalid(
        where, field,
        absl::StrCat("the group name must be 1-", kMaxGroupBytes, " bytes"));
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Invalid(where, field,
                     "the group name may hold only a-z, 0-9 and '-'");
    }
  }
  return absl::OkStatus();
}

// "public", or a group (CheckGroup).
absl::Status CheckVisibility(const std::string& vis, std::string_view where) {
  if (vis.empty() || vis == "public") return absl::OkStatus();
  if (vis.rfind("group:", 0) != 0) {
    return Invalid(where, "visibility",
                   "must be \"public\" or \"group:<name>\"");
  }
  return CheckGroup(vis, where, "visibility");
}

// Person.groups: at most kMaxGroupsPerPerson groups, each once.
absl::Status CheckGroups(const v1::Person& p, std::string_view where) {
  if (p.groups_size() > kMaxGroupsPerPerson) {
    return Invalid(where, "groups",
                   absl::StrCat(p.groups_size(), " groups, more than ",
                                kMaxGroupsPerPerson));
  }
  std::unordered_set<std::string_view> seen;
  for (int i = 0; i < p.groups_size(); ++i) {
    const std::string field = absl::StrCat("groups[", i, "]");
    WK_RETURN_IF_ERROR(CheckGroup(p.groups(i), where, field));
    if (!seen.insert(p.groups(i)).second)
      return Invalid(where, field, absl::StrCat("repeats ", p.groups(i)));
  }
  return absl::OkStatus();
}

// A tag is one index term: 1-kMaxTagBytes, no whitespace or control
// characters ("c++" and ".net" are fine).
absl::Status CheckTag(const std::string& tag, std::string_view where,
                      int index) {
  const std::string field = absl::StrCat("tags[", index, "]");
  if (tag.empty() || tag.size() > kMaxTagBytes)
    return Invalid(where, field,
                   absl::StrCat("must be 1-", kMaxTagBytes, " bytes"));
  for (unsigned char c : tag) {
    if (c <= 0x20 || c == 0x7f)
      return Invalid(where, field, "no spaces or control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckLanguage(const std::string& language,
                           std::string_view where) {
  if (language.empty()) return absl::OkStatus();  // detected on ingest
  bool ok = language.size() >= 2 && language.size() <= kMaxLanguageBytes;
  for (char c : language) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-');
  }
  if (!ok) {
    return Invalid(where, "language",
                   absl::StrCat("must be an ISO 639-1 code (2-",
                                kMaxLanguageBytes, " letters, digits or '-')"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidationOptions::Validate() const {
  if (!clock) return absl::InvalidArgumentError("clock: required");
  if (future_tolerance_seconds < 0) {
    return absl::InvalidArgumentError("future_tolerance_seconds: must be >= 0");
  }
  return absl::OkStatus();
}

absl::Status CheckTimeRange(int64_t seconds, int32_t nanos,
                            std::string_view where, std::string_view field) {
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return Invalid(where, field,
                   absl::StrCat(seconds,
                                " s is outside the Timestamp range "
                                "0001-01-01T00:00:00Z..9999-12-31T23:59:59Z"));
  }
  if (nanos < 0 || nanos > 999999999) {
    return Invalid(where, field,
                   absl::StrCat("nanos ", nanos, " must be 0-999999999"));
  }
  return absl::OkStatus();
}

absl::Status CheckTime(int64_t seconds, int32_t nanos, int64_t now,
                       const ValidationOptions& options, std::string_view where,
                       std::string_view field) {
  WK_RETURN_IF_ERROR(CheckTimeRange(seconds, nanos, where, field));
  if (seconds > SaturatingAdd(now, options.future_tolerance_seconds)) {
    return Invalid(
        where, field,
        absl::StrCat(FormatUtc(seconds), " is more than ",
                     DescribeSeconds(options.future_tolerance_seconds),
                     " in the future"));
  }
  return absl::OkStatus();
}

std::vector<std::string> FindCycle(
    const std::string& start,
    const std::function<const std::string*(const std::string&)>& next) {
  std::vector<std::string> chain = {start};
  std::unordered_set<std::string> seen = {start};
  for (int steps = 0; steps < kMaxChainLength; ++steps) {
    const std::string* n = next(chain.back());
    if (!n || n->empty()) return {};
    chain.push_back(*n);
    if (*n == start) return chain;
    if (!seen.insert(*n).second) return {};  // a loop elsewhere
  }
  return {};
}

std::string DescribeChain(const std::vector<std::string>& chain) {
  constexpr size_t kShown = 8;
  if (chain.size() <= kShown) return absl::StrJoin(chain, " -> ");
  return absl::StrCat(
      absl::StrJoin(chain.begin(), chain.begin() + kShown, " -> "), " -> ...");
}

absl::Status ValidatePerson(const v1::Person& p, std::string_view where,
                            const ValidationOptions& options) {
  WK_RETURN_IF_ERROR(CheckId(p.id(), where, "id", true));
  WK_RETURN_IF_ERROR(CheckId(p.manager_id(), where, "manager_id", false));
  if (p.manager_id() == p.id()) {
    return Invalid(where, "manager_id", "a person cannot manage themselves");
  }
  for (auto [text, name] : {std::pair{&p.display_name(), "display_name"},
                            {&p.title(), "title"},
                            {&p.department(), "department"},
                            {&p.site(), "site"},
                            {&p.team(), "team"}}) {
    WK_RETURN_IF_ERROR(CheckLength(*text, kMaxShortTextBytes, where, name));
  }
  if (!p.country().empty() && p.country().size() != 2) {
    return Invalid(where, "country", "must be an ISO 3166-1 alpha-2 code");
  }
  if (p.languages_size() > kMaxLanguages) {
    return Invalid(where, "languages",
                   absl::StrCat("more than ", kMaxLanguages, " entries"));
  }
  WK_RETURN_IF_ERROR(CheckGroups(p, where));
  if (p.has_joined()) {
    WK_RETURN_IF_ERROR(CheckTime(p.joined().seconds(), p.joined().nanos(),
                                 options.clock(), options, where, "joined"));
  }
  // Any time in range: a date far ahead is "away until further notice".
  if (p.has_away_until()) {
    WK_RETURN_IF_ERROR(CheckTimeRange(
        p.away_until().seconds(), p.away_until().nanos(), where, "away_until"));
  }
  return absl::OkStatus();
}

namespace {

// Ids, kind and the reply structure.
absl::Status CheckPostIdentity(const v1::Post& p, std::string_view where) {
  WK_RETURN_IF_ERROR(CheckId(p.id(), where, "id", true));
  WK_RETURN_IF_ERROR(CheckId(p.author_id(), where, "author_id", true));
  WK_RETURN_IF_ERROR(CheckId(p.thread_id(), where, "thread_id", false));
  WK_RETURN_IF_ERROR(CheckId(p.parent_id(), where, "parent_id", false));
  if (p.kind() == v1::POST_KIND_UNSPECIFIED ||
      !v1::PostKind_IsValid(p.kind())) {
    return Invalid(where, "kind",
                   "required (question, answer, comment or article)");
  }
  const bool root =
      p.kind() == v1::POST_KIND_QUESTION || p.kind() == v1::POST_KIND_ARTICLE;
  if (!root && p.parent_id().empty()) {
    return Invalid(where, "parent_id", "required for answers and comments");
  }
  if (p.parent_id() == p.id()) {
    return Invalid(where, "parent_id", "a post cannot reply to itself");
  }
  return absl::OkStatus();
}

// Title, body, tags and language.
absl::Status CheckPostText(const v1::Post& p, std::string_view where) {
  WK_RETURN_IF_ERROR(CheckLength(p.title(), kMaxTitleBytes, where, "title"));
  WK_RETURN_IF_ERROR(CheckLength(p.body(), kMaxBodyBytes, where, "body"));
  if (p.title().empty() && p.body().empty()) {
    return Invalid(where, "body", "a post needs a title or a body");
  }
  if (p.tags_size() > kMaxTags) {
    return Invalid(where, "tags",
                   absl::StrCat("more than ", kMaxTags, " tags"));
  }
  for (int i = 0; i < p.tags_size(); ++i)
    WK_RETURN_IF_ERROR(CheckTag(p.tags(i), where, i));
  return CheckLanguage(p.language(), where);
}

// Creation time, visibility and acceptance.
absl::Status CheckPostState(const v1::Post& p, std::string_view where,
                            const ValidationOptions& options) {
  if (!p.has_created() ||
      (p.created().seconds() == 0 && p.created().nanos() == 0)) {
    return Invalid(where, "created", "required");
  }
  WK_RETURN_IF_ERROR(CheckTime(p.created().seconds(), p.created().nanos(),
                               options.clock(), options, where, "created"));
  WK_RETURN_IF_ERROR(CheckVisibility(p.visibility(), where));
  if (p.accepted() && p.kind() != v1::POST_KIND_ANSWER) {
    return Invalid(where, "accepted", "only answers can be accepted");
  }
  return absl::OkStatus();
}

// Likes, mentions and the client's embedding.
absl::Status CheckPostLists(const v1::Post& p, std::string_view where) {
  if (p.liked_by_size() > kMaxLikes) {
    return Invalid(where, "liked_by",
                   absl::StrCat("more than ", kMaxLikes, " ids"));
  }
  if (p.mentioned_size() > kMaxMentions) {
    return Invalid(where, "mentioned",
                   absl::StrCat("more than ", kMaxMentions, " ids"));
  }
  if (p.embedding_size() > kMaxEmbeddingDims) {
    return Invalid(where, "embedding",
                   absl::StrCat("more than ", kMaxEmbeddingDims, " values"));
  }
  for (int i = 0; i < p.embedding_size(); ++i) {
    if (!std::isfinite(p.embedding(i))) {
      return Invalid(where, absl::StrCat("embedding[", i, "]"),
                     "must be a finite number");
    }
  }
  for (int i = 0; i < p.liked_by_size(); ++i) {
    WK_RETURN_IF_ERROR(
        CheckId(p.liked_by(i), where, absl::StrCat("liked_by[", i, "]"), true));
  }
  for (int i = 0; i < p.mentioned_size(); ++i) {
    WK_RETURN_IF_ERROR(CheckId(p.mentioned(i), where,
                               absl::StrCat("mentioned[", i, "]"), true));
  }
  return absl::OkStatus();
}

}  // namespace

// The stages in the order their first error is reported.
absl::Status ValidatePost(const v1::Post& p, std::string_view where,
                          const ValidationOptions& options) {
  WK_RETURN_IF_ERROR(CheckPostIdentity(p, where));
  WK_RETURN_IF_ERROR(CheckPostText(p, where));
  WK_RETURN_IF_ERROR(CheckPostState(p, where, options));
  return CheckPostLists(p, where);
}

void NormalizePost(v1::Post& p) {
  // A root is its own thread; for replies the catalog resolves an empty
  // thread_id through the parent.
  if (p.thread_id().empty() && p.parent_id().empty()) p.set_thread_id(p.id());
  if (p.visibility().empty()) p.set_visibility("public");
  for (auto& tag : *p.mutable_tags()) {
    std::transform(tag.begin(), tag.end(), tag.begin(),
                   [](unsigned char c) { return std::tolower(c); });
  }
}

bool IsPublic(const v1::Post& post) {
  return post.visibility().empty() || post.visibility() == "public";
}

}  // namespace whoknows::index
