// Benchmark baseline: an NVML query called from C++ in a tight loop, with no JS
// per call, to compare the addon's per-call cost against (bench/, not tests).
#include <thread>

#include "../core/clock.h"
#include "../core/sampler.h"
#if defined(__linux__)
#include <time.h>
#endif
#include "env_state.h"

namespace wattscope {
namespace {

using SessionPtr = std::shared_ptr<SessionCore>;

// benchReadEnergyLoop(session, index, iterations) -> total ns for `iterations` counter reads.
Napi::Value BenchReadEnergyLoop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsExternal() || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "benchReadEnergyLoop(session, index, iterations)");
    return env.Undefined();
  }
  SessionCore* s = info[0].As<Napi::External<SessionPtr>>().Data()->get();
  if (s->closed()) {
    ThrowUsage(env, "WATTSCOPE_CLOSED", "the NVML session is closed");
    return env.Undefined();
  }
  Query<nvmlDevice_t> h = s->queries->HandleByIndex(info[1].As<Napi::Number>().Uint32Value());
  if (!h.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{h.ret, h.function, -1, ""});
    return env.Undefined();
  }
  const int64_t n = info[2].As<Napi::Number>().Int64Value();
  double sink = 0;
  const int64_t t0 = MonotonicNowNs();
  for (int64_t i = 0; i < n; ++i) sink += s->queries->TotalEnergyMj(h.value).value;
  const int64_t t1 = MonotonicNowNs();
  if (sink < 0) return env.Null();  // keeps the loop from being optimised away
  return Napi::Number::New(env, static_cast<double>(t1 - t0));
}

// benchWakeFloor(hz, ms) -> % of a core used by a bare thread that only wakes `hz` times a second:
// the platform's floor for any sampler at that rate.
Napi::Value BenchWakeFloor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "benchWakeFloor(hz, ms)");
    return env.Undefined();
  }
  const double hz = info[0].As<Napi::Number>().DoubleValue();
  const double ms = info[1].As<Napi::Number>().DoubleValue();
  double cpuNs = 0;
  double wallNs = 0;
  std::thread t([&] {
    const int64_t period = static_cast<int64_t>(1e9 / hz);
    const int64_t start = MonotonicNowNs();
    const int64_t end = start + static_cast<int64_t>(ms * 1e6);
    for (int64_t next = start + period; next < end; next += period) SleepUntilNs(next);
#if defined(__linux__)
    struct timespec c;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    cpuNs = static_cast<double>(c.tv_sec) * 1e9 + static_cast<double>(c.tv_nsec);
#endif
    wallNs = static_cast<double>(MonotonicNowNs() - start);
  });
  t.join();
  return Napi::Number::New(env, wallNs > 0 ? 100.0 * cpuNs / wallNs : 0);
}

}  // namespace

void RegisterBench(Napi::Env env, Napi::Object exports) {
  exports.Set("benchReadEnergyLoop", Napi::Function::New(env, BenchReadEnergyLoop, "benchReadEnergyLoop"));
  exports.Set("benchWakeFloor", Napi::Function::New(env, BenchWakeFloor, "benchWakeFloor"));
}

}  // namespace wattscope
