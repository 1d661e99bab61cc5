#include "counter_schedule.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wattscope {

int64_t CounterSchedule::GuardNs() const {
  // Start reading early enough that two reads end before the step: a grid placed from brackets two
  // reads wide is off by up to a read either way, and a read's value may come from any instant in it;
  // and 5 ms more, for ticks a little late and a period learnt from a few steps (a fast driver's
  // extra reads cost microseconds).
  return 5000000 + static_cast<int64_t>(2.5 * meanReadNs_);
}

bool CounterSchedule::ShouldRead(int64_t nowNs) const {
  if (mode_ == CounterReads::kEveryTick || !learnt() || lastEndNs_ < 0) return true;
  if (nowNs - lastEndNs_ >= kMaxSilenceNs) return true;
  return nowNs >= nextStepNs_ - GuardNs();
}

void CounterSchedule::Observe(int64_t startNs, int64_t endNs, double valueMj) {
  double readNs = static_cast<double>(endNs - startNs);
  meanReadNs_ = meanReadNs_ == 0 ? readNs : 0.9 * meanReadNs_ + 0.1 * readNs;
  if (std::isnan(valueMj)) return;
  bool stepped = haveValue_ && valueMj != lastValueMj_;
  // The window's first read ended well before the expected step and found it already made: the
  // grid moved (or shortened). A first read that ends later (a late tick on a busy machine) finds
  // the step it expected and says nothing about the grid.
  if (stepped && learnt() && windowOpening_ && endNs < nextStepNs_ - GuardNs() / 2) Forget();
  windowOpening_ = stepped && learnt();
  if (stepped) {
    // The step lies between the previous read's start and this one's end.
    int64_t bracketNs = endNs - lastStartNs_;
    int64_t stepNs = lastStartNs_ + bracketNs / 2;
    // Narrow: within 20 ms, or three reads where reads are slower (a busy machine stretches them).
    bool narrow = bracketNs <= std::max<int64_t>(kNarrowBracketNs, static_cast<int64_t>(3 * meanReadNs_));
    if (narrow) {
      stepsNs_.push_back(stepNs);
      if (stepsNs_.size() > 2 * kStepsToLearn) stepsNs_.pop_front();
      Learn();  // learns the grid, and once learnt refines its period over the steps kept
    }
    // A narrowly placed step re-anchors the grid; a wide bracket (a late read) keeps its phase,
    // unless wide brackets keep coming (a grid that drifted early): then it is relearnt.
    // The step seen is the grid's last before endNs, or the one expected just after it (a grid a
    // little late): the next expected is the grid's first after that.
    if (learnt() && narrow) nextStepNs_ = stepNs + periodNs_;
    consecutiveWide_ = narrow ? 0 : consecutiveWide_ + 1;
    if (learnt() && consecutiveWide_ >= kWideBracketsToRelearn) Forget();
    int64_t seenUpToNs = narrow ? endNs : endNs + GuardNs();
    if (learnt())
      while (nextStepNs_ <= seenUpToNs) nextStepNs_ += periodNs_;
  } else if (learnt() && startNs > nextStepNs_ + periodNs_ / 2) {
    // The expected step did not come: the grid is not what was learnt. Read every tick again.
    Forget();
  }
  lastValueMj_ = valueMj;
  haveValue_ = true;
  lastStartNs_ = startNs;
  lastEndNs_ = endNs;
}

void CounterSchedule::Forget() {
  periodNs_ = 0;
  consecutiveWide_ = 0;
  stepsNs_.clear();
  ++relearns_;
}

void CounterSchedule::Learn() {
  if (stepsNs_.size() < kStepsToLearn) return;
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < stepsNs_.size(); ++i) gaps.push_back(stepsNs_[i] - stepsNs_[i - 1]);
  int64_t shortest = *std::min_element(gaps.begin(), gaps.end());
  if (shortest <= 0) return;
  // A regular grid: every gap within a quarter of the shortest, or of a multiple of it (a step
  // bracketed too widely to place, on a busy machine, leaves one out). The period: the gaps' total
  // over the periods they span.
  int64_t totalNs = 0;
  int64_t periods = 0;
  for (int64_t gap : gaps) {
    int64_t spanned = std::max<int64_t>(1, (gap + shortest / 2) / shortest);
    if (std::llabs(gap - spanned * shortest) > shortest / 4) return;
    totalNs += gap;
    periods += spanned;
  }
  periodNs_ = totalNs / periods;
}

}  // namespace wattscope
