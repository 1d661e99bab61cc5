/*
 * An NVML client independent of wattscope: only NVML's documented C ABI (the declarations below
 * are written from NVIDIA's NVML API reference, not from wattscope's headers). It loads the
 * library named on its command line the way NVIDIA's Python binding does (nvmlInitWithFlags
 * first, the versioned names), and prints what it reads as "key=value" lines.
 *
 * Usage: nvml_client <path to libnvidia-ml.so or the simulated GPU> [milliseconds between energy reads]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;

typedef struct {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;

typedef struct {
  unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

typedef union {
  double dVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  signed long long sllVal;
} nvmlValue_t;

typedef struct {
  unsigned int fieldId, scopeId;
  long long timestamp, latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  nvmlValue_t value;
} nvmlFieldValue_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION 83
#define NVML_FI_DEV_POWER_INSTANT 186
#define NVML_TEMPERATURE_GPU 0

static void* library;

static void* symbol(const char* name) {
  void* address = dlsym(library, name);
  if (address == NULL) {
    printf("missing=%s\n", name);
    exit(3);
  }
  return address;
}

/* Calls an NVML function and stops with its error string on failure. */
#define CALL(name, signature, ...)                                                            \
  do {                                                                                        \
    nvmlReturn_t ret_ = ((nvmlReturn_t(*) signature)symbol(#name))(__VA_ARGS__);              \
    if (ret_ != NVML_SUCCESS) {                                                               \
      printf("error=%s:%d:%s\n", #name, ret_, ((const char* (*)(nvmlReturn_t))symbol("nvmlErrorString"))(ret_)); \
      exit(4);                                                                                \
    }                                                                                         \
  } while (0)

static void print_device(unsigned int index, int waitMs) {
  nvmlDevice_t device;
  char text[96];
  nvmlPciInfo_t pci;
  nvmlMemory_t memory;
  unsigned int milliwatts, current, pending, count = 0;
  unsigned long long energyBefore, energyAfter, reasons;
  int pstate;
  CALL(nvmlDeviceGetHandleByIndex_v2, (unsigned int, nvmlDevice_t*), index, &device);
  CALL(nvmlDeviceGetName, (nvmlDevice_t, char*, unsigned int), device, text, sizeof text);
  printf("gpu%u.name=%s\n", index, text);
  CALL(nvmlDeviceGetUUID, (nvmlDevice_t, char*, unsigned int), device, text, sizeof text);
  printf("gpu%u.uuid=%s\n", index, text);
  CALL(nvmlDeviceGetPciInfo_v3, (nvmlDevice_t, nvmlPciInfo_t*), device, &pci);
  printf("gpu%u.pci=%s\n", index, pci.busId);
  CALL(nvmlDeviceGetMemoryInfo, (nvmlDevice_t, nvmlMemory_t*), device, &memory);
  printf("gpu%u.memoryTotalBytes=%llu\n", index, memory.total);
  CALL(nvmlDeviceGetPowerManagementLimit, (nvmlDevice_t, unsigned int*), device, &milliwatts);
  printf("gpu%u.powerLimitMw=%u\n", index, milliwatts);
  CALL(nvmlDeviceGetPerformanceState, (nvmlDevice_t, int*), device, &pstate);
  printf("gpu%u.pstate=%d\n", index, pstate);
  CALL(nvmlDeviceGetMigMode, (nvmlDevice_t, unsigned int*, unsigned int*), device, &current, &pending);
  printf("gpu%u.migMode=%u\n", index, current);
  CALL(nvmlDeviceGetTemperature, (nvmlDevice_t, int, unsigned int*), device, NVML_TEMPERATURE_GPU, &current);
  printf("gpu%u.temperatureC=%u\n", index, current);
  CALL(nvmlDeviceGetCurrentClocksEventReasons, (nvmlDevice_t, unsigned long long*), device, &reasons);
  printf("gpu%u.clocksEventReasons=%llu\n", index, reasons);
  /* The two-call pattern: ask for the count, then fetch. */
  nvmlReturn_t ret = ((nvmlReturn_t(*)(nvmlDevice_t, unsigned int*, nvmlProcessInfo_t*))symbol(
      "nvmlDeviceGetComputeRunningProcesses_v3"))(device, &count, NULL);
  printf("gpu%u.processesFirstCall=%d,%u\n", index, ret, count);
  nvmlProcessInfo_t processes[8];
  count = 8;
  CALL(nvmlDeviceGetComputeRunningProcesses_v3, (nvmlDevice_t, unsigned int*, nvmlProcessInfo_t*), device, &count, processes);
  printf("gpu%u.processes=%u\n", index, count);
  if (count > 0) printf("gpu%u.process0Pid=%u\n", index, processes[0].pid);
  CALL(nvmlDeviceGetPowerUsage, (nvmlDevice_t, unsigned int*), device, &milliwatts);
  printf("gpu%u.powerMw=%u\n", index, milliwatts);
  CALL(nvmlDeviceGetTotalEnergyConsumption, (nvmlDevice_t, unsigned long long*), device, &energyBefore);
  usleep((useconds_t)waitMs * 1000);
  CALL(nvmlDeviceGetTotalEnergyConsumption, (nvmlDevice_t, unsigned long long*), device, &energyAfter);
  printf("gpu%u.energyDeltaMj=%llu\n", index, energyAfter - energyBefore);
  nvmlFieldValue_t fields[2];
  memset(fields, 0, sizeof fields);
  fields[0].fieldId = NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION;
  fields[1].fieldId = NVML_FI_DEV_POWER_INSTANT;
  CALL(nvmlDeviceGetFieldValues, (nvmlDevice_t, int, nvmlFieldValue_t*), device, 2, fields);
  printf("gpu%u.field83=%d,%llu\n", index, fields[0].nvmlReturn, fields[0].value.ullVal);
  printf("gpu%u.field186=%d,%u\n", index, fields[1].nvmlReturn, fields[1].value.uiVal);
  printf("gpu%u.fieldTimestampUs=%lld\n", index, fields[1].timestamp);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <libnvidia-ml> [wait ms]\n", argv[0]);
    return 2;
  }
  library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    printf("dlopen=%s\n", dlerror());
    return 1;
  }
  int waitMs = argc > 2 ? atoi(argv[2]) : 250;
  char text[96];
  int cudaVersion;
  unsigned int count;
  struct timespec now;
  CALL(nvmlInitWithFlags, (unsigned int), 0u);
  CALL(nvmlSystemGetDriverVersion, (char*, unsigned int), text, sizeof text);
  printf("driver=%s\n", text);
  CALL(nvmlSystemGetNVMLVersion, (char*, unsigned int), text, sizeof text);
  printf("nvml=%s\n", text);
  CALL(nvmlSystemGetCudaDriverVersion_v2, (int*), &cudaVersion);
  printf("cuda=%d\n", cudaVersion);
  CALL(nvmlDeviceGetCount_v2, (unsigned int*), &count);
  printf("count=%u\n", count);
  for (unsigned int i = 0; i < count; i++) print_device(i, waitMs);
  clock_gettime(CLOCK_REALTIME, &now);
  printf("clientWallClockUs=%lld\n", (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
  printf("pid=%d\n", (int)getpid());
  CALL(nvmlShutdown, (void));
  printf("shutdown=ok\n");
  dlclose(library);
  return 0;
}
