// A small Stack Exchange dump written by the tests that evaluate over
// several communities: fast to import, every test question with candidates.
#ifndef WHOKNOWS_TESTS_TESTING_TINY_DUMP_H_
#define WHOKNOWS_TESTS_TESTING_TINY_DUMP_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"

namespace whoknows::testing_util {

// Writes `dir`/Posts.xml (no Users.xml): `questions` questions over four
// topics, one a day from 2020-01-01, asked by people 101, 102...; the topic's
// regular (1-4, shifted by `shift`) answers and is accepted, the next
// topic's regular answers too; every `upset`th question (0: none) accepts
// the other answer instead. Returns `dir`.
inline std::string WriteTinyDump(const std::string& dir, int questions,
                                 int shift, int upset = 0) {
  static const std::vector<std::string> kTopics = {
      "dry hopping citra pellets", "yeast starter krausen",
      "water chemistry gypsum", "crystal malt mash"};
  std::filesystem::create_directories(dir);
  std::string posts = "<posts>\n";
  for (int i = 0; i < questions; ++i) {
    const int topic = i % 4;
    const int expert = 1 + (topic + shift) % 4;
    const int other = 1 + (topic + shift + 1) % 4;
    const int q = 3 * i + 1;
    const int accepted = upset > 0 && i % upset == upset - 1 ? q + 2 : q + 1;
    const std::string day =
        absl::StrFormat("2020-%02d-%02d", 1 + i / 28, 1 + i % 28);
    posts += absl::StrFormat(
        "  <row Id=\"%d\" PostTypeId=\"1\" AcceptedAnswerId=\"%d\" "
        "CreationDate=\"%sT10:00:00.000\" OwnerUserId=\"%d\" Title=\"%s "
        "question %d\" Body=\"How does %s work?\" Tags=\"|t%d|\" />\n"
        "  <row Id=\"%d\" PostTypeId=\"2\" ParentId=\"%d\" "
        "CreationDate=\"%sT11:00:00.000\" OwnerUserId=\"%d\" Body=\"About "
        "%s: measure first.\" />\n"
        "  <row Id=\"%d\" PostTypeId=\"2\" ParentId=\"%d\" "
        "CreationDate=\"%sT12:00:00.000\" OwnerUserId=\"%d\" Body=\"Maybe "
        "%s.\" />\n",
        q, accepted, day, 101 + i, kTopics[topic], i, kTopics[topic], topic,
        q + 1, q, day, expert, kTopics[topic], q + 2, q, day, other,
        kTopics[topic]);
  }
  std::ofstream(dir + "/Posts.xml") << posts << "</posts>\n";
  return dir;
}

// Rewrites `dir`/Posts.xml as the dump shows a post whose author deleted
// their account: row `id` loses its OwnerUserId and keeps
// OwnerDisplayName=`name` (no name at all when `name` is empty).
inline void DeleteAuthorOfPost(const std::string& dir, int id,
                               const std::string& name) {
  std::ifstream in(dir + "/Posts.xml");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t row = text.find(absl::StrFormat("<row Id=\"%d\" ", id));
  const size_t owner = text.find("OwnerUserId=\"", row);
  const size_t end = text.find('"', owner + 13);
  if (row == std::string::npos || owner == std::string::npos ||
      end == std::string::npos)
    return;
  text.replace(owner, end + 1 - owner,
               name.empty() ? "" : "OwnerDisplayName=\"" + name + "\"");
  std::ofstream(dir + "/Posts.xml") << text;
}

}  // namespace whoknows::testing_util

#endif  // WHOKNOWS_TESTS_TESTING_TINY_DUMP_H_
