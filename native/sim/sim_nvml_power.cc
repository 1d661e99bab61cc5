// The simulated GPU's power and energy queries: the energy counter, the 1 s average, the
// field values (instant and average power, the counter) and the driver's power sample buffer.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <mutex>
#include <random>
#include <string>

#include "../core/clock.h"
#include "sim_entry.h"

using namespace wattscope_sim;

namespace {

// Profile h200: a counter read keeps the caller busy for the measured time (base plus a lognormal
// part, capped: p10 2.5, p50 3.1, p90 5.6 ms against the recording's 2.6, 3.1, 5.7), and the driver
// serves one counter read at a time. Nothing else waits: the cheap fields are served meanwhile.
std::mutex g_counterReadMutex;

// The calling thread's CPU time, ns (the wall clock where the platform has no per-thread clock).
int64_t ThreadCpuNs() {
#if defined(__linux__) || defined(__APPLE__)
  timespec now;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0)
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
#endif
  return wattscope::MonotonicNowNs();
}

// Keeps the caller busy for `ns` of its own CPU time, one counter read at a time (the driver
// serializes them): the read costs that much CPU however busy the machine is, as the real driver's
// busy wait does; on an idle machine it also takes that long.
void SpinFor(int64_t ns) {
  if (ns <= 0) return;
  std::lock_guard<std::mutex> lock(g_counterReadMutex);
  int64_t until = ThreadCpuNs() + ns;
  while (ThreadCpuNs() < until) {
  }
}

void SpinLikeCounterRead(int64_t now) {
  const SimConfig& c = g_state.config();
  if (const Recording* replay = g_state.replay()) return SpinFor(replay->At(g_state.RecordingNs(now)).energyReadNs);
  if (!c.h200 || (c.counterReadBaseMs <= 0 && c.counterReadMedianMs <= 0)) return;
  double ms = c.counterReadBaseMs;
  if (c.counterReadMedianMs > 0) {
    static std::mutex randomMutex;
    std::lock_guard<std::mutex> lock(randomMutex);
    static std::mt19937_64 random(c.seed);
    std::lognormal_distribution<double> spread(std::log(c.counterReadMedianMs), c.counterReadSigma);
    ms += spread(random);
  }
  SpinFor(static_cast<int64_t>(std::min(ms, c.counterReadMaxMs) * 1e6));
}

// What a replayed recording answers for a power query at `now` (mW): field 186, field 185, or
// nvmlDeviceGetPowerUsage (any other id).
double ReplayedMw(int64_t now, unsigned int fieldId) {
  const ProbeRow& row = g_state.replay()->At(g_state.RecordingNs(now));
  if (fieldId == NVML_FI_DEV_POWER_INSTANT) return row.instantMw;
  return fieldId == NVML_FI_DEV_POWER_AVERAGE ? row.averageMw : row.usageMw;
}

// The 1 s average as NVML states it: on profile h200, refreshed every 100 ms (its value at the last
// refresh); elsewhere the current 1 s average.
double OneSecondAverageW(unsigned int dev, int64_t now) {
  const SimConfig& c = g_state.config();
  if (!c.h200) return g_state.AverageW(dev, now, 1000000000);
  int64_t since = now - c.epochNs;
  int64_t refreshedAt = since < 0 ? now : c.epochNs + (since / c.refreshNs) * c.refreshNs;
  return g_state.AverageW(dev, refreshedAt, 1000000000);
}

#ifndef WATTSCOPE_SIM_LEGACY
// Answers a sample-buffer query from `held` (instants on the simulator's clock, oldest first).
nvmlReturn_t AnswerSamples(const std::vector<std::pair<int64_t, double>>& held, unsigned long long lastSeenUs,
                           int* valueType, unsigned int* count, nvmlSample_t* samples) {
  size_t first = 0;
  while (first < held.size() && WallClockUs(held[first].first) <= lastSeenUs) ++first;
  unsigned int available = static_cast<unsigned int>(held.size() - first);
  *valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
  if (available == 0) {
    *count = 0;
    return NVML_ERROR_NOT_FOUND;
  }
  if (samples == nullptr) {
    *count = available;
    return NVML_SUCCESS;
  }
  unsigned int n = std::min(*count, available);
  for (unsigned int i = 0; i < n; ++i) {
    samples[i].timeStamp = WallClockUs(held[first + i].first);
    samples[i].sampleValue.uiVal = static_cast<unsigned int>(std::lround(held[first + i].second * 1000));
  }
  *count = n;
  return NVML_SUCCESS;
}

// A replayed recording's sample buffer: the recorded samples up to now (the last 120), in W.
nvmlReturn_t ReplayedSampleBuffer(int64_t now, unsigned long long lastSeenUs, int* valueType, unsigned int* count,
                                  nvmlSample_t* samples) {
  std::vector<std::pair<int64_t, double>> held;
  const int64_t toSimNs = now - g_state.RecordingNs(now);
  for (const RecordedSample& s : g_state.replay()->SamplesUpTo(g_state.RecordingNs(now), 120))
    held.emplace_back(s.tNs + toSimNs, s.mw / 1000);
  return AnswerSamples(held, lastSeenUs, valueType, count, samples);
}

