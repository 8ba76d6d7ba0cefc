// Fixtures every suite builds its company from: a catalog in a scratch
// folder, people and posts with only the fields a test cares about, files
// written whole. Tests that include this link whoknows_index.
#ifndef WHOKNOWS_TESTS_TESTING_FIXTURES_H_
#define WHOKNOWS_TESTS_TESTING_FIXTURES_H_

#include <gtest/gtest.h>
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/change_log.h"
#include "whoknows/v1/people.pb.h"
#include "whoknows/v1/posts.pb.h"

namespace whoknows::testing_util {

// A catalog in `dir` that publishes only on Refresh() (no refresher
// thread), so a test decides when writes become visible. Null, with a
// failed expectation, when it cannot be opened.
inline std::unique_ptr<index::Catalog> OpenCatalog(const std::string& dir,
                                                   bool read_only = false) {
  index::CatalogOptions o;
  o.data_dir = dir;
  o.refresh_interval = std::chrono::milliseconds(0);
  o.read_only = read_only;
  auto c = index::Catalog::Open(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// Writes `text` as the whole of `path`.
inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// "Person <id>", in `department` at `site`.
inline v1::Person MakePerson(const std::string& id,
                             const std::string& department = "",
                             const std::string& site = "") {
  v1::Person p;
  p.set_id(id);
  p.set_display_name("Person " + id);
  p.set_department(department);
  p.set_site(site);
  return p;
}

// A public post; an empty language is detected by the catalog.
inline v1::Post MakePost(const std::string& id, const std::string& author,
                         v1::PostKind kind, const std::string& title,
                         const std::string& body, int64_t created,
                         const std::string& parent = "",
                         const std::string& language = "") {
  v1::Post p;
  p.set_id(id);
  p.set_author_id(author);
  p.set_kind(kind);
  p.set_title(title);
  p.set_body(body);
  p.set_parent_id(parent);
  p.set_language(language);
  p.mutable_created()->set_seconds(created);
  return p;
}

// The privacy tests' private thread, all at `t0` + a minute or two: hr's
// question in group:hr ("Zebrafjord: confidential salary dispute", q1),
// x's answer to it (a1, not accepted), and y's public question on the same
// words (q2, "Settle a dispute").
struct PrivateHrThread {
  v1::Post root, reply, other;
};
inline PrivateHrThread MakePrivateHrThread(int64_t t0) {
  PrivateHrThread t{
      .root = MakePost("q1", "hr", v1::POST_KIND_QUESTION,
                       "Zebrafjord: confidential salary dispute",
                       "zebrafjord salary dispute", t0),
      .reply = MakePost("a1", "x", v1::POST_KIND_ANSWER, "",
                        "About zebrafjord: settle the dispute.", t0 + 60, "q1"),
      .other = MakePost("q2", "y", v1::POST_KIND_QUESTION, "Settle a dispute",
                        "How to settle a dispute?", t0 + 120)};
  t.root.set_visibility("group:hr");
  return t;
}

// A public post's metadata, as snapshots hold it: a root is its own
// thread, a reply is in its parent's.
inline std::shared_ptr<index::PostMeta> MakeMeta(const std::string& id,
                                                 const std::string& author,
                                                 v1::PostKind kind,
                                                 const std::string& parent,
                                                 int64_t created) {
  auto m = std::make_shared<index::PostMeta>();
  m->id = id;
  m->author_id = author;
  m->kind = kind;
  m->parent_id = parent;
  m->thread_id = parent.empty() ? id : parent;
  m->created = created;
  return m;
}

// Ids of the posts a search finds, best first (none, and a failure, when
// the search fails).
inline std::vector<std::string> SearchIds(const index::Catalog& c,
                                          const index::SearchOptions& o) {
  auto r = c.Search(o);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> ids;
  if (r.ok())
    for (const auto& h : r->hits) ids.push_back(h.post_id);
  return ids;
}

// The one entry the change log in `people_dir` (index/change_log.h) holds
// after `before`; none, with a failure, when there is not exactly one.
inline std::optional<index::ChangeLogEntry> TheEntryAfter(
    const std::string& people_dir, const index::ChangeLogPosition& before) {
  const Xapian::Database people(people_dir);
  const index::ChangeLogPosition after = index::ReadChangeLogPosition(people);
  EXPECT_EQ(after.head, before.head + 1) << "not one entry";
  auto entries = index::ReadChangeLog(people, before, after);
  EXPECT_TRUE(entries.ok()) << entries.status();
  if (!entries.ok() || entries->size() != 1) return std::nullopt;
  return std::move(entries->front());
}

// The ids of the posts `entry` lists as written, sorted.
inline std::vector<std::string> WrittenPosts(
    const index::ChangeLogEntry& entry) {
  std::vector<std::string> ids;
  for (const auto& [id, fingerprint] : entry.posts) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// How many times `what` occurs in `text` (overlaps counted).
inline size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos;
       i = text.find(what, i + 1))
    ++n;
  return n;
}

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_FIXTURES_H_
