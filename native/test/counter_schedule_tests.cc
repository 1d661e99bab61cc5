// Unit tests of the counter read schedule on synthetic counters (no driver, no wall clock): a
// counter stepping on a grid, reads of a given duration on ticks of a given period. Built by CMake
// (also under ASan/UBSan) and run by ctest. Prints "N passed, N failed".
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>

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
};

// Ticks every tickNs for durationNs; the counter steps every periodNs(t) from phaseNs; each read
// takes readNs and returns the value at its start. Read ticks start where the last read ended.
Outcome Simulate(CounterReads mode, int64_t tickNs, int64_t readNs, int64_t durationNs,
                 const std::function<int64_t(int64_t)>& stepsBefore) {
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
      if (value != lastValue) {
        ++out.stepsSeen;
        if (schedule.learnt() && lastReadStart >= 0 && end - lastReadStart > out.widestBracketNs &&
            now > durationNs / 2)
          out.widestBracketNs = end - lastReadStart;
      }
      lastValue = value;
      lastReadStart = now;
      now = end;
    }
    now += tickNs - (now % tickNs);
  }
  out.stepsTotal = static_cast<int>(stepsBefore(durationNs)) + 1;
  out.learnt = schedule.learnt();
  out.periodNs = schedule.periodNs();
  return out;
}

int64_t Grid100(int64_t t) { return t < 37000000 ? 0 : (t - 37000000) / 100000000 + 1; }

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
    EXPECT(o.reads < 6 * o.stepsTotal + 200);
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

  Run("a counter that stops stepping is still read every second", [] {
    Outcome o = Simulate(CounterReads::kAroundSteps, 1000000, 3000000, 10000000000,
                         [](int64_t t) { return t < 2037000000 ? Grid100(t) : Grid100(2037000000); });
    EXPECT(o.reads >= 8);
    EXPECT(o.stepsSeen == o.stepsTotal);
  });

  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
