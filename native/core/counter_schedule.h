// When a GPU's energy counter needs reading. The counter steps on a regular grid (every ~100 ms
// on Hopper) and a read can cost milliseconds of busy CPU (3 ms on the measured H200), so reading
// it on every sampler tick mostly re-reads an unchanged value. Around steps: the grid is learnt
// from reads that bracket its steps narrowly (every tick until then), and afterwards the counter is
// read only from just before each expected step until the step is seen; a step that does not come
// when expected (a driver with another grid) makes it read every tick again until it relearns.
// Pure logic on the times and values it is given: tested without a driver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace wattscope {

enum class CounterReads { kEveryTick, kAroundSteps };

class CounterSchedule {
 public:
  explicit CounterSchedule(CounterReads mode) : mode_(mode) {}
  // Whether to read the counter at the tick starting at nowNs.
  bool ShouldRead(int64_t nowNs) const;
  // A read that started at startNs and ended at endNs gave `valueMj` (NaN: it failed).
  void Observe(int64_t startNs, int64_t endNs, double valueMj);
  bool learnt() const { return periodNs_ > 0; }
  int64_t periodNs() const { return periodNs_; }
  int64_t nextStepNs() const { return nextStepNs_; }
  // How often the learnt grid was found wrong and forgotten (read every tick until relearnt).
  int relearns() const { return relearns_; }

  // A step bracketed by reads this far apart (or closer, or by three reads' time) places the grid.
  static constexpr int64_t kNarrowBracketNs = 20000000;
  // Steps placed before the grid is trusted.
  static constexpr size_t kStepsToLearn = 4;
  // Read at least this often whatever the schedule (a counter that stopped, a grid that moved).
  static constexpr int64_t kMaxSilenceNs = 1000000000;
  // Steps in a row bracketed widely, once learnt, after which the grid is relearnt.
  static constexpr int kWideBracketsToRelearn = 4;

 private:
  void Learn();
  void Forget();
  int64_t GuardNs() const;

  CounterReads mode_;
  double lastValueMj_ = 0;
  bool haveValue_ = false;
  int64_t lastStartNs_ = -1;
  int64_t lastEndNs_ = -1;
  double meanReadNs_ = 0;
  std::deque<int64_t> stepsNs_;  // the latest narrowly placed steps, oldest first
  int64_t periodNs_ = 0;
  int64_t nextStepNs_ = 0;
  // No read made since the last step was seen: the next read opens the window around the next step.
  bool windowOpening_ = false;
  int relearns_ = 0;
  int consecutiveWide_ = 0;
};

}  // namespace wattscope
