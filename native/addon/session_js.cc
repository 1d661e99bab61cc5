// JS functions over an NVML session: open/close, library info, device queries.
// Flat and handle-based; the idiomatic classes live in TypeScript.
#include <cmath>

#include "../core/clock.h"
#include "../nvml/nvml_codes.h"
#include "env_state.h"

namespace wattscope {
namespace {

using SessionPtr = std::shared_ptr<SessionCore>;

SessionCore* Unwrap(const Napi::CallbackInfo& info) {
  SessionPtr* data = HandleData<SessionCore>(info.Env(), info[0], kSessionHandleTag, "an NVML session handle");
  if (data == nullptr) return nullptr;
  SessionCore* s = data->get();
  if (s->closed()) {
    ThrowUsage(info.Env(), "WATTSCOPE_CLOSED", "the NVML session is closed");
    return nullptr;
  }
  return s;
}

bool IndexArg(const Napi::CallbackInfo& info, size_t pos, unsigned int* out) {
  if (info.Length() <= pos || !info[pos].IsNumber()) {
    ThrowUsage(info.Env(), "WATTSCOPE_INVALID_ARGUMENT", "expected a device index");
    return false;
  }
  double d = info[pos].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 4096) {
    ThrowUsage(info.Env(), "WATTSCOPE_INVALID_ARGUMENT", "device index must be a non-negative integer");
    return false;
  }
  *out = static_cast<unsigned int>(d);
  return true;
}

// The cached handle of device `index`; throws NvmlError on failure.
bool Device(Napi::Env env, SessionCore* s, unsigned int index, nvmlDevice_t* out) {
  if (index < s->handles.size() && s->handles[index] != nullptr) {
    *out = s->handles[index];
    return true;
  }
  Query<nvmlDevice_t> h = s->queries->HandleByIndex(index);
  if (!h.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{h.ret, h.function, static_cast<int>(index), ""});
    return false;
  }
  if (s->handles.size() <= index) s->handles.resize(index + 1, nullptr);
  s->handles[index] = h.value;
  *out = h.value;
  return true;
}

// Sets obj[key] to the query's value, or null and errors[key] = code name.
template <typename T, typename Conv>
void Put(Napi::Env env, Napi::Object obj, Napi::Object errors, const char* key, const Query<T>& q, Conv conv) {
  if (q.ok()) {
    obj.Set(key, conv(q.value));
  } else {
    obj.Set(key, env.Null());
    errors.Set(key, NvmlReturnName(q.ret));
  }
}

bool Fatal(int ret) { return ret == NVML_ERROR_GPU_IS_LOST || ret == NVML_ERROR_UNINITIALIZED; }

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (info.Length() >= 1 && info[0].IsString()) path = info[0].As<Napi::String>().Utf8Value();
  NvmlFailure failure;
  std::shared_ptr<NvmlLibrary> lib = NvmlLibrary::Open(path, &failure);
  if (!lib) {
    ThrowNvml(env, nullptr, failure);
    return env.Undefined();
  }
  auto core = std::make_shared<SessionCore>();
  core->queries.reset(new DeviceQueries(*lib));
  core->lib = std::move(lib);
  GetEnvState(env)->AddSession(core);
  return NewHandle(env, core, kSessionHandleTag);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  SessionPtr* data = HandleData<SessionCore>(info.Env(), info[0], kSessionHandleTag, "an NVML session handle");
  if (data != nullptr) data->get()->Close();
  return info.Env().Undefined();
}

