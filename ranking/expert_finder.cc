#include "ranking/expert_finder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "index/dense_index.h"
#include "ranking/expertise_model.h"
#include "ranking/exposure.h"
#include "ranking/outcomes.h"

namespace whoknows::ranking {

// A person's activity features at one "now" (FillFeatures): an exp2 per
// answer they ever gave, read from their Activity record.
struct ActivityFeatures {
  double answers = 0;  // decayed answer count
  int recent = 0;      // answers in the last recent_days
  double quiet_days = 0;
};

// The ActivityFeatures of one numbering's people at one "now", each computed
// by the first query that needs them and read by the others. A slot is
// claimed (0 -> 1) by one thread, which fills it and marks it ready (2);
// a query that finds it claimed computes its own: the same computation, so
// the same bits, whoever runs it.
class ActivityMemo {
 public:
  ActivityMemo(const std::shared_ptr<const index::DenseIndex>& dense,
               int64_t now)
      : dense_(dense), now_(now), slots_(dense->num_people()) {}

  // Whether it holds `dense`'s people at `now` (the owner compared: an
  // expired numbering is never taken for a new one at the same address).
  bool Holds(const std::shared_ptr<const index::DenseIndex>& dense,
             int64_t now) const {
    return now == now_ && !dense_.owner_before(dense) &&
           !dense.owner_before(dense_);
  }

  template <typename Compute>
  ActivityFeatures Get(uint32_t person, const Compute& compute) {
    Slot& slot = slots_[person];
    if (slot.state.load(std::memory_order_acquire) == 2) return slot.value;
    const ActivityFeatures value = compute();
    uint8_t unclaimed = 0;
    if (slot.state.compare_exchange_strong(unclaimed, 1,
                                           std::memory_order_acq_rel)) {
      slot.value = value;
      slot.state.store(2, std::memory_order_release);
    }
    return value;
  }

 private:
  struct Slot {
    std::atomic<uint8_t> state{0};
    ActivityFeatures value;
  };
  const std::weak_ptr<const index::DenseIndex> dense_;
  const int64_t now_;
  std::vector<Slot> slots_;  // by person number
};

// The memo of the newest (numbering, now) asked for: queries of the same
// second on the same snapshot share it; any other starts a new one.
class ActivityMemos {
 public:
  std::shared_ptr<ActivityMemo> For(
      const std::shared_ptr<const index::DenseIndex>& dense, int64_t now) {
    absl::MutexLock lock(&mu_);
    if (!memo_ || !memo_->Holds(dense, now))
      memo_ = std::make_shared<ActivityMemo>(dense, now);
    return memo_;
  }

 private:
  absl::Mutex mu_;
  std::shared_ptr<ActivityMemo> memo_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<ActivityMemos> ExpertFinder::MakeActivityMemos() {
  return std::make_shared<ActivityMemos>();
}

namespace {

int Index(Signal s) { return static_cast<int>(s); }

// Stage 1, retrieve: the best matching posts by BM25, numbered in the
// snapshot's DenseIndex when it has one (no id read or hashed a hit).
absl::StatusOr<index::SearchResult> Retrieve(const index::Catalog& catalog,
                                             const RankingOptions& o,
                                             const ExpertQuery& q,
                                             const RankingContext& context) {
  index::SearchOptions search = RetrievalOptions(o, q, context);
  if (context.snapshot && context.snapshot->dense)
    search.numbering = context.snapshot.get();
  return catalog.Search(search);
}

// The people considered for one query and what the stages have learned about
// them so far. Each stage of ExpertFinder::Find is one member; a new signal
// is one more. Lives for one Find, in one thread.
// The model to rank with, or null (text and activity only) while it was
// built before someone opted out or in: its graph, tags and embeddings still
// count them. The model store rebuilds at once after such a change.
const ExpertiseModel* ModelFor(const RankingContext& context) {
  const ExpertiseModel* m = context.model.get();
  if (m && m->snapshot().opted_out != context.snapshot->opted_out)
    return nullptr;
  return m;
}

class CandidateSet {
 public:
  // A post's vote for a candidate, kept by pointer (into the snapshot) so
  // that the vote loop copies no id: only the returned candidates' evidence
  // becomes EvidencePost (Explain).
  struct Ballot {
    const index::PostMeta* post;
    Role role;
    double amount;
  };
  // A ballot in the order cast, with its candidate's place in candidates_:
  // one array for every candidate's (no vector a candidate to grow and
  // free), read once by Explain for those returned. A post of the snapshot
  // is kept by number (its PostMeta is read only for those returned), an
  // outcome's by pointer.
  struct CastBallot {
    uint32_t post;  // DenseIndex number, kNone for `outcome`
    Role role;
    uint32_t candidate;
    const index::PostMeta* outcome;
    double amount;
  };
  CandidateSet(const index::Catalog& catalog, const RankingOptions& options,
               const ExpertQuery& query, const RankingContext& context,
               ActivityMemos& memos)
      : catalog_(catalog),
        o_(options),
        q_(query),
        context_(context),
        snap_(*context.snapshot),
        dense_(snap_.dense ? snap_.dense : index::DenseIndex::Build(snap_)),
        model_(ModelFor(context)),
        numbered_(model_ ? model_->NumberedBy(dense_) : nullptr),
        now_(context.now != 0 ? context.now : options.clock()),
        decay_(now_, options.half_life_days),
        scope_{query.asker_id, query.department, query.site, now_},
        asker_(query.asker_id.empty() ? index::DenseIndex::kNone
                                      : dense_->PersonNumber(query.asker_id)),
        groups_(context.snapshot->GroupsOf(query.asker_id)),
        voted_for_(dense_->num_people(), nullptr),
        activity_(memos.For(dense_, now_)) {}

