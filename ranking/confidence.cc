#include "ranking/confidence.h"

#include <algorithm>
#include <cmath>

namespace whoknows::ranking {

double Confidence(const ExpertResult& r, const ConfidenceOptions& o) {
  const double text =
      std::exp(r.features[static_cast<int>(Signal::kText)]) - o.text_floor;
  const double share = std::clamp(text, 0.0, 1.0);
  // The breakdown lists only the signals the ranking weighs.
  const bool embeds = r.breakdown.count(SignalName(Signal::kEmbedding)) > 0;
  const double match =
      embeds ? std::clamp(r.features[static_cast<int>(Signal::kEmbedding)], 0.0,
                          1.0)
             : 1.0;
  return std::clamp(o.scale * r.probability * share * match, 0.0, 1.0);
}

}  // namespace whoknows::ranking
