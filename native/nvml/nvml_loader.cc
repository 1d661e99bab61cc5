#include "nvml_loader.h"

#include <algorithm>
#include <cstdlib>

#include "nvml_codes.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace wattscope {
namespace {

void* OpenLibrary(const std::string& path, std::string* error) {
#ifdef _WIN32
  HMODULE h = LoadLibraryA(path.c_str());
  if (h == nullptr) *error = "LoadLibrary failed with error " + std::to_string(GetLastError());
  return reinterpret_cast<void*>(h);
#else
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = dlerror();
    *error = e != nullptr ? e : "dlopen failed";
  }
  return h;
#endif
}

void CloseLibrary(void* handle) {
#ifdef _WIN32
  FreeLibrary(reinterpret_cast<HMODULE>(handle));
#else
  dlclose(handle);
#endif
}

void* FindSymbol(void* handle, const char* name) {
#ifdef _WIN32
  return reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(handle), name));
#else
  return dlsym(handle, name);
#endif
}

std::vector<std::string> DefaultCandidates() {
#ifdef _WIN32
  std::vector<std::string> out;
  const char* windir = std::getenv("WINDIR");
  out.push_back(std::string(windir != nullptr ? windir : "C:\\Windows") + "\\System32\\nvml.dll");
  const char* pf = std::getenv("ProgramFiles");
  out.push_back(std::string(pf != nullptr ? pf : "C:\\Program Files") + "\\NVIDIA Corporation\\NVSMI\\nvml.dll");
  return out;
#else
  return {"libnvidia-ml.so.1", "libnvidia-ml.so"};
#endif
}

template <typename Fn>
void Assign(Fn* slot, void* symbol) {
  *slot = reinterpret_cast<Fn>(symbol);
}

}  // namespace

std::shared_ptr<NvmlLibrary> NvmlLibrary::Open(const std::string& path, NvmlFailure* failure) {
  std::shared_ptr<NvmlLibrary> lib(new NvmlLibrary());
  std::vector<std::string> candidates = path.empty() ? DefaultCandidates() : std::vector<std::string>{path};
  std::string tried;
  for (const std::string& candidate : candidates) {
    std::string error;
    lib->handle_ = OpenLibrary(candidate, &error);
    if (lib->handle_ != nullptr) {
      lib->path_ = candidate;
      break;
    }
    if (!tried.empty()) tried += "; ";
    tried += candidate + ": " + error;
  }
  if (lib->handle_ == nullptr) {
    failure->ret = NVML_ERROR_LIBRARY_NOT_FOUND;
    failure->function = "dlopen";
    failure->detail = "NVML was not found (tried " + tried +
                      "). Install the NVIDIA driver, set WATTSCOPE_NVML_LIBRARY to the path of "
                      "libnvidia-ml.so.1, or use the simulated GPU (--simulate).";
    return nullptr;
  }
  if (!lib->bindAll(failure)) return nullptr;
  int ret = lib->api_.init();
  if (ret != NVML_SUCCESS) {
    failure->ret = ret;
    failure->function = lib->bound_.empty() ? "nvmlInit" : lib->bound_.front();
    failure->detail = "nvmlInit failed in " + lib->path_ + ": " + lib->describe(ret) + ".";
    return nullptr;
  }
  lib->initialized_ = true;
  return lib;
}

NvmlLibrary::~NvmlLibrary() {
  if (initialized_ && api_.shutdown != nullptr) api_.shutdown();
  if (handle_ != nullptr) CloseLibrary(handle_);
}

void* NvmlLibrary::resolve(const char* const* names, size_t count, const char** boundName) {
  for (size_t i = 0; i < count; ++i) {
    void* sym = FindSymbol(handle_, names[i]);
    if (sym != nullptr) {
      if (boundName != nullptr) *boundName = names[i];
      return sym;
    }
  }
  return nullptr;
}

