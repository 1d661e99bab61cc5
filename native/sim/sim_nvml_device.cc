// The simulated GPU's device queries: identity, memory, limits, clocks and their
// event reasons, utilisation, temperature, MIG, processes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#if defined(_WIN32)
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include "sim_entry.h"

using namespace wattscope_sim;

SIM_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t h, char* buf, unsigned int len) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetName");
  return ret != NVML_SUCCESS ? ret : CopyString(g_state.config().names[static_cast<size_t>(dev)], buf, len);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t h, char* buf, unsigned int len) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetUUID");
  return ret != NVML_SUCCESS ? ret : CopyString(UuidOf(dev), buf, len);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t h, nvmlMemory_t* mem) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetMemoryInfo");
  if (ret != NVML_SUCCESS) return ret;
  if (mem == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  // What each GPU reports: the measured H200 150754820096 bytes (143772 MiB, its recording's
  // devices --sensor), an H100 80GB HBM3 85520809984 (81559 MiB).
  mem->total = g_state.config().h200 ? 150754820096ull : 85520809984ull;
  mem->used = 1073741824ull;
  mem->free = mem->total - mem->used;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t h, unsigned int* mw) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetEnforcedPowerLimit");
  if (ret != NVML_SUCCESS) return ret;
  if (mw == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *mw = 700000;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t h, int type, unsigned int* mhz) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetClockInfo");
  if (ret != NVML_SUCCESS) return ret;
  if (mhz == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  bool busy = g_state.PowerW(static_cast<unsigned int>(dev), now) > g_state.config().idleW + 20;
  if (type == NVML_CLOCK_MEM)
    *mhz = 2619;
  else if (type == NVML_CLOCK_SM || type == NVML_CLOCK_GRAPHICS)
    *mhz = busy ? 1980 : 345;
  else
    return NVML_ERROR_INVALID_ARGUMENT;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t h, nvmlUtilization_t* u) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetUtilizationRates");
  if (ret != NVML_SUCCESS) return ret;
  if (u == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  double w = g_state.AverageW(static_cast<unsigned int>(dev), now, 100000000);
  double frac = (w - g_state.config().idleW) / (700.0 - g_state.config().idleW);
  u->gpu = static_cast<unsigned int>(std::lround(std::clamp(frac, 0.0, 1.0) * 100));
  u->memory = u->gpu / 2;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t h, int sensor, unsigned int* c) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetTemperature");
  if (ret != NVML_SUCCESS) return ret;
  if (c == nullptr || sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  // Temperature follows the last second's power: about 35 C idle, 75 C at 700 W; 87 C once the
  // thermal_after= fault has begun.
  *c = g_state.ThermalSlowdown(now)
           ? 87u
           : static_cast<unsigned int>(
                 std::lround(30.5 + 0.0635 * g_state.AverageW(static_cast<unsigned int>(dev), now, 1000000000)));
  return NVML_SUCCESS;
}