  void Vote(const index::SearchResult& found);
  void Widen();
  std::vector<ExpertResult> ComputeFeatures();
  void Explain(std::vector<ExpertResult>* ranked) const;

 private:
  // A member's private reply ties, and the people only they reach (no node
  // in the model's graph): node num_nodes() + i is people[i].
  struct PrivateTieSet {
    TieGraph::ExtraTies ties;
    std::vector<std::string> people;
    std::unordered_map<std::string, int32_t> node_of;  // of `people`
  };
  PrivateTieSet PrivateTies() const;
  // The ballots cast for each of `ranked` (none for a person who only
  // widened the set), in the order cast: one pass over ballots_.
  std::vector<std::vector<Ballot>> BallotsOf(
      const std::vector<ExpertResult>& ranked) const;
  // The graph's node of `person`, else their node among `extra`'s, or -1.
  int32_t PathNode(const PrivateTieSet& extra, const std::string& person) const;
  struct Candidate {
    uint32_t person;  // DenseIndex number: every candidate is numbered
    uint32_t index;   // place in candidates_
    double text = 0;  // sum of the text votes
  };
  void Cast(Candidate& c, uint32_t post, const index::PostMeta* outcome,
            Role role, double amount) {
    c.text += amount;
    ballots_.push_back({post, role, c.index, outcome, amount});
  }
  // The candidate of person number `n`, added when new; null when they may
  // not be suggested (memoized either way).
  Candidate* CandidateOf(uint32_t n);

  bool Uses(Signal s) const { return o_.weights.weight[Index(s)] != 0; }
  // Public, or private to one of the asker's groups: evidence for this
  // asker only.
  bool Visible(const index::PostMeta& m) const {
    return index::VisibleTo(m, groups_);
  }
  // The same for post number `n` (its record read only when private).
  bool Visible(uint32_t n, const index::DenseIndex::Facts& f) const {
    return f.is_public || Visible(dense_->post(n));
  }
  // MayBeSuggested(snap_, id, scope_), read through the numbering (one
  // open-addressing probe) from the person's DenseIndex::PersonFacts.
  bool Eligible(std::string_view id) const {
    const uint32_t n = dense_->PersonNumber(id);
    return n != index::DenseIndex::kNone &&
           MayBeSuggested(*dense_, n, asker_, scope_);
  }
  // MayAppearOnPath(snap_, id), likewise.
  bool MayPass(const std::string& id) const {
    const uint32_t n = dense_->PersonNumber(id);
    const v1::Person* p =
        n == index::DenseIndex::kNone ? nullptr : dense_->person(n);
    return p && !p->opted_out();
  }
  // `post` is a DenseIndex post number.
  void Credit(uint32_t post, const index::DenseIndex::Facts& facts,
              double amount);
  // The answers of a matching root (DenseIndex::answers_of), with their
  // facts (one each, in the same order).
  void CreditThreadAnswerers(std::span<const uint32_t> answers,
                             const index::DenseIndex::Facts* answer_facts,
                             double vote);
  void CreditAs(const index::PostMeta& post, Role role, double amount);
  void CreditOutcomes(const index::PostMeta& question, double vote);
  void VoteOutcomeTexts();
  bool OutcomeCounts(const v1::Outcome& outcome) const;
  // Adds the best `extra_candidates` eligible people with a positive score,
  // from any range of (id, score) pairs (the model's lists are read in
  // place: no id is copied to sort them).
  template <typename Scored>
  void AddTop(const Scored& scored);
  void WidenByEmbedding();
  double EmbeddingOf(const std::string& person, const Candidate& c) const;
  void FillFeatures(const std::string& person, const Candidate& c,
                    const std::unordered_map<int32_t, double>& ppr,
                    Features& f) const;
  ActivityFeatures ActivityOf(uint32_t person) const;

