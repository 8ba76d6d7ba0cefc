// How sure a suggestion is, on a 0-1 scale an intranet can show: the fusion
// model's conditional-logit probability (fusion.h), damped when the
// evidence matches the question poorly, and scaled so that on history the
// first suggestion's confidence is about the share of times it was right
// (docs/ranking.md, "Confidence").
#ifndef WHOKNOWS_RANKING_CONFIDENCE_H_
#define WHOKNOWS_RANKING_CONFIDENCE_H_

#include "ranking/ranking_options.h"

namespace whoknows::ranking {

struct ConfidenceOptions {
  // Multiplies the product below, which is then capped at 1. 1: on the
  // pooled history of five communities (never their test questions) the
  // product is calibrated on average as it is (docs/ranking.md gives the
  // figures). Bigger claims more.
  double scale = 1.0;
  // The text floor of the ranking (RankingOptions::text_floor): the text
  // feature is log(share + floor), so the share is exp(feature) - floor.
  double text_floor = 0.01;
};

// scale x probability x text share x match, in [0, 1]:
// - probability: ExpertResult::probability, how the person stands out
//   among every candidate (several equally plausible people each get less);
// - text share: the person's text votes over the best candidate's (0 for
//   someone found only through embeddings, tags or activity);
// - match: the cosine of question and person in the embedding space
//   (the embedding feature, at least 0): absolute where the other two are
//   relative, it is low when even the best evidence is about something
//   else (a question only common words match). 1 when the ranking does not
//   use embeddings; 0 while no model is loaded (nothing to judge by).
double Confidence(const ExpertResult& result,
                  const ConfidenceOptions& options = {});

}  // namespace whoknows::ranking

#endif  // WHOKNOWS_RANKING_CONFIDENCE_H_
