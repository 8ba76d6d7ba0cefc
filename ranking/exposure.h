// The exposure budget: people suggested often lately move down gently, so
// that the same few experts are not sent every question (docs/ranking.md,
// "Exposure budget").
//
// ExposureLedger is the record of who was suggested when: one decayed
// counter per person, no log. It never holds who asked, what was asked, or
// any time but each counter's last update; it lives in memory only (a
// restart starts it empty) and nothing reads it but the ranking.
#ifndef WHOKNOWS_RANKING_EXPOSURE_H_
#define WHOKNOWS_RANKING_EXPOSURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace whoknows::ranking {

struct ExposureLedgerOptions {
  // Time constant of the decay, in days: a suggestion counts
  // exp(-age / window_days). Longer remembers more and moves people down
  // for longer after a busy week.
  double window_days = 30;
  // Most people with a counter. Beyond it the weakest quarter of the
  // counters are dropped (their owners were suggested least lately). About
  // 100 bytes a person; bigger only matters in a very large company.
  size_t max_people = 100000;
  // ForgetAbsent's longest wait between two passes while the number of
  // people stays the same, in seconds.
  int64_t forget_absent_every_s = 60;
};

// Thread safety: every method may be called from any thread. While its
// mutex is held no other lock is taken but what Record's `present` takes
// (the catalog's snapshot lock, a leaf).
class ExposureLedger {
 public:
  explicit ExposureLedger(ExposureLedgerOptions options = {});

  // One suggestion each for `people` at `now` (unix s). Repeated ids count
  // once per occurrence.
  void Record(const std::vector<std::string>& people, int64_t now);
  // The same for those of `people` that `present` says are still there,
  // asked while the ledger is held. An erasure publishes a snapshot
  // without the person and then calls Forget: a ranking that named them
  // from the snapshot before is either recorded before Forget (which drops
  // it) or finds them gone, so that no counter of theirs outlives it.
  void Record(const std::vector<std::string>& people, int64_t now,
              absl::FunctionRef<bool(const std::string&)> present);
  // `person`'s decayed suggestions at `now`; 0 for someone never recorded.
  double Exposure(const std::string& person, int64_t now) const;
  // Everyone's decayed suggestions at `now`.
  double Total(int64_t now) const;
  // Exposure(*people[i], now) into (*each)[i], and Total(now), read in one
  // hold: a ranking's candidates and the fair share they are weighed
  // against, as the ledger stood at one moment.
  double ExposuresAndTotal(const std::vector<const std::string*>& people,
                           int64_t now, std::vector<double>* each) const;
  // Drops `person`'s counter (erasure). Their share of Total decays away.
  void Forget(const std::string& person);
  // Record(people, now, present), then drops the counters of those
  // `present` no longer finds: the people an erasure removed without a
  // Forget here (a follower applies its writer's erasures from the change
  // log; this process's DeletePerson never ran). One hold of the ledger:
  // `directory` is called once, first, under it, and says how many people
  // the directory holds now (the caller reads there the snapshot `present`
  // asks). The drop is a pass over every counter, so it passes only when
  // that count differs from the last pass's, or when
  // options.forget_absent_every_s have gone by (an erasure and a newcomer
  // in one publish leave the count as it was). Returns the counters dropped.
  size_t RecordAndForgetAbsent(
      const std::vector<std::string>& people, int64_t now,
      absl::FunctionRef<size_t()> directory,
      absl::FunctionRef<bool(const std::string&)> present);
  // People with a counter (never more than options.max_people).
  size_t size() const;
  const ExposureLedgerOptions& options() const { return options_; }

 private:
  struct Counter {
    double value = 0;
    int64_t updated = 0;  // unix s of the last Record
  };
  double Decayed(const Counter& c, int64_t now) const;
  void MakeRoom(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordLocked(const std::vector<std::string>& people, int64_t now,
                    absl::FunctionRef<bool(const std::string&)> present)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ExposureLedgerOptions options_;
  mutable absl::Mutex mu_;
  // A ranking looks up every candidate, most of whom have no counter: an
  // open-addressing table answers those from its control bytes.
  absl::flat_hash_map<std::string, Counter> counters_ ABSL_GUARDED_BY(mu_);
  Counter total_ ABSL_GUARDED_BY(mu_);
  // ForgetAbsent's last pass: the people count it saw and when (unix s).
  size_t absent_people_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t absent_checked_ ABSL_GUARDED_BY(mu_) = INT64_MIN;
};

// The shape of the penalty subtracted from a candidate's fused score:
//   min(cap, weight * log(1 + max(0, exposure / fair_share - free_shares)))
// with fair_share = max(1, total exposure / people in the directory): the
// suggestions a person would have had if they were spread evenly, at least
// one. 0 for someone suggested no more than free_shares fair shares lately,
// then smooth and growing slowly, never more than cap (0: no cap).
// RankingOptions::exposure_* hold the server's (docs/ranking.md,
// "Exposure budget").
struct ExposureShape {
  double weight = 0;       // 0: off
  double free_shares = 0;  // fair shares of exposure that cost nothing
  double cap = 0;          // most a penalty can be, in score points; 0: none
};
double ExposurePenalty(const ExposureShape& shape, double exposure,
                       double fair_share);

// The penalty for each candidate of one ranking, read from a ledger at one
// time. Off (every penalty 0, nothing read) when the weight is 0 or there is
// no ledger.
class ExposureScorer {
 public:
  // `people`: how many the directory holds (the fair share's divisor).
  ExposureScorer(const ExposureShape& shape, const ExposureLedger* ledger,
                 int64_t now, size_t people);
  bool on() const { return ledger_ != nullptr; }
  // The penalty of each of `candidates`, in order, from one read of the
  // ledger (ExposureLedger::ExposuresAndTotal); all 0 when off.
  std::vector<double> Penalties(
      const std::vector<const std::string*>& candidates) const;

 private:
  const ExposureShape shape_;
  const ExposureLedger* ledger_;  // null: off
  const int64_t now_;
  const size_t people_;
};

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_EXPOSURE_H_
