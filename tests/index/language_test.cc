// Tests index/language.cc: language detection, stemmer names, stopwords.
#include "index/language.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace whoknows::index {
namespace {

TEST(LanguageTest, DetectsSwedish) {
  EXPECT_EQ(DetectLanguage("Servern kraschar varje natt när backupen körs och "
                           "vi vet inte varför det händer. Har någon sett "
                           "samma problem med databasen?"),
            "sv");
}

TEST(LanguageTest, DetectsEnglish) {
  EXPECT_EQ(DetectLanguage("The server crashes every night when the backup "
                           "runs and we do not know why it happens. Has "
                           "anyone seen the same problem with the database?"),
            "en");
}

TEST(LanguageTest, DetectsSwedishEvenWithEnglishFallback) {
  // The fallback is only for text that cannot be told; a clear Swedish
  // sentence is Swedish whatever the fallback.
  EXPECT_EQ(DetectLanguage("Hur gör jag för att byta lösenord på min dator "
                           "när jag arbetar hemifrån utan VPN-anslutning?",
                           "en"),
            "sv");
}

TEST(LanguageTest, ShortTextFallsBack) {
  EXPECT_EQ(DetectLanguage("hej", "sv"), "sv");
  EXPECT_EQ(DetectLanguage("ok", "en"), "en");
  EXPECT_EQ(DetectLanguage("", "de"), "de");
}

TEST(LanguageTest, DefaultFallbackIsEnglish) {
  EXPECT_EQ(DetectLanguage(""), "en");
  EXPECT_EQ(DetectLanguage("x"), "en");
}

TEST(LanguageTest, UndetectableTextFallsBack) {
  // Long enough to be looked at, but no language in it.
  EXPECT_EQ(DetectLanguage("12345 67890 !!! ??? 42 17 99", "sv"), "sv");
}

TEST(LanguageTest, StemmerNameForKnownLanguages) {
  EXPECT_EQ(StemmerNameFor("sv"), "swedish");
  EXPECT_EQ(StemmerNameFor("en"), "english");
  EXPECT_EQ(StemmerNameFor("no"), "norwegian");
  EXPECT_EQ(StemmerNameFor("da"), "danish");
  EXPECT_EQ(StemmerNameFor("fi"), "finnish");
  EXPECT_EQ(StemmerNameFor("de"), "german");
}

TEST(LanguageTest, StemmerNameForUnknownLanguageIsEnglish) {
  EXPECT_EQ(StemmerNameFor("pl"), "english");
  EXPECT_EQ(StemmerNameFor(""), "english");
  EXPECT_EQ(StemmerNameFor("xx"), "english");
  // Codes are ISO 639-1, not names.
  EXPECT_EQ(StemmerNameFor("swedish"), "english");
}

TEST(LanguageTest, QueryLanguagesIncludeSwedishAndEnglish) {
  const auto& langs = QueryLanguages();
  EXPECT_NE(std::find(langs.begin(), langs.end(), "sv"), langs.end());
  EXPECT_NE(std::find(langs.begin(), langs.end(), "en"), langs.end());
}

TEST(LanguageTest, IsStopwordEnglish) {
  EXPECT_TRUE(IsStopword("the"));
  EXPECT_TRUE(IsStopword("and"));
  EXPECT_TRUE(IsStopword("how"));
  EXPECT_FALSE(IsStopword("server"));
  EXPECT_FALSE(IsStopword("kubernetes"));
}

TEST(LanguageTest, IsStopwordSwedish) {
  EXPECT_TRUE(IsStopword("och"));
  EXPECT_TRUE(IsStopword("att"));
  EXPECT_TRUE(IsStopword("på"));
  EXPECT_TRUE(IsStopword("är"));
  EXPECT_FALSE(IsStopword("servern"));
  EXPECT_FALSE(IsStopword("kraschar"));
}

TEST(LanguageTest, IsStopwordExpectsLowercase) {
  EXPECT_FALSE(IsStopword("The"));
  EXPECT_FALSE(IsStopword(""));
}

}  // namespace
}  // namespace whoknows::index