  const index::Catalog& catalog_;
  const RankingOptions& o_;
  const ExpertQuery& q_;
  const RankingContext& context_;
  const index::Snapshot& snap_;
  const std::shared_ptr<const index::DenseIndex> dense_;
  const ExpertiseModel* model_;  // null: text and activity only
  // model_'s look-ups by dense_'s person numbers; null without a model.
  const std::shared_ptr<const ExpertiseModel::PeopleByNumber> numbered_;
  const int64_t now_;  // unix s: decay and recency are measured to
  const AgeDecay decay_;
  const SuggestionScope scope_;
  const uint32_t asker_;  // dense_'s number of scope_.asker_id, or kNone
  const std::vector<std::string> groups_;  // the asker's (GroupsOf)

  // In the order they were added (a deque: pointers to them stay valid).
  std::deque<Candidate> candidates_;
  std::vector<CastBallot> ballots_;  // every candidate's, in the order cast
  // CandidateOf's memo, by DenseIndex person number: their candidate,
  // &not_eligible_ when they may not be suggested, null when not asked
  // yet. An array index a vote instead of an eligibility check and a
  // candidate lookup.
  std::vector<Candidate*> voted_for_;
  Candidate not_eligible_;
  double best_text_ = 0;
  // The question in the LSA space, once WidenByEmbedding embedded it, and
  // the candidates' cosines with it (by Candidate::index), read from their
  // rows alone in one batch (ComputeFeatures).
  Eigen::VectorXf query_vector_;
  bool embedded_ = false;
  std::vector<float> candidate_cosines_;
  std::unordered_map<std::string, float> client_cosine_;
  // Keys view the model's ids (ExpertiseModel::TagScores).
  absl::flat_hash_map<std::string_view, double> tag_scores_;
  const std::shared_ptr<ActivityMemo> activity_;  // dense_'s, at now_
};

// Stage 2, vote (Model 2): each matching post votes for its author by role
// and age, a matching root also for the answerers of its thread.
void CandidateSet::Vote(const index::SearchResult& found) {
  const std::vector<index::Hit>& hits = found.hits;
  const double top =
      !hits.empty() && hits.front().weight > 0 ? hits.front().weight : 1;
  // What the votes read is scattered over the numbering: each hit's facts,
  // its thread's answers and theirs. It is gathered first, one kind at a
  // time, in loops that do nothing else, so that the processor waits for
  // many of those reads at once; the vote loop below, which credits in the
  // hits' order as before, waited for each in turn.
  std::vector<uint32_t> numbers;
  std::vector<double> weights;
  numbers.reserve(hits.size());
  weights.reserve(hits.size());
  for (const auto& hit : hits) {
    // Numbered by the search in the snapshot's DenseIndex, which is dense_.
    const uint32_t n =
        found.numbered ? hit.post : dense_->PostNumber(hit.post_id);
    if (n == index::DenseIndex::kNone) continue;  // not in this snapshot
    numbers.push_back(n);
    weights.push_back(hit.weight);
  }
  std::vector<index::DenseIndex::Facts> facts(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i)
    facts[i] = dense_->facts(numbers[i]);
  std::vector<std::span<const uint32_t>> answers(numbers.size());
  size_t replies = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const v1::PostKind kind = facts[i].kind();
    if (kind != v1::POST_KIND_QUESTION && kind != v1::POST_KIND_ARTICLE)
      continue;
    answers[i] = dense_->answers_of(numbers[i]);
    replies += answers[i].size();
  }
  std::vector<index::DenseIndex::Facts> reply_facts(replies);
  for (size_t i = 0, k = 0; i < numbers.size(); ++i) {
    for (const uint32_t reply : answers[i])
      reply_facts[k++] = dense_->facts(reply);
  }
  const index::DenseIndex::Facts* next_replies = reply_facts.data();
  for (size_t i = 0; i < numbers.size(); ++i) {
    const uint32_t n = numbers[i];
    const index::DenseIndex::Facts& f = facts[i];
    const index::DenseIndex::Facts* thread_replies = next_replies;
    next_replies += answers[i].size();
    if (!Visible(n, f)) continue;  // private to a group the asker is not in
    const double vote = weights[i] / top * decay_(f.created);
    Credit(n, f, vote * RoleWeight(o_, f.kind(), f.accepted));
    if (!answers[i].empty())
      CreditThreadAnswerers(answers[i], thread_replies, vote);
    if (context_.outcomes) CreditOutcomes(dense_->post(n), weights[i] / top);
  }
  if (context_.outcomes) VoteOutcomeTexts();
  for (const Candidate& c : candidates_)
    best_text_ = std::max(best_text_, c.text);
}

CandidateSet::Candidate* CandidateSet::CandidateOf(uint32_t n) {
  Candidate*& slot = voted_for_[n];
  if (!slot) {
    if (MayBeSuggested(*dense_, n, asker_, scope_)) {
      slot = &candidates_.emplace_back();
      slot->person = n;
      slot->index = static_cast<uint32_t>(candidates_.size() - 1);
    } else {
      slot = &not_eligible_;
    }
  }
  return slot == &not_eligible_ ? nullptr : slot;
}

void CandidateSet::Credit(uint32_t number, const index::DenseIndex::Facts& f,
                          double amount) {
  if (amount <= 0) return;
  Candidate* slot = CandidateOf(f.author);
  if (!slot) return;
  Role role;
  switch (f.kind()) {
    case v1::POST_KIND_ANSWER:
      role = f.accepted ? Role::kAcceptedAnswer : Role::kAnswer;
      break;
    case v1::POST_KIND_COMMENT:
      role = Role::kComment;
      break;
    case v1::POST_KIND_ARTICLE:
      role = Role::kArticle;
      break;
    case v1::POST_KIND_QUESTION:
      role = Role::kQuestion;
      break;
    default:
      return;
  }
  Cast(*slot, number, nullptr, role, amount);
}

// An outcome's helper is not the author of a post in the snapshot: no
// memo, but outcomes are few.
void CandidateSet::CreditAs(const index::PostMeta& post, Role role,
                            double amount) {
  if (amount <= 0) return;
  const uint32_t n = dense_->PersonNumber(post.author_id);
  Candidate* c = n == index::DenseIndex::kNone ? nullptr : CandidateOf(n);
  if (!c) return;
  Cast(*c, index::DenseIndex::kNone, &post, role, amount);
}

// Their answer addresses the matching root even when it shares few words
// with the query.
void CandidateSet::CreditThreadAnswerers(
    std::span<const uint32_t> answers,
    const index::DenseIndex::Facts* answer_facts, double vote) {
  for (size_t j = 0; j < answers.size(); ++j) {
    const uint32_t reply = answers[j];
    const index::DenseIndex::Facts& r = answer_facts[j];
    if (!Visible(reply, r)) continue;
    if (context_.created_before > 0 && r.created >= context_.created_before)
      continue;
    // A language filter holds for credited answers too.
    if (!q_.language.empty() && dense_->post(reply).language != q_.language)
      continue;
    Credit(reply, r,
           vote * o_.thread_answerers * RoleWeight(o_, r.kind(), r.accepted));
  }
}

// An outcome counts while its asker has not opted out (the helper's
// opt-out is eligibility's), and in a replay only when it is older than the
// cut-off.
bool CandidateSet::OutcomeCounts(const v1::Outcome& o) const {
  if (context_.created_before > 0 &&
      o.time().seconds() >= context_.created_before)
    return false;
  return o.asker_id().empty() ||
         !std::binary_search(snap_.opted_out.begin(), snap_.opted_out.end(),
                             o.asker_id());
}

// A matching question the intranet saw someone help with votes for them as
// for an answer in its thread (accepted: as for the accepted answer), aged
// from the outcome.
void CandidateSet::CreditOutcomes(const index::PostMeta& question,
                                  double match) {
  if (question.kind != v1::POST_KIND_QUESTION) return;
  const OutcomeSet& set = *context_.outcomes;
  for (size_t i : set.ForPost(question.id)) {
    if (!OutcomeCounts(set.outcome(i))) continue;
    const index::PostMeta& m = set.meta(i);
    CreditAs(
        m, Role::kOutcome,
        match * decay_(m.created) * o_.thread_answerers * RoleWeight(o_, m));
  }
}

// Outcomes about questions that are not posts: their text shares enough of
// the query's words (RankingOptions::outcome_min_coverage). They have no
// language: a language filter leaves them out.
void CandidateSet::VoteOutcomeTexts() {
  if (!q_.language.empty()) return;
  const OutcomeSet& set = *context_.outcomes;
  for (const auto& [i, coverage] :
       set.Match(catalog_.QueryTerms(q_.query), o_.outcome_min_coverage)) {
    if (!OutcomeCounts(set.outcome(i))) continue;
    const index::PostMeta& m = set.meta(i);
    CreditAs(m, Role::kOutcome,
             coverage * decay_(m.created) * RoleWeight(o_, m));
  }
}

// Stage 3, widen: people whose words may differ from the question's.
void CandidateSet::Widen() {
  if (!model_) return;
  if (model_->has_embeddings() && Uses(Signal::kEmbedding)) WidenByEmbedding();
  if (!q_.query_embedding.empty() && Uses(Signal::kEmbedding)) {
    auto client = model_->ClientSimilarities(q_.query_embedding);
    if (!client.empty()) {
      client_cosine_.insert(client.begin(), client.end());
      AddTop(client);
    }
  }
  if (!q_.tags.empty() && Uses(Signal::kTags)) {
    tag_scores_ = model_->TagScores(q_.tags);
    AddTop(tag_scores_);
  }
  // The most active answerers are worth a look for any question that found
  // something at all (never for a question that matches nothing).
  if ((Uses(Signal::kActivity) || Uses(Signal::kRecent)) &&
      !candidates_.empty())
    AddTop(model_->top_answerers());
}

template <typename Scored>
void CandidateSet::AddTop(const Scored& scored) {
  struct Entry {
    std::string_view person;
    double score;
  };
  std::vector<Entry> order;
  order.reserve(scored.size());
  for (const auto& [person, score] : scored)
    order.push_back({person, static_cast<double>(score)});
  // HigherScoreFirst's order: higher score first, ties by id. A total
  // order, so sorting only the prefix read (widened when too few of it may
  // be suggested) reads the same people as sorting all of them (a tag's
  // holders may be thousands).
  auto better = [](const Entry& a, const Entry& b) {
    return a.score != b.score ? a.score > b.score : a.person < b.person;
  };
  int added = 0;
  size_t sorted = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == sorted) {
      const size_t take =
          std::min(order.size(),
                   std::max(sorted * 2,
                            static_cast<size_t>(2 * o_.extra_candidates + 16)));
      std::partial_sort(order.begin() + static_cast<ptrdiff_t>(sorted),
                        order.begin() + static_cast<ptrdiff_t>(take),
                        order.end(), better);
      sorted = take;
    }
    const auto& [person, score] = order[i];
    if (added >= o_.extra_candidates || score <= 0) break;
    const uint32_t n = dense_->PersonNumber(person);
    if (n == index::DenseIndex::kNone || !CandidateOf(n)) continue;
    ++added;
  }
}