Napi::Value LibraryInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  if (s == nullptr) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  out.Set("path", s->lib->path());
  Put(env, out, errors, "driverVersion", s->queries->DriverVersion(),
      [&](const std::string& v) { return Napi::String::New(env, v); });
  Put(env, out, errors, "nvmlVersion", s->queries->NvmlVersion(),
      [&](const std::string& v) { return Napi::String::New(env, v); });
  Napi::Array bound = Napi::Array::New(env);
  for (size_t i = 0; i < s->lib->boundSymbols().size(); ++i) bound.Set(i, s->lib->boundSymbols()[i]);
  Napi::Array missing = Napi::Array::New(env);
  for (size_t i = 0; i < s->lib->missingSymbols().size(); ++i) missing.Set(i, s->lib->missingSymbols()[i]);
  out.Set("boundSymbols", bound);
  out.Set("missingSymbols", missing);
  out.Set("errors", errors);
  return out;
}

Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  if (s == nullptr) return env.Undefined();
  Query<unsigned int> n = s->queries->Count();
  if (!n.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{n.ret, n.function, -1, ""});
    return env.Undefined();
  }
  return Napi::Number::New(env, n.value);
}

Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  unsigned int index;
  nvmlDevice_t d;
  if (s == nullptr || !IndexArg(info, 1, &index) || !Device(env, s, index, &d)) return env.Undefined();
  const DeviceQueries& q = *s->queries;
  Napi::Object out = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  out.Set("index", index);
  auto str = [&](const std::string& v) { return Napi::String::New(env, v); };
  auto num = [&](double v) { return Napi::Number::New(env, v); };
  Query<std::string> name = q.Name(d);
  if (Fatal(name.ret)) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{name.ret, name.function, static_cast<int>(index), ""});
    return env.Undefined();
  }
  Put(env, out, errors, "name", name, str);
  Put(env, out, errors, "uuid", q.Uuid(d), str);
  Put(env, out, errors, "pciBusId", q.PciBusId(d), str);
  Put(env, out, errors, "architecture", q.Architecture(d), [&](unsigned int v) { return num(v); });
  Query<nvmlMemory_t> mem = q.Memory(d);
  Put(env, out, errors, "memoryTotalBytes", mem,
      [&](const nvmlMemory_t& m) { return num(static_cast<double>(m.total)); });
  Put(env, out, errors, "powerLimitMw", q.PowerLimitMw(d), [&](unsigned int v) { return num(v); });
  out.Set("errors", errors);
  return out;
}

Napi::Value DeviceStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  unsigned int index;
  nvmlDevice_t d;
  if (s == nullptr || !IndexArg(info, 1, &index) || !Device(env, s, index, &d)) return env.Undefined();
  const DeviceQueries& q = *s->queries;
  auto num = [&](double v) { return Napi::Number::New(env, v); };
  Napi::Object out = Napi::Object::New(env);
  Napi::Object errors = Napi::Object::New(env);
  out.Set("timestampNs", Napi::BigInt::New(env, static_cast<int64_t>(MonotonicNowNs())));
  // An optional third argument `false` leaves the energy counter unread (a real H200 takes ~3 ms
  // to read it: the exporter takes it from the sampler instead); the first query made then tells a
  // lost GPU.
  bool readCounter = info.Length() < 3 || !info[2].IsBoolean() || info[2].As<Napi::Boolean>().Value();
  Query<unsigned int> averagePower = q.AveragePowerMwWithFallback(d);
  if (readCounter) {
    Query<double> energy = q.EnergyMjWithFallback(d);
    if (Fatal(energy.ret)) {
      ThrowNvml(env, s->lib.get(), NvmlFailure{energy.ret, energy.function, static_cast<int>(index), ""});
      return env.Undefined();
    }
    Put(env, out, errors, "energyMj", energy, num);
  } else if (Fatal(averagePower.ret)) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{averagePower.ret, averagePower.function, static_cast<int>(index), ""});
    return env.Undefined();
  }
  Put(env, out, errors, "powerMw", averagePower, [&](unsigned int v) { return num(v); });
  Put(env, out, errors, "instantPowerMw", q.InstantPowerMw(d), num);
  Put(env, out, errors, "averagePowerFieldMw", q.AveragePowerFieldMw(d), num);
  Put(env, out, errors, "temperatureC", q.TemperatureC(d), [&](int v) { return num(v); });
  Put(env, out, errors, "smClockMhz", q.ClockMhz(d, NVML_CLOCK_SM), [&](unsigned int v) { return num(v); });
  Put(env, out, errors, "memClockMhz", q.ClockMhz(d, NVML_CLOCK_MEM), [&](unsigned int v) { return num(v); });
  Query<nvmlUtilization_t> util = q.Utilization(d);
  Put(env, out, errors, "utilizationGpuPct", util, [&](const nvmlUtilization_t& u) { return num(u.gpu); });
  Put(env, out, errors, "utilizationMemoryPct", util, [&](const nvmlUtilization_t& u) { return num(u.memory); });
  Query<nvmlMemory_t> mem = q.Memory(d);
  Put(env, out, errors, "memoryUsedBytes", mem,
      [&](const nvmlMemory_t& m) { return num(static_cast<double>(m.used)); });
  out.Set("errors", errors);
  return out;
}

