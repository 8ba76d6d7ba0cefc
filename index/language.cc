#include "index/language.h"

#include <cld2/public/compact_lang_det.h>
#include <xapian.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_set>
#include <utility>

namespace whoknows::index {
namespace {

// Snowball stemmers by the ISO 639-1 codes CLD2 gives (nb/nn are folded
// into "no" by DetectLanguage). Greek and Serbian need Xapian 1.5; missing
// stemmers are left out at run time (HasStemmer).
std::string_view StemmerCode(std::string_view language) {
  static const std::pair<std::string_view, std::string_view> kStemmers[] = {
      {"ar", "arabic"},     {"ca", "catalan"},    {"da", "danish"},
      {"de", "german"},     {"el", "greek"},      {"en", "english"},
      {"es", "spanish"},    {"eu", "basque"},     {"fi", "finnish"},
      {"fr", "french"},     {"ga", "irish"},      {"hu", "hungarian"},
      {"hy", "armenian"},   {"id", "indonesian"}, {"it", "italian"},
      {"lt", "lithuanian"}, {"ne", "nepali"},     {"nl", "dutch"},
      {"no", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},
      {"ru", "russian"},    {"sr", "serbian"},    {"sv", "swedish"},
      {"ta", "tamil"},      {"tr", "turkish"},
  };
  for (const auto& [code, name] : kStemmers) {
    if (code == language) return name;
  }
  return {};
}

const std::string& AvailableStemmers() {
  static const std::string kNames = Xapian::Stem::get_available_languages();
  return kNames;
}

// Short stop lists: the most common words of each language's Snowball stop
// list (snowballstem.org, BSD licence), plus question words that carry no
// topic. Data, not logic: one space-separated string a language.
const std::pair<std::string_view, std::string_view> kStopwords[] = {
    {"en",
     "a an and are as at be but by can do does for from has have how i if in "
     "is it its me my of on or so that the their there this to was we what "
     "when where which who why will with you your any anyone should would "
     "could get our about been into than then them they these those not no "
     "also just"},
    {"sv",
     "och att det som en ett på är av för med till den har de inte om jag vi "
     "du kan man hur vad var när så från eller men vid sig mig oss er ni han "
     "hon dem denna detta dessa vår vårt våra min mitt mina någon något några "
     "finns ska skulle blir bli vara varit hade också bara nu där här vem "
     "vilken vilket vilka sedan efter innan under över alla mycket"},
    {"no",
     "og i jeg det at en et den til er som på de med han av ikke der så var "
     "meg seg men har om vi min mitt ha hadde hun nå over da ved fra du ut "
     "sin dem oss opp man kan hans hvor eller hva skal selv her alle vil bli "
     "ble blitt kunne inn når være noen noe ville dere kun etter ned skulle "
     "denne for deg mot å hvorfor dette disse uten hvordan ingen blir hvem "
     "hvis bare enn fordi også"},
    {"da",
     "og i jeg det at en den til er som på de med han af for ikke der var mig "
     "sig men et har om vi min havde hun nu over da fra du ud sin dem os op "
     "man hans hvor eller hvad skal selv her alle vil blev kunne ind når "
     "være noget ville jo deres efter ned skulle denne end dette også under "
     "have dig meget mod disse hvis nogle blive bliver hvordan hvorfor kan"},
    {"fi",
     "olla olen olet on olemme olette ovat ole oli olivat ollut olisi ja "
     "että ei se sen sitä hän he minä sinä me te mikä mitä miksi miten kuka "
     "joka jotka jonka tämä tämän tätä nämä tuo mutta tai kuin kun jos niin "
     "vai koska myös nyt jo vain itse voi"},
    {"de",
     "aber alle als also am an auch auf aus bei bin bis da damit dann das "
     "dass daß dem den der des die dies diese dieser dieses doch du ein eine "
     "einem einen einer eines er es für hat hatte habe haben ich ihr im in "
     "ist ja kann kein keine man mit nach nicht noch nur ob oder sich sie "
     "sind so um und uns von vor war was wenn wie wir wird wo zu zum zur "
     "über werden wurde warum"},
    {"it",
     "a ad al alla alle allo ai agli anche che chi ci come con da dal dalla "
     "dei del della delle dello degli di e è ed gli ha hanno ho i il in io la "
     "le lo ma mi ne nel nella negli nei non o per più quale quando quello "
     "questa questo se si sia sono su sul sulla ti tra fra tu un una uno "
     "cosa perché essere era"},
};

}  // namespace

std::string DetectLanguage(std::string_view text, std::string_view fallback) {
  // CLD2 answers English when it has nothing to go on (numbers, symbols):
  // text with fewer than 8 letters keeps the fallback.
  int letters = 0;
  for (unsigned char c : text)
    letters += (std::isalpha(c) || c >= 0x80) ? 1 : 0;
  if (letters < 8) return std::string(fallback);
  bool reliable = false;
  CLD2::Language lang =
      CLD2::DetectLanguage(text.data(), static_cast<int>(text.size()),
                           /*is_plain_text=*/true, &reliable);
  if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE) {
    return std::string(fallback);
  }
  std::string code = CLD2::LanguageCode(lang);
  // CLD2 often calls short Scandinavian snippets Norwegian or Danish; treat
  // unreliable guesses among them as Swedish, the language of our users.
  if (!reliable &&
      (code == "no" || code == "nb" || code == "nn" || code == "da")) {
    return "sv";
  }
  if (code == "nb" || code == "nn") return "no";
  return code;
}

