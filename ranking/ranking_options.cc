#include "ranking/ranking_options.h"

#include "absl/strings/str_cat.h"
#include "ranking/validate.h"

namespace whoknows::ranking {

absl::Status RankingOptions::Validate() const {
  using validate::Check;
  using validate::Finite;
  if (absl::Status s = RoleWeights::Validate(); !s.ok()) return s;
  for (int i = 0; i < kNumSignals; ++i) {
    if (!Finite(weights.weight[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("weights.", SignalName(static_cast<Signal>(i)),
                       ": must be a finite number"));
    }
  }
  return validate::FirstError({
      Check(max_posts >= 1, "max_posts", ">= 1"),
      Check(Finite(thread_answerers) && thread_answerers >= 0,
            "thread_answerers", "a finite number >= 0"),
      Check(outcome_min_coverage > 0 && outcome_min_coverage <= 1,
            "outcome_min_coverage", "in (0, 1]"),
      Check(Finite(half_life_days) && half_life_days >= 0, "half_life_days",
            "a finite number >= 0 (0: no decay)"),
      Check(extra_candidates >= 0, "extra_candidates", ">= 0"),
      Check(Finite(text_floor) && text_floor > 0, "text_floor",
            "a finite number > 0"),
      Check(Finite(recent_days) && recent_days > 0, "recent_days",
            "a finite number > 0"),
      Check(Finite(recency_scale_days) && recency_scale_days > 0,
            "recency_scale_days", "a finite number > 0"),
      Check(Finite(never_posted_days) && never_posted_days >= 0,
            "never_posted_days", "a finite number >= 0"),
      Check(Finite(authority_floor) && authority_floor > 0, "authority_floor",
            "a finite number > 0"),
      Check(proximity_alpha > 0 && proximity_alpha <= 1, "proximity_alpha",
            "in (0, 1]"),
      Check(Finite(proximity_epsilon) && proximity_epsilon > 0,
            "proximity_epsilon", "a finite number > 0"),
      Check(path_max_hops >= 0, "path_max_hops", ">= 0"),
      Check(path_fanout >= 1, "path_fanout", ">= 1"),
      Check(evidence_per_expert >= 0, "evidence_per_expert", ">= 0"),
      Check(default_limit >= 1, "default_limit", ">= 1"),
      Check(Finite(exposure_weight) && exposure_weight >= 0, "exposure_weight",
            "a finite number >= 0 (0: no exposure budget)"),
      Check(Finite(exposure_window_days) && exposure_window_days > 0,
            "exposure_window_days", "a finite number > 0"),
      Check(Finite(exposure_free_shares) && exposure_free_shares >= 0,
            "exposure_free_shares", "a finite number >= 0"),
      Check(Finite(exposure_cap) && exposure_cap >= 0, "exposure_cap",
            "a finite number >= 0 (0: no cap)"),
      Check(static_cast<bool>(clock), "clock", "required"),
  });
}

}  // namespace whoknows::ranking