// Only the best few are candidates: select them without copying every
// person's id (the company may have 100,000) or reading every person's
// vector, widening the selection in the rare case that too many of them may
// not be suggested.
void CandidateSet::WidenByEmbedding() {
  query_vector_ = model_->EmbedQuery(catalog_.QueryTerms(q_.query));
  embedded_ = true;
  const auto& people = model_->profile_people();
  for (size_t want = static_cast<size_t>(4 * o_.extra_candidates + 16);;
       want *= 4) {
    const auto top = model_->TopSimilarities(query_vector_, want);
    const size_t take = top.size();
    std::vector<std::pair<std::string, double>> scored;
    for (const auto& [i, cosine] : top)
      scored.emplace_back(people[static_cast<size_t>(i)], cosine);
    int eligible_positive = 0;
    for (const auto& [person, score] : scored)
      eligible_positive += score > 0 && Eligible(person);
    if (eligible_positive >= o_.extra_candidates || take == people.size() ||
        (take > 0 && top[take - 1].second <= 0)) {
      AddTop(scored);
      return;
    }
  }
}

// The embedding feature: LSA cosine, or when the question carries a client
// vector, the mean of both (a person without a vector in one space counts 0
// there).
double CandidateSet::EmbeddingOf(const std::string& person,
                                 const Candidate& c) const {
  const float lsa = embedded_ ? candidate_cosines_[c.index] : 0.0f;
  if (client_cosine_.empty()) return lsa;
  auto it = client_cosine_.find(person);
  return 0.5f * lsa + 0.5f * (it == client_cosine_.end() ? 0.0f : it->second);
}