bool NvmlLibrary::bindAll(NvmlFailure* failure) {
  struct Entry {
    const char* names[3];
    size_t count;
    bool required;
    void (*assign)(NvmlApi*, void*, const char*);
  };
  // Versioned names first, older fallbacks after them.
  static const Entry kEntries[] = {
      {{"nvmlInit_v2", "nvmlInit"}, 2, true, [](NvmlApi* a, void* s, const char*) { Assign(&a->init, s); }},
      {{"nvmlShutdown"}, 1, true, [](NvmlApi* a, void* s, const char*) { Assign(&a->shutdown, s); }},
      {{"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"},
       2,
       true,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetCount, s); }},
      {{"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"},
       2,
       true,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetHandleByIndex, s); }},
      {{"nvmlErrorString"}, 1, false, [](NvmlApi* a, void* s, const char*) { Assign(&a->errorString, s); }},
      {{"nvmlSystemGetDriverVersion"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->systemGetDriverVersion, s); }},
      {{"nvmlSystemGetNVMLVersion"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->systemGetNvmlVersion, s); }},
      {{"nvmlDeviceGetHandleByUUID"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetHandleByUuid, s); }},
      {{"nvmlDeviceGetIndex"}, 1, false, [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetIndex, s); }},
      {{"nvmlDeviceGetDeviceHandleFromMigDeviceHandle"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetParentOfMig, s); }},
      {{"nvmlDeviceGetName"}, 1, false, [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetName, s); }},
      {{"nvmlDeviceGetUUID"}, 1, false, [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetUuid, s); }},
      {{"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo"},
       3,
       false,
       [](NvmlApi* a, void* s, const char* name) {
         Assign(&a->deviceGetPciInfo, s);
         a->pciInfoHasBusId = std::string(name) != "nvmlDeviceGetPciInfo";
       }},
      {{"nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo"},
       2,
       false,
       [](NvmlApi* a, void* s, const char* name) {
         Assign(&a->deviceGetPciInfoOlder, s);
         a->pciInfoOlderHasBusId = std::string(name) != "nvmlDeviceGetPciInfo";
       }},
      {{"nvmlDeviceGetArchitecture"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetArchitecture, s); }},
      {{"nvmlDeviceGetMemoryInfo"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetMemoryInfo, s); }},
      {{"nvmlDeviceGetEnforcedPowerLimit"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetEnforcedPowerLimit, s); }},
      {{"nvmlDeviceGetTotalEnergyConsumption"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetTotalEnergyConsumption, s); }},
      {{"nvmlDeviceGetPowerUsage"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetPowerUsage, s); }},
      {{"nvmlDeviceGetFieldValues"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetFieldValues, s); }},
      {{"nvmlDeviceGetSamples"}, 1, false, [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetSamples, s); }},
      {{"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"},
       2,
       false,
       [](NvmlApi* a, void* s, const char* name) {
         Assign(&a->deviceGetClocksEventReasons, s);
         a->clocksEventReasonsName = name;
       }},
      {{"nvmlDeviceGetTemperatureV"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetTemperatureV, s); }},
      {{"nvmlDeviceGetTemperature"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetTemperature, s); }},
      {{"nvmlDeviceGetClockInfo"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetClockInfo, s); }},
      {{"nvmlDeviceGetUtilizationRates"},
       1,
       false,
       [](NvmlApi* a, void* s, const char*) { Assign(&a->deviceGetUtilizationRates, s); }},
  };
  for (const Entry& e : kEntries) {
    const char* boundName = nullptr;
    void* sym = resolve(e.names, e.count, &boundName);
    if (sym == nullptr) {
      if (e.required) {
        failure->ret = NVML_ERROR_FUNCTION_NOT_FOUND;
        failure->function = e.names[0];
        failure->detail =
            path_ + " does not export " + e.names[0] + " (nor an older version of it); it is not a usable NVML.";
        return false;
      }
      missing_.push_back(e.names[0]);
      continue;
    }
    e.assign(&api_, sym, boundName);
    // Listed once, even where a fallback entry binds the same symbol as the primary one.
    if (e.count > 1 && std::find(bound_.begin(), bound_.end(), std::string(boundName)) == bound_.end())
      bound_.push_back(boundName);
  }
  return true;
}

std::string NvmlLibrary::describe(int ret) const {
  if (api_.errorString != nullptr) {
    const char* s = api_.errorString(ret);
    if (s != nullptr) return s;
  }
  return NvmlReturnName(ret);
}

}  // namespace wattscope
