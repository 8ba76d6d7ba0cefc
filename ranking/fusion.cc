#include "ranking/fusion.h"

#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "index/data_dir.h"
#include "ranking/file_io.h"
#include "ranking/validate.h"

namespace whoknows::ranking {
namespace {

constexpr const char* kNames[kNumSignals] = {
    "text",    "embedding", "tags",      "activity",
    "recency", "authority", "proximity", "recent"};

}  // namespace

const char* SignalName(Signal s) { return kNames[static_cast<int>(s)]; }

bool SignalFromName(const std::string& name, Signal* out) {
  for (int i = 0; i < kNumSignals; ++i) {
    if (name == kNames[i]) {
      *out = static_cast<Signal>(i);
      return true;
    }
  }
  return false;
}

FusionWeights FusionWeights::Defaults() {
  FusionWeights w;
  // text, embedding, tags, activity, recency, authority, proximity, recent
  // (docs/ranking.md: chosen on the replayed history of five communities)
  w.weight = {1.0, 2.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.75};
  return w;
}

double FusionWeights::Score(const Features& f) const {
  double s = 0;
  for (int i = 0; i < kNumSignals; ++i) s += weight[i] * f[i];
  return s;
}

absl::Status FusionWeights::Save(const std::string& path) const {
  nlohmann::json j;
  j["format"] = "whoknows-fusion-1";
  for (int i = 0; i < kNumSignals; ++i) j["weights"][kNames[i]] = weight[i];
  j["provenance"] = provenance;
  return index::WriteFileAtomically(
      path, [&](std::ostream& out) -> absl::Status {
        out << j.dump(2) << "\n";
        if (!out) {
          return absl::UnavailableError(
              absl::StrCat("cannot write ", path, ".tmp"));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<FusionWeights> FusionWeights::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  nlohmann::json j =
      nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  FusionWeights w = Defaults();
  if (j.contains("weights")) {
    if (!j["weights"].is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": weights: must be an object"));
    }
    for (const auto& [name, value] : j["weights"].items()) {
      Signal s;
      if (!SignalFromName(name, &s)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": weights.", name, ": unknown signal"));
      }
      if (!value.is_number() || !std::isfinite(value.get<double>())) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": weights.", name, ": must be a finite number"));
      }
      w.weight[static_cast<int>(s)] = value.get<double>();
    }
  }
  if (j.contains("provenance") && j["provenance"].is_string())
    w.provenance = j["provenance"].get<std::string>();
  return w;
}

absl::Status FitOptions::Validate() const {
  using validate::Check;
  return validate::FirstError({
      Check(validate::Finite(l2) && l2 >= 0, "l2", "a finite number >= 0"),
      Check(max_iterations >= 0, "max_iterations", ">= 0"),
      Check(validate::Finite(gradient_tolerance) && gradient_tolerance >= 0,
            "gradient_tolerance", "a finite number >= 0"),
      Check(max_step_halvings >= 1, "max_step_halvings", ">= 1"),
  });
}

namespace {

// The penalized conditional-logit log likelihood per example (to maximize)
// at `x`, and when asked its gradient and Hessian.
double LogitObjective(const std::vector<const TrainingExample*>& usable,
                      const Eigen::VectorXd& w0, double l2,
                      const Eigen::VectorXd& x, Eigen::VectorXd* grad,
                      Eigen::MatrixXd* hess) {
  const double n = static_cast<double>(usable.size());
  double ll = 0;
  if (grad) grad->setZero(kNumSignals);
  if (hess) hess->setZero(kNumSignals, kNumSignals);
  for (const auto* e : usable) {
    const auto m = static_cast<Eigen::Index>(e->candidates.size());
    Eigen::MatrixXd f(m, kNumSignals);
    for (Eigen::Index c = 0; c < m; ++c)
      for (int i = 0; i < kNumSignals; ++i) f(c, i) = e->candidates[c][i];
    Eigen::VectorXd s = f * x;
    const double top = s.maxCoeff();
    Eigen::VectorXd p = (s.array() - top).exp();
    const double z = p.sum();
    p /= z;
    ll += s[e->label] - top - std::log(z);
    if (grad) *grad += f.row(e->label).transpose() - f.transpose() * p;
    if (hess) {
      Eigen::VectorXd mean = f.transpose() * p;
      *hess -= f.transpose() * p.asDiagonal() * f - mean * mean.transpose();
    }
  }
  // Per-example average, minus the penalty: maximize.
  double value = ll / n - 0.5 * l2 * (x - w0).squaredNorm() / n;
  if (grad) *grad = *grad / n - l2 * (x - w0) / n;
  if (hess)
    *hess = *hess / n -
            l2 * Eigen::MatrixXd::Identity(kNumSignals, kNumSignals) / n;
  return value;
}

}  // namespace

FitResult FitConditionalLogit(const std::vector<TrainingExample>& examples,
                              const FusionWeights& prior, const FitOptions& o) {
  FitResult r;
  r.weights = prior;
  Eigen::VectorXd w(kNumSignals), w0(kNumSignals);
  for (int i = 0; i < kNumSignals; ++i) w[i] = w0[i] = prior.weight[i];
  std::vector<const TrainingExample*> usable;
  for (const auto& e : examples) {
    if (e.label >= 0 && e.label < static_cast<int>(e.candidates.size()) &&
        e.candidates.size() > 1)
      usable.push_back(&e);
  }
  r.examples = static_cast<int>(usable.size());
  if (usable.empty()) return r;
  auto objective = [&](const Eigen::VectorXd& x, Eigen::VectorXd* grad,
                       Eigen::MatrixXd* hess) {
    return LogitObjective(usable, w0, o.l2, x, grad, hess);
  };
  Eigen::VectorXd grad;
  Eigen::MatrixXd hess;
  double value = objective(w, &grad, &hess);
  for (r.iterations = 0; r.iterations < o.max_iterations; ++r.iterations) {
    for (int i = 0; i < kNumSignals; ++i) {
      if (o.frozen[i]) {
        grad[i] = 0;
        hess.row(i).setZero();
        hess.col(i).setZero();
        hess(i, i) = -1;
      }
    }
    Eigen::VectorXd step = (-hess).ldlt().solve(grad);
    // Backtracking keeps every step an ascent step.
    double t = 1;
    bool improved = false;
    for (int k = 0; k < o.max_step_halvings; ++k, t /= 2) {
      Eigen::VectorXd next = w + t * step;
      const double v = objective(next, nullptr, nullptr);
      if (v >= value) {
        w = next;
        improved = v - value > 1e-12;
        value = objective(w, &grad, &hess);
        break;
      }
    }
    if (!improved || grad.lpNorm<Eigen::Infinity>() < o.gradient_tolerance)
      break;
  }
  for (int i = 0; i < kNumSignals; ++i) r.weights.weight[i] = w[i];
  r.log_likelihood = value;
  return r;
}

}  // namespace whoknows::ranking
