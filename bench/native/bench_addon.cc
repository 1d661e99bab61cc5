// The benchmarks' own addon, built by bench/run.js from bench/native/binding.gyp and never shipped:
// baselines measured in C++ with no JS per call, to set the production addon's costs against.
//   readEnergyLoop(libraryPath, gpuIndex, iterations) -> total ns for `iterations` counter reads
//   wakeFloor(hz, ms) -> % of a core used by a bare thread that only wakes `hz` times a second
#include <napi.h>

#include <memory>
#include <string>
#include <thread>

#include "../../native/core/clock.h"
#include "../../native/core/device_queries.h"
#include "../../native/core/sampler.h"
#include "../../native/nvml/nvml_loader.h"
#if defined(__linux__)
#include <time.h>
#endif

namespace wattscope {
namespace {

Napi::Value Fail(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ReadEnergyLoop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    return Fail(env, "readEnergyLoop(libraryPath, gpuIndex, iterations)");
  }
  NvmlFailure failure;
  std::shared_ptr<NvmlLibrary> lib = NvmlLibrary::Open(info[0].As<Napi::String>().Utf8Value(), &failure);
  if (!lib) return Fail(env, "NVML could not be opened: " + failure.function + " " + failure.detail);
  DeviceQueries queries(*lib);
  Query<nvmlDevice_t> handle = queries.HandleByIndex(info[1].As<Napi::Number>().Uint32Value());
  if (!handle.ok()) return Fail(env, "no such GPU");
  const int64_t iterations = info[2].As<Napi::Number>().Int64Value();
  double sink = 0;
  const int64_t startNs = MonotonicNowNs();
  for (int64_t i = 0; i < iterations; ++i) sink += queries.TotalEnergyMj(handle.value).value;
  const int64_t endNs = MonotonicNowNs();
  if (sink < 0) return env.Null();  // keeps the loop from being optimised away
  return Napi::Number::New(env, static_cast<double>(endNs - startNs));
}

Napi::Value WakeFloor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) return Fail(env, "wakeFloor(hz, ms)");
  const double hz = info[0].As<Napi::Number>().DoubleValue();
  const double ms = info[1].As<Napi::Number>().DoubleValue();
  if (!(hz > 0) || !(ms > 0)) return Fail(env, "wakeFloor: hz and ms must be positive");
  double cpuNs = 0;
  double wallNs = 0;
  std::thread waker([&] {
    const int64_t periodNs = static_cast<int64_t>(1e9 / hz);
    const int64_t startNs = MonotonicNowNs();
    const int64_t endNs = startNs + static_cast<int64_t>(ms * 1e6);
    for (int64_t next = startNs + periodNs; next < endNs; next += periodNs) SleepUntilNs(next);
#if defined(__linux__)
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    cpuNs = static_cast<double>(cpu.tv_sec) * 1e9 + static_cast<double>(cpu.tv_nsec);
#endif
    wallNs = static_cast<double>(MonotonicNowNs() - startNs);
  });
  waker.join();
  return Napi::Number::New(env, wallNs > 0 ? 100.0 * cpuNs / wallNs : 0);
}

// emptyCall(): does nothing, returns undefined: the floor of any addon call.
Napi::Value EmptyCall(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("emptyCall", Napi::Function::New(env, EmptyCall, "emptyCall"));
  exports.Set("readEnergyLoop", Napi::Function::New(env, ReadEnergyLoop, "readEnergyLoop"));
  exports.Set("wakeFloor", Napi::Function::New(env, WakeFloor, "wakeFloor"));
  return exports;
}

}  // namespace
}  // namespace wattscope

static Napi::Object InitBench(Napi::Env env, Napi::Object exports) { return wattscope::Init(env, exports); }

NODE_API_MODULE(wattscope_bench, InitBench)
