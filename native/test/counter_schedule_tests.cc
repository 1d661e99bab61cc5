// Unit tests of the counter read schedule on synthetic counters (no driver, no wall clock): a
// counter stepping on a grid, reads of a given duration on ticks of a given period. Built by CMake
// (also under ASan/UBSan) and run by ctest. Prints "N passed, N failed".
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "../core/counter_schedule.h"

using namespace wattscope;

namespace {

int g_passed = 0;
int g_failed = 0;
bool g_ok = true;

#define EXPECT(cond)                                                \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      g_ok = false;                                                 \
    }                                                               \
  } while (0)

void Run(const char* name, const std::function<void()>& fn) {
  g_ok = true;
  fn();
  std::printf("%s %s\n", g_ok ? "ok  " : "FAIL", name);
  (g_ok ? g_passed : g_failed)++;
}

struct Outcome {
  int reads = 0;
  int stepsSeen = 0;            // distinct counter values read
  int stepsTotal = 0;           // steps the counter made
  int64_t widestBracketNs = 0;  // after learning: the widest gap between the reads around a step
  bool learnt = false;
  int64_t periodNs = 0;
  int relearns = 0;
  int64_t learntAtNs = -1;        // when the grid was first learnt
  int64_t worstPhaseErrorNs = 0;  // after learning: |expected next step - the grid's true next step|
};

int64_t OnTime(int64_t) { return 0; }

// Ticks every tickNs for durationNs; the counter steps every periodNs(t) from phaseNs; each read
// takes readNs and returns the value at its start. Read ticks start where the last read ended, late
// by lateNs(tick start) (a busy machine); nextStepOf(t), where given, is the grid's true next step.
Outcome Simulate(CounterReads mode, int64_t tickNs, int64_t readNs, int64_t durationNs,
                 const std::function<int64_t(int64_t)>& stepsBefore,
                 const std::function<int64_t(int64_t)>& lateNs = OnTime,
                 const std::function<int64_t(int64_t)>& nextStepOf = nullptr) {
  CounterSchedule schedule(mode);
  Outcome out;
  int64_t now = 0;
  int64_t lastValue = -1;
  int64_t lastReadStart = -1;
  while (now < durationNs) {
    if (schedule.ShouldRead(now)) {
      int64_t value = stepsBefore(now);
      int64_t end = now + readNs;
      schedule.Observe(now, end, static_cast<double>(value) * 1000.0);
      ++out.reads;
      // A sparse window's first read holds the steps skipped since the last: no step is placed there.
      if (value != lastValue && !schedule.lastWasBaseline()) {
        ++out.stepsSeen;
        if (schedule.learnt() && lastReadStart >= 0 && end - lastReadStart > out.widestBracketNs &&
            now > durationNs / 2)
          out.widestBracketNs = end - lastReadStart;
      }
      lastValue = value;
      lastReadStart = now;
      now = end;
      if (out.learntAtNs < 0 && schedule.learnt()) out.learntAtNs = now;
      if (nextStepOf && schedule.learnt() && now > durationNs / 2)
        out.worstPhaseErrorNs =
            std::max<int64_t>(out.worstPhaseErrorNs, std::llabs(schedule.nextStepNs() - nextStepOf(lastReadStart)));
    }
    now += tickNs - (now % tickNs);
    now += lateNs(now);
  }
  out.stepsTotal = static_cast<int>(stepsBefore(durationNs)) + 1;
  out.learnt = schedule.learnt();
  out.periodNs = schedule.periodNs();
  out.relearns = schedule.relearns();
  return out;
}

int64_t Grid100(int64_t t) { return t < 37000000 ? 0 : (t - 37000000) / 100000000 + 1; }
int64_t NextStep100(int64_t t) { return 37000000 + Grid100(t) * 100000000; }

// A busy machine: about one tick in 25 starts 8-40 ms late (a fixed pseudo-random sequence).
int64_t BusyLateNs(int64_t) {
  static uint64_t state = 12345;
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  uint64_t draw = state >> 33;
  return draw % 25 == 0 ? static_cast<int64_t>(8000000 + (draw / 25) % 32000000) : 0;
}

}  // namespace

