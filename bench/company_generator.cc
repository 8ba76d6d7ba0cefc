// A large company in the JSONL exchange format (data/README.md), seeded and
// streamed: people, an org tree, and ten years of intranet threads written
// in creation order, with a side file naming each topic's planted experts.
//
//   company_generator [--people 50000] [--posts 1000000] [--seed 1]
//                     [--topics N] [--out FILE|-] [--truth FILE]
//
// Same flags, same bytes: the generator has its own PRNG (xoshiro256**) and
// its own distributions (the standard library's differ between
// implementations) and never iterates over a hash container. Memory holds
// the people and the topics, and the threads still open (a heap of posts
// not yet due): it does not grow with --posts.
//
// The shape of the company:
// - 10 departments of teams (about 12 people each) under team leads, area
//   managers (when a department has more than 8 teams), department heads
//   and the CEO; ids are given in that order, so a manager always comes
//   first and the tree cannot have a cycle. 20 sites in 8 countries; names,
//   languages and the main writing language follow nationality.
// - 10 years (2015-2024): 55% of the staff were there at the start, the
//   rest join over the years; a quarter of the staff leave (active=false,
//   no posts after leaving); 1% opted out.
// - Topics (default people/25), each born at some time, with a home
//   department, tags and a vocabulary of pseudo-words drawn by Zipf's law
//   from an unbounded list, so new terms keep appearing as the corpus grows
//   (Heaps' law). Each topic has 3 planted experts (2 in its home
//   department, 1 elsewhere; long-tenured, active, not opted out) who write
//   about 55% of its answers, longer ones, and most of its accepted answers
//   and articles. Topic popularity is Zipf-distributed too.
// - Threads: 90% questions, 10% articles; most questions get 1-2 answers,
//   12% none, 3% are long (tens to hundreds of replies); comments on
//   anything; about 65% of answered questions accept one answer; likes and
//   mentions mostly within the team and department; topics of HR, Finance,
//   Legal and Management keep some threads in a private group.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "bench/company_text.h"

