// JS functions over the native sampler: start, drain in bulk (typed arrays), stats, stop.
#include <cmath>
#include <string>

#include "../core/rapl.h"
#include "../nvml/nvml_codes.h"
#include "env_state.h"

namespace wattscope {
namespace {

using SessionPtr = std::shared_ptr<SessionCore>;
using SamplerPtr = std::shared_ptr<SamplerCore>;

Sampler* UnwrapSampler(const Napi::CallbackInfo& info) {
  SamplerPtr* data = HandleData<SamplerCore>(info.Env(), info[0], kSamplerHandleTag, "a sampler handle");
  if (data == nullptr) return nullptr;
  SamplerCore* core = data->get();
  if (!core->sampler) {
    ThrowUsage(info.Env(), "WATTSCOPE_CLOSED", "the sampler is stopped");
    return nullptr;
  }
  return core->sampler.get();
}

const char* PowerSourceName(PowerSource p) {
  switch (p) {
    case PowerSource::kInstantField: return "instant";
    case PowerSource::kPowerUsage: return "average-1s";
    case PowerSource::kAverageField: return "average-1s-field";
    default: return "none";
  }
}

const char* CounterReadsName(CounterReads reads) {
  switch (reads) {
    case CounterReads::kAroundSteps: return "around-steps";
    case CounterReads::kSparseSteps: return "sparse";
    default: return "every-tick";
  }
}

const char* EnergySourceName(EnergySource e) {
  switch (e) {
    case EnergySource::kFunction: return "counter";
    case EnergySource::kField: return "counter-field";
    default: return "none";
  }
}

// Reads samplerStart's RAPL argument { zones: [{ id, path, maxEnergyRangeUj }], everyTicks } into
// `config`: the zones as raplZones() found them (not discovered again). False (a
// WATTSCOPE_INVALID_ARGUMENT error thrown) when any is malformed.
bool ParseRaplArgs(Napi::Value arg, SamplerConfig* config, Napi::Env env) {
  Napi::Object rapl = arg.IsObject() ? arg.As<Napi::Object>() : Napi::Object();
  if (!arg.IsObject() || !rapl.Get("zones").IsArray() || !rapl.Get("everyTicks").IsNumber()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart: rapl must be { zones, everyTicks }");
    return false;
  }
  double everyTicks = rapl.Get("everyTicks").As<Napi::Number>().DoubleValue();
  if (!(everyTicks >= 1) || everyTicks != std::floor(everyTicks) || everyTicks > 1e6) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart: rapl.everyTicks must be an integer from 1 to 1e6");
    return false;
  }
  config->raplEveryTicks = static_cast<uint64_t>(everyTicks);
  Napi::Array zones = rapl.Get("zones").As<Napi::Array>();
  for (uint32_t i = 0; i < zones.Length(); ++i) {
    Napi::Value entry = zones.Get(i);
    Napi::Object zone = entry.IsObject() ? entry.As<Napi::Object>() : Napi::Object();
    double range = entry.IsObject() && zone.Get("maxEnergyRangeUj").IsNumber()
                       ? zone.Get("maxEnergyRangeUj").As<Napi::Number>().DoubleValue()
                       : -1;
    if (!entry.IsObject() || !zone.Get("id").IsString() || !zone.Get("path").IsString() || !(range >= 0)) {
      ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT",
                 "samplerStart: rapl.zones[" + std::to_string(i) + "] must be { id, path, maxEnergyRangeUj >= 0 }");
      return false;
    }
    RaplZone parsed;
    parsed.id = zone.Get("id").As<Napi::String>().Utf8Value();
    parsed.path = zone.Get("path").As<Napi::String>().Utf8Value();
    parsed.maxEnergyRangeUj = range;
    config->raplZones.push_back(parsed);
  }
  return true;
}

