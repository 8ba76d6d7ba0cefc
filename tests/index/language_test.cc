// Tests index/language.cc: language detection, stemmer names, stopwords.
#include "index/language.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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

TEST(LanguageTest, DetectsItalianNorwegianGerman) {
  EXPECT_EQ(DetectLanguage("Qual è la differenza tra questi due verbi? Li ho "
                           "sentiti usare entrambi nello stesso contesto.",
                           "sv"),
            "it");
  EXPECT_EQ(DetectLanguage("Serveren krasjer hver natt når sikkerhetskopien "
                           "kjører, og vi vet ikke hvorfor. Har noen sett "
                           "det samme før?",
                           "en"),
            "no");
  EXPECT_EQ(DetectLanguage("Der Server stürzt jede Nacht ab, wenn die "
                           "Sicherung läuft, und wir wissen nicht warum.",
                           "en"),
            "de");
}

TEST(LanguageTest, StemmerForEveryLanguageXapianHas) {
  const std::pair<const char*, const char*> kExpected[] = {
      {"ar", "arabic"},  {"ca", "catalan"},    {"eu", "basque"},
      {"ga", "irish"},   {"hy", "armenian"},   {"id", "indonesian"},
      {"it", "italian"}, {"lt", "lithuanian"}, {"ne", "nepali"},
      {"ta", "tamil"},   {"nl", "dutch"},      {"pt", "portuguese"},
  };
  for (const auto& [code, name] : kExpected) {
    EXPECT_TRUE(HasStemmer(code)) << code;
    EXPECT_EQ(StemmerNameFor(code), name) << code;
  }
  // Greek and Serbian came with Xapian 1.5; the name is only given when
  // the installed Xapian has the stemmer.
  for (const char* code : {"el", "sr"}) {
    EXPECT_EQ(StemmerNameFor(code) != "english", HasStemmer(code)) << code;
  }
  EXPECT_FALSE(HasStemmer("pl"));
  EXPECT_FALSE(HasStemmer(""));
}

TEST(LanguageTest, QueryLanguagesForThePresentOnes) {
  // Most posts first; Italian with 3 of 200 posts (1.5%) counts.
  EXPECT_EQ(QueryLanguagesFor({{"en", 120}, {"sv", 77}, {"it", 3}}),
            (std::vector<std::string>{"en", "sv", "it"}));
  // One stray post never adds a language, however small the index.
  EXPECT_EQ(QueryLanguagesFor({{"it", 10}, {"en", 1}}),
            (std::vector<std::string>{"it"}));
  // Under 1% unless there are enough posts to be a team's own language.
  EXPECT_EQ(QueryLanguagesFor({{"en", 1000}, {"de", 9}}),
            (std::vector<std::string>{"en"}));
  EXPECT_EQ(QueryLanguagesFor({{"en", 20000}, {"fi", kEnoughLanguagePosts}}),
            (std::vector<std::string>{"en", "fi"}));
  // Posts without a language do not count as one.
  EXPECT_EQ(QueryLanguagesFor({{"", 50}, {"de", 5}}),
            (std::vector<std::string>{"de"}));
}

TEST(LanguageTest, QueryLanguagesForAnEmptyIndexAreTheDefault) {
  EXPECT_EQ(QueryLanguagesFor({}), QueryLanguages());
  EXPECT_EQ(QueryLanguagesFor({{"it", 1}}), QueryLanguages());
}

TEST(LanguageTest, QueryLanguagesForAreBounded) {
  std::unordered_map<std::string, int64_t> many;
  const char* codes[] = {"en", "sv", "no", "da", "fi", "de",
                         "it", "fr", "es", "nl", "pt"};
  int64_t n = 100;
  for (const char* code : codes) many[code] = n--;
  const auto langs = QueryLanguagesFor(many);
  ASSERT_EQ(langs.size(), kMaxQueryLanguages);
  EXPECT_EQ(langs.front(), "en");
  EXPECT_EQ(langs.back(), codes[kMaxQueryLanguages - 1]);
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

TEST(LanguageTest, IsStopwordOfTheGivenLanguages) {
  const std::vector<std::string> nordic = {"no", "da", "fi", "de", "it"};
  for (const char* w : {"hvordan", "hvorfor", "hvad", "että", "mutta", "und",
                        "nicht", "della", "perché"}) {
    EXPECT_TRUE(IsStopword(w, nordic)) << w;
    EXPECT_FALSE(IsStopword(w)) << w;  // only sv and en by default
  }
  EXPECT_TRUE(IsStopword("und", {"de"}));
  EXPECT_FALSE(IsStopword("und", {"it"}));
  EXPECT_FALSE(IsStopword("und", {}));
  EXPECT_TRUE(IsStopword("och", {"sv"}));
  EXPECT_FALSE(IsStopword("drucker", nordic));
  EXPECT_FALSE(IsStopword("pasta", nordic));
}

TEST(LanguageTest, IsStopwordExpectsLowercase) {
  EXPECT_FALSE(IsStopword("The"));
  EXPECT_FALSE(IsStopword(""));
}

}  // namespace
}  // namespace whoknows::index
