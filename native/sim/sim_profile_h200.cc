// Profile h200's settings and its driver sample buffer: the measured H200's parameters (each
// overridable through WATTSCOPE_SIM_*), and the samples' instants, 10-30 ms apart as recorded
// (p10 11, p50 20, p90 30 ms), each holding the mean power since the sample before it.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "sim_state.h"

namespace wattscope_sim {
namespace {

double EnvOr(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  double d = std::strtod(v, &end);
  return (end != nullptr && *end == '\0') ? d : fallback;
}

// A deterministic uniform draw in [0, 1) for (seed, device, sample index): splitmix64.
double UniformDraw(unsigned long long seed, unsigned int dev, int64_t index) {
  unsigned long long x = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<unsigned long long>(dev) << 40) ^
                         static_cast<unsigned long long>(index);
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

constexpr size_t kDriverSampleDepth = 120;  // the driver keeps the last ~120 samples (~2.4 s)

}  // namespace

void SimState::ReadProfileH200() {
  const char* idle = std::getenv("WATTSCOPE_SIM_IDLE_W");
  if (idle == nullptr || *idle == '\0') {
    const char* context = std::getenv("WATTSCOPE_SIM_CONTEXT");
    config_.idleW = (context != nullptr && std::string(context) == "none") ? 79.0 : 122.5;
  }
  if (std::getenv("WATTSCOPE_SIM_NAME") == nullptr) {
    for (std::string& name : config_.names)
      if (name == config_.name) name = "NVIDIA H200";  // a GPU's own WATTSCOPE_SIM_NAME_<i> stays
    config_.name = "NVIDIA H200";
  }
  ResponseParams& r = config_.response;
  r.idleW = config_.idleW;
  r.lagNs = static_cast<int64_t>(EnvOr("WATTSCOPE_SIM_LAG_MS", 9) * 1e6);
  r.tauNs = std::max<int64_t>(100000, static_cast<int64_t>(EnvOr("WATTSCOPE_SIM_RESPONSE_MS", 3) * 1e6));
  r.boostW = EnvOr("WATTSCOPE_SIM_BOOST_W", 160);
  r.boostAboveW = EnvOr("WATTSCOPE_SIM_BOOST_ABOVE_W", 600);
  r.creditNs = static_cast<int64_t>(EnvOr("WATTSCOPE_SIM_BOOST_CREDIT_MS", 35) * 1e6);
  double readMs = EnvOr("WATTSCOPE_SIM_COUNTER_READ_MS", -1);
  if (readMs >= 0) {  // a fixed read time instead of the measured distribution (0: none)
    config_.counterReadBaseMs = readMs;
    config_.counterReadMedianMs = 0;
  }
}

std::vector<std::pair<int64_t, double>> SimState::DriverSamples(unsigned int dev, int64_t afterNs, int64_t tNs) {
  PollControl(tNs);
  if (tNs > lastEvalNs_) lastEvalNs_ = tNs;
  SimDevice& d = devices_[dev];
  const double meanMs = static_cast<double>(config_.samplePeriodNs) / 1e6;
  int64_t last = d.sampleTimesNs.empty() ? config_.epochNs : d.sampleTimesNs.back();
  for (;;) {
    // 10-30 ms apart at the default 20 ms mean: uniform on [mean/2, 3 mean/2).
    double gapMs = meanMs * (0.5 + UniformDraw(config_.seed, dev, d.samplesMade));
    int64_t next = last + static_cast<int64_t>(gapMs * 1e6);
    if (next > tNs) break;
    d.sampleTimesNs.push_back(next);
    ++d.samplesMade;
    last = next;
    if (d.sampleTimesNs.size() > kDriverSampleDepth + 1) d.sampleTimesNs.pop_front();
  }
  std::vector<std::pair<int64_t, double>> out;
  for (size_t i = 1; i < d.sampleTimesNs.size(); ++i) {
    int64_t from = d.sampleTimesNs[i - 1];
    int64_t at = d.sampleTimesNs[i];
    if (at <= afterNs) continue;
    out.emplace_back(at, (EnergyMj(dev, at) - EnergyMj(dev, from)) / (static_cast<double>(at - from) * 1e-6));
  }
  return out;
}

}  // namespace wattscope_sim
