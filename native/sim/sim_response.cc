#include "sim_response.h"

#include <algorithm>
#include <cmath>

namespace wattscope_sim {

PowerResponse::PowerResponse(const ResponseParams& params, int64_t epochNs)
    : params_(params),
      epochNs_(epochNs),
      levelW_(params.idleW),
      creditNs_(static_cast<double>(params.creditNs)),
      ringMj_(static_cast<size_t>(kRetainedNs / kStepNs), 0.0),
      ringW_(static_cast<size_t>(kRetainedNs / kStepNs), params.idleW) {}

double PowerResponse::StepTargetW(double workloadW) {
  const double step = static_cast<double>(kStepNs);
  if (workloadW > params_.boostAboveW) {
    if (creditNs_ <= 0) return workloadW;
    creditNs_ -= step;
    return workloadW + params_.boostW;
  }
  // Recovered in proportion to the headroom under the boost level: fully when idle.
  double headroom = (params_.boostAboveW - workloadW) / std::max(1.0, params_.boostAboveW - params_.idleW);
  creditNs_ = std::min(static_cast<double>(params_.creditNs), creditNs_ + step * std::clamp(headroom, 0.0, 1.0));
  return workloadW;
}

void PowerResponse::AdvanceTo(int64_t tNs, const std::function<double(int64_t)>& workloadW) {
  const int64_t target = (tNs - epochNs_) / kStepNs;
  const double decay = 1.0 - std::exp(-static_cast<double>(kStepNs) / static_cast<double>(params_.tauNs));
  const size_t n = ringMj_.size();
  for (; steps_ < target; ++steps_) {
    int64_t startNs = epochNs_ + steps_ * kStepNs;
    double asked = startNs - params_.lagNs < epochNs_ ? params_.idleW : workloadW(startNs - params_.lagNs);
    double goal = StepTargetW(asked);
    double before = levelW_;
    levelW_ += (goal - levelW_) * decay;
    double meanW = 0.5 * (before + levelW_);
    cumulativeMj_ += meanW * static_cast<double>(kStepNs) * 1e-6;
    ringMj_[static_cast<size_t>(steps_) % n] = cumulativeMj_;
    ringW_[static_cast<size_t>(steps_) % n] = meanW;
  }
}

double PowerResponse::EnergyMj(int64_t tNs) const {
  if (tNs <= epochNs_ || steps_ == 0) return 0.0;
  const int64_t n = static_cast<int64_t>(ringMj_.size());
  int64_t k = std::min((tNs - epochNs_) / kStepNs, steps_);
  k = std::max(k, std::max<int64_t>(0, steps_ - n + 1));
  double before = k == 0 ? 0.0 : ringMj_[static_cast<size_t>((k - 1) % n)];
  if (k >= steps_) return cumulativeMj_;
  int64_t intoNs = std::clamp<int64_t>(tNs - (epochNs_ + k * kStepNs), 0, kStepNs);
  return before + ringW_[static_cast<size_t>(k % n)] * static_cast<double>(intoNs) * 1e-6;
}

double PowerResponse::PowerW(int64_t tNs) const {
  if (tNs <= epochNs_ || steps_ == 0) return params_.idleW;
  const int64_t n = static_cast<int64_t>(ringMj_.size());
  int64_t k = std::clamp<int64_t>((tNs - epochNs_) / kStepNs, std::max<int64_t>(0, steps_ - n + 1), steps_ - 1);
  return ringW_[static_cast<size_t>(k % n)];
}

}  // namespace wattscope_sim
