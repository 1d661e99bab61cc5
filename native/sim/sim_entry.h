// Internals shared by the simulated GPU's NVML entry points (sim_nvml*.cc): the process-global
// simulated driver, the device handles, and the checks every device query makes.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "../nvml/nvml_types.h"
#include "sim_state.h"

#if defined(_WIN32)
#define SIM_EXPORT extern "C" __declspec(dllexport)
#else
#define SIM_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace wattscope_sim {

// The simulated driver is process-global, as the real one is.
extern SimState g_state;
extern std::mutex g_initMutex;
extern std::atomic<int> g_initCount;
// Device i is &g_handles[i]; MIG instance k is &g_handles[kMigHandleBase + k].
extern char g_handles[64];
// Wall-clock minus monotonic time, ns, taken at the first nvmlInit.
extern std::atomic<int64_t> g_wallClockOffsetNs;
constexpr int kMaxDevices = 32;
constexpr int kMigHandleBase = 32;

// The device index of a handle, or -1.
int DeviceOf(nvmlDevice_t h);
// Common checks for a device call; returns NVML_SUCCESS or the error to return.
int Check(nvmlDevice_t h, int* dev, int64_t* now, const char* query);
int CopyString(const std::string& s, char* buf, unsigned int len);
std::string UuidOf(int dev);
// What the power and energy queries answer under the configured faults.
int PowerFieldReturn();
// Appends "<event> <detail>" to WATTSCOPE_SIM_LIFECYCLE_LOG when it is set (tests: every init and
// shutdown with the count after it, and any device query made while NVML is not initialised).
void LogLifecycle(const char* event, const std::string& detail);
// A monotonic instant as NVML states its timestamps: wall-clock microseconds since the Unix epoch.
unsigned long long WallClockUs(int64_t monotonicNs);

}  // namespace wattscope_sim