// Profile h200's sample buffer: the jittered samples after lastSeenUs (NVML's wall-clock us).
nvmlReturn_t DriverSampleBuffer(unsigned int dev, int64_t now, unsigned long long lastSeenUs, int* valueType,
                                unsigned int* count, nvmlSample_t* samples) {
  int64_t afterNs = now - 10000000000;  // older than the buffer holds
  std::vector<std::pair<int64_t, double>> held = g_state.DriverSamples(dev, afterNs, now);
  return AnswerSamples(held, lastSeenUs, valueType, count, samples);
}
#endif

}  // namespace

SIM_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t h, unsigned long long* mj) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetTotalEnergyConsumption");
  if (ret != NVML_SUCCESS) return ret;
  if (mj == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((ret = PowerFieldReturn()) != NVML_SUCCESS) return ret;
  SpinLikeCounterRead(now);
  if (g_state.replay()) {
    *mj = static_cast<unsigned long long>(g_state.replay()->At(g_state.RecordingNs(now)).energyMj);
    return NVML_SUCCESS;
  }
  std::lock_guard<std::mutex> lock(g_state.mutex());
  *mj = static_cast<unsigned long long>(g_state.CounterMj(static_cast<unsigned int>(dev), now));
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t h, unsigned int* mw) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetPowerUsage");
  if (ret != NVML_SUCCESS) return ret;
  if (mw == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (g_state.config().noPermission) return NVML_ERROR_NO_PERMISSION;
  if (g_state.replay()) {
    *mw = static_cast<unsigned int>(std::lround(ReplayedMw(now, 0)));
    return NVML_SUCCESS;
  }
  std::lock_guard<std::mutex> lock(g_state.mutex());
  // Ampere/Hopper report a 1 s average here; pre-Volta GPUs (no energy counter) an instantaneous reading.
  unsigned int d = static_cast<unsigned int>(dev);
  double w = g_state.config().energyNotSupported ? g_state.PowerW(d, now) : OneSecondAverageW(d, now);
  *mw = static_cast<unsigned int>(std::lround(w * 1000));
  return NVML_SUCCESS;
}

#ifndef WATTSCOPE_SIM_LEGACY
SIM_EXPORT nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t h, int count, nvmlFieldValue_t* values) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetFieldValues");
  if (ret != NVML_SUCCESS) return ret;
  if (values == nullptr || count < 0) return NVML_ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < count; ++i)
    if (values[i].fieldId == NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION) {
      SpinLikeCounterRead(now);  // the counter as a field costs what the function costs
      break;
    }
  std::lock_guard<std::mutex> lock(g_state.mutex());
  for (int i = 0; i < count; ++i) {
    nvmlFieldValue_t& f = values[i];
    f.timestamp = static_cast<long long>(WallClockUs(now));
    f.latencyUsec = 0;
    f.nvmlReturn = PowerFieldReturn();
    if (f.nvmlReturn == NVML_SUCCESS && !g_state.config().refusals.empty())
      f.nvmlReturn = g_state.Refusal("field" + std::to_string(f.fieldId));
    if (f.nvmlReturn != NVML_SUCCESS) continue;
    unsigned int d = static_cast<unsigned int>(dev);
    const Recording* replay = g_state.replay();
    switch (f.fieldId) {
      case NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION:
        f.valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
        f.value.ullVal = static_cast<unsigned long long>(replay ? replay->At(g_state.RecordingNs(now)).energyMj
                                                                : g_state.CounterMj(d, now));
        break;
      case NVML_FI_DEV_POWER_INSTANT:
      case NVML_FI_DEV_POWER_AVERAGE: {
        double w = 0;
        if (replay)
          w = ReplayedMw(now, f.fieldId) / 1000;
        else
          w = f.fieldId == NVML_FI_DEV_POWER_INSTANT ? g_state.SensorW(d, now) : OneSecondAverageW(d, now);
        f.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        f.value.uiVal = static_cast<unsigned int>(std::lround(w * 1000));
        break;
      }
      default: f.nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
    }
  }
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetSamples(nvmlDevice_t h, int type, unsigned long long lastSeenUs, int* valueType,
                                             unsigned int* count, nvmlSample_t* samples) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetSamples");
  if (ret != NVML_SUCCESS) return ret;
  if (type != NVML_TOTAL_POWER_SAMPLES) return NVML_ERROR_NOT_SUPPORTED;
  if (count == nullptr || valueType == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((ret = PowerFieldReturn()) != NVML_SUCCESS) return ret;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  if (g_state.replay()) return ReplayedSampleBuffer(now, lastSeenUs, valueType, count, samples);
  if (g_state.config().h200)
    return DriverSampleBuffer(static_cast<unsigned int>(dev), now, lastSeenUs, valueType, count, samples);
  const int64_t period = g_state.config().samplePeriodNs;
  const int64_t epoch = g_state.config().epochNs;
  const int64_t depth = 120;  // the driver keeps the last 120 samples
  int64_t last = now < epoch ? -1 : (now - epoch) / period;
  std::vector<std::pair<int64_t, double>> held;
  for (int64_t k = std::max<int64_t>(0, last - depth + 1); k <= last; ++k) {
    int64_t t = epoch + k * period;
    held.emplace_back(t, g_state.SensorW(static_cast<unsigned int>(dev), t));
  }
  return AnswerSamples(held, lastSeenUs, valueType, count, samples);
}
#endif  // WATTSCOPE_SIM_LEGACY