// Stage 4, features: one per signal for every candidate (fusion.h).
std::vector<ExpertResult> CandidateSet::ComputeFeatures() {
  // Proximity: one personalized PageRank from the asker for everyone.
  std::unordered_map<int32_t, double> ppr;
  if (model_ && !q_.asker_id.empty() && Uses(Signal::kProximity)) {
    const int32_t asker = model_->ties().NodeOf(q_.asker_id);
    if (asker >= 0) {
      ppr = model_->ties().PersonalizedPageRank(asker, o_.proximity_alpha,
                                                o_.proximity_epsilon);
    }
  }
  if (embedded_) {
    std::vector<int32_t> rows;
    rows.reserve(candidates_.size());
    for (const Candidate& c : candidates_)
      rows.push_back(numbered_->profile[c.person]);
    candidate_cosines_ = model_->Similarities(query_vector_, rows);
  }
  std::vector<ExpertResult> out;
  out.reserve(candidates_.size());
  for (const Candidate& c : candidates_) {
    ExpertResult r;
    r.person_id = dense_->person_id(c.person);
    FillFeatures(r.person_id, c, ppr, r.features);
    out.push_back(std::move(r));
  }
  return out;
}

void CandidateSet::FillFeatures(const std::string& person, const Candidate& c,
                                const std::unordered_map<int32_t, double>& ppr,
                                Features& f) const {
  f[Index(Signal::kText)] = std::log(
      std::max(best_text_ > 0 ? c.text / best_text_ : 0, 0.0) + o_.text_floor);
  const uint32_t number = c.person;
  if (model_) f[Index(Signal::kEmbedding)] = EmbeddingOf(person, c);
  if (auto it = tag_scores_.find(person); it != tag_scores_.end())
    f[Index(Signal::kTags)] = std::log1p(it->second);
  const ActivityFeatures a =
      activity_->Get(number, [&] { return ActivityOf(number); });
  f[Index(Signal::kActivity)] = std::log1p(a.answers);
  f[Index(Signal::kRecent)] = std::log1p(a.recent);
  f[Index(Signal::kRecency)] =
      -std::log1p(a.quiet_days / o_.recency_scale_days);
  if (!model_) return;
  f[Index(Signal::kAuthority)] =
      std::log(o_.authority_floor + numbered_->authority[number]);
  const double graph_people = std::max(1, model_->ties().num_nodes());
  const int32_t node = numbered_->node[number];
  if (auto it = ppr.find(node); node >= 0 && it != ppr.end())
    f[Index(Signal::kProximity)] = std::log1p(it->second * graph_people);
}

