#include "driver_stream.h"

#include <time.h>

#include <algorithm>
#include <chrono>

#include "clock.h"

namespace wattscope {

int64_t WallMinusMonotonicNs() {
  int64_t before = MonotonicNowNs();
  int64_t wall =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t after = MonotonicNowNs();
  return wall - (before + (after - before) / 2);
}

int64_t DriverPowerStream::Poll(const DeviceQueries& queries, nvmlDevice_t device, int64_t nowNs) {
  nextDrainNs_ = nowNs + kDrainPeriodNs;
  int64_t startNs = MonotonicNowNs();
  Query<std::vector<PowerSample>> read = queries.PowerSamples(device, lastSeenUs_);
  int64_t tookNs = MonotonicNowNs() - startNs;
  int64_t offsetNs = WallMinusMonotonicNs();
  std::lock_guard<std::mutex> lock(mutex_);
  ++polls_;
  pollNsTotal_ += static_cast<uint64_t>(tookNs);
  lastError_ = read.ret;
  if (!read.ok()) return tookNs;
  for (const PowerSample& sample : read.value) {
    if (sample.timestampUs <= lastSeenUs_) continue;
    lastSeenUs_ = sample.timestampUs;
    if (kept_.size() >= kCapacity) {
      kept_.erase(kept_.begin());
      ++dropped_;
    }
    int64_t wallNs = static_cast<int64_t>(sample.timestampUs) * 1000;
    kept_.push_back({wallNs - offsetNs, sample.powerMw});
    ++samples_;
  }
  return tookNs;
}

void DriverPowerStream::Drain(std::vector<DriverPowerRecord>* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out->insert(out->end(), kept_.begin(), kept_.end());
  kept_.clear();
}

uint64_t DriverPowerStream::polls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return polls_;
}

uint64_t DriverPowerStream::samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_;
}

uint64_t DriverPowerStream::pollNsTotal() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pollNsTotal_;
}

uint64_t DriverPowerStream::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

int DriverPowerStream::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

}  // namespace wattscope