namespace whoknows::bench {
namespace {

// ---------------------------------------------------------------- random

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Hash(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9e3779b97f4a7c15ULL + b;
  return SplitMix(x);
}

// xoshiro256**, with distributions of its own so that the output does not
// depend on the standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // [0, n), n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(double p) { return Uniform() < p; }
  // Failures before the first success of probability p.
  int Geometric(double p) {
    return static_cast<int>(
        std::floor(std::log1p(-Uniform()) / std::log1p(-p)));
  }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  // A rank in [0, cap) with P(rank) roughly ∝ (rank + 1)^-s (s != 1): the
  // inverse of the continuous power law's distribution function.
  uint64_t Zipf(double s, uint64_t cap) {
    const double a = 1 - s;
    const double top = std::pow(static_cast<double>(cap) + 1, a) - 1;
    const double x = std::pow(1 + Uniform() * top, 1 / a);
    return std::min<uint64_t>(cap - 1, static_cast<uint64_t>(x) - 1);
  }
  template <typename Array>
  std::string_view Pick(const Array& phrases) {
    size_t n = 0;
    while (n < phrases.size() && !phrases[n].empty()) ++n;
    return phrases[Below(n)];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// ------------------------------------------------------------- the company

constexpr int64_t kStart = 1420070400;  // 2015-01-01T00:00:00Z
constexpr int64_t kEnd = 1735689600;    // 2025-01-01T00:00:00Z
constexpr int64_t kNever = INT64_MAX;
constexpr int64_t kHour = 3600;

struct Person {
  std::string id, first, last, title;
  int department = 0, team = -1, site = 0, nationality = 0, manager = -1;
  std::string_view main_language;  // the language they write
  bool knows_swedish = false;
  int64_t joined = 0, left = kNever;
  bool opted_out = false, leaving = false;
  bool ActiveAt(int64_t t) const { return joined <= t && t < left; }
};

struct Team {
  int department = 0, site = 0, second_site = 0, lead = -1;
  std::vector<int> members;  // lead included
};

struct Topic {
  uint64_t key = 0;
  int department = 0;
  int64_t born = 0;
  std::string group;  // "" or a private group name
  int experts[3] = {-1, -1, -1};
  int64_t questions = 0, answered = 0, accepted = 0, accepted_by_experts = 0;
  int64_t answers = 0, answers_by_experts = 0, articles = 0;
};

struct Options {
  int64_t people = 50000, posts = 1000000, topics = 0;
  uint64_t seed = 1;
  std::string out = "-", truth;
};

struct Company {
  std::vector<Person> people;
  std::vector<Team> teams;
  std::vector<std::vector<int>> by_department;
  std::vector<Topic> topics;
  std::vector<int> topic_by_popularity;  // Zipf rank → topic
};

std::string Id(char prefix, int64_t n, int width) {
  std::string digits = std::to_string(n);
  return std::string(1, prefix) +
         std::string(width > static_cast<int>(digits.size())
                         ? width - digits.size()
                         : 0,
                     '0') +
         digits;
}

// The word of rank `rank` in the vocabulary keyed `key`: frequent words are
// shorter (2-3 syllables), rarer ones 3-4.
std::string PseudoWord(uint64_t key, uint64_t rank) {
  uint64_t h = Hash(key, rank);
  const int syllables = (rank < 64 ? 2 : 3) + static_cast<int>(h & 1);
  std::string w;
  for (int i = 0; i < syllables; ++i) {
    h = Hash(h, i);
    w += kSyllables[h % kSyllables.size()];
  }
  return w;
}

int WeightedSite(Rng& rng) {
  int total = 0;
  for (const auto& s : kSites) total += s.weight;
  int r = static_cast<int>(rng.Below(total));
  for (size_t i = 0; i < kSites.size(); ++i) {
    if ((r -= kSites[i].weight) < 0) return static_cast<int>(i);
  }
  return 0;
}

int NationalityOf(std::string_view country) {
  for (size_t i = 0; i < kNationalities.size(); ++i) {
    if (kNationalities[i].country == country) return static_cast<int>(i);
  }
  return 6;  // GB names for the US
}

// Nationality, names, languages and dates of one person at `site`.
Person NewPerson(Rng& rng, int64_t index, int department, int site,
                 bool staff_at_start) {
  Person p;
  p.id = Id('u', index + 1, 6);
  p.department = department;
  p.site = site;
  p.nationality = rng.Chance(0.9) ? NationalityOf(kSites[site].country)
                                  : static_cast<int>(rng.Below(7));
  const auto& nat = kNationalities[p.nationality];
  p.first = nat.first[rng.Below(nat.first.size())];
  p.last = nat.last[rng.Below(nat.last.size())];
  static constexpr std::string_view kMain[] = {"sv", "no", "fi", "da",
                                               "de", "en", "en"};
  p.main_language = kMain[p.nationality];
  if (p.nationality == 2 && rng.Chance(0.1)) p.main_language = "sv";
  p.knows_swedish = p.main_language == "sv";
  p.joined = staff_at_start || rng.Chance(0.55)
                 ? kStart - static_cast<int64_t>(rng.Below(15 * 365)) * 86400
                 : kStart + static_cast<int64_t>(rng.Below(kEnd - kStart));
  if (!staff_at_start && rng.Chance(0.25)) {
    const int64_t from = std::max(p.joined, kStart);
    p.left = from + static_cast<int64_t>(rng.Below(kEnd - from));
  }
  p.opted_out = !staff_at_start && p.left == kNever && rng.Chance(0.01);
  p.leaving = p.left == kNever && rng.Chance(0.005);
  return p;
}

int AddPerson(Company& c, Rng& rng, int department, int site, int manager,
              std::string title, bool staff_at_start) {
  const int index = static_cast<int>(c.people.size());
  Person p = NewPerson(rng, index, department, site, staff_at_start);
  p.manager = manager;
  p.title = std::move(title);
  c.people.push_back(std::move(p));
  c.by_department[department].push_back(index);
  return index;
}

// Teams of one department under its head (and area managers when there
// are more than 8 teams), `size` people in all.
void BuildDepartment(Company& c, Rng& rng, int d, int head, int64_t size) {
  const auto& dept = kDepartments[d];
  const int64_t n_teams = std::max<int64_t>(1, size / 12);
  int64_t left = size;
  int area_manager = head;
  for (int64_t t = 0; t < n_teams && left > 0; ++t) {
    Team team;
    team.department = d;
    // The first 20 teams of the company cover every site once.
    team.site = c.teams.size() < kSites.size()
                    ? static_cast<int>(c.teams.size())
                    : WeightedSite(rng);
    team.second_site = rng.Chance(0.2) ? WeightedSite(rng) : team.site;
    if (n_teams > 8 && t % 8 == 0 && left > 1) {
      area_manager = AddPerson(c, rng, d, team.site, head,
                               std::string(dept.name) + " area manager", true);
      --left;
    }
    const int64_t members =
        t + 1 == n_teams ? left : std::min<int64_t>(left, 6 + rng.Below(13));
    const int team_index = static_cast<int>(c.teams.size());
    for (int64_t m = 0; m < members; ++m) {
      const int site = rng.Chance(0.7) ? team.site : team.second_site;
      const bool lead = m == 0;
      const int i = AddPerson(
          c, rng, d, site, lead ? area_manager : team.lead,
          lead ? std::string(dept.name) + " team lead"
               : std::string(dept.titles[rng.Below(dept.titles.size())]),
          false);
      c.people[i].team = team_index;
      if (lead) team.lead = i;
      team.members.push_back(i);
    }
    left -= members;
    c.teams.push_back(std::move(team));
  }
}

// The CEO, the department heads, then each department's teams.
void BuildOrg(Company& c, Rng& rng, int64_t people) {
  c.by_department.assign(kDepartments.size(), {});
  const int ceo = AddPerson(c, rng, 0, 0, -1, "Chief executive officer", true);
  std::vector<int> heads;
  for (size_t d = 1; d < kDepartments.size(); ++d) {
    heads.push_back(AddPerson(c, rng, d, WeightedSite(rng), ceo,
                              "Head of " + std::string(kDepartments[d].name),
                              true));
  }
  int total_weight = 0;
  for (const auto& d : kDepartments) total_weight += d.weight;
  int64_t remaining = people - static_cast<int64_t>(c.people.size());
  for (size_t d = 0; d < kDepartments.size() && remaining > 0; ++d) {
    const int64_t size =
        d + 1 == kDepartments.size()
            ? remaining
            : std::min(remaining,
                       std::max<int64_t>(
                           1, people * kDepartments[d].weight / total_weight));
    BuildDepartment(c, rng, static_cast<int>(d), d == 0 ? ceo : heads[d - 1],
                    size);
    remaining -= size;
  }
}

// A long-tenured, active person of `department` who may be recommended.
int PickExpert(const Company& c, Rng& rng, int department, int64_t born) {
  const auto& pool = c.by_department[department];
  for (int tries = 0; tries < 1000; ++tries) {
    const int i = pool[rng.Below(pool.size())];
    const Person& p = c.people[i];
    if (p.joined <= born && p.left == kNever && !p.opted_out && i != 0)
      return i;
  }
  return pool.front();
}

void BuildTopics(Company& c, Rng& rng, int64_t n) {
  static constexpr std::string_view kGroups[] = {
      "management-board", "",          "", "", "", "", "", "finance-team",
      "hr-internal",      "legal-team"};
  for (int64_t t = 0; t < n; ++t) {
    Topic topic;
    topic.key = Hash(rng.Next(), t);
    do {
      topic.department = static_cast<int>(rng.Below(kDepartments.size()));
    } while (c.by_department[topic.department].size() < 4);
    topic.born = t == 0 || rng.Chance(0.4)  // one topic from the start
                     ? kStart
                     : kStart + static_cast<int64_t>(rng.Below(kEnd - kStart));
    if (!kGroups[topic.department].empty() && rng.Chance(0.3))
      topic.group = "group:" + std::string(kGroups[topic.department]);
    topic.experts[0] = PickExpert(c, rng, topic.department, topic.born);
    for (int tries = 0; tries < 20; ++tries) {  // small departments repeat
      topic.experts[1] = PickExpert(c, rng, topic.department, topic.born);
      if (topic.experts[1] != topic.experts[0]) break;
    }
    int other = 0;
    do {
      other = static_cast<int>(rng.Below(kDepartments.size()));
    } while (other == topic.department || c.by_department[other].size() < 4);
    topic.experts[2] = PickExpert(c, rng, other, topic.born);
    c.topics.push_back(std::move(topic));
  }
  c.topic_by_popularity.resize(n);
  for (int64_t i = 0; i < n; ++i) c.topic_by_popularity[i] = i;
  for (int64_t i = n - 1; i > 0; --i)  // Fisher-Yates
    std::swap(c.topic_by_popularity[i],
              c.topic_by_popularity[rng.Below(i + 1)]);
}

// ---------------------------------------------------------------- output

std::string Time(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

void AppendField(std::string& out, std::string_view name,
                 std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonString(out, value);
}

std::string PersonLine(const Company& c, const Person& p) {
  std::string line = "{\"type\":\"person\"";
  AppendField(line, "id", p.id);
  AppendField(line, "display_name", p.first + " " + p.last);
  AppendField(line, "title", p.title);
  AppendField(line, "department", kDepartments[p.department].name);
  AppendField(line, "team",
              p.team < 0 ? std::string()
                         : std::string(kDepartments[p.department].name) + " " +
                               std::to_string(p.team + 1));
  AppendField(line, "site", kSites[p.site].name);
  AppendField(line, "country", kSites[p.site].country);
  AppendField(line, "manager_id", p.manager < 0 ? "" : c.people[p.manager].id);
  line += ",\"languages\":[";
  AppendJsonString(line, p.main_language);
  if (p.main_language != "en") line += ",\"en\"";
  if (p.nationality == 2 && p.main_language == "sv") line += ",\"fi\"";
  if (p.nationality == 5) line += ",\"pl\"";
  line += "]";
  line += p.left == kNever ? ",\"active\":true" : ",\"active\":false";
  line += p.opted_out ? ",\"opted_out\":true" : ",\"opted_out\":false";
  if (p.leaving) line += ",\"leaving\":true";
  AppendField(line, "joined", Time(p.joined));
  line += "}\n";
  return line;
}

// --------------------------------------------------------------- threads

struct Post {
  int64_t created = 0;
  std::string id, parent, title, body;
  std::string_view kind, language;
  int author = -1;
  bool expert = false, accepted = false;
  std::vector<int> liked, mentioned;
};

struct Thread {
  int topic = 0;
  bool is_private = false;
  std::string visibility;
  std::vector<std::string> tags;
  std::vector<Post> posts;  // posts[0] is the root
};

// A serialized post waiting for its time to come.
struct Due {
  int64_t created;
  uint64_t seq;  // generation order: a parent before its children
  std::string line;
  bool operator>(const Due& o) const {
    return created != o.created ? created > o.created : seq > o.seq;
  }
};

struct Counts {
  int64_t threads = 0, questions = 0, answers = 0, comments = 0, articles = 0,
          private_posts = 0, likes = 0, mentions = 0;
  int64_t by_language[kLanguages.size()] = {};
};

const Language& LanguageOf(std::string_view code) {
  for (const auto& l : kLanguages)
    if (l.code == code) return l;
  return kLanguages[0];
}

std::string Fill(std::string_view tmpl, std::string_view a, std::string_view b,
                 std::string_view f) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 2 < tmpl.size() && tmpl[i + 2] == '}') {
      const char k = tmpl[i + 1];
      out += k == 'a' ? a : k == 'b' ? b : f;
      i += 2;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

// Writes the posts of one thread at a time, in creation order through a heap
// of the posts not yet due.
class Generator {
 public:
  Generator(const Options& o, Company& c, Rng& rng, std::FILE* out)
      : o_(o), c_(c), rng_(rng), out_(out), global_key_(Hash(o.seed, 7)) {
    for (size_t i = 0; i < c.people.size(); ++i)
      everyone_.push_back(static_cast<int>(i));
  }
  void Run();
  const Counts& counts() const { return counts_; }

 private:
  int PickTopic(int64_t t);
  int PickActive(const std::vector<int>& pool, int64_t t, int not_this);
  int Colleague(int person, int64_t t, const Thread& th);
  std::string_view WriteIn(int person, std::string_view thread_language);
  std::string Sentences(const Language& l, const Topic& topic, int words,
                        double focus);
  void NewThread(int64_t t);
  Post& Add(Thread& th, int author, int64_t created, std::string_view kind,
            std::string parent);
  void WriteRoot(Thread& th, Post& root, bool article);
  void AddAnswers(Thread& th);
  void WriteAnswer(Thread& th, Post& answer);
  void AddComments(Thread& th);
  void Accept(Thread& th);
  void AddLikes(const Thread& th, Post& p);
  void Emit(Thread& th);
  std::string PostLine(const Thread& th, const Post& p);
  void Flush(int64_t up_to);

  const Options& o_;
  Company& c_;
  Rng& rng_;
  std::FILE* out_;
  const uint64_t global_key_;  // the company-wide jargon
  std::vector<int> everyone_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  int64_t generated_ = 0;
  uint64_t ids_ = 0, seq_ = 0;
  Counts counts_;
};

int Generator::PickTopic(int64_t t) {
  for (;;) {
    const int topic = c_.topic_by_popularity[rng_.Zipf(0.9, c_.topics.size())];
    if (c_.topics[topic].born <= t) return topic;
  }
}

// A person of `pool` who works here at `t`, not `not_this`; -1 if none is
// found quickly.
int Generator::PickActive(const std::vector<int>& pool, int64_t t,
                          int not_this) {
  for (int tries = 0; tries < 40; ++tries) {
    const int i = pool[rng_.Below(pool.size())];
    if (i != not_this && c_.people[i].ActiveAt(t)) return i;
  }
  return -1;
}

// Mostly the same team, then the department, sometimes anyone; in a private
// thread, the topic's department.
int Generator::Colleague(int person, int64_t t, const Thread& th) {
  const Person& p = c_.people[person];
  const double r = rng_.Uniform();
  const std::vector<int>* pool = &everyone_;
  if (th.is_private) {
    pool = &c_.by_department[c_.topics[th.topic].department];
  } else if (r < 0.5 && p.team >= 0) {
    pool = &c_.teams[p.team].members;
  } else if (r < 0.85) {
    pool = &c_.by_department[p.department];
  }
  const int i = PickActive(*pool, t, person);
  return i >= 0 || th.is_private ? i : PickActive(everyone_, t, person);
}

// Swedes answer a Swedish thread in Swedish; otherwise people write their
// main language, or English.
std::string_view Generator::WriteIn(int person,
                                    std::string_view thread_language) {
  const Person& p = c_.people[person];
  if (thread_language == "sv" && p.knows_swedish) return "sv";
  if (p.main_language == "en") return "en";
  const double stay = p.main_language == "sv" ? 0.9 : 0.6;
  return rng_.Chance(stay) ? p.main_language : std::string_view("en");
}

// `words` words in sentences of about 10: the language's function words,
// the topic's jargon (Zipf over an unbounded vocabulary) with weight
// `focus`, and the company's.
std::string Generator::Sentences(const Language& l, const Topic& topic,
                                 int words, double focus) {
  std::string out;
  for (int i = 0; i < words; ++i) {
    const double r = rng_.Uniform();
    if (r < 0.4) {
      out += l.filler[rng_.Below(l.filler.size())];
    } else if (r < 0.4 + 0.6 * focus) {
      out += PseudoWord(topic.key, rng_.Zipf(1.05, 1 << 20));
    } else {
      out += PseudoWord(global_key_, rng_.Zipf(1.1, 1 << 18));
    }
    out += (i + 1) % 10 == 0 || i + 1 == words ? ". " : " ";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

Post& Generator::Add(Thread& th, int author, int64_t created,
                     std::string_view kind, std::string parent) {
  Post p;
  p.id = Id('p', ++ids_, 7);
  p.author = author;
  p.created = std::min(created, kEnd);
  p.kind = kind;
  p.parent = std::move(parent);
  p.language = WriteIn(
      author, th.posts.empty() ? std::string_view() : th.posts[0].language);
  ++generated_;
  th.posts.push_back(std::move(p));
  return th.posts.back();
}

void Generator::Run() {
  const int64_t span = kEnd - kStart - 14 * 86400;
  int64_t t = kStart;
  while (generated_ < o_.posts) {
    const int64_t base =
        kStart +
        static_cast<int64_t>(static_cast<double>(span) * generated_ / o_.posts);
    t = std::max(t, base + static_cast<int64_t>(rng_.Below(2 * kHour)));
    Flush(t);
    NewThread(t);
  }
  Flush(kNever);
}

void Generator::Flush(int64_t up_to) {
  while (!due_.empty() && due_.top().created <= up_to) {
    const std::string& line = due_.top().line;
    std::fwrite(line.data(), 1, line.size(), out_);
    due_.pop();
  }
}

// One question or article and its replies, then into the heap.
void Generator::NewThread(int64_t t) {
  Thread th;
  th.topic = PickTopic(t);
  Topic& topic = c_.topics[th.topic];
  th.is_private = !topic.group.empty() && rng_.Chance(0.4);
  th.visibility = th.is_private ? topic.group : "public";
  th.tags.push_back(PseudoWord(topic.key, 0));
  if (rng_.Chance(0.4)) th.tags.push_back(PseudoWord(topic.key, 1));
  if (rng_.Chance(0.2))
    th.tags.emplace_back(kDepartments[topic.department].slug);
  const bool article = rng_.Chance(0.1);
  int author = -1;
  if (article && rng_.Chance(0.7)) {
    author = topic.experts[rng_.Below(3)];
  } else {
    const bool home = th.is_private || rng_.Chance(0.75);
    author = PickActive(home ? c_.by_department[topic.department] : everyone_,
                        t, -1);
  }
  if (author < 0) author = PickActive(everyone_, t, -1);
  if (author < 0) return;
  Post& root = Add(th, author, t, article ? "article" : "question", "");
  WriteRoot(th, root, article);
  if (!article) AddAnswers(th);
  AddComments(th);
  if (!article) Accept(th);
  for (auto& p : th.posts) AddLikes(th, p);
  Emit(th);
}

void Generator::WriteRoot(Thread& th, Post& root, bool article) {
  Topic& topic = c_.topics[th.topic];
  const Language& l = LanguageOf(root.language);
  const std::string a = PseudoWord(topic.key, rng_.Zipf(1.2, 200));
  const std::string b = PseudoWord(topic.key, rng_.Zipf(1.2, 200));
  root.expert = root.author == topic.experts[0] ||
                root.author == topic.experts[1] ||
                root.author == topic.experts[2];
  if (article) {
    ++topic.articles;
    root.title = Fill(rng_.Pick(l.article), a, b, "");
    root.body = Sentences(l, topic, 100 + rng_.Below(150), 0.8);
    return;
  }
  ++topic.questions;
  root.title = Fill(rng_.Pick(l.title), a, b, "");
  root.body = std::string(rng_.Pick(l.ask_open)) + " " +
              Sentences(l, topic, 15 + rng_.Below(25), 0.7) + " ";
  if (rng_.Chance(0.06)) {  // "I heard @X knows this": an expert or a mate
    const int who = rng_.Chance(0.6) ? topic.experts[rng_.Below(3)]
                                     : Colleague(root.author, root.created, th);
    if (who >= 0 && who != root.author) {
      root.body +=
          Fill(rng_.Pick(l.mention), "", "", c_.people[who].first) + " ";
      root.mentioned.push_back(who);
    }
  }
  root.body += rng_.Pick(l.ask_close);
}

// Most questions get 1-2 answers, 12% none, 3% tens to hundreds; the
// topic's experts write about 55% of them.
void Generator::AddAnswers(Thread& th) {
  const Topic& topic = c_.topics[th.topic];
  int n = 0;
  if (!rng_.Chance(0.12)) {
    n = rng_.Chance(0.03) ? 5 + static_cast<int>(rng_.Zipf(1.5, 300))
                          : 1 + rng_.Geometric(0.55);
  }
  const int asker = th.posts[0].author;
  const int64_t t0 = th.posts[0].created;
  for (int i = 0; i < n && generated_ < o_.posts; ++i) {
    const int64_t t = t0 + static_cast<int64_t>(rng_.Exponential(8 * kHour));
    int author = -1;
    bool expert = false;
    if (rng_.Chance(0.55)) {
      const double r = rng_.Uniform();
      author = topic.experts[r < 0.5 ? 0 : r < 0.8 ? 1 : 2];
      expert = author != asker;
    }
    if (!expert) author = Colleague(asker, t, th);
    if (author < 0 || author == asker) continue;
    Post& answer = Add(th, author, t, "answer", th.posts[0].id);
    answer.expert = expert;
    WriteAnswer(th, answer);
  }
}

void Generator::WriteAnswer(Thread& th, Post& answer) {
  Topic& topic = c_.topics[th.topic];
  const Language& l = LanguageOf(answer.language);
  ++topic.answers;
  if (answer.expert) {
    ++topic.answers_by_experts;
    answer.body = std::string(rng_.Pick(l.answer_open)) + " " +
                  Sentences(l, topic, 30 + rng_.Below(50), 0.85) + " " +
                  std::string(rng_.Pick(l.answer_close));
    if (rng_.Chance(0.03)) {  // refers to a fellow expert
      const int other = topic.experts[rng_.Below(3)];
      if (other != answer.author) {
        answer.body +=
            " " + Fill(rng_.Pick(l.mention), "", "", c_.people[other].first);
        answer.mentioned.push_back(other);
      }
    }
    return;
  }
  answer.body = std::string(rng_.Pick(l.weak)) + " " +
                Sentences(l, topic, 5 + rng_.Below(25), 0.45);
}

// About 0.6 comments a post, on the post or on one of its comments; the
// asker often thanks the one who answered.
void Generator::AddComments(Thread& th) {
  const int asker = th.posts[0].author;
  const size_t targets = th.posts.size();
  for (size_t i = 0; i < targets && generated_ < o_.posts; ++i) {
    const int n = rng_.Geometric(0.6);
    size_t parent = i;
    for (int k = 0; k < n && generated_ < o_.posts; ++k) {
      const Post& on = th.posts[parent];
      const int64_t t =
          on.created + static_cast<int64_t>(rng_.Exponential(4 * kHour));
      const bool thanks = on.kind == "answer" && rng_.Chance(0.5) &&
                          c_.people[asker].ActiveAt(t);
      const int author = thanks ? asker : Colleague(on.author, t, th);
      if (author < 0 || author == on.author) continue;
      const int on_author = on.author;
      const std::string on_id = on.id;
      Post& comment = Add(th, author, t, "comment", on_id);
      const Language& l = LanguageOf(comment.language);
      if (thanks) {
        const std::string_view tmpl = rng_.Pick(l.thanks);
        comment.body = Fill(tmpl, "", "", c_.people[on_author].first);
        if (tmpl.find("{f}") != std::string_view::npos)
          comment.mentioned.push_back(on_author);
      } else {
        comment.body =
            std::string(rng_.Pick(l.comment)) + " " +
            Sentences(l, c_.topics[th.topic], 2 + rng_.Below(10), 0.5);
      }
      if (rng_.Chance(0.3)) parent = th.posts.size() - 1;  // a reply to it
    }
  }
}

// About 65% of answered questions accept one answer, an expert's when there
// is one (85%); the asker likes it.
void Generator::Accept(Thread& th) {
  Topic& topic = c_.topics[th.topic];
  std::vector<size_t> answers, by_experts;
  for (size_t i = 1; i < th.posts.size(); ++i) {
    if (th.posts[i].kind != "answer") continue;
    answers.push_back(i);
    if (th.posts[i].expert) by_experts.push_back(i);
  }
  if (answers.empty()) return;
  ++topic.answered;
  if (!rng_.Chance(0.65)) return;
  const bool expert = !by_experts.empty() && rng_.Chance(0.85);
  const auto& from = expert ? by_experts : answers;
  Post& a = th.posts[from[rng_.Below(from.size())]];
  a.accepted = true;
  a.liked.push_back(th.posts[0].author);
  ++topic.accepted;
  if (a.expert) ++topic.accepted_by_experts;
}

// Likes from the author's colleagues: more for experts' answers and
// articles, few for comments.
void Generator::AddLikes(const Thread& th, Post& p) {
  double stop = p.kind == "comment"    ? 0.85
                : p.kind == "question" ? 0.7
                : p.kind == "article"  ? 0.25
                : p.expert             ? 0.3
                                       : 0.6;
  const int n = std::min(40, rng_.Geometric(stop));
  for (int k = 0; k < n; ++k) {
    const int who = Colleague(p.author, p.created, th);
    if (who < 0 || who == p.author) continue;
    if (std::find(p.liked.begin(), p.liked.end(), who) != p.liked.end())
      continue;
    p.liked.push_back(who);
  }
}

void Generator::Emit(Thread& th) {
  ++counts_.threads;
  for (const Post& p : th.posts) {
    (p.kind == "question"  ? counts_.questions
     : p.kind == "answer"  ? counts_.answers
     : p.kind == "comment" ? counts_.comments
                           : counts_.articles) += 1;
    if (th.is_private) ++counts_.private_posts;
    counts_.likes += static_cast<int64_t>(p.liked.size());
    counts_.mentions += static_cast<int64_t>(p.mentioned.size());
    counts_.by_language[&LanguageOf(p.language) - kLanguages.data()] += 1;
    due_.push(Due{p.created, ++seq_, PostLine(th, p)});
  }
}

std::string Generator::PostLine(const Thread& th, const Post& p) {
  std::string line = "{\"type\":\"post\"";
  AppendField(line, "id", p.id);
  AppendField(line, "author_id", c_.people[p.author].id);
  AppendField(line, "thread_id", th.posts[0].id);
  AppendField(line, "parent_id", p.parent);
  AppendField(line, "kind", p.kind);
  AppendField(line, "title", p.title);
  AppendField(line, "body", p.body);
  line += ",\"tags\":[";
  for (size_t i = 0; i < th.tags.size(); ++i) {
    if (i) line += ',';
    AppendJsonString(line, th.tags[i]);
  }
  line += ']';
  AppendField(line, "language", p.language);
  AppendField(line, "created", Time(p.created));
  AppendField(line, "visibility", th.visibility);
  line += p.accepted ? ",\"accepted\":true" : ",\"accepted\":false";
  for (const auto& [name, ids] : {std::pair{"liked_by", &p.liked},
                                  std::pair{"mentioned", &p.mentioned}}) {
    line += ",\"";
    line += name;
    line += "\":[";
    for (size_t i = 0; i < ids->size(); ++i) {
      if (i) line += ',';
      AppendJsonString(line, c_.people[(*ids)[i]].id);
    }
    line += ']';
  }
  line += "}\n";
  return line;
}

// ------------------------------------------------------------ ground truth

void AppendTopicTruth(std::string& out, const Company& c, const Topic& t,
                      int64_t index) {
  out += "{\"topic\":";
  AppendJsonString(out, Id('t', index + 1, 5));
  AppendField(out, "tag", PseudoWord(t.key, 0));
  AppendField(out, "department", kDepartments[t.department].name);
  AppendField(out, "born", Time(t.born));
  AppendField(out, "private_group", t.group);
  out += ",\"terms\":[";
  for (int r = 0; r < 8; ++r) {
    if (r) out += ',';
    AppendJsonString(out, PseudoWord(t.key, r));
  }
  out += "],\"experts\":[";
  static constexpr const char* kWeights[] = {"0.5", "0.3", "0.2"};
  for (int e = 0; e < 3; ++e) {
    const Person& p = c.people[t.experts[e]];
    if (e) out += ',';
    out += "{\"id\":";
    AppendJsonString(out, p.id);
    AppendField(out, "department", kDepartments[p.department].name);
    out += ",\"share\":";
    out += kWeights[e];
    out += '}';
  }
  out += "]";
  for (const auto& [name, n] : {std::pair{"questions", t.questions},
                                {"answered", t.answered},
                                {"accepted", t.accepted},
                                {"accepted_by_experts", t.accepted_by_experts},
                                {"answers", t.answers},
                                {"answers_by_experts", t.answers_by_experts},
                                {"articles", t.articles}}) {
    out += ",\"";
    out += name;
    out += "\":" + std::to_string(n);
  }
  out += "}";
}

// One JSON object: the flags, then every topic with its planted experts
// (ids, department, share of the experts' answers), its tag, its most
// frequent terms (rank 0 first) and what was generated on it.
bool WriteTruth(const Options& o, const Company& c, const std::string& path) {
  std::string out = "{\"seed\":" + std::to_string(o.seed) +
                    ",\"people\":" + std::to_string(c.people.size()) +
                    ",\"posts\":" + std::to_string(o.posts) + ",\"topics\":[\n";
  for (size_t i = 0; i < c.topics.size(); ++i) {
    AppendTopicTruth(out, c, c.topics[i], static_cast<int64_t>(i));
    out += i + 1 < c.topics.size() ? ",\n" : "\n";
  }
  out += "]}\n";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok;
}

// ------------------------------------------------------------------- main

bool ParseFlags(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: needs a value\n", flag.c_str());
      return false;
    }
    const char* v = argv[i + 1];
    if (flag == "--people") {
      o.people = std::atoll(v);
    } else if (flag == "--posts") {
      o.posts = std::atoll(v);
    } else if (flag == "--seed") {
      o.seed = std::strtoull(v, nullptr, 10);
    } else if (flag == "--topics") {
      o.topics = std::atoll(v);
    } else if (flag == "--out") {
      o.out = v;
    } else if (flag == "--truth") {
      o.truth = v;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return false;
    }
  }
  if (o.people < 100 || o.posts < 0 || o.topics < 0) {
    std::fprintf(stderr, "--people: at least 100; --posts, --topics: >= 0\n");
    return false;
  }
  if (o.topics == 0) o.topics = std::max<int64_t>(4, o.people / 25);
  if (o.truth.empty() && o.out != "-") o.truth = o.out + ".truth.json";
  return true;
}

void PrintSummary(const Company& c, const Counts& n, int64_t posts,
                  double seconds) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::fprintf(
      stderr,
      "company_generator: %zu people, %zu teams, %zu topics; %lld "
      "posts in %lld threads (%lld questions, %lld answers, %lld "
      "comments, %lld articles; %lld private; %lld likes, %lld "
      "mentions)\n",
      c.people.size(), c.teams.size(), c.topics.size(),
      static_cast<long long>(posts), static_cast<long long>(n.threads),
      static_cast<long long>(n.questions), static_cast<long long>(n.answers),
      static_cast<long long>(n.comments), static_cast<long long>(n.articles),
      static_cast<long long>(n.private_posts), static_cast<long long>(n.likes),
      static_cast<long long>(n.mentions));
  std::fprintf(stderr, "languages:");
  for (size_t i = 0; i < kLanguages.size(); ++i)
    std::fprintf(stderr, " %s %lld", std::string(kLanguages[i].code).c_str(),
                 static_cast<long long>(n.by_language[i]));
  std::fprintf(stderr, "\n%.2f s, %.0f posts/s, peak memory %.0f MB\n", seconds,
               seconds > 0 ? posts / seconds : 0.0, u.ru_maxrss / 1024.0);
}

int Main(int argc, char** argv) {
  Options o;
  if (!ParseFlags(argc, argv, o)) return 2;
  const auto start = std::chrono::steady_clock::now();
  std::FILE* out = o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "--out: cannot write %s\n", o.out.c_str());
    return 1;
  }
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof buffer);
  Rng rng(o.seed);
  Company c;
  BuildOrg(c, rng, o.people);
  BuildTopics(c, rng, o.topics);
  for (const Person& p : c.people) {
    const std::string line = PersonLine(c, p);
    std::fwrite(line.data(), 1, line.size(), out);
  }
  Generator g(o, c, rng, out);
  g.Run();
  const bool written = std::fflush(out) == 0 && !std::ferror(out) &&
                       (out == stdout || std::fclose(out) == 0);
  if (!written) {
    std::fprintf(stderr, "--out: writing %s failed\n", o.out.c_str());
    return 1;
  }
  if (!o.truth.empty() && !WriteTruth(o, c, o.truth)) {
    std::fprintf(stderr, "--truth: cannot write %s\n", o.truth.c_str());
    return 1;
  }
  PrintSummary(
      c, g.counts(), o.posts,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return 0;
}

}  // namespace
}  // namespace whoknows::bench

int main(int argc, char** argv) { return whoknows::bench::Main(argc, argv); }