// The hot single-value reads throw NvmlError on failure.
template <typename T>
Napi::Value Single(const Napi::CallbackInfo& info, Query<T> (DeviceQueries::*fn)(nvmlDevice_t) const) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  unsigned int index;
  nvmlDevice_t d;
  if (s == nullptr || !IndexArg(info, 1, &index) || !Device(env, s, index, &d)) return env.Undefined();
  Query<T> r = ((*s->queries).*fn)(d);
  if (!r.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{r.ret, r.function, static_cast<int>(index), ""});
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(r.value));
}

Napi::Value ReadEnergyMj(const Napi::CallbackInfo& info) { return Single(info, &DeviceQueries::EnergyMjWithFallback); }
Napi::Value ReadPowerMw(const Napi::CallbackInfo& info) { return Single(info, &DeviceQueries::PowerUsageMw); }
Napi::Value ReadInstantPowerMw(const Napi::CallbackInfo& info) { return Single(info, &DeviceQueries::InstantPowerMw); }

Napi::Value PowerSamples(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  unsigned int index;
  nvmlDevice_t d;
  if (s == nullptr || !IndexArg(info, 1, &index) || !Device(env, s, index, &d)) return env.Undefined();
  double since = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  Query<std::vector<PowerSample>> r = s->queries->PowerSamples(d, static_cast<unsigned long long>(since));
  if (!r.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{r.ret, r.function, static_cast<int>(index), ""});
    return env.Undefined();
  }
  size_t n = r.value.size();
  Napi::Float64Array ts = Napi::Float64Array::New(env, n);
  Napi::Float64Array mw = Napi::Float64Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    ts[i] = static_cast<double>(r.value[i].timestampUs);
    mw[i] = r.value[i].powerMw;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("timestampsUs", ts);
  out.Set("powerMw", mw);
  return out;
}

Napi::Value IndexByUuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionCore* s = Unwrap(info);
  if (s == nullptr) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsString()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "expected a UUID string");
    return env.Undefined();
  }
  bool mig = false;
  Query<unsigned int> r = s->queries->IndexByUuid(info[1].As<Napi::String>().Utf8Value(), &mig);
  if (!r.ok()) {
    ThrowNvml(env, s->lib.get(), NvmlFailure{r.ret, r.function, -1, ""});
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("index", r.value);
  out.Set("mig", mig);
  return out;
}

}  // namespace

void RegisterSession(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("libraryInfo", Napi::Function::New(env, LibraryInfo, "libraryInfo"));
  exports.Set("deviceCount", Napi::Function::New(env, DeviceCount, "deviceCount"));
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo, "deviceInfo"));
  exports.Set("deviceStatus", Napi::Function::New(env, DeviceStatus, "deviceStatus"));
  exports.Set("readEnergyMj", Napi::Function::New(env, ReadEnergyMj, "readEnergyMj"));
  exports.Set("readPowerMw", Napi::Function::New(env, ReadPowerMw, "readPowerMw"));
  exports.Set("readInstantPowerMw", Napi::Function::New(env, ReadInstantPowerMw, "readInstantPowerMw"));
  exports.Set("powerSamples", Napi::Function::New(env, PowerSamples, "powerSamples"));
  exports.Set("indexByUuid", Napi::Function::New(env, IndexByUuid, "indexByUuid"));
}

}  // namespace wattscope
