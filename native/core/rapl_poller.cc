#include "rapl_poller.h"

#include <limits>

#include "clock.h"

namespace wattscope {

RaplPoller::RaplPoller(std::vector<RaplZone> zones, size_t capacity)
    : zones_(std::move(zones)), capacity_(capacity < 16 ? 16 : capacity) {
  for (const RaplZone& zone : zones_) accumulators_.emplace_back(zone.maxEnergyRangeUj);
  records_.reserve(capacity_);
}

void RaplPoller::Poll() {
  std::vector<RaplRecord> batch;
  batch.reserve(zones_.size());
  uint64_t tookNs = 0;
  for (size_t i = 0; i < zones_.size(); ++i) {
    RaplRecord record{static_cast<int32_t>(i), 0, 0, std::numeric_limits<double>::quiet_NaN(), 0};
    int64_t t0 = MonotonicNowNs();
    double rawUj = 0;
    int error = 0;
    bool ok = ReadRaplEnergyUj(zones_[i], &rawUj, &error);
    int64_t t1 = MonotonicNowNs();
    record.tNs = t0 + (t1 - t0) / 2;
    record.spanNs = t1 - t0;
    if (ok) {
      record.energyUj = accumulators_[i].Update(rawUj);
    } else {
      record.readErrno = error;
    }
    tookNs += static_cast<uint64_t>(t1 - t0);
    batch.push_back(record);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const RaplRecord& record : batch) {
    if (records_.size() >= capacity_) {
      ++dropped_;
      continue;
    }
    records_.push_back(record);
  }
  readNsTotal_ += tookNs;
  reads_ += zones_.size();
}

uint64_t RaplPoller::Drain(std::vector<RaplRecord>* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out->insert(out->end(), records_.begin(), records_.end());
  records_.clear();
  uint64_t dropped = dropped_;
  dropped_ = 0;
  return dropped;
}

uint64_t RaplPoller::readNsTotal() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return readNsTotal_;
}

uint64_t RaplPoller::reads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reads_;
}

}  // namespace wattscope
