#include "counter_schedule.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wattscope {

bool CounterSchedule::sparseReady() const {
  return learnt() && stepsNs_.size() >= 2 && stepsNs_.back() - stepsNs_.front() >= kSparseLearnSpanNs;
}

int64_t CounterSchedule::StepsPerRead() const {
  if (mode_ != CounterReads::kSparseSteps || !sparseReady()) return 1;
  return std::max<int64_t>(1, (kSparseSpacingNs + periodNs_ / 2) / periodNs_);
}

int64_t CounterSchedule::NextReadStepNs(int64_t stepNs) const {
  int64_t perRead = StepsPerRead();
  if (perRead == 1) return stepNs + periodNs_;
  // At least half a spacing ahead, then the first step in this GPU's turn: from then on a step every
  // spacing, in the same turn.
  int64_t next = stepNs + ((perRead + 1) / 2) * periodNs_;
  // Turns counted on the grid from where it was learnt (the absolute clock would shift them with
  // each refinement of the period).
  auto turn = [&](int64_t t) { return ((t - gridOriginNs_ + periodNs_ / 2) / periodNs_) % perRead; };
  for (int64_t ahead = 0; ahead < perRead && turn(next) != stagger_ % perRead; ++ahead) next += periodNs_;
  return next;
}

void CounterSchedule::MissedSparseStep() {
  nextStepNs_ = NextReadStepNs(nextStepNs_);
  baselineDue_ = true;
  DrawSparseWindow();
  if (++consecutiveWide_ >= kWideBracketsToRelearn) Forget();
}

void CounterSchedule::DrawSparseWindow() {
  ditherState_ = ditherState_ * 6364136223846793005ULL + 1442695040888963407ULL;
  double draw = static_cast<double>(ditherState_ >> 11) / 9007199254740992.0;
  sparseLeadNs_ = 1000000 + static_cast<int64_t>(draw * (meanReadNs_ + 1000000));
}

int64_t CounterSchedule::GuardNs() const {
  // Start reading early enough that two reads end before the step: a grid placed from brackets two
  // reads wide is off by up to a read either way, and a read's value may come from any instant in it;
  // and 5 ms more, for ticks a little late and a period learnt from a few steps (a fast driver's
  // extra reads cost microseconds).
  return 5000000 + static_cast<int64_t>(2.5 * meanReadNs_);
}

bool CounterSchedule::ShouldRead(int64_t nowNs, bool mayLearn) const {
  if (mode_ == CounterReads::kEveryTick || lastEndNs_ < 0) return true;
  // Sparse steps, read sparsely: the windows come every kSparseSpacingNs, so the silence allowed is two.
  int64_t silenceNs = mode_ == CounterReads::kSparseSteps && sparseReady() ? 2 * kSparseSpacingNs : kMaxSilenceNs;
  if (nowNs - lastEndNs_ >= silenceNs) return true;
  if (learning() && !mayLearn) return false;  // another GPU's turn to learn
  if (!learnt()) return true;
  if (mode_ == CounterReads::kSparseSteps && sparseReady())
    return nowNs >= nextStepNs_ - (baselineDue_ ? GuardNs() : sparseLeadNs_);
  return nowNs >= nextStepNs_ - GuardNs();
}

void CounterSchedule::Observe(int64_t startNs, int64_t endNs, double valueMj) {
  double readNs = static_cast<double>(endNs - startNs);
  meanReadNs_ = meanReadNs_ == 0 ? readNs : 0.9 * meanReadNs_ + 0.1 * readNs;
  baseline_ = false;
  if (std::isnan(valueMj)) return;
  if (mode_ == CounterReads::kSparseSteps && sparseReady() && baselineDue_ && haveValue_) {
    // The window's first read: the value before the expected step (skipped steps and all). A grid
    // that moved early has its step in here: the reads after it see none, and it is relearnt.
    baseline_ = true;
    baselineDue_ = false;
    windowOpening_ = false;
    lastValueMj_ = valueMj;
    lastStartNs_ = startNs;
    lastEndNs_ = endNs;
    return;
  }
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
      if (stepsNs_.size() > kStepsKept) stepsNs_.pop_front();
      Learn();  // learns the grid, and once learnt refines its period over the steps kept
    }
    // A narrowly placed step re-anchors the grid; a wide bracket (a late read) keeps its phase,
    // unless wide brackets keep coming (a grid that drifted early): then it is relearnt.
    // The step seen is the grid's last before endNs, or the one expected just after it (a grid a
    // little late): the next expected is the grid's first after that.
    if (learnt() && narrow) nextStepNs_ = NextReadStepNs(stepNs);
    DrawSparseWindow();
    consecutiveWide_ = narrow ? 0 : consecutiveWide_ + 1;
    if (learnt() && consecutiveWide_ >= kWideBracketsToRelearn) Forget();
    int64_t seenUpToNs = narrow ? endNs : endNs + GuardNs();
    if (learnt())
      while (nextStepNs_ <= seenUpToNs) nextStepNs_ = NextReadStepNs(nextStepNs_);
  } else if (mode_ == CounterReads::kSparseSteps && learnt() && startNs > nextStepNs_ + periodNs_ / 2) {
    MissedSparseStep();
  } else if (learnt() && startNs > nextStepNs_ + periodNs_ / 2) {
    // The expected step did not come: the grid is not what was learnt. Read every tick again.
    Forget();
  }
  // A step seen while reading sparsely (also the one that made it ready): the next read opens a window.
  baselineDue_ = stepped ? sparseReady() : baselineDue_ && sparseReady();
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
  // Once learnt, gaps are counted in the learnt period (sparse steps are all a second apart, and
  // would otherwise make a second the period); before, in the shortest gap.
  int64_t unit = learnt() ? periodNs_ : *std::min_element(gaps.begin(), gaps.end());
  if (unit <= 0) return;
  // A regular grid: every gap within a quarter of the unit, or of a multiple of it (a step
  // bracketed too widely to place, on a busy machine, leaves one out). The period: the gaps' total
  // over the periods they span.
  int64_t totalNs = 0;
  int64_t periods = 0;
  for (int64_t gap : gaps) {
    int64_t spanned = std::max<int64_t>(1, (gap + unit / 2) / unit);
    if (std::llabs(gap - spanned * unit) > unit / 4) return;
    totalNs += gap;
    periods += spanned;
  }
  if (!learnt()) gridOriginNs_ = stepsNs_.back();
  periodNs_ = totalNs / periods;
}

}  // namespace wattscope
