// The simulated GPU's NVML entry points: a real shared library exporting the
// subset of NVML that wattscope and other NVML clients call, backed by SimState.
// Built twice: the full library (a current H100 driver) and, with
// WATTSCOPE_SIM_LEGACY, an old driver that lacks the versioned symbols and the
// newer queries. This file: initialisation, shutdown, errors and system queries;
// sim_nvml_device.cc the device queries, sim_nvml_power.cc power and energy.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "../core/clock.h"
#include "sim_entry.h"

namespace wattscope_sim {

SimState g_state;
std::mutex g_initMutex;
std::atomic<int> g_initCount{0};
char g_handles[64];
std::atomic<int64_t> g_wallClockOffsetNs{0};

int DeviceOf(nvmlDevice_t h) {
  const char* p = reinterpret_cast<const char*>(h);
  if (p < g_handles || p >= g_handles + kMaxDevices) return -1;
  int i = static_cast<int>(p - g_handles);
  return i < static_cast<int>(g_state.count()) ? i : -1;
}

void LogLifecycle(const char* event, const std::string& detail) {
  const char* path = std::getenv("WATTSCOPE_SIM_LIFECYCLE_LOG");
  if (path == nullptr || *path == '\0') return;
  static std::mutex logMutex;  // one file per process, as the simulated driver is
  std::lock_guard<std::mutex> lock(logMutex);
  if (FILE* log = std::fopen(path, "ab")) {
    std::fprintf(log, "%s %s\n", event, detail.c_str());
    std::fclose(log);
  }
}

int Check(nvmlDevice_t h, int* dev, int64_t* now, const char* query) {
  if (g_initCount == 0) {
    LogLifecycle("uninitialized", query);
    return NVML_ERROR_UNINITIALIZED;
  }
  *dev = DeviceOf(h);
  if (*dev < 0) return NVML_ERROR_INVALID_ARGUMENT;
  *now = wattscope::MonotonicNowNs();
  if (g_state.Lost(*dev, *now)) return NVML_ERROR_GPU_IS_LOST;
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

unsigned long long WallClockUs(int64_t monotonicNs) {
  return static_cast<unsigned long long>((monotonicNs + g_wallClockOffsetNs.load()) / 1000);
}

}  // namespace wattscope_sim

using namespace wattscope_sim;

namespace {

int InitImpl() {
  std::lock_guard<std::mutex> lock(g_initMutex);
  if (g_initCount == 0) {
    std::lock_guard<std::mutex> stateLock(g_state.mutex());
    int ret = g_state.Init();
    if (ret != NVML_SUCCESS) return ret;
    // Taken once, so that every timestamp converts with the same offset.
    int64_t wallNowNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    g_wallClockOffsetNs = wallNowNs - wattscope::MonotonicNowNs();
  }
  ++g_initCount;
  LogLifecycle("init", std::to_string(g_initCount.load()));
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
  LogLifecycle("shutdown", std::to_string(g_initCount.load()));
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

SIM_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* version) {
  if (g_initCount == 0) return NVML_ERROR_UNINITIALIZED;
  if (version == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *version = 12040;  // CUDA 12.4, as driver 550 reports
  return NVML_SUCCESS;
}

#ifndef WATTSCOPE_SIM_LEGACY
SIM_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* version) {
  return nvmlSystemGetCudaDriverVersion(version);
}
#endif
