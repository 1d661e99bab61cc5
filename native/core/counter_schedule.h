// When a GPU's energy counter needs reading. The counter steps on a regular grid (every ~100 ms
// on Hopper) and a read can cost milliseconds of busy CPU (3 ms on the measured H200), so reading
// it on every sampler tick mostly re-reads an unchanged value. Around steps: the grid is learnt
// from reads that bracket its steps narrowly (every tick until then), and afterwards the counter is
// read only from just before each expected step until the step is seen; a step that does not come
// when expected (a driver with another grid) makes it read every tick again until it relearns.
// Sparse steps: the same, but once learnt only one step in every ~2 s is read (the rest of
// the power's shape comes from the driver's own samples), in a window of about two reads.
// Pure logic on the times and values it is given: tested without a driver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace wattscope {

enum class CounterReads { kEveryTick, kAroundSteps, kSparseSteps };

class CounterSchedule {
 public:
  // `staggerIndex`: sparse steps of GPUs with different indices are read in different grid steps
  // (one GPU's window does not wait on another's reads: a driver may serialize them).
  explicit CounterSchedule(CounterReads mode, int64_t staggerIndex = 0) : mode_(mode), stagger_(staggerIndex) {}
  // Whether to read the counter at the tick starting at nowNs. `mayLearn`: false while another
  // GPU is learning its grid (sparse steps learn one GPU at a time; the others are read once a
  // second meanwhile).
  bool ShouldRead(int64_t nowNs, bool mayLearn = true) const;
  // Sparse steps, not reading sparsely yet: learning the grid (every tick), then reading around
  // every step until the steps placed span kSparseLearnSpanNs (the period then known well enough
  // for a second's extrapolation).
  bool learning() const { return mode_ == CounterReads::kSparseSteps && !sparseReady(); }
  bool sparseReady() const;
  // A read that started at startNs and ended at endNs gave `valueMj` (NaN: it failed).
  void Observe(int64_t startNs, int64_t endNs, double valueMj);
  // Sparse steps: the last read observed opened a window; its value holds the steps skipped since
  // the previous window, so a change seen there is no step to place (the next read's change is).
  bool lastWasBaseline() const { return baseline_; }
  bool learnt() const { return periodNs_ > 0; }
  int64_t periodNs() const { return periodNs_; }
  int64_t nextStepNs() const { return nextStepNs_; }
  // How often the learnt grid was found wrong and forgotten (read every tick until relearnt).
  int relearns() const { return relearns_; }

  // A step bracketed by reads this far apart (or closer, or by three reads' time) places the grid.
  static constexpr int64_t kNarrowBracketNs = 20000000;
  // Steps placed before the grid is trusted.
  static constexpr size_t kStepsToLearn = 4;
  // Narrowly placed steps kept to refine the period (sparse steps: ~24 s of them).
  static constexpr size_t kStepsKept = 24;
  // Sparse steps: the span of placed steps before reading one step a second (a period learnt over
  // 2 s is off by ~0.1%: 1 ms over the second extrapolated, well inside the window's guard).
  static constexpr int64_t kSparseLearnSpanNs = 2000000000;
  // Read at least this often whatever the schedule (a counter that stopped, a grid that moved).
  static constexpr int64_t kMaxSilenceNs = 1000000000;
  // Sparse steps: the learnt steps read are about this far apart (one in twenty on a 100 ms grid:
  // two or three reads a window, about 1.3 a second, 0.5% of a core at an H200's 3.8 ms per read;
  // at 1.5 s apart the counter's reads alone took 0.84% of a core, near the 1% a GPU may cost).
  static constexpr int64_t kSparseSpacingNs = 2000000000;
  // Steps in a row bracketed widely, once learnt, after which the grid is relearnt.
  static constexpr int kWideBracketsToRelearn = 4;

 private:
  void Learn();
  void Forget();
  int64_t GuardNs() const;
  // The steps from one read step to the next: 1, or in sparse mode as many as fit kSparseSpacingNs.
  int64_t StepsPerRead() const;
  // The step to read after the one seen at stepNs: the next, or in sparse mode the first after
  // StepsPerRead() steps whose grid index falls to this GPU's stagger.
  int64_t NextReadStepNs(int64_t stepNs) const;
  // Sparse steps: no step came by half a period after the expected one (it was in the window's
  // first read, or the grid moved): a wide bracket, and on to the next window.
  void MissedSparseStep();
  // Sparse steps: draws where the next window's reads after its first begin: 1 ms to a read and
  // 1 ms more before the expected step, so that where the step falls in the bracket that finds it
  // is random and the brackets' midpoints place the grid without bias. The first read comes
  // earlier (GuardNs: it must end before the step however late its tick).
  void DrawSparseWindow();

  CounterReads mode_;
  int64_t stagger_;
  double lastValueMj_ = 0;
  bool haveValue_ = false;
  int64_t lastStartNs_ = -1;
  int64_t lastEndNs_ = -1;
  double meanReadNs_ = 0;
  std::deque<int64_t> stepsNs_;  // the latest narrowly placed steps, oldest first
  int64_t periodNs_ = 0;
  int64_t gridOriginNs_ = 0;  // a step of the grid as first learnt: where sparse turns count from
  int64_t nextStepNs_ = 0;
  // No read made since the last step was seen: the next read opens the window around the next step.
  bool windowOpening_ = false;
  int relearns_ = 0;
  int consecutiveWide_ = 0;
  bool baseline_ = false;
  // Sparse steps: the next read opens a window (a step was seen since the last window).
  bool baselineDue_ = false;
  // Sparse steps: how long before the expected step the reads after the window's first begin.
  int64_t sparseLeadNs_ = 1000000;
  uint64_t ditherState_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace wattscope
