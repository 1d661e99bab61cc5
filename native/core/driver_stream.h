// The driver's own power samples (nvmlDeviceGetSamples, NVML_TOTAL_POWER_SAMPLES) for one GPU:
// on a measured H200 one every ~20 ms, each the mean power since the previous one, in a buffer of
// ~120 (about 2.4 s) stamped in wall-clock microseconds. The sampler thread drains it on a
// schedule of its own (every kDrainPeriodNs, well inside the buffer's depth), places each sample
// on the monotonic clock, and keeps the samples until JS drains them.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "../nvml/nvml_types.h"
#include "device_queries.h"

namespace wattscope {

struct DriverPowerRecord {
  int64_t tNs;     // monotonic end of the interval the sample averages
  double powerMw;  // the mean power over that interval
};

// CLOCK_REALTIME minus CLOCK_MONOTONIC, ns, read back to back (the driver stamps samples in
// wall-clock time; scopes and the other readings are on the monotonic clock).
int64_t WallMinusMonotonicNs();

class DriverPowerStream {
 public:
  // Drains at least this often: the driver keeps ~2.4 s, so a quarter second never loses one.
  static constexpr int64_t kDrainPeriodNs = 250000000;
  // Samples kept between JS drains (at 50 per second, ~80 s).
  static constexpr size_t kCapacity = 4096;

  // `available`: the driver answered a first call for this GPU; `refusal` its code where not.
  DriverPowerStream(bool available, int refusal) : available_(available), refusal_(refusal) {}
  DriverPowerStream(const DriverPowerStream&) = delete;
  DriverPowerStream& operator=(const DriverPowerStream&) = delete;

  bool available() const { return available_; }
  int refusal() const { return refusal_; }
  // Whether a drain is due at monotonic instant nowNs.
  bool Due(int64_t nowNs) const { return available_ && nowNs >= nextDrainNs_; }
  // Reads the samples newer than the last one seen; returns the time the call took, ns.
  int64_t Poll(const DeviceQueries& queries, nvmlDevice_t device, int64_t nowNs);
  // Moves the samples kept since the last call to `out`.
  void Drain(std::vector<DriverPowerRecord>* out);

  uint64_t polls() const;
  uint64_t samples() const;
  uint64_t pollNsTotal() const;
  uint64_t dropped() const;
  // The latest failure of a poll (0 when the latest succeeded).
  int lastError() const;

 private:
  bool available_;
  int refusal_;
  unsigned long long lastSeenUs_ = 0;
  int64_t nextDrainNs_ = 0;
  mutable std::mutex mutex_;  // guards the fields below
  std::vector<DriverPowerRecord> kept_;
  uint64_t polls_ = 0;
  uint64_t samples_ = 0;
  uint64_t pollNsTotal_ = 0;
  uint64_t dropped_ = 0;
  int lastError_ = 0;
};

}  // namespace wattscope
