#include "ranking/exposure.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace whoknows::ranking {
namespace {

constexpr double kSecondsPerDay = 86400;

}  // namespace

ExposureLedger::ExposureLedger(ExposureLedgerOptions options)
    : options_(std::move(options)) {}

double ExposureLedger::Decayed(const Counter& c, int64_t now) const {
  // A counter updated "after" now (a replay's clock or a clock step back)
  // is not decayed rather than grown.
  const double age = static_cast<double>(std::max<int64_t>(0, now - c.updated));
  if (options_.window_days <= 0) return c.value;
  return c.value * std::exp(-age / (options_.window_days * kSecondsPerDay));
}

void ExposureLedger::Record(const std::vector<std::string>& people,
                            int64_t now) {
  Record(people, now, [](const std::string&) { return true; });
}

void ExposureLedger::Record(
    const std::vector<std::string>& people, int64_t now,
    absl::FunctionRef<bool(const std::string&)> present) {
  if (people.empty()) return;
  absl::MutexLock lock(&mu_);
  RecordLocked(people, now, present);
}

void ExposureLedger::RecordLocked(
    const std::vector<std::string>& people, int64_t now,
    absl::FunctionRef<bool(const std::string&)> present) {
  size_t recorded = 0;
  for (const std::string& person : people) {
    if (!present(person)) continue;
    ++recorded;
    auto it = counters_.find(person);
    if (it == counters_.end()) {
      if (counters_.size() >= std::max<size_t>(1, options_.max_people))
        MakeRoom(now);
      it = counters_.emplace(person, Counter{0, now}).first;
    }
    Counter& c = it->second;
    c.value = Decayed(c, now) + 1;
    c.updated = std::max(c.updated, now);
  }
  total_.value = Decayed(total_, now) + static_cast<double>(recorded);
  total_.updated = std::max(total_.updated, now);
}

// Drops the weakest quarter (at least one): the memory bound, amortized
// over the inserts that refill it.
void ExposureLedger::MakeRoom(int64_t now) {
  std::vector<std::pair<double, const std::string*>> by_value;
  by_value.reserve(counters_.size());
  for (const auto& [person, c] : counters_)
    by_value.emplace_back(Decayed(c, now), &person);
  const size_t drop = std::max<size_t>(1, by_value.size() / 4);
  std::nth_element(by_value.begin(), by_value.begin() + (drop - 1),
                   by_value.end(), [](const auto& a, const auto& b) {
                     return a.first != b.first ? a.first < b.first
                                               : *a.second < *b.second;
                   });
  std::vector<std::string> victims;
  victims.reserve(drop);
  for (size_t i = 0; i < drop; ++i) victims.push_back(*by_value[i].second);
  for (const std::string& v : victims) counters_.erase(v);
}

double ExposureLedger::Exposure(const std::string& person, int64_t now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = counters_.find(person);
  return it == counters_.end() ? 0 : Decayed(it->second, now);
}

double ExposureLedger::Total(int64_t now) const {
  absl::ReaderMutexLock lock(&mu_);
  return Decayed(total_, now);
}

double ExposureLedger::ExposuresAndTotal(
    const std::vector<const std::string*>& people, int64_t now,
    std::vector<double>* each) const {
  each->assign(people.size(), 0);
  // Shared: concurrent rankings read at once.
  absl::ReaderMutexLock lock(&mu_);
  for (size_t i = 0; i < people.size(); ++i) {
    auto it = counters_.find(*people[i]);
    if (it != counters_.end()) (*each)[i] = Decayed(it->second, now);
  }
  return Decayed(total_, now);
}

void ExposureLedger::Forget(const std::string& person) {
  absl::MutexLock lock(&mu_);
  counters_.erase(person);
}

size_t ExposureLedger::RecordAndForgetAbsent(
    const std::vector<std::string>& recorded, int64_t now,
    absl::FunctionRef<size_t()> directory,
    absl::FunctionRef<bool(const std::string&)> present) {
  absl::MutexLock lock(&mu_);
  const size_t people = directory();
  if (!recorded.empty()) RecordLocked(recorded, now, present);
  const bool due = people != absent_people_ || absent_checked_ == INT64_MIN ||
                   now - absent_checked_ >= options_.forget_absent_every_s ||
                   now < absent_checked_;  // a clock stepped back
  if (!due) return 0;
  absent_people_ = people;
  absent_checked_ = now;
  return absl::erase_if(
      counters_, [&](const auto& entry) { return !present(entry.first); });
}

size_t ExposureLedger::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return counters_.size();
}

double ExposurePenalty(const ExposureShape& shape, double exposure,
                       double fair_share) {
  if (shape.weight == 0 || exposure <= 0) return 0;
  const double over =
      exposure / std::max(1.0, fair_share) - std::max(0.0, shape.free_shares);
  if (over <= 0) return 0;
  const double penalty = shape.weight * std::log1p(over);
  return shape.cap > 0 ? std::min(shape.cap, penalty) : penalty;
}

ExposureScorer::ExposureScorer(const ExposureShape& shape,
                               const ExposureLedger* ledger, int64_t now,
                               size_t people)
    : shape_(shape),
      ledger_(shape.weight != 0 ? ledger : nullptr),
      now_(now),
      people_(people) {}

std::vector<double> ExposureScorer::Penalties(
    const std::vector<const std::string*>& candidates) const {
  std::vector<double> penalty;
  if (!ledger_) {
    penalty.assign(candidates.size(), 0);
    return penalty;
  }
  const double total = ledger_->ExposuresAndTotal(candidates, now_, &penalty);
  const double fair_share =
      std::max(1.0, total / static_cast<double>(std::max<size_t>(1, people_)));
  for (double& p : penalty) p = ExposurePenalty(shape_, p, fair_share);
  return penalty;
}

}  // namespace whoknows::ranking
