// The one clock for scope boundaries and samples: CLOCK_MONOTONIC in ns, the
// same clock as Node's process.hrtime.bigint() on Linux (a test checks this).
#pragma once

#include <chrono>
#include <cstdint>

namespace wattscope {

inline int64_t MonotonicNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace wattscope