std::string StemmerNameFor(std::string_view language) {
  return HasStemmer(language) ? std::string(StemmerCode(language))
                              : std::string("english");
}

bool HasStemmer(std::string_view language) {
  static const std::unordered_set<std::string> kAvailable = [] {
    std::unordered_set<std::string> names;
    for (std::string_view rest = AvailableStemmers(); !rest.empty();) {
      const size_t space = rest.find(' ');
      names.emplace(rest.substr(0, space));
      rest = space == std::string_view::npos ? "" : rest.substr(space + 1);
    }
    return names;
  }();
  const std::string_view name = StemmerCode(language);
  return !name.empty() && kAvailable.contains(std::string(name));
}

const std::vector<std::string>& QueryLanguages() {
  static const std::vector<std::string> kLanguages = {"sv", "en"};
  return kLanguages;
}

std::vector<std::string> QueryLanguagesFor(
    const std::unordered_map<std::string, int64_t>& posts_per_language) {
  int64_t total = 0;
  for (const auto& [lang, n] : posts_per_language) total += n;
  std::vector<std::pair<int64_t, std::string>> present;
  for (const auto& [lang, n] : posts_per_language) {
    if (lang.empty() || n < kMinLanguagePosts) continue;
    if (n >= kEnoughLanguagePosts ||
        static_cast<double>(n) >=
            kMinLanguageShare * static_cast<double>(total))
      present.emplace_back(n, lang);
  }
  if (present.empty()) return QueryLanguages();
  // Most posts first; ties by code, so the order does not depend on the
  // map's.
  std::sort(present.begin(), present.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (present.size() > kMaxQueryLanguages) present.resize(kMaxQueryLanguages);
  std::vector<std::string> out;
  for (auto& [n, lang] : present) out.push_back(std::move(lang));
  return out;
}

bool IsStopword(std::string_view w) { return IsStopword(w, QueryLanguages()); }

bool IsStopword(std::string_view w, const std::vector<std::string>& languages) {
  static const auto* kLists = [] {
    auto* lists = new std::unordered_map<std::string_view,
                                         std::unordered_set<std::string_view>>;
    for (const auto& [lang, words] : kStopwords) {
      auto& set = (*lists)[lang];
      for (std::string_view rest = words; !rest.empty();) {
        const size_t space = rest.find(' ');
        set.insert(rest.substr(0, space));
        rest = space == std::string_view::npos ? "" : rest.substr(space + 1);
      }
    }
    return lists;
  }();
  for (const auto& lang : languages) {
    auto it = kLists->find(lang);
    if (it != kLists->end() && it->second.contains(w)) return true;
  }
  return false;
}

}  // namespace whoknows::index
