// Typed NVML device queries. Plain C++ (no N-API) so the native tests and the
// sampler use exactly what the addon uses. Each returns a Query<T>: a value, or
// the NVML return code and the function that produced it.
#pragma once

#include <string>
#include <vector>

#include "../nvml/nvml_loader.h"

namespace wattscope {

template <typename T>
struct Query {
  T value{};
  int ret = NVML_SUCCESS;
  const char* function = "";
  bool ok() const { return ret == NVML_SUCCESS; }
};

struct PowerSample {
  unsigned long long timestampUs;
  double powerMw;
};

class DeviceQueries {
 public:
  explicit DeviceQueries(const NvmlLibrary& lib) : api_(lib.api()) {}

  Query<std::string> DriverVersion() const;
  Query<std::string> NvmlVersion() const;
  Query<unsigned int> Count() const;
  Query<nvmlDevice_t> HandleByIndex(unsigned int index) const;
  // Index of the device with this UUID; for a MIG UUID, the index of its parent GPU.
  Query<unsigned int> IndexByUuid(const std::string& uuid, bool* isMig) const;

  Query<std::string> Name(nvmlDevice_t d) const;
  Query<std::string> Uuid(nvmlDevice_t d) const;
  Query<std::string> PciBusId(nvmlDevice_t d) const;
  Query<unsigned int> Architecture(nvmlDevice_t d) const;
  Query<nvmlMemory_t> Memory(nvmlDevice_t d) const;
  Query<unsigned int> PowerLimitMw(nvmlDevice_t d) const;
  // Total energy since the driver loaded, mJ (NVML's unsigned long long, as a double).
  Query<double> TotalEnergyMj(nvmlDevice_t d) const;
  // The same counter as a field value (NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION), mJ.
  Query<double> EnergyFieldMj(nvmlDevice_t d) const;
  // The counter function, else its field when the function is missing or refused.
  Query<double> EnergyMjWithFallback(nvmlDevice_t d) const;
  // nvmlDeviceGetPowerUsage, else the average power field (185) when it is missing or refused.
  Query<unsigned int> AveragePowerMwWithFallback(nvmlDevice_t d) const;
  // nvmlDeviceGetPowerUsage: on Hopper a 1 s average, mW.
  Query<unsigned int> PowerUsageMw(nvmlDevice_t d) const;
  // NVML_FI_DEV_POWER_INSTANT through nvmlDeviceGetFieldValues, mW.
  Query<double> InstantPowerMw(nvmlDevice_t d) const;
  // NVML_FI_DEV_POWER_AVERAGE through nvmlDeviceGetFieldValues, mW.
  Query<double> AveragePowerFieldMw(nvmlDevice_t d) const;
  // The driver's power sample buffer since `sinceUs` (NVML_TOTAL_POWER_SAMPLES).
  Query<std::vector<PowerSample>> PowerSamples(nvmlDevice_t d, unsigned long long sinceUs) const;
  // nvmlDeviceGetTemperatureV, falling back to the deprecated nvmlDeviceGetTemperature.
  Query<int> TemperatureC(nvmlDevice_t d) const;
  Query<unsigned int> ClockMhz(nvmlDevice_t d, int clockType) const;
  Query<nvmlUtilization_t> Utilization(nvmlDevice_t d) const;
  // Why the clocks are below their maximum now: nvmlClocksEventReason* bits.
  Query<unsigned long long> ClocksEventReasons(nvmlDevice_t d) const;

 private:
  Query<double> FieldMw(nvmlDevice_t d, unsigned int fieldId) const;
  const NvmlApi& api_;
};

}  // namespace wattscope
