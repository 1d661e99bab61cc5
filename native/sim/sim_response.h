// The measured H200's power response to its workload (profile h200): what the GPU draws when the
// work asks for a power level. Fitted to the recording in ../shared/data/h200 (sensor-*.csv.gz:
// the driver's 20 ms power samples around 3 s steps, 2-50 ms pulses and square waves; trace-*:
// a benchmark's interleaved phases against the same phases back to back), by simulating the model
// at 0.1 ms and matching each sample window's mean, the counter's excess per pulse and the square
// waves' mean power:
//   - lag: the power follows the work 9 ms late (the 20 ms samples straddling each step put the
//     edge 8.5-9.5 ms after the work's, at the start and at the end alike);
//   - response: first order, 3 ms on the way up and down (a 5 ms pulse adds 3.4 J, not 0.68 x 5 ms
//     of steady power plus a tail);
//   - boost: a compute-bound load above 600 W first draws 160 W more (827 W seen where gemm settles
//     at 692 W) for 35 ms of credit, recovered in proportion to the headroom under 600 W (fully
//     in an idle gap, at about a third under a 400 W memory-bound load). This makes pulses cost
//     0.7-0.8 J per busy ms where steady gemm costs 0.57, a 10/10 ms square wave draw 485 W
//     (measured 516 W), and the trace's interleaved runs cost 8.6% more than their phases back to
//     back (measured 6.6-7.9%): the GPU re-boosts at every prefill.
// Fitted: run 0 interleaved 7997 J (measured 7945), back to back 7361 J (7318); pulses of 5, 10,
// 20, 50 ms add 3.8, 7.4, 14.7, 34.3 J (3.4, 7.7, 15.5, 37.0). Every parameter is overridable
// (WATTSCOPE_SIM_LAG_MS, _RESPONSE_MS, _BOOST_W, _BOOST_ABOVE_W, _BOOST_CREDIT_MS).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace wattscope_sim {

struct ResponseParams {
  int64_t lagNs = 9000000;
  int64_t tauNs = 3000000;
  double boostW = 160.0;
  double boostAboveW = 600.0;
  int64_t creditNs = 35000000;
  double idleW = 122.5;
};

// One GPU's drawn power, advanced in fixed steps as time moves forward, keeping the cumulative
// energy of the last few seconds (enough for the 1 s average and the 2.4 s sample buffer).
class PowerResponse {
 public:
  static constexpr int64_t kStepNs = 100000;  // 0.1 ms
  static constexpr int64_t kRetainedNs = 4000000000;

  PowerResponse(const ResponseParams& params, int64_t epochNs);
  // Advances to tNs; workloadW(t) is the power the work asks for at t (only t <= tNs - lag is asked).
  void AdvanceTo(int64_t tNs, const std::function<double(int64_t)>& workloadW);
  // Energy drawn from the epoch to tNs, mJ (tNs at most the time advanced to; older than the
  // retained window: the oldest retained value's time).
  double EnergyMj(int64_t tNs) const;
  // The power drawn at tNs, W.
  double PowerW(int64_t tNs) const;

 private:
  double StepTargetW(double workloadW);

  ResponseParams params_;
  int64_t epochNs_;
  int64_t steps_ = 0;  // steps advanced since the epoch
  double levelW_;      // drawn power at the end of the last step
  double creditNs_;    // boost credit left
  double cumulativeMj_ = 0;
  // Ring of (cumulative mJ at the end of step k, power during step k), k in the retained window.
  std::vector<double> ringMj_;
  std::vector<double> ringW_;
};

}  // namespace wattscope_sim
