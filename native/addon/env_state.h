// Per-environment state of the addon (one per main thread or worker): the
// JS-owned error class and weak references to everything open, so the env's
// cleanup hook can close what JS left open. No statics hold per-env state.
#pragma once

#include <napi.h>

#include <algorithm>
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
  bool finished() const { return closed(); }
  void Close() {
    queries.reset();
    lib.reset();
    handles.clear();
  }
};

struct SamplerCore {
  std::unique_ptr<Sampler> sampler;
  bool finished() const { return sampler == nullptr; }
  void Close() { sampler.reset(); }
};

// Type tags of the two kinds of handle (constants, not per-env state): a sampler handle passed
// where a session is expected, or any other External, is refused instead of being reinterpreted.
inline constexpr napi_type_tag kSessionHandleTag = {0x5a1d0001c0ffee01ULL, 0x7761747473636f70ULL};
inline constexpr napi_type_tag kSamplerHandleTag = {0x5a1d0002c0ffee02ULL, 0x7761747473636f70ULL};

// Drops the entries with nothing left to clean up (collected, or already closed), so the lists do
// not only grow.
template <typename T>
void PruneFinished(std::vector<std::weak_ptr<T>>* list) {
  list->erase(std::remove_if(list->begin(), list->end(),
                             [](const std::weak_ptr<T>& w) {
                               auto core = w.lock();
                               return !core || core->finished();
                             }),
              list->end());
}

struct EnvState {
  Napi::FunctionReference errorClass;
  std::vector<std::weak_ptr<SessionCore>> sessions;
  std::vector<std::weak_ptr<SamplerCore>> samplers;

  void AddSession(const std::shared_ptr<SessionCore>& session) {
    Prune();
    sessions.push_back(session);
  }
  void AddSampler(const std::shared_ptr<SamplerCore>& sampler) {
    Prune();
    samplers.push_back(sampler);
  }
  void Prune() {
    PruneFinished(&sessions);
    PruneFinished(&samplers);
  }

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

// The core behind a handle of the given tag, or null (and a WATTSCOPE_INVALID_HANDLE error
// thrown when `throwIfNot`) when the value is not such a handle.
template <typename Core>
std::shared_ptr<Core>* HandleData(Napi::Env env, Napi::Value value, const napi_type_tag& tag, const char* what,
                                  bool throwIfNot = true) {
  if (!value.IsExternal() || !value.As<Napi::External<std::shared_ptr<Core>>>().CheckTypeTag(&tag)) {
    if (throwIfNot) ThrowUsage(env, "WATTSCOPE_INVALID_HANDLE", std::string("expected ") + what);
    return nullptr;
  }
  return value.As<Napi::External<std::shared_ptr<Core>>>().Data();
}

// A new handle of the given tag owning a reference to `core`.
template <typename Core>
Napi::Value NewHandle(Napi::Env env, const std::shared_ptr<Core>& core, const napi_type_tag& tag) {
  auto handle = Napi::External<std::shared_ptr<Core>>::New(env, new std::shared_ptr<Core>(core),
                                                           [](Napi::Env, std::shared_ptr<Core>* p) { delete p; });
  handle.TypeTag(&tag);
  return handle;
}

// Registration of each group of functions.
void RegisterSession(Napi::Env env, Napi::Object exports);
void RegisterSampler(Napi::Env env, Napi::Object exports);

}  // namespace wattscope