#ifndef WATTSCOPE_SIM_LEGACY
SIM_EXPORT nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t h, nvmlTemperature_v1_t* t) {
  if (t == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (t->version != nvmlTemperature_v1) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  if (int refused = g_state.Refusal("nvmlDeviceGetTemperatureV")) return static_cast<nvmlReturn_t>(refused);
  unsigned int c = 0;
  int ret = nvmlDeviceGetTemperature(h, t->sensorType, &c);
  if (ret == NVML_SUCCESS) t->temperature = static_cast<int>(c);
  return ret;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t h, unsigned int* arch) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetArchitecture");
  if (ret != NVML_SUCCESS) return ret;
  if (arch == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *arch = NVML_DEVICE_ARCH_HOPPER;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  if (uuid == nullptr || device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (unsigned int i = 0; i < g_state.count(); ++i) {
    if (UuidOf(static_cast<int>(i)) == uuid) {
      *device = reinterpret_cast<nvmlDevice_t>(&g_handles[i]);
      return NVML_SUCCESS;
    }
  }
  const auto& mig = g_state.config().mig;
  for (size_t k = 0; k < mig.size() && k < 32; ++k) {
    if (mig[k].first == uuid) {
      *device = reinterpret_cast<nvmlDevice_t>(&g_handles[kMigHandleBase + k]);
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig, nvmlDevice_t* parent) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  const char* p = reinterpret_cast<const char*>(mig);
  size_t k = static_cast<size_t>(p - (g_handles + kMigHandleBase));
  if (p < g_handles + kMigHandleBase || p >= g_handles + 64 || k >= g_state.config().mig.size() || parent == nullptr)
    return NVML_ERROR_INVALID_ARGUMENT;
  unsigned int idx = g_state.config().mig[k].second;
  if (idx >= g_state.count()) return NVML_ERROR_NOT_FOUND;
  *parent = reinterpret_cast<nvmlDevice_t>(&g_handles[idx]);
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t h, unsigned int* index) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetIndex");
  if (ret != NVML_SUCCESS) return ret;
  if (index == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *index = static_cast<unsigned int>(dev);
  return NVML_SUCCESS;
}

#endif  // WATTSCOPE_SIM_LEGACY

// ---- What tools such as nvidia-smi and NVIDIA's Python binding query first ----

SIM_EXPORT nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t h, unsigned int* mw) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetPowerManagementLimit");
  if (ret != NVML_SUCCESS) return ret;
  if (mw == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *mw = 700000;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t h, int* pState) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetPerformanceState");
  if (ret != NVML_SUCCESS) return ret;
  if (pState == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *pState = 0;  // P0: an H100 with persistence mode on stays in P0, idle or busy
  return NVML_SUCCESS;
}

// Why the clocks are below their maximum now (nvmlClocksEventReason* bits): idle near the idle
// power, the software power cap within 2% of the 700 W limit, thermal slowdown under the fault.
static nvmlReturn_t ClocksEventReasons(nvmlDevice_t h, unsigned long long* reasons, const char* query) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, query);
  if (ret != NVML_SUCCESS) return ret;
  if (reasons == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  double w = g_state.PowerW(static_cast<unsigned int>(dev), now);
  unsigned long long bits = 0;
  if (w <= g_state.config().idleW + 20) bits |= NVML_CLOCKS_EVENT_REASON_GPU_IDLE;
  if (w >= 0.98 * 700.0) bits |= NVML_CLOCKS_EVENT_REASON_SW_POWER_CAP;
  if (g_state.ThermalSlowdown(now)) bits |= NVML_CLOCKS_EVENT_REASON_SW_THERMAL_SLOWDOWN;
  *reasons = bits;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t h, unsigned long long* reasons) {
  return ClocksEventReasons(h, reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
}

// The processes using the GPU: the process that loaded this library, holding 1 GiB.
template <typename Info>
static nvmlReturn_t RunningProcesses(nvmlDevice_t h, unsigned int* count, Info* infos, const char* query) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, query);
  if (ret != NVML_SUCCESS) return ret;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const unsigned int available = 1;
  if (infos == nullptr || *count < available) {
    *count = available;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  Info info{};
  info.pid = static_cast<unsigned int>(getpid());
  info.usedGpuMemory = 1073741824ull;
  if constexpr (sizeof(Info) == sizeof(nvmlProcessInfo_t)) {
    info.gpuInstanceId = 0xFFFFFFFFu;  // not a MIG instance
    info.computeInstanceId = 0xFFFFFFFFu;
  }
  infos[0] = info;
  *count = available;
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t h, unsigned int* count,
                                                             nvmlProcessInfo_v1_t* infos) {
  return RunningProcesses(h, count, infos, "nvmlDeviceGetComputeRunningProcesses");
}

#ifndef WATTSCOPE_SIM_LEGACY
SIM_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t h, unsigned long long* reasons) {
  return ClocksEventReasons(h, reasons, "nvmlDeviceGetCurrentClocksEventReasons");
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t h, unsigned int* count,
                                                                nvmlProcessInfo_t* infos) {
  return RunningProcesses(h, count, infos, "nvmlDeviceGetComputeRunningProcesses_v2");
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t h, unsigned int* count,
                                                                nvmlProcessInfo_t* infos) {
  return RunningProcesses(h, count, infos, "nvmlDeviceGetComputeRunningProcesses_v3");
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t h, unsigned int* current, unsigned int* pending) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetMigMode");
  if (ret != NVML_SUCCESS) return ret;
  if (current == nullptr || pending == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto& mig = g_state.config().mig;
  bool enabled =
      std::any_of(mig.begin(), mig.end(), [dev](const auto& m) { return m.second == static_cast<unsigned>(dev); });
  *current = enabled ? 1u : 0u;
  *pending = *current;
  return NVML_SUCCESS;
}
#endif  // WATTSCOPE_SIM_LEGACY
