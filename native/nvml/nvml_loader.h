// Run-time loading of NVML: dlopen (LoadLibrary on Windows) plus symbol lookup.
//
// Nothing links against NVML at build time. Each NvmlLibrary owns one library
// handle and one balanced nvmlInit/nvmlShutdown pair; NVML and the dynamic
// loader both reference-count, so several instances (worker_threads) coexist.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nvml_types.h"

namespace wattscope {

// A failed NVML call (or a failed load), with enough context to report it.
struct NvmlFailure {
  int ret = NVML_SUCCESS;  // nvmlReturn_t
  std::string function;    // NVML function (or "dlopen"/"dlsym")
  int deviceIndex = -1;    // -1 when not about one device
  std::string detail;      // extra sentence (loader errors)
};

// Resolved entry points. Optional ones are null when the library lacks them.
struct NvmlApi {
  nvmlInit_fn init = nullptr;
  nvmlShutdown_fn shutdown = nullptr;
  nvmlErrorString_fn errorString = nullptr;
  nvmlSystemGetDriverVersion_fn systemGetDriverVersion = nullptr;
  nvmlSystemGetNVMLVersion_fn systemGetNvmlVersion = nullptr;
  nvmlDeviceGetCount_fn deviceGetCount = nullptr;
  nvmlDeviceGetHandleByIndex_fn deviceGetHandleByIndex = nullptr;
  nvmlDeviceGetHandleByUUID_fn deviceGetHandleByUuid = nullptr;
  nvmlDeviceGetIndex_fn deviceGetIndex = nullptr;
  nvmlDeviceGetDeviceHandleFromMigDeviceHandle_fn deviceGetParentOfMig = nullptr;
  nvmlDeviceGetName_fn deviceGetName = nullptr;
  nvmlDeviceGetUUID_fn deviceGetUuid = nullptr;
  nvmlDeviceGetPciInfo_fn deviceGetPciInfo = nullptr;
  bool pciInfoHasBusId = false;  // true for _v2/_v3 (busId[32] filled)
  // An older PCI query to fall back to when the newest one answers NOT_SUPPORTED or NOT_FOUND.
  nvmlDeviceGetPciInfo_fn deviceGetPciInfoOlder = nullptr;
  bool pciInfoOlderHasBusId = false;
  nvmlDeviceGetArchitecture_fn deviceGetArchitecture = nullptr;
  nvmlDeviceGetMemoryInfo_fn deviceGetMemoryInfo = nullptr;
  nvmlDeviceGetEnforcedPowerLimit_fn deviceGetEnforcedPowerLimit = nullptr;
  nvmlDeviceGetTotalEnergyConsumption_fn deviceGetTotalEnergyConsumption = nullptr;
  nvmlDeviceGetPowerUsage_fn deviceGetPowerUsage = nullptr;
  nvmlDeviceGetFieldValues_fn deviceGetFieldValues = nullptr;
  nvmlDeviceGetSamples_fn deviceGetSamples = nullptr;
  nvmlDeviceGetTemperature_fn deviceGetTemperature = nullptr;
  nvmlDeviceGetTemperatureV_fn deviceGetTemperatureV = nullptr;
  nvmlDeviceGetClockInfo_fn deviceGetClockInfo = nullptr;
  nvmlDeviceGetUtilizationRates_fn deviceGetUtilizationRates = nullptr;
  // nvmlDeviceGetCurrentClocksEventReasons, or its older name ...ClocksThrottleReasons (same signature).
  nvmlDeviceGetCurrentClocksEventReasons_fn deviceGetClocksEventReasons = nullptr;
  const char* clocksEventReasonsName = "nvmlDeviceGetCurrentClocksEventReasons";
};

class NvmlLibrary {
 public:
  // Loads NVML from `path` (empty: the platform's default locations), resolves
  // symbols and calls nvmlInit. Returns null and fills `failure` on error.
  static std::shared_ptr<NvmlLibrary> Open(const std::string& path, NvmlFailure* failure);

  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const NvmlApi& api() const { return api_; }
  // The path that was actually loaded.
  const std::string& path() const { return path_; }
  // Which versioned entry point was bound for each versioned function, e.g. "nvmlInit_v2".
  const std::vector<std::string>& boundSymbols() const { return bound_; }
  // Optional symbols the library does not export (their features are disabled).
  const std::vector<std::string>& missingSymbols() const { return missing_; }
  // NVML's own description of a return code, or our code name when unavailable.
  std::string describe(int ret) const;

 private:
  NvmlLibrary() = default;
  void* resolve(const char* const* names, size_t count, const char** boundName);
  bool bindAll(NvmlFailure* failure);

  void* handle_ = nullptr;
  std::string path_;
  NvmlApi api_;
  std::vector<std::string> bound_;
  std::vector<std::string> missing_;
  bool initialized_ = false;
};

}  // namespace wattscope