// Fills `config` from samplerStart's arguments; false (a WATTSCOPE_INVALID_ARGUMENT error thrown)
// when any is wrong. Everything is checked before a thread can start.
bool ParseSamplerArgs(const Napi::CallbackInfo& info, SamplerConfig* config) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[1].IsArray() || !info[2].IsNumber() || !info[3].IsNumber()) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart(session, indices, hz, capacity)");
    return false;
  }
  Napi::Array indices = info[1].As<Napi::Array>();
  if (indices.Length() == 0) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart: indices is empty");
    return false;
  }
  for (uint32_t i = 0; i < indices.Length(); ++i) {
    Napi::Value v = indices.Get(i);
    double index = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(index >= 0) || index != std::floor(index) || index > 4096) {
      ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT",
                 "samplerStart: indices[" + std::to_string(i) + "] is not a GPU index (a non-negative integer)");
      return false;
    }
    config->indices.push_back(static_cast<unsigned int>(index));
  }
  config->hz = info[2].As<Napi::Number>().DoubleValue();
  if (!(config->hz > 0) || !std::isfinite(config->hz) || config->hz > 100000) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart: hz must be a rate above 0 and at most 100000");
    return false;
  }
  double capacity = info[3].As<Napi::Number>().DoubleValue();
  if (!(capacity >= 1) || capacity != std::floor(capacity) || capacity > 1e8) {
    ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT", "samplerStart: capacity must be an integer from 1 to 1e8");
    return false;
  }
  config->capacity = static_cast<size_t>(capacity);
  if (info.Length() >= 6 && !info[5].IsUndefined()) {
    std::string reads = info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "";
    if (reads != "every-tick" && reads != "around-steps" && reads != "sparse" && reads != "auto") {
      ThrowUsage(env, "WATTSCOPE_INVALID_ARGUMENT",
                 "samplerStart: counterReads must be 'every-tick', 'around-steps', 'sparse' or 'auto'");
      return false;
    }
    config->counterReadsAuto = reads == "auto";
    config->counterReads = reads == "around-steps" ? CounterReads::kAroundSteps
                           : reads == "sparse"     ? CounterReads::kSparseSteps
                                                   : CounterReads::kEveryTick;
  }
  return info.Length() < 5 || info[4].IsUndefined() || ParseRaplArgs(info[4], config, env);
}

// samplerStart(session, indices[], hz, capacity, rapl?, counterReads?): counterReads 'auto' picks per GPU
// (SamplerConfig::counterReadsAuto)
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionPtr* sessionData = HandleData<SessionCore>(env, info[0], kSessionHandleTag, "an NVML session handle");
  if (sessionData == nullptr) return env.Undefined();
  SessionCore* session = sessionData->get();
  if (session->closed()) {
    ThrowUsage(env, "WATTSCOPE_CLOSED", "the NVML session is closed");
    return env.Undefined();
  }
  SamplerConfig config;
  if (!ParseSamplerArgs(info, &config)) return env.Undefined();
  NvmlFailure failure;
  std::unique_ptr<Sampler> sampler = Sampler::Start(session->lib, config, &failure);
  if (!sampler) {
    ThrowNvml(env, session->lib.get(), failure);
    return env.Undefined();
  }
  Napi::Array slots = Napi::Array::New(env);
  for (size_t i = 0; i < sampler->slots().size(); ++i) {
    const SamplerSlotInfo& s = sampler->slots()[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", s.index);
    o.Set("powerSource", PowerSourceName(s.powerSource));
    o.Set("hasEnergyCounter", s.hasEnergyCounter);
    o.Set("energySource", EnergySourceName(s.energySource));
    o.Set("hasClocksEventReasons", s.hasClocksEventReasons);
    o.Set("hasDriverSamples", s.hasDriverSamples);
    o.Set("counterReads", CounterReadsName(s.counterReads));
    if (s.hasDriverSamples) {
      o.Set("driverSamplesRefusal", env.Null());
    } else {
      o.Set("driverSamplesRefusal", NvmlReturnName(s.driverSamplesRet));
    }
    slots.Set(static_cast<uint32_t>(i), o);
  }
  auto core = std::make_shared<SamplerCore>();
  core->sampler = std::move(sampler);
  GetEnvState(env)->AddSampler(core);
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", NewHandle(env, core, kSamplerHandleTag));
  out.Set("slots", slots);
  return out;
}

