// The RAPL zones read on the sampler thread: each zone's energy_uj read at the given ticks, on
// the same monotonic clock as the GPU samples, its wraparounds undone, into a bounded buffer
// that JS drains in bulk. A failed read is recorded as such (its errno), never as a value.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "rapl.h"

namespace wattscope {

struct RaplRecord {
  int32_t zone;       // index into the poller's zones
  int64_t tNs;        // monotonic midpoint of the read
  int64_t spanNs;     // how long the read took: the value belongs somewhere in that span
  double energyUj;    // cumulative since the zone's first good read, wraparounds undone; NaN when failed
  int32_t readErrno;  // 0, or why the read failed (EACCES, EINVAL for an empty or partial read)
};

class RaplPoller {
 public:
  RaplPoller(std::vector<RaplZone> zones, size_t capacity);

  // Reads every zone once (called on the sampler thread).
  void Poll();
  // Appends the buffered records to `out` and empties the buffer; returns the records dropped
  // (buffer full) since the last drain.
  uint64_t Drain(std::vector<RaplRecord>* out);
  const std::vector<RaplZone>& zones() const { return zones_; }
  // Time spent reading, ns, and reads made (for the sampler's cost).
  uint64_t readNsTotal() const;
  uint64_t reads() const;

 private:
  std::vector<RaplZone> zones_;
  std::vector<RaplAccumulator> accumulators_;
  size_t capacity_;
  mutable std::mutex mutex_;  // guards records_, dropped_ and the totals
  std::vector<RaplRecord> records_;
  uint64_t dropped_ = 0;
  uint64_t readNsTotal_ = 0;
  uint64_t reads_ = 0;
};

}  // namespace wattscope
