// The simulated GPU's NVML entry points: a real shared library exporting the
// subset of NVML that wattscope calls, backed by SimState. Built twice: the
// full library (a current H100 driver) and, with WATTSCOPE_SIM_LEGACY, an old
// driver that lacks the versioned symbols and the newer queries.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "../core/clock.h"
#include "../nvml/nvml_types.h"
#include "sim_state.h"

#if defined(_WIN32)
#define SIM_EXPORT extern "C" __declspec(dllexport)
#else
#define SIM_EXPORT extern "C" __attribute__((visibility("default")))
#endif

using wattscope_sim::SimState;

namespace {

// The simulated driver is process-global, as the real one is.
SimState g_state;
std::mutex g_initMutex;
int g_initCount = 0;
char g_handles[64];  // device i is &g_handles[i]; MIG instance k is &g_handles[32 + k]

constexpr int kMaxDevices = 32;

int DeviceOf(nvmlDevice_t h) {
  const char* p = reinterpret_cast<const char*>(h);
  if (p < g_handles || p >= g_handles + kMaxDevices) return -1;
  int i = static_cast<int>(p - g_handles);
  return i < static_cast<int>(g_state.count()) ? i : -1;
}

// Common checks for a device call; returns NVML_SUCCESS or the error to return.
int Check(nvmlDevice_t h, int* dev, int64_t* now, const char* query) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  *dev = DeviceOf(h);
  if (*dev < 0) return NVML_ERROR_INVALID_ARGUMENT;
  *now = wattscope::MonotonicNowNs();
  if (g_state.Lost(*now)) return NVML_ERROR_GPU_IS_LOST;
  // A query this driver exports but refuses for the device (fault not_supported= / not_found=).
  return g_state.Refusal(query);
}

int CopyString(const std::string& s, char* buf, unsigned int len) {
  if (buf == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (s.size() + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(buf, s.c_str(), s.size() + 1);
  return NVML_SUCCESS;
}

std::string UuidOf(int dev) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "GPU-5a1d0000-%04x-4000-8000-00000000%04x", dev, dev);
  return buf;
}

int PowerFieldReturn() {
  if (g_state.config().noPermission) return NVML_ERROR_NO_PERMISSION;
  if (g_state.config().energyNotSupported) return NVML_ERROR_NOT_SUPPORTED;
  return NVML_SUCCESS;
}

int InitImpl() {
  std::lock_guard<std::mutex> lock(g_initMutex);
  if (g_initCount == 0) {
    std::lock_guard<std::mutex> stateLock(g_state.mutex());
    int ret = g_state.Init();
    if (ret != NVML_SUCCESS) return ret;
  }
  ++g_initCount;
  return NVML_SUCCESS;
}

int CountImpl(unsigned int* count) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *count = g_state.count();
  return NVML_SUCCESS;
}

int HandleImpl(unsigned int index, nvmlDevice_t* device) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  if (device == nullptr || index >= g_state.count()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = reinterpret_cast<nvmlDevice_t>(&g_handles[index]);
  return NVML_SUCCESS;
}

int PciImpl(nvmlDevice_t h, nvmlPciInfo_t* pci, bool withBusId, const char* query) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, query);
  if (ret != NVML_SUCCESS) return ret;
  if (pci == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  char legacy[16];
  std::snprintf(legacy, sizeof(legacy), "0000:%02X:00.0", (0x18 + dev * 0x10) & 0xFF);
  std::memcpy(pci->busIdLegacy, legacy, sizeof(legacy));
  pci->domain = 0;
  pci->bus = static_cast<unsigned int>(0x18 + dev * 0x10);
  pci->device = 0;
  pci->pciDeviceId = 0x233010DE;
  pci->pciSubSystemId = 0x16C110DE;
  if (withBusId) std::snprintf(pci->busId, sizeof(pci->busId), "00000000:%02X:00.0", (0x18 + dev * 0x10) & 0xFF);
  return NVML_SUCCESS;
}

}  // namespace

// The unversioned names, as every driver (old and current) exports them.
SIM_EXPORT nvmlReturn_t nvmlInit(void) { return InitImpl(); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int* c) { return CountImpl(c); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t* d) { return HandleImpl(i, d); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t h, nvmlPciInfo_t* p) {
  return PciImpl(h, p, false, "nvmlDeviceGetPciInfo");
}
#ifndef WATTSCOPE_SIM_LEGACY
// A current driver's versioned names, and nvmlInitWithFlags (NVIDIA's Python binding calls it first).
SIM_EXPORT nvmlReturn_t nvmlInit_v2(void) { return InitImpl(); }
SIM_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int /*flags*/) { return InitImpl(); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* c) { return CountImpl(c); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* d) { return HandleImpl(i, d); }
SIM_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t h, nvmlPciInfo_t* p) {
  return PciImpl(h, p, true, "nvmlDeviceGetPciInfo_v2");
}
SIM_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t h, nvmlPciInfo_t* p) {
  return PciImpl(h, p, true, "nvmlDeviceGetPciInfo_v3");
}
#endif

SIM_EXPORT nvmlReturn_t nvmlShutdown(void) {
  std::lock_guard<std::mutex> lock(g_initMutex);
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  if (--g_initCount == 0) {
    std::lock_guard<std::mutex> stateLock(g_state.mutex());
    g_state.Release();
  }
  return NVML_SUCCESS;
}