ActivityFeatures CandidateSet::ActivityOf(uint32_t number) const {
  ActivityFeatures out{.quiet_days = o_.never_posted_days};
  if (const index::Activity* a = dense_->activity(number)) {
    for (int64_t t : a->answer_times) {
      out.answers += decay_(t);
      out.recent += DaysBefore(now_, t) <= o_.recent_days;
    }
    if (a->last_post > 0) out.quiet_days = DaysBefore(now_, a->last_post);
  }
  return out;
}

// Stage 5, fuse: the weighted sum of the features, the candidates best
// first, cut to `keep` (negative: all of them), and the score's split by
// signal for those kept (a map a candidate: only for what is returned).
// The conditional-logit probability of each candidate (fusion.h): a
// softmax over everyone scored, before the list is cut to the limit.
void SetProbabilities(std::vector<ExpertResult>* ranked) {
  if (ranked->empty()) return;
  double top = ranked->front().score;
  for (const ExpertResult& r : *ranked) top = std::max(top, r.score);
  double sum = 0;
  for (const ExpertResult& r : *ranked) sum += std::exp(r.score - top);
  for (ExpertResult& r : *ranked) r.probability = std::exp(r.score - top) / sum;
}

// The exposure penalty comes after relevance: the probability (and so the
// confidence) says how likely someone solves it, the order also spreads the
// load.
void Fuse(const FusionWeights& fusion, const ExposureScorer& exposure, int keep,
          std::vector<ExpertResult>* ranked) {
  for (ExpertResult& r : *ranked) {
    r.score = 0;
    for (int i = 0; i < kNumSignals; ++i) {
      if (fusion.weight[i] == 0) continue;
      r.score += fusion.weight[i] * r.features[i];
    }
  }
  SetProbabilities(ranked);
  if (exposure.on()) {
    std::vector<const std::string*> people;
    people.reserve(ranked->size());
    for (const ExpertResult& r : *ranked) people.push_back(&r.person_id);
    const std::vector<double> penalty = exposure.Penalties(people);
    for (size_t i = 0; i < ranked->size(); ++i) {
      (*ranked)[i].exposure_penalty = penalty[i];
      (*ranked)[i].score -= penalty[i];
    }
  }
  // A total order (ties by id), so a partial sort keeps exactly the best.
  auto better = [](const ExpertResult& x, const ExpertResult& y) {
    return x.score != y.score ? x.score > y.score : x.person_id < y.person_id;
  };
  if (keep >= 0 && static_cast<size_t>(keep) < ranked->size()) {
    std::partial_sort(ranked->begin(), ranked->begin() + keep, ranked->end(),
                      better);
    ranked->resize(keep);
  } else {
    std::sort(ranked->begin(), ranked->end(), better);
  }
  for (ExpertResult& r : *ranked) {
    for (int i = 0; i < kNumSignals; ++i) {
      if (fusion.weight[i] == 0) continue;
      r.breakdown[SignalName(static_cast<Signal>(i))] =
          fusion.weight[i] * r.features[i];
    }
    if (exposure.on()) r.breakdown["exposure"] = -r.exposure_penalty;
  }
}

