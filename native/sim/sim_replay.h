// Replay of a real GPU's recording (the format of the H200 recording's instruments/probe.c): the
// simulated library answers the counter, the power fields, nvmlDeviceGetPowerUsage and the
// driver's sample buffer with what the real GPU answered, on a clock that starts at a chosen
// instant of the recording, and each counter read takes the time the recorded one took.
//   WATTSCOPE_SIM_REPLAY           the recording's path prefix: <prefix>-probe.csv and
//                                  <prefix>-samples.csv (uncompressed; wattscope replay unpacks .gz)
//   WATTSCOPE_SIM_REPLAY_START_NS  the recording's CLOCK_MONOTONIC instant that the simulator's
//                                  epoch stands for (default: the first probe row)
// A file that does not parse fails nvmlInit (NVML_ERROR_UNKNOWN), naming the file and line on stderr.
// Before the recording's first row the first row's values stand; after its last, the last's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wattscope_sim {

struct ProbeRow {
  int64_t tNs;  // the recording's monotonic time when the read started
  double energyMj;
  double instantMw;
  double averageMw;
  double usageMw;
  int64_t energyReadNs;  // how long the counter read took
};

struct RecordedSample {
  int64_t tNs;  // the sample's instant on the recording's monotonic clock
  double mw;
};

class Recording {
 public:
  // Loads <prefix>-probe.csv and <prefix>-samples.csv; false with `error` set (file:line: why).
  bool Load(const std::string& prefix, std::string* error);
  bool loaded() const { return !probe_.empty(); }
  int64_t firstNs() const { return probe_.front().tNs; }
  // The probe row in force at the recording's instant tNs.
  const ProbeRow& At(int64_t tNs) const;
  // The driver's samples at or before tNs, the last `depth` of them, oldest first.
  std::vector<RecordedSample> SamplesUpTo(int64_t tNs, size_t depth) const;

 private:
  bool LoadProbe(const std::string& file, std::string* error);
  bool LoadSamples(const std::string& file, std::string* error);
  std::vector<ProbeRow> probe_;
  std::vector<RecordedSample> samples_;
  int64_t wallMinusMonoNs_ = 0;  // from the probe's header: real_ns - mono_ns
};

}  // namespace wattscope_sim