SIM_EXPORT const char* nvmlErrorString(nvmlReturn_t ret) {
  switch (ret) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
  }
}

SIM_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char* buf, unsigned int len) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  return CopyString("550.54.15-wattscope-sim", buf, len);
}

SIM_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char* buf, unsigned int len) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  return CopyString("12.550.54.15", buf, len);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t h, char* buf, unsigned int len) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetName");
  return ret != NVML_SUCCESS ? ret : CopyString(g_state.config().name, buf, len);
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
  mem->total = 85520809984ull;  // 81559 MiB, as an H100 80GB HBM3 reports
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

SIM_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t h, unsigned long long* mj) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetTotalEnergyConsumption");
  if (ret != NVML_SUCCESS) return ret;
  if (mj == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((ret = PowerFieldReturn()) != NVML_SUCCESS) return ret;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  *mj = static_cast<unsigned long long>(g_state.CounterMj(static_cast<unsigned int>(dev), now));
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t h, unsigned int* mw) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetPowerUsage");
  if (ret != NVML_SUCCESS) return ret;
  if (mw == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (g_state.config().noPermission) return NVML_ERROR_NO_PERMISSION;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  // Ampere/Hopper report a 1 s average here; pre-Volta GPUs (no energy counter) an instantaneous reading.
  unsigned int d = static_cast<unsigned int>(dev);
  double w = g_state.config().energyNotSupported ? g_state.PowerW(d, now) : g_state.AverageW(d, now, 1000000000);
  *mw = static_cast<unsigned int>(std::lround(w * 1000));
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
  // Temperature follows the last second's power: about 35 C idle, 75 C at 700 W.
  *c = static_cast<unsigned int>(
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
      *device = reinterpret_cast<nvmlDevice_t>(&g_handles[32 + k]);
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig, nvmlDevice_t* parent) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  const char* p = reinterpret_cast<const char*>(mig);
  size_t k = static_cast<size_t>(p - (g_handles + 32));
  if (p < g_handles + 32 || p >= g_handles + 64 || k >= g_state.config().mig.size() || parent == nullptr)
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

SIM_EXPORT nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t h, int count, nvmlFieldValue_t* values) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetFieldValues");
  if (ret != NVML_SUCCESS) return ret;
  if (values == nullptr || count < 0) return NVML_ERROR_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  for (int i = 0; i < count; ++i) {
    nvmlFieldValue_t& f = values[i];
    f.timestamp = now / 1000;
    f.latencyUsec = 0;
    f.nvmlReturn = PowerFieldReturn();
    if (f.nvmlReturn == NVML_SUCCESS) f.nvmlReturn = g_state.Refusal("field" + std::to_string(f.fieldId));
    if (f.nvmlReturn != NVML_SUCCESS) continue;
    unsigned int d = static_cast<unsigned int>(dev);
    switch (f.fieldId) {
      case NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION:
        f.valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
        f.value.ullVal = static_cast<unsigned long long>(g_state.CounterMj(d, now));
        break;
      case NVML_FI_DEV_POWER_INSTANT:
        f.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        f.value.uiVal = static_cast<unsigned int>(std::lround(g_state.SensorW(d, now) * 1000));
        break;
      case NVML_FI_DEV_POWER_AVERAGE:
        f.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        f.value.uiVal = static_cast<unsigned int>(std::lround(g_state.AverageW(d, now, 1000000000) * 1000));
        break;
      default: f.nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
    }
  }
  return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetSamples(nvmlDevice_t h, int type, unsigned long long lastSeenUs, int* valueType,
                                             unsigned int* count, nvmlSample_t* samples) {
  int dev;
  int64_t now;
  int ret = Check(h, &dev, &now, "nvmlDeviceGetSamples");
  if (ret != NVML_SUCCESS) return ret;
  if (type != NVML_TOTAL_POWER_SAMPLES) return NVML_ERROR_NOT_SUPPORTED;
  if (count == nullptr || valueType == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((ret = PowerFieldReturn()) != NVML_SUCCESS) return ret;
  std::lock_guard<std::mutex> lock(g_state.mutex());
  const int64_t period = g_state.config().samplePeriodNs;
  const int64_t epoch = g_state.config().epochNs;
  const int64_t depth = 120;  // the driver keeps the last 120 samples
  int64_t last = now < epoch ? -1 : (now - epoch) / period;
  int64_t first = std::max<int64_t>(0, last - depth + 1);
  // Skip samples at or before lastSeenUs.
  while (first <= last && static_cast<unsigned long long>((epoch + first * period) / 1000) <= lastSeenUs) ++first;
  unsigned int available = last >= first ? static_cast<unsigned int>(last - first + 1) : 0;
  *valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
  if (available == 0) {
    *count = 0;
    return NVML_ERROR_NOT_FOUND;
  }
  if (samples == nullptr) {
    *count = available;
    return NVML_SUCCESS;
  }
  unsigned int n = std::min(*count, available);
  for (unsigned int i = 0; i < n; ++i) {
    int64_t t = epoch + (first + i) * period;
    samples[i].timeStamp = static_cast<unsigned long long>(t / 1000);
    samples[i].sampleValue.uiVal =
        static_cast<unsigned int>(std::lround(g_state.SensorW(static_cast<unsigned int>(dev), t) * 1000));
  }
  *count = n;
  return NVML_SUCCESS;
}
#endif  // WATTSCOPE_SIM_LEGACY
