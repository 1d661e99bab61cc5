// Per-environment state of the addon (one per main thread or worker): the
// JS-owned error class and weak references to everything open, so the env's
// cleanup hook can close what JS left open. No statics hold per-env state.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../core/device_queries.h"
#include "../core/sampler.h"
#include "../nvml/nvml_loader.h"

namespace wattscope {

// An open NVML session: the library plus cached device handles.
struct SessionCore {
  std::shared_ptr<NvmlLibrary> lib;
  std::unique_ptr<DeviceQueries> queries;
  std::vector<nvmlDevice_t> handles;  // by index, filled lazily
  bool closed() const { return lib == nullptr; }
  void Close() {
    queries.reset();
    lib.reset();
    handles.clear();
  }
};

struct SamplerCore {
  std::unique_ptr<Sampler> sampler;
  void Close() { sampler.reset(); }
};

struct EnvState {
  Napi::FunctionReference errorClass;
  std::vector<std::weak_ptr<SessionCore>> sessions;
  std::vector<std::weak_ptr<SamplerCore>> samplers;

  // Stops every sampler, then closes every session. Called by the cleanup hook.
  void CloseAll() {
    for (auto& w : samplers) {
      if (auto s = w.lock()) s->Close();
    }
    for (auto& w : sessions) {
      if (auto s = w.lock()) s->Close();
    }
    samplers.clear();
    sessions.clear();
  }
};

EnvState* GetEnvState(Napi::Env env);

// Throws the JS-owned NvmlError (or a plain Error with `code` before one is set).
void ThrowNvml(Napi::Env env, const NvmlLibrary* lib, const NvmlFailure& failure);
// Throws a TypeError/Error with a wattscope code (bad handle, closed session).
void ThrowUsage(Napi::Env env, const char* code, const std::string& message);

// Registration of each group of functions.
void RegisterSession(Napi::Env env, Napi::Object exports);
void RegisterSampler(Napi::Env env, Napi::Object exports);

}  // namespace wattscope