int main() {
  Run("every tick: a 3 ms read on 1 ms ticks is made back to back (the cost on a real H200)", [] {
    Outcome o = Simulate(CounterReads::kEveryTick, 1000000, 3000000, 10000000000, Grid100);
    EXPECT(o.reads > 2400);
    EXPECT(o.stepsSeen == o.stepsTotal);
  });

  Run("around steps, 3 ms reads: the grid is learnt, every step is seen, a few reads per step", [] {
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 3000000, 10000000000, Grid100);
    EXPECT(o.learnt);
    EXPECT(std::llabs(o.periodNs - 100000000) < 2000000);
    EXPECT(o.stepsSeen == o.stepsTotal);
    EXPECT(o.reads < 5 * o.stepsTotal + 200);
    // Each step bracketed by reads at most two reads and a tick apart: its place is known.
    EXPECT(o.widestBracketNs <= CounterSchedule::kNarrowBracketNs);
  });

  Run("around steps, a fast driver (1 us reads): each step bracketed within a few ticks", [] {
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 1000, 10000000000, Grid100);
    EXPECT(o.learnt);
    EXPECT(o.stepsSeen == o.stepsTotal);
    // The window opens 5 ms before each expected step: about seven reads per step, not a hundred.
    EXPECT(o.reads < 8 * o.stepsTotal + 200);
    EXPECT(o.widestBracketNs <= 2000000);
  });

  Run("the grid changes (100 ms, then 60 ms from 5 s): it is relearnt, missing at most the steps at the change", [] {
    auto changing = [](int64_t t) {
      if (t < 5037000000) return Grid100(t);
      return Grid100(5037000000) + (t - 5037000000) / 60000000;
    };
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 3000000, 10000000000, changing);
    // A step that comes before its window opens is read together with the next one, once.
    EXPECT(o.stepsSeen >= o.stepsTotal - 1);
    EXPECT(o.learnt);
    EXPECT(std::llabs(o.periodNs - 60000000) < 2000000);
  });

  Run("around steps on a busy machine (late ticks): late reads keep the learnt grid and its phase", [] {
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 3000000, 10000000000, Grid100, BusyLateNs, NextStep100);
    EXPECT(o.learnt);
    // A late first read in a window finds the step it expected: the grid is not forgotten for it,
    // and the expected step stays on the grid (a wide bracket's midpoint does not move it). Only a
    // run of late reads around four steps in a row looks like a drifted grid (once here).
    EXPECT(o.relearns <= 2);
    // A step left out by a late read does not hold learning up: learnt from the first few steps.
    EXPECT(o.learntAtNs >= 0 && o.learntAtNs < 1000000000);
    EXPECT(o.worstPhaseErrorNs < CounterSchedule::kNarrowBracketNs / 2);
    EXPECT(o.reads < 6 * o.stepsTotal + 200);
  });

  Run("a counter that stops stepping is still read every second", [] {
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 3000000, 10000000000,
                         [](int64_t t) { return t < 2037000000 ? Grid100(t) : Grid100(2037000000); });
    EXPECT(o.reads >= 8);
    EXPECT(o.stepsSeen == o.stepsTotal);
  });

  Run("sparse steps, 3 ms reads: learnt (2 s around every step), then one step in twenty, by about three reads", [] {
    Outcome o = Simulate(CounterReads::kSparseSteps, 1000000, 3000000, 10000000000, Grid100);
    EXPECT(o.learnt);
    EXPECT(std::llabs(o.periodNs - 100000000) < 2000000);
    EXPECT(o.relearns == 0);
    // About 2.5 s learning and reading around each step (~110 reads), then a window every
    // kSparseSpacingNs (2 s: three or four windows in the 7.5 s left).
    int64_t windowsAtLeast = 7500000000 / CounterSchedule::kSparseSpacingNs - 1;
    int64_t windowsAtMost = 7500000000 / CounterSchedule::kSparseSpacingNs + 1;
    std::printf("  reads %d, steps seen %d of %d\n", o.reads, o.stepsSeen, o.stepsTotal);
    EXPECT(o.stepsSeen >= 2 + 20 + windowsAtLeast);
    EXPECT(o.reads < 110 + 5 * windowsAtMost + 60);
    EXPECT(o.widestBracketNs <= CounterSchedule::kNarrowBracketNs);
  });

  Run("sparse steps, two GPUs: their windows fall on different steps (a driver may serialize their reads)", [] {
    CounterSchedule first(CounterReads::kSparseSteps, 0);
    CounterSchedule second(CounterReads::kSparseSteps, 1);
    int64_t now = 0;
    std::vector<int64_t> windowsFirst;
    std::vector<int64_t> windowsSecond;
    while (now < 10000000000) {
      for (CounterSchedule* s : {&first, &second}) {
        if (!s->ShouldRead(now)) continue;
        s->Observe(now, now + 3000000, static_cast<double>(Grid100(now)) * 1000.0);
        if (s->lastWasBaseline()) (s == &first ? windowsFirst : windowsSecond).push_back(now);
        now += 3000000;
      }
      now += 1000000 - (now % 1000000);
    }
    EXPECT(windowsFirst.size() >= 3 && windowsSecond.size() >= 3);
    for (int64_t a : windowsFirst)
      for (int64_t b : windowsSecond) EXPECT(std::llabs(a - b) > 50000000);
  });

  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