// The same post can vote twice (as a match and through its thread): merge,
// then keep the strongest `keep`.
std::vector<EvidencePost> MergeEvidence(
    int keep, const std::vector<CandidateSet::Ballot>& votes) {
  std::unordered_map<const index::PostMeta*, CandidateSet::Ballot> merged;
  for (const auto& v : votes) {
    auto [it, inserted] = merged.try_emplace(v.post, v);
    if (!inserted) it->second.amount += v.amount;
  }
  std::vector<CandidateSet::Ballot> best;
  best.reserve(merged.size());
  for (const auto& [post, v] : merged) best.push_back(v);
  auto stronger = [](const CandidateSet::Ballot& x,
                     const CandidateSet::Ballot& y) {
    return x.amount != y.amount ? x.amount > y.amount : x.post->id < y.post->id;
  };
  const size_t kept = std::min(best.size(), static_cast<size_t>(keep));
  std::partial_sort(best.begin(), best.begin() + kept, best.end(), stronger);
  std::vector<EvidencePost> evidence;
  evidence.reserve(kept);
  for (size_t i = 0; i < kept; ++i)
    evidence.push_back({best[i].post->id, best[i].role, best[i].amount});
  return evidence;
}

// The reply ties (a reply or comment and its parent's author, each
// interaction weighing a public reply's) of the private posts of the
// asker's groups: path steps for this asker only, also through people who
// post only there (and so have no node in the model's graph). Empty when
// the asker is in no group.
CandidateSet::PrivateTieSet CandidateSet::PrivateTies() const {
  PrivateTieSet extra;
  const int32_t graph_nodes = model_->ties().num_nodes();
  auto node = [&](const std::string& person) {
    const int32_t u = model_->ties().NodeOf(person);
    if (u >= 0) return u;
    auto [it, added] = extra.node_of.try_emplace(
        person, graph_nodes + static_cast<int32_t>(extra.people.size()));
    if (added) extra.people.push_back(person);
    return it->second;
  };
  const double weight =
      index::GraphOptions{}
          .kind_weight[static_cast<int>(index::EdgeKind::kReply)];
  for (const std::string& group : groups_) {
    auto posts = snap_.group_posts.find(group);
    if (posts == snap_.group_posts.end()) continue;
    for (const index::PostMeta* m : posts->second) {
      if (m->parent_id.empty()) continue;
      const index::PostMeta* parent = snap_.FindPost(m->parent_id);
      if (!parent || !Visible(*parent)) continue;
      if (m->author_id == parent->author_id) continue;
      const int32_t u = node(m->author_id);
      const int32_t v = node(parent->author_id);
      extra.ties[u].emplace_back(v, weight);
      extra.ties[v].emplace_back(u, weight);
    }
  }
  return extra;
}

int32_t CandidateSet::PathNode(const PrivateTieSet& extra,
                               const std::string& person) const {
  const int32_t u = model_->ties().NodeOf(person);
  if (u >= 0) return u;
  auto it = extra.node_of.find(person);
  return it == extra.node_of.end() ? -1 : it->second;
}

std::vector<std::vector<CandidateSet::Ballot>> CandidateSet::BallotsOf(
    const std::vector<ExpertResult>& ranked) const {
  std::vector<std::vector<Ballot>> out(ranked.size());
  std::vector<int32_t> place(candidates_.size(), -1);  // in `ranked`
  for (size_t i = 0; i < ranked.size(); ++i) {
    const uint32_t n = dense_->PersonNumber(ranked[i].person_id);
    const Candidate* c =
        n == index::DenseIndex::kNone ? nullptr : voted_for_[n];
    if (c && c != &not_eligible_) place[c->index] = static_cast<int32_t>(i);
  }
  for (const CastBallot& b : ballots_) {
    if (const int32_t i = place[b.candidate]; i >= 0) {
      const index::PostMeta* post =
          b.outcome ? b.outcome : &dense_->post(b.post);
      out[static_cast<size_t>(i)].push_back({post, b.role, b.amount});
    }
  }
  return out;
}