// samplerDrain(sampler) -> per slot { tNs, energyMj, powerMw, energyRet, powerRet, clocksEventTNs,
// clocksEventReasons, driverTNs, driverPowerMw }
Napi::Value Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sampler* sampler = UnwrapSampler(info);
  if (sampler == nullptr) return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  std::vector<SampleRecord> buf;
  std::vector<ClocksEventRecord> clocks;
  std::vector<DriverPowerRecord> driver;
  for (size_t slot = 0; slot < sampler->slots().size(); ++slot) {
    buf.clear();
    clocks.clear();
    driver.clear();
    sampler->Drain(slot, &buf, &clocks);
    sampler->DrainDriverSamples(slot, &driver);
    size_t n = buf.size();
    Napi::BigInt64Array t = Napi::BigInt64Array::New(env, n);
    Napi::Float64Array e = Napi::Float64Array::New(env, n);
    Napi::Float64Array p = Napi::Float64Array::New(env, n);
    Napi::Int32Array er = Napi::Int32Array::New(env, n);
    Napi::Int32Array pr = Napi::Int32Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      t[i] = buf[i].tNs;
      e[i] = buf[i].energyMj;
      p[i] = buf[i].powerMw;
      er[i] = buf[i].energyRet;
      pr[i] = buf[i].powerRet;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("tNs", t);
    o.Set("energyMj", e);
    o.Set("powerMw", p);
    o.Set("energyRet", er);
    o.Set("powerRet", pr);
    Napi::BigInt64Array clocksT = Napi::BigInt64Array::New(env, clocks.size());
    Napi::Float64Array clocksReasons = Napi::Float64Array::New(env, clocks.size());
    for (size_t i = 0; i < clocks.size(); ++i) {
      clocksT[i] = clocks[i].tNs;
      clocksReasons[i] = static_cast<double>(clocks[i].reasons);  // bits up to 2^53 are exact
    }
    o.Set("clocksEventTNs", clocksT);
    o.Set("clocksEventReasons", clocksReasons);
    Napi::BigInt64Array driverT = Napi::BigInt64Array::New(env, driver.size());
    Napi::Float64Array driverPower = Napi::Float64Array::New(env, driver.size());
    for (size_t i = 0; i < driver.size(); ++i) {
      driverT[i] = driver[i].tNs;
      driverPower[i] = driver[i].powerMw;
    }
    o.Set("driverTNs", driverT);
    o.Set("driverPowerMw", driverPower);
    out.Set(static_cast<uint32_t>(slot), o);
  }
  return out;
}

