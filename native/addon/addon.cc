// Module registration: per-env state, the error class hand-off and the cleanup hook.
#include <napi.h>

#include "../core/clock.h"
#include "../core/rapl.h"
#include "../nvml/nvml_codes.h"
#include "env_state.h"

namespace wattscope {

EnvState* GetEnvState(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

void ThrowNvml(Napi::Env env, const NvmlLibrary* lib, const NvmlFailure& f) {
  std::string description = lib != nullptr ? lib->describe(f.ret) : NvmlReturnName(f.ret);
  std::string message = !f.detail.empty() ? f.detail
                                          : f.function + " failed" +
                                                (f.deviceIndex >= 0 ? " on GPU " + std::to_string(f.deviceIndex) : "") +
                                                ": " + description + " (" + NvmlReturnName(f.ret) + ")";
  Napi::Object details = Napi::Object::New(env);
  details.Set("code", NvmlReturnName(f.ret));
  details.Set("returnValue", f.ret);
  details.Set("nvmlFunction", f.function);
  details.Set("deviceIndex", f.deviceIndex >= 0 ? Napi::Value(Napi::Number::New(env, f.deviceIndex)) : env.Null());
  EnvState* state = GetEnvState(env);
  if (state != nullptr && !state->errorClass.IsEmpty()) {
    Napi::Value err = state->errorClass.New({Napi::String::New(env, message), details});
    if (env.IsExceptionPending()) return;
    Napi::Error(env, err).ThrowAsJavaScriptException();
    return;
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", details.Get("code"));
  err.ThrowAsJavaScriptException();
}

void ThrowUsage(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Set("code", code);
  err.ThrowAsJavaScriptException();
}

namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowUsage(info.Env(), "WATTSCOPE_INVALID_ARGUMENT", "setErrorClass expects a constructor");
    return info.Env().Undefined();
  }
  GetEnvState(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value NowNs(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<int64_t>(MonotonicNowNs()));
}

// handleCounts() -> { sessions, samplers }: open ones, and the entries the env keeps (tests: pruning).
Napi::Value HandleCounts(const Napi::CallbackInfo& info) {
  EnvState* state = GetEnvState(info.Env());
  size_t openSessions = 0;
  size_t runningSamplers = 0;
  for (auto& w : state->sessions) {
    auto s = w.lock();
    if (s && !s->closed()) ++openSessions;
  }
  for (auto& w : state->samplers) {
    auto s = w.lock();
    if (s && s->sampler) ++runningSamplers;
  }
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("openSessions", static_cast<double>(openSessions));
  out.Set("runningSamplers", static_cast<double>(runningSamplers));
  out.Set("entries", static_cast<double>(state->sessions.size() + state->samplers.size()));
  return out;
}

// raplZones(root) -> [{ id, name, path, package, subzone, maxEnergyRangeUj, readable, errno }]: the
// RAPL zones of a powercap tree (no NVML involved).
Napi::Value RaplZones(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "raplZones(root) expects the powercap directory");
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const RaplZone& zone : DiscoverRaplZones(info[0].As<Napi::String>().Utf8Value())) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", zone.id);
    o.Set("name", zone.name);
    o.Set("path", zone.path);
    o.Set("package", zone.package);
    o.Set("subzone", zone.subzone);
    o.Set("maxEnergyRangeUj", zone.maxEnergyRangeUj);
    o.Set("readable", zone.readable);
    o.Set("errno", zone.readErrno);
    out.Set(i++, o);
  }
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  EnvState* state = new EnvState();
  env.SetInstanceData<EnvState>(state);
  // Close whatever JS left open when this env (main thread or worker) tears down.
  napi_add_env_cleanup_hook(
      env, [](void* arg) { static_cast<EnvState*>(arg)->CloseAll(); }, state);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("nowNs", Napi::Function::New(env, NowNs, "nowNs"));
  exports.Set("handleCounts", Napi::Function::New(env, HandleCounts, "handleCounts"));
  exports.Set("raplZones", Napi::Function::New(env, RaplZones, "raplZones"));
  RegisterSession(env, exports);
  RegisterSampler(env, exports);
  return exports;
}

}  // namespace
}  // namespace wattscope

static Napi::Object InitWattscope(Napi::Env env, Napi::Object exports) { return wattscope::Init(env, exports); }

NODE_API_MODULE(wattscope, InitWattscope)
