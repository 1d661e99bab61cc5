#include "counter_schedule.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wattscope {

int64_t CounterSchedule::GuardNs() const {
  // Start reading early enough that a read begun before the step ends before it, and a little more.
  return 2000000 + static_cast<int64_t>(1.5 * meanReadNs_);
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
  if (stepped && learnt() && windowOpening_) {
    // Stepped before the window opened: the grid moved (or shortened). Read every tick again.
    periodNs_ = 0;
    stepsNs_.clear();
  }
  windowOpening_ = stepped && learnt();
  if (stepped) {
    // The step lies between the previous read's start and this one's end.
    int64_t bracketNs = endNs - lastStartNs_;
    int64_t stepNs = lastStartNs_ + bracketNs / 2;
    // Narrow: within 20 ms, or three reads where reads are slower (a busy machine stretches them).
    if (bracketNs <= std::max<int64_t>(kNarrowBracketNs, static_cast<int64_t>(3 * meanReadNs_))) {
      stepsNs_.push_back(stepNs);
      if (stepsNs_.size() > 2 * kStepsToLearn) stepsNs_.pop_front();
      if (!learnt()) Learn();
    }
    if (learnt()) {
      nextStepNs_ = stepNs + periodNs_;
      while (nextStepNs_ <= endNs) nextStepNs_ += periodNs_;
    }
  } else if (learnt() && startNs > nextStepNs_ + periodNs_ / 2) {
    // The expected step did not come: the grid is not what was learnt. Read every tick again.
    periodNs_ = 0;
    stepsNs_.clear();
  }
  lastValueMj_ = valueMj;
  haveValue_ = true;
  lastStartNs_ = startNs;
  lastEndNs_ = endNs;
}

void CounterSchedule::Learn() {
  if (stepsNs_.size() < kStepsToLearn) return;
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < stepsNs_.size(); ++i) gaps.push_back(stepsNs_[i] - stepsNs_[i - 1]);
  std::vector<int64_t> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  int64_t median = sorted[sorted.size() / 2];
  if (median <= 0) return;
  // A regular grid: every gap within a quarter of the median (a missed step would double one).
  for (int64_t gap : gaps)
    if (std::llabs(gap - median) > median / 4) return;
  periodNs_ = median;
}

}  // namespace wattscope