// Stage 6, explain what is returned: the best evidence, and the path from
// the asker (one search from the asker for everyone returned).
void CandidateSet::Explain(std::vector<ExpertResult>* ranked) const {
  std::unordered_map<int32_t, std::vector<std::string>> paths;
  // A member's private threads add their ties to this search alone.
  const PrivateTieSet extra =
      model_ && !q_.asker_id.empty() ? PrivateTies() : PrivateTieSet{};
  const int32_t asker =
      model_ && !q_.asker_id.empty() ? PathNode(extra, q_.asker_id) : -1;
  if (asker >= 0) {
    std::vector<int32_t> targets;
    for (const auto& r : *ranked)
      targets.push_back(PathNode(extra, r.person_id));
    // Only people who may be named appear on the path (a graph node's
    // person read through the numbering, an extra person's by id).
    const int32_t graph_nodes = model_->ties().num_nodes();
    paths = model_->ties().StrongestPathsByNode(
        asker, targets, o_.path_max_hops, o_.path_fanout,
        [&](int32_t v) {
          return v < graph_nodes ? numbered_->node_may_pass[v] != 0
                                 : MayPass(extra.people[v - graph_nodes]);
        },
        extra.ties.empty() ? nullptr : &extra.ties, &extra.people);
  }
  const std::vector<std::vector<Ballot>> ballots = BallotsOf(*ranked);
  for (size_t i = 0; i < ranked->size(); ++i) {
    ExpertResult& r = (*ranked)[i];
    r.evidence = MergeEvidence(o_.evidence_per_expert, ballots[i]);
    if (!model_) continue;
    auto it = paths.find(PathNode(extra, r.person_id));
    if (it != paths.end()) r.path = std::move(it->second);
  }
}

}  // namespace

index::SearchOptions RetrievalOptions(const RankingOptions& o,
                                      const ExpertQuery& q,
                                      const RankingContext& context) {
  index::SearchOptions search;
  search.query = q.query;
  search.max_posts = o.max_posts;
  search.language = q.language;
  search.public_only = true;  // and the asker's groups' private posts
  if (context.snapshot && !q.asker_id.empty())
    search.groups = context.snapshot->GroupsOf(q.asker_id);
  search.created_before = context.created_before;
  return search;
}

absl::StatusOr<FindResult> ExpertFinder::Find(const ExpertQuery& q) const {
  RankingContext context;
  context.snapshot = catalog_.snapshot();
  if (models_) context.model = models_();
  context.exposure = exposure_;
  if (outcomes_) context.outcomes = outcomes_();
  return Find(q, context);
}

absl::StatusOr<FindResult> ExpertFinder::Find(
    const ExpertQuery& q, const RankingContext& context) const {
  FindResult result;
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  auto lap = [&start](double& ms) {
    const Clock::time_point now = Clock::now();
    ms = std::chrono::duration<double, std::milli>(now - start).count();
    start = now;
  };
  StageTimes& t = result.stage_ms;
  CandidateSet candidates(catalog_, options_, q, context, *activity_);
  // 1. Retrieve: the best matching posts by BM25.
  auto hits = Retrieve(catalog_, options_, q, context);
  if (!hits.ok()) return hits.status();
  result.matched_posts = hits->matched_estimate;
  lap(t.retrieve);
  // 2. Vote: the posts vote for the people in them (Model 2).
  candidates.Vote(*hits);
  lap(t.vote);
  // 3. Widen: embedding neighbours, tag holders, active answerers.
  candidates.Widen();
  lap(t.widen);
  // 4. Features: one per signal for every candidate.
  std::vector<ExpertResult> ranked = candidates.ComputeFeatures();
  result.candidates = static_cast<int64_t>(ranked.size());
  lap(t.features);
  // 5. Fuse: the weighted sum ranks them; keep what is asked for.
  const int limit = q.limit > 0 ? q.limit : options_.default_limit;
  const int64_t now = context.now != 0 ? context.now : options_.clock();
  const ExposureScorer exposure(
      {.weight = options_.exposure_weight,
       .free_shares = options_.exposure_free_shares,
       .cap = options_.exposure_cap},
      context.exposure, context.exposure_now != 0 ? context.exposure_now : now,
      context.snapshot->people.size());
  Fuse(options_.weights, exposure, context.all_candidates ? -1 : limit,
       &ranked);
  lap(t.fuse);
  if (const ExpertiseModel* m = ModelFor(context)) {
    result.model = {.loaded = true,
                    .posts = m->embedded_posts(),
                    .newest_post = m->embedded_newest()};
  }
  if (context.all_candidates) {
    // Replays want every candidate's features, not explanations: no
    // evidence.
  } else {
    // 6. Explain: best evidence and the path from the asker.
    candidates.Explain(&ranked);
  }
  lap(t.explain);
  result.experts = std::move(ranked);
  result.retrieved = *std::move(hits);
  result.snapshot = context.snapshot;
  return result;
}

}  // namespace whoknows::ranking