// samplerDrainRapl(sampler) -> { zone, tNs, spanNs, energyUj, errno, dropped }: the RAPL reads since
// the last drain (none when the sampler reads no zone).
Napi::Value DrainRapl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sampler* sampler = UnwrapSampler(info);
  if (sampler == nullptr) return env.Undefined();
  std::vector<RaplRecord> records;
  uint64_t dropped = sampler->rapl() ? sampler->rapl()->Drain(&records) : 0;
  size_t n = records.size();
  Napi::Int32Array zone = Napi::Int32Array::New(env, n);
  Napi::BigInt64Array t = Napi::BigInt64Array::New(env, n);
  Napi::Float64Array span = Napi::Float64Array::New(env, n);
  Napi::Float64Array energy = Napi::Float64Array::New(env, n);
  Napi::Int32Array error = Napi::Int32Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    zone[i] = records[i].zone;
    t[i] = records[i].tNs;
    span[i] = static_cast<double>(records[i].spanNs);
    energy[i] = records[i].energyUj;
    error[i] = records[i].readErrno;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("zone", zone);
  out.Set("tNs", t);
  out.Set("spanNs", span);
  out.Set("energyUj", energy);
  out.Set("errno", error);
  out.Set("dropped", static_cast<double>(dropped));
  return out;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Sampler* sampler = UnwrapSampler(info);
  if (sampler == nullptr) return env.Undefined();
  SamplerStats s = sampler->stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("ticks", static_cast<double>(s.ticks));
  out.Set("lateTicks", static_cast<double>(s.lateTicks));
  out.Set("pollNsTotal", static_cast<double>(s.pollNsTotal));
  out.Set("pollNsMax", static_cast<double>(s.pollNsMax));
  Napi::Array energyReads = Napi::Array::New(env);
  Napi::Array energyReadNsTotal = Napi::Array::New(env);
  Napi::Array counterRelearns = Napi::Array::New(env);
  for (size_t i = 0; i < s.energyReads.size(); ++i) {
    energyReads.Set(static_cast<uint32_t>(i), static_cast<double>(s.energyReads[i]));
    energyReadNsTotal.Set(static_cast<uint32_t>(i), static_cast<double>(s.energyReadNsTotal[i]));
    counterRelearns.Set(static_cast<uint32_t>(i), static_cast<double>(s.counterRelearns[i]));
  }
  out.Set("energyReads", energyReads);
  out.Set("energyReadNsTotal", energyReadNsTotal);
  out.Set("counterRelearns", counterRelearns);
  out.Set("threadCpuNs", static_cast<double>(s.threadCpuNs));
  out.Set("startedNs", Napi::BigInt::New(env, static_cast<int64_t>(s.startedNs)));
  Napi::Array dropped = Napi::Array::New(env);
  for (size_t i = 0; i < s.dropped.size(); ++i)
    dropped.Set(static_cast<uint32_t>(i), static_cast<double>(s.dropped[i]));
  out.Set("dropped", dropped);
  // Per slot, the driver's power samples: drains made, samples taken, the drains' time, ns, samples
  // lost to the stream's capacity, and the latest drain's failure (null when it succeeded).
  Napi::Array driverPolls = Napi::Array::New(env);
  Napi::Array driverSamples = Napi::Array::New(env);
  Napi::Array driverPollNsTotal = Napi::Array::New(env);
  Napi::Array driverDropped = Napi::Array::New(env);
  Napi::Array driverLastError = Napi::Array::New(env);
  for (size_t i = 0; i < sampler->slots().size(); ++i) {
    const DriverPowerStream* stream = sampler->driverStream(i);
    driverPolls.Set(static_cast<uint32_t>(i), static_cast<double>(stream->polls()));
    driverSamples.Set(static_cast<uint32_t>(i), static_cast<double>(stream->samples()));
    driverPollNsTotal.Set(static_cast<uint32_t>(i), static_cast<double>(stream->pollNsTotal()));
    driverDropped.Set(static_cast<uint32_t>(i), static_cast<double>(stream->dropped()));
    if (stream->lastError() == 0) {
      driverLastError.Set(static_cast<uint32_t>(i), env.Null());
    } else {
      driverLastError.Set(static_cast<uint32_t>(i), NvmlReturnName(stream->lastError()));
    }
  }
  out.Set("driverPolls", driverPolls);
  out.Set("driverSamples", driverSamples);
  out.Set("driverPollNsTotal", driverPollNsTotal);
  out.Set("driverDropped", driverDropped);
  out.Set("driverLastError", driverLastError);
  out.Set("running", sampler->running());
  out.Set("raplReads", static_cast<double>(sampler->rapl() ? sampler->rapl()->reads() : 0));
  out.Set("raplReadNsTotal", static_cast<double>(sampler->rapl() ? sampler->rapl()->readNsTotal() : 0));
  return out;
}

Napi::Value Stop(const Napi::CallbackInfo& info) {
  SamplerPtr* data = HandleData<SamplerCore>(info.Env(), info[0], kSamplerHandleTag, "a sampler handle");
  if (data != nullptr) data->get()->Close();
  return info.Env().Undefined();
}

}  // namespace

void RegisterSampler(Napi::Env env, Napi::Object exports) {
  exports.Set("samplerStart", Napi::Function::New(env, Start, "samplerStart"));
  exports.Set("samplerDrain", Napi::Function::New(env, Drain, "samplerDrain"));
  exports.Set("samplerDrainRapl", Napi::Function::New(env, DrainRapl, "samplerDrainRapl"));
  exports.Set("samplerStats", Napi::Function::New(env, Stats, "samplerStats"));
  exports.Set("samplerStop", Napi::Function::New(env, Stop, "samplerStop"));
}

}  // namespace wattscope
