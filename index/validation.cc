#include "index/validation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace whoknows::index {

absl::Status Invalid(std::string_view where, std::string_view field,
                     std::string_view reason) {
  // Debian's abseil has its own string_view: build the message with std.
  std::string msg(where);
  msg.append(".").append(field).append(": ").append(reason);
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

}  // namespace

absl::Status ValidatePerson(const v1::Person& p, std::string_view where) {
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
  for (int i = 0; i < p.tags_size(); ++i) {
    if (p.tags(i).empty() || p.tags(i).size() > kMaxTagBytes) {
      return Invalid(where, absl::StrCat("tags[", i, "]"),
                     absl::StrCat("must be 1-", kMaxTagBytes, " bytes"));
    }
  }
  if (p.language().size() > 8) {
    return Invalid(where, "language", "must be an ISO 639-1 code");
  }
  return absl::OkStatus();
}

// Creation time, visibility and acceptance.
absl::Status CheckPostState(const v1::Post& p, std::string_view where) {
  if (!p.has_created() ||
      (p.created().seconds() == 0 && p.created().nanos() == 0)) {
    return Invalid(where, "created", "required");
  }
  const std::string& vis = p.visibility();
  if (!vis.empty() && vis != "public" &&
      (vis.rfind("group:", 0) != 0 || vis.size() == 6)) {
    return Invalid(where, "visibility",
                   "must be \"public\" or \"group:<name>\"");
  }
  // It becomes a Xapian term, which may not pass 245 bytes.
  if (vis.size() > kMaxIdBytes) {
    return Invalid(where, "visibility",
                   absl::StrCat("longer than ", kMaxIdBytes, " bytes"));
  }
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
absl::Status ValidatePost(const v1::Post& p, std::string_view where) {
  WK_RETURN_IF_ERROR(CheckPostIdentity(p, where));
  WK_RETURN_IF_ERROR(CheckPostText(p, where));
  WK_RETURN_IF_ERROR(CheckPostState(p, where));
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
