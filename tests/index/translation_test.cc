// Tests index/translation.cc: dictd parsing, stem matching, and the real
// FreeDict dictionaries when installed.
#include "index/translation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/testing/test_dirs.h"

namespace whoknows::index {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string TestDir() { return testing_util::TestDir(/*create=*/true); }

// dictd numbers in base64 digits.
std::string B64(uint64_t v) {
  static const char* d =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  do {
    s.insert(s.begin(), d[v % 64]);
    v /= 64;
  } while (v > 0);
  return s;
}

// Writes a plain (uncompressed) dictd pair; zlib reads it like .dict.dz.
void WriteDictd(
    const std::string& dir, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string text = "00-database-info\nA test dictionary\n";
  std::ofstream index(dir + "/" + name + ".index");
  index << "00databaseinfo\t" << B64(0) << "\t" << B64(text.size()) << "\n";
  for (const auto& [head, body] : entries) {
    const size_t offset = text.size();
    text += head + " /pron/\n" + body + "\n";
    index << head << "\t" << B64(offset) << "\t" << B64(text.size() - offset)
          << "\n";
  }
  std::ofstream(dir + "/" + name + ".dict") << text;
}

TEST(DictionaryTest, ReadsDictdEntriesAndMatchesInflectedForms) {
  const std::string dir = TestDir();
  WriteDictd(dir, "freedict-swe-eng",
             {{"faktura", "account, bill, invoice"},
              {"minne", "1. memory, recollection\n2. souvenir"},
              {"bottniska viken", "Gulf of Bothnia"},
              {"fel", "error, make a mistake"}});
  auto d = Dictionary::LoadFreedict(dir);
  ASSERT_TRUE(d.ok()) << d.status();
  // "fakturorna" (the invoice) stems like "faktura".
  auto t = d->Translate("sv", "fakturorna");
  EXPECT_THAT(t, Contains(Pair("en", "invoice")));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(d->Translate("sv", "fakturorna", 1).size(), 1u);
  // Numbered senses, all of them.
  EXPECT_THAT(d->Translate("sv", "minne"), Contains(Pair("en", "souvenir")));
  // Phrases are skipped on both sides.
  EXPECT_THAT(d->Translate("sv", "fel"), Contains(Pair("en", "error")));
  EXPECT_EQ(d->Translate("sv", "fel").size(), 1u);
  EXPECT_THAT(d->Translate("sv", "bottniska"), IsEmpty());
  // The other direction is absent: no eng-swe files here.
  EXPECT_THAT(d->Translate("en", "invoice"), IsEmpty());
  // Nothing for unknown words or languages.
  EXPECT_THAT(d->Translate("sv", "zebra"), IsEmpty());
  EXPECT_THAT(d->Translate("fi", "faktura"), IsEmpty());
}

TEST(DictionaryTest, MissingFilesMeanAnEmptyDictionary) {
  auto d = Dictionary::LoadFreedict(TestDir());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->size(), 0u);
}

TEST(DictionaryTest, CorruptIndexNamesFileAndLine) {
  const std::string dir = TestDir();
  WriteDictd(dir, "freedict-eng-swe", {{"invoice", "faktura"}});
  std::ofstream(dir + "/freedict-eng-swe.index", std::ios::app)
      << "broken line without tabs\n";
  auto d = Dictionary::LoadFreedict(dir);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.status().message()),
              testing::HasSubstr("freedict-eng-swe.index:3"));
  // An offset past the end of the text.
  WriteDictd(dir, "freedict-eng-swe", {{"invoice", "faktura"}});
  std::ofstream(dir + "/freedict-eng-swe.index", std::ios::app)
      << "payment\tZZZZ\tB\n";
  EXPECT_EQ(Dictionary::LoadFreedict(dir).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(DictionaryTest, AddedGlossaryEntries) {
  Dictionary d;
  d.Add("sv", "driftstörning", "en", "outage");
  EXPECT_THAT(d.Translate("sv", "driftstörningen"),
              Contains(Pair("en", "outage")));
  d.Add("sv", "driftstörning", "en", "outage");  // duplicates are ignored
  EXPECT_EQ(d.size(), 1u);
}

TEST(DictionaryTest, DebiansFreedictDictionaries) {
  if (!fs::exists("/usr/share/dictd/freedict-swe-eng.index")) {
    if (std::getenv("CI")) FAIL() << "dict-freedict-swe-eng is not installed";
    GTEST_SKIP() << "dict-freedict-swe-eng is not installed";
  }
  auto d = Dictionary::LoadFreedict("/usr/share/dictd");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_GT(d->size(), 5000u);
  EXPECT_THAT(d->Translate("sv", "fakturorna"),
              Contains(Pair("en", "invoice")));
  EXPECT_THAT(d->Translate("sv", "betalning"), Contains(Pair("en", "payment")));
  EXPECT_THAT(d->Translate("en", "invoice", 10),
              Contains(Pair("sv", "faktura")));
}

}  // namespace
}  // namespace whoknows::index
