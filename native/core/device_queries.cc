#include "device_queries.h"

#include <cstring>

namespace wattscope {
namespace {

template <typename T>
Query<T> Missing(const char* function) {
  Query<T> q;
  q.ret = NVML_ERROR_FUNCTION_NOT_FOUND;
  q.function = function;
  return q;
}

// A newer query that answers these may have an older equivalent that works.
bool WorthFallingBack(int ret) {
  return ret == NVML_ERROR_NOT_SUPPORTED || ret == NVML_ERROR_NOT_FOUND || ret == NVML_ERROR_FUNCTION_NOT_FOUND ||
         ret == NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
}

template <typename T>
Query<T> Result(int ret, const char* function, T value) {
  Query<T> q;
  q.ret = ret;
  q.function = function;
  if (ret == NVML_SUCCESS) q.value = value;
  return q;
}

double FieldAsDouble(const nvmlFieldValue_t& f) {
  switch (f.valueType) {
    case NVML_VALUE_TYPE_DOUBLE: return f.value.dVal;
    case NVML_VALUE_TYPE_UNSIGNED_INT: return static_cast<double>(f.value.uiVal);
    case NVML_VALUE_TYPE_UNSIGNED_LONG: return static_cast<double>(f.value.ulVal);
    case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG: return static_cast<double>(f.value.ullVal);
    case NVML_VALUE_TYPE_SIGNED_LONG_LONG: return static_cast<double>(f.value.sllVal);
    case NVML_VALUE_TYPE_SIGNED_INT: return static_cast<double>(f.value.siVal);
    default: return static_cast<double>(f.value.uiVal);
  }
}

}  // namespace

Query<std::string> DeviceQueries::DriverVersion() const {
  if (api_.systemGetDriverVersion == nullptr) return Missing<std::string>("nvmlSystemGetDriverVersion");
  char buf[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
  int ret = api_.systemGetDriverVersion(buf, sizeof(buf));
  return Result<std::string>(ret, "nvmlSystemGetDriverVersion", buf);
}

Query<std::string> DeviceQueries::NvmlVersion() const {
  if (api_.systemGetNvmlVersion == nullptr) return Missing<std::string>("nvmlSystemGetNVMLVersion");
  char buf[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE] = {};
  int ret = api_.systemGetNvmlVersion(buf, sizeof(buf));
  return Result<std::string>(ret, "nvmlSystemGetNVMLVersion", buf);
}

Query<unsigned int> DeviceQueries::Count() const {
  unsigned int n = 0;
  int ret = api_.deviceGetCount(&n);
  return Result(ret, "nvmlDeviceGetCount", n);
}

Query<nvmlDevice_t> DeviceQueries::HandleByIndex(unsigned int index) const {
  nvmlDevice_t d = nullptr;
  int ret = api_.deviceGetHandleByIndex(index, &d);
  return Result(ret, "nvmlDeviceGetHandleByIndex", d);
}

Query<unsigned int> DeviceQueries::IndexByUuid(const std::string& uuid, bool* isMig) const {
  *isMig = false;
  if (api_.deviceGetHandleByUuid == nullptr) return Missing<unsigned int>("nvmlDeviceGetHandleByUUID");
  if (api_.deviceGetIndex == nullptr) return Missing<unsigned int>("nvmlDeviceGetIndex");
  nvmlDevice_t d = nullptr;
  int ret = api_.deviceGetHandleByUuid(uuid.c_str(), &d);
  if (ret != NVML_SUCCESS) return Result(ret, "nvmlDeviceGetHandleByUUID", 0u);
  if (uuid.rfind("MIG-", 0) == 0) {
    if (api_.deviceGetParentOfMig == nullptr)
      return Missing<unsigned int>("nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
    nvmlDevice_t parent = nullptr;
    ret = api_.deviceGetParentOfMig(d, &parent);
    if (ret != NVML_SUCCESS) return Result(ret, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle", 0u);
    *isMig = true;
    d = parent;
  }
  unsigned int index = 0;
  ret = api_.deviceGetIndex(d, &index);
  return Result(ret, "nvmlDeviceGetIndex", index);
}

Query<std::string> DeviceQueries::Name(nvmlDevice_t d) const {
  if (api_.deviceGetName == nullptr) return Missing<std::string>("nvmlDeviceGetName");
  char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {};
  int ret = api_.deviceGetName(d, buf, sizeof(buf));
  return Result<std::string>(ret, "nvmlDeviceGetName", buf);
}

Query<std::string> DeviceQueries::Uuid(nvmlDevice_t d) const {
  if (api_.deviceGetUuid == nullptr) return Missing<std::string>("nvmlDeviceGetUUID");
  char buf[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
  int ret = api_.deviceGetUuid(d, buf, sizeof(buf));
  return Result<std::string>(ret, "nvmlDeviceGetUUID", buf);
}

namespace {

Query<std::string> PciBusIdWith(nvmlDeviceGetPciInfo_fn fn, bool hasBusId, nvmlDevice_t d, const char* name) {
  nvmlPciInfo_t info;
  std::memset(&info, 0, sizeof(info));
  int ret = fn(d, &info);
  const char* id = hasBusId && info.busId[0] != '\0' ? info.busId : info.busIdLegacy;
  std::string busId(id, strnlen(id, hasBusId ? sizeof(info.busId) : sizeof(info.busIdLegacy)));
  return Result<std::string>(ret, name, busId);
}

}  // namespace

Query<std::string> DeviceQueries::PciBusId(nvmlDevice_t d) const {
  if (api_.deviceGetPciInfo == nullptr) return Missing<std::string>("nvmlDeviceGetPciInfo");
  Query<std::string> q = PciBusIdWith(api_.deviceGetPciInfo, api_.pciInfoHasBusId, d, "nvmlDeviceGetPciInfo");
  bool olderExists = api_.deviceGetPciInfoOlder != nullptr && api_.deviceGetPciInfoOlder != api_.deviceGetPciInfo;
  if (q.ok() || !WorthFallingBack(q.ret) || !olderExists) return q;
  return PciBusIdWith(api_.deviceGetPciInfoOlder, api_.pciInfoOlderHasBusId, d, "nvmlDeviceGetPciInfo (older version)");
}

Query<unsigned int> DeviceQueries::Architecture(nvmlDevice_t d) const {
  if (api_.deviceGetArchitecture == nullptr) return Missing<unsigned int>("nvmlDeviceGetArchitecture");
  unsigned int arch = 0;
  int ret = api_.deviceGetArchitecture(d, &arch);
  return Result(ret, "nvmlDeviceGetArchitecture", arch);
}

Query<nvmlMemory_t> DeviceQueries::Memory(nvmlDevice_t d) const {
  if (api_.deviceGetMemoryInfo == nullptr) return Missing<nvmlMemory_t>("nvmlDeviceGetMemoryInfo");
  nvmlMemory_t mem{};
  int ret = api_.deviceGetMemoryInfo(d, &mem);
  return Result(ret, "nvmlDeviceGetMemoryInfo", mem);
}

Query<unsigned int> DeviceQueries::PowerLimitMw(nvmlDevice_t d) const {
  if (api_.deviceGetEnforcedPowerLimit == nullptr) return Missing<unsigned int>("nvmlDeviceGetEnforcedPowerLimit");
  unsigned int mw = 0;
  int ret = api_.deviceGetEnforcedPowerLimit(d, &mw);
  return Result(ret, "nvmlDeviceGetEnforcedPowerLimit", mw);
}

Query<double> DeviceQueries::TotalEnergyMj(nvmlDevice_t d) const {
  if (api_.deviceGetTotalEnergyConsumption == nullptr) return Missing<double>("nvmlDeviceGetTotalEnergyConsumption");
  unsigned long long mj = 0;
  int ret = api_.deviceGetTotalEnergyConsumption(d, &mj);
  return Result(ret, "nvmlDeviceGetTotalEnergyConsumption", static_cast<double>(mj));
}

Query<double> DeviceQueries::EnergyFieldMj(nvmlDevice_t d) const {
  return FieldMw(d, NVML_FI_DEV_TOTAL_ENERGY_CONSUMPTION);
}

Query<double> DeviceQueries::EnergyMjWithFallback(nvmlDevice_t d) const {
  Query<double> q = TotalEnergyMj(d);
  if (q.ok() || !WorthFallingBack(q.ret)) return q;
  Query<double> field = EnergyFieldMj(d);
  return field.ok() ? field : q;
}

Query<unsigned int> DeviceQueries::AveragePowerMwWithFallback(nvmlDevice_t d) const {
  Query<unsigned int> q = PowerUsageMw(d);
  if (q.ok() || !WorthFallingBack(q.ret)) return q;
  Query<double> field = AveragePowerFieldMw(d);
  if (!field.ok()) return q;
  Query<unsigned int> out;
  out.ret = NVML_SUCCESS;
  out.function = field.function;
  out.value = static_cast<unsigned int>(field.value);
  return out;
}

Query<unsigned int> DeviceQueries::PowerUsageMw(nvmlDevice_t d) const {
  if (api_.deviceGetPowerUsage == nullptr) return Missing<unsigned int>("nvmlDeviceGetPowerUsage");
  unsigned int mw = 0;
  int ret = api_.deviceGetPowerUsage(d, &mw);
  return Result(ret, "nvmlDeviceGetPowerUsage", mw);
}

Query<double> DeviceQueries::FieldMw(nvmlDevice_t d, unsigned int fieldId) const {
  if (api_.deviceGetFieldValues == nullptr) return Missing<double>("nvmlDeviceGetFieldValues");
  nvmlFieldValue_t f;
  std::memset(&f, 0, sizeof(f));
  f.fieldId = fieldId;
  int ret = api_.deviceGetFieldValues(d, 1, &f);
  if (ret == NVML_SUCCESS) ret = f.nvmlReturn;
  return Result(ret, "nvmlDeviceGetFieldValues", FieldAsDouble(f));
}

Query<double> DeviceQueries::InstantPowerMw(nvmlDevice_t d) const { return FieldMw(d, NVML_FI_DEV_POWER_INSTANT); }

Query<double> DeviceQueries::AveragePowerFieldMw(nvmlDevice_t d) const { return FieldMw(d, NVML_FI_DEV_POWER_AVERAGE); }

Query<std::vector<PowerSample>> DeviceQueries::PowerSamples(nvmlDevice_t d, unsigned long long sinceUs) const {
  using Out = std::vector<PowerSample>;
  if (api_.deviceGetSamples == nullptr) return Missing<Out>("nvmlDeviceGetSamples");
  int valueType = 0;
  unsigned int count = 0;
  int ret = api_.deviceGetSamples(d, NVML_TOTAL_POWER_SAMPLES, sinceUs, &valueType, &count, nullptr);
  if (ret == NVML_ERROR_NOT_FOUND) return Result<Out>(NVML_SUCCESS, "nvmlDeviceGetSamples", Out{});
  if (ret != NVML_SUCCESS) return Result<Out>(ret, "nvmlDeviceGetSamples", Out{});
  std::vector<nvmlSample_t> raw(count);
  if (count > 0) ret = api_.deviceGetSamples(d, NVML_TOTAL_POWER_SAMPLES, sinceUs, &valueType, &count, raw.data());
  if (ret == NVML_ERROR_NOT_FOUND) return Result<Out>(NVML_SUCCESS, "nvmlDeviceGetSamples", Out{});
  Out out;
  out.reserve(count);
  for (unsigned int i = 0; i < count && i < raw.size(); ++i) {
    nvmlFieldValue_t tmp;
    tmp.valueType = valueType;
    tmp.value = raw[i].sampleValue;
    out.push_back({raw[i].timeStamp, FieldAsDouble(tmp)});
  }
  return Result<Out>(ret, "nvmlDeviceGetSamples", out);
}

Query<int> DeviceQueries::TemperatureC(nvmlDevice_t d) const {
  if (api_.deviceGetTemperatureV != nullptr) {
    nvmlTemperature_v1_t t{};
    t.version = nvmlTemperature_v1;
    t.sensorType = NVML_TEMPERATURE_GPU;
    int ret = api_.deviceGetTemperatureV(d, &t);
    // Exported but refused for this device (or this struct version): the older query may answer.
    if (!WorthFallingBack(ret) || api_.deviceGetTemperature == nullptr)
      return Result(ret, "nvmlDeviceGetTemperatureV", t.temperature);
  }
  if (api_.deviceGetTemperature == nullptr) return Missing<int>("nvmlDeviceGetTemperature");
  unsigned int c = 0;
  int ret = api_.deviceGetTemperature(d, NVML_TEMPERATURE_GPU, &c);
  return Result(ret, "nvmlDeviceGetTemperature", static_cast<int>(c));
}

Query<unsigned long long> DeviceQueries::ClocksEventReasons(nvmlDevice_t d) const {
  if (api_.deviceGetClocksEventReasons == nullptr)
    return Missing<unsigned long long>("nvmlDeviceGetCurrentClocksEventReasons");
  unsigned long long reasons = 0;
  int ret = api_.deviceGetClocksEventReasons(d, &reasons);
  return Result(ret, api_.clocksEventReasonsName, reasons);
}

Query<unsigned int> DeviceQueries::ClockMhz(nvmlDevice_t d, int clockType) const {
  if (api_.deviceGetClockInfo == nullptr) return Missing<unsigned int>("nvmlDeviceGetClockInfo");
  unsigned int mhz = 0;
  int ret = api_.deviceGetClockInfo(d, clockType, &mhz);
  return Result(ret, "nvmlDeviceGetClockInfo", mhz);
}

Query<nvmlUtilization_t> DeviceQueries::Utilization(nvmlDevice_t d) const {
  if (api_.deviceGetUtilizationRates == nullptr) return Missing<nvmlUtilization_t>("nvmlDeviceGetUtilizationRates");
  nvmlUtilization_t u{};
  int ret = api_.deviceGetUtilizationRates(d, &u);
  return Result(ret, "nvmlDeviceGetUtilizationRates", u);
}

}  // namespace wattscope
