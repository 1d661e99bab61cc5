#include "sim_state.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#if defined(_WIN32)
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include "../core/clock.h"
#include "../nvml/nvml_types.h"

namespace wattscope_sim {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// A deterministic standard normal draw for (seed, device, refresh): splitmix64, then Box-Muller.
double NormalDraw(unsigned long long seed, unsigned int dev, int64_t refresh) {
  auto mix = [](unsigned long long x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  unsigned long long a =
      mix(seed ^ mix(static_cast<unsigned long long>(dev) ^ mix(static_cast<unsigned long long>(refresh))));
  unsigned long long b = mix(a);
  double u1 = (static_cast<double>(a >> 11) + 1.0) / 9007199254740993.0;
  double u2 = static_cast<double>(b >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

double EnvDouble(const char* name, double fallback) {
  std::string v = Env(name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  return (end != nullptr && *end == '\0') ? d : fallback;
}

}  // namespace

void SimState::Release() {
  if (controlFile_ != nullptr) std::fclose(controlFile_);
  controlFile_ = nullptr;
  if (appliedFile_ != nullptr) std::fclose(appliedFile_);
  appliedFile_ = nullptr;
}

int SimState::Init() {
  Release();
  config_ = SimConfig();
  devices_.clear();
  controlOffset_ = 0;
  controlPartial_.clear();
  int64_t now = wattscope::MonotonicNowNs();
  config_.deviceCount = static_cast<unsigned int>(EnvDouble("WATTSCOPE_SIM_DEVICES", 1));
  if (!Env("WATTSCOPE_SIM_NAME").empty()) config_.name = Env("WATTSCOPE_SIM_NAME");
  config_.names.assign(config_.deviceCount, config_.name);
  for (unsigned int i = 0; i < config_.deviceCount; ++i) {
    std::string own = Env(("WATTSCOPE_SIM_NAME_" + std::to_string(i)).c_str());
    if (!own.empty()) config_.names[i] = own;
  }
  config_.idleW = EnvDouble("WATTSCOPE_SIM_IDLE_W", 70.0);
  std::string epoch = Env("WATTSCOPE_SIM_EPOCH_NS");
  config_.epochNs = epoch.empty() ? now : std::strtoll(epoch.c_str(), nullptr, 10);
  config_.periodNs = static_cast<int64_t>(EnvDouble("WATTSCOPE_SIM_PERIOD_MS", 100) * 1e6);
  if (config_.periodNs < 1) config_.periodNs = 1;
  config_.samplePeriodNs = static_cast<int64_t>(EnvDouble("WATTSCOPE_SIM_SAMPLE_PERIOD_MS", 20) * 1e6);
  if (config_.samplePeriodNs < 1000000) config_.samplePeriodNs = 1000000;
  config_.energyStartMj = EnvDouble("WATTSCOPE_SIM_ENERGY_START_MJ", 123456789.0);
  config_.controlPath = Env("WATTSCOPE_SIM_CONTROL");
  // The profile: h200 (the measured GPU) unless h100 (the published model) or ideal is chosen.
  const std::string sensor = Env("WATTSCOPE_SIM_SENSOR");
  if (!sensor.empty() && sensor != "h200" && sensor != "h100" && sensor != "ideal") {
    std::fprintf(stderr, "wattscope simulated GPU: WATTSCOPE_SIM_SENSOR must be h200, h100 or ideal, got \"%s\"\n",
                 sensor.c_str());
    return NVML_ERROR_UNKNOWN;
  }
  config_.idealSensor = sensor == "ideal";
  config_.h200 = sensor.empty() || sensor == "h200";
  if (config_.h200) ReadProfileH200();
  recording_ = Recording();
  config_.replayPrefix = Env("WATTSCOPE_SIM_REPLAY");
  if (!config_.replayPrefix.empty()) {
    std::string error;
    if (!recording_.Load(config_.replayPrefix, &error)) {
      std::fprintf(stderr, "wattscope simulated GPU: cannot replay %s\n", error.c_str());
      return NVML_ERROR_UNKNOWN;
    }
    std::string start = Env("WATTSCOPE_SIM_REPLAY_START_NS");
    config_.replayStartNs = start.empty() ? recording_.firstNs() : std::strtoll(start.c_str(), nullptr, 10);
    config_.deviceCount = 1;  // the recording is of one GPU
    config_.names.assign(1, Env("WATTSCOPE_SIM_NAME").empty() ? std::string("NVIDIA H200 (replayed)") : config_.name);
  }
  config_.windowedCounter = Env("WATTSCOPE_SIM_COUNTER") == "windowed";
  config_.refreshNs =
      std::max<int64_t>(1000000, static_cast<int64_t>(EnvDouble("WATTSCOPE_SIM_POWER_REFRESH_MS", 100) * 1e6));
  config_.windowNs = std::clamp<int64_t>(static_cast<int64_t>(EnvDouble("WATTSCOPE_SIM_POWER_WINDOW_MS", 25) * 1e6),
                                         100000, config_.refreshNs);
  config_.noiseW = std::max(0.0, EnvDouble("WATTSCOPE_SIM_NOISE_W", 0));
  config_.seed = static_cast<unsigned long long>(EnvDouble("WATTSCOPE_SIM_SEED", 1));
  // The refresh grid's phase: independent of the counter's grid (which starts at the epoch).
  double defaultPhaseMs =
      static_cast<double>((config_.seed * 2654435761ull) % 1000) / 1000.0 * (config_.refreshNs / 1e6);
  config_.refreshPhaseNs =
      static_cast<int64_t>(EnvDouble("WATTSCOPE_SIM_POWER_PHASE_MS", defaultPhaseMs) * 1e6) % config_.refreshNs;
  lastEvalNs_ = config_.epochNs;

  std::stringstream faults(Env("WATTSCOPE_SIM_FAULTS"));
  std::string item;
  while (std::getline(faults, item, ',')) {
    if (item == "energy_not_supported")
      config_.energyNotSupported = true;
    else if (item == "no_permission")
      config_.noPermission = true;
    else if (item == "driver_not_loaded")
      config_.driverNotLoaded = true;
    else if (item.rfind("gpu_lost_after=", 0) == 0) {
      // gpu_lost_after=<s> loses every GPU; gpu_lost_after=<s>@<i> loses GPU i alone.
      config_.gpuLostAfterS = std::atof(item.c_str() + 15);
      size_t at = item.find('@');
      if (at != std::string::npos) config_.lostGpu = std::atoi(item.c_str() + at + 1);
    } else if (item.rfind("counter_reset_at=", 0) == 0)
      config_.counterResetAtS = std::atof(item.c_str() + 17);
    else if (item.rfind("thermal_after=", 0) == 0)
      config_.thermalAfterS = std::atof(item.c_str() + 14);
    else if (item.rfind("not_supported=", 0) == 0)
      config_.refusals[item.substr(14)] = NVML_ERROR_NOT_SUPPORTED;
    else if (item.rfind("not_found=", 0) == 0)
      config_.refusals[item.substr(10)] = NVML_ERROR_NOT_FOUND;
  }
  if (config_.driverNotLoaded) return NVML_ERROR_DRIVER_NOT_LOADED;

  std::stringstream mig(Env("WATTSCOPE_SIM_MIG"));
  while (std::getline(mig, item, ';')) {
    size_t at = item.find('@');
    if (at == std::string::npos) continue;
    config_.mig.emplace_back(item.substr(0, at), static_cast<unsigned int>(std::atoi(item.c_str() + at + 1)));
  }

  std::string common = Env("WATTSCOPE_SIM_TRACE");
  for (unsigned int i = 0; i < config_.deviceCount; ++i) {
    SimDevice d;
    d.index = i;
    d.history.push_back({config_.epochNs, config_.idleW, 0.0});
    std::string own = Env(("WATTSCOPE_SIM_TRACE_" + std::to_string(i)).c_str());
    ParseTrace(&d, own.empty() ? common : own);
    if (config_.h200) d.response = std::make_shared<PowerResponse>(config_.response, config_.epochNs);
    devices_.push_back(std::move(d));
  }
  return NVML_SUCCESS;
}

void SimState::ParseTrace(SimDevice* d, const std::string& spec) {
  std::stringstream ss(spec);
  std::string point;
  while (std::getline(ss, point, ',')) {
    size_t colon = point.find(':');
    if (colon == std::string::npos) continue;
    double ts = std::atof(point.substr(0, colon).c_str());
    double watts = std::atof(point.c_str() + colon + 1);
    AddChange(d, config_.epochNs + static_cast<int64_t>(std::llround(ts * 1e9)), watts);
  }
}

void SimState::AddChange(SimDevice* d, int64_t tNs, double watts) {
  std::vector<PowerChange>& h = d->history;
  if (tNs < h.front().tNs) tNs = h.front().tNs;
  auto pos = std::upper_bound(h.begin(), h.end(), tNs, [](int64_t t, const PowerChange& c) { return t < c.tNs; });
  size_t i = static_cast<size_t>(pos - h.begin());
  h.insert(pos, PowerChange{tNs, watts, 0.0});
  for (size_t k = (i == 0 ? 1 : i); k < h.size(); ++k) {
    h[k].cumMj = h[k - 1].cumMj + h[k - 1].watts * static_cast<double>(h[k].tNs - h[k - 1].tNs) * 1e-6;
  }
}

void SimState::PollControl(int64_t nowNs) {
  if (config_.controlPath.empty()) return;
  if (controlFile_ == nullptr) controlFile_ = std::fopen(config_.controlPath.c_str(), "rb");
  if (controlFile_ == nullptr) return;
  struct stat st;
  if (fstat(fileno(controlFile_), &st) != 0 || st.st_size <= controlOffset_) return;
  std::clearerr(controlFile_);
  if (std::fseek(controlFile_, controlOffset_, SEEK_SET) == 0) {
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), controlFile_)) > 0) {
      controlOffset_ += static_cast<long>(n);
      controlPartial_.append(buf, n);
    }
  }
  size_t nl;
  while ((nl = controlPartial_.find('\n')) != std::string::npos) {
    std::string line = controlPartial_.substr(0, nl);
    controlPartial_.erase(0, nl + 1);
    char target[16] = {};
    long long tNs = 0;
    double watts = 0;
    if (std::sscanf(line.c_str(), "%lld %15s %lf", &tNs, target, &watts) != 3) continue;
    // Never rewrite what was already reported: a change is effective no earlier than the last read.
    int64_t t = std::max<int64_t>(tNs, lastEvalNs_);
    for (SimDevice& d : devices_) {
      if (std::strcmp(target, "*") == 0 || std::atoi(target) == static_cast<int>(d.index)) AddChange(&d, t, watts);
    }
    RecordApplied(t, target, watts, tNs);
  }
  (void)nowNs;
}

void SimState::RecordApplied(int64_t appliedNs, const char* target, double watts, int64_t requestedNs) {
  // The truth is what this simulator did: "<applied ns> <gpu|*> <watts> <requested ns>" lines in
  // <control file>.applied.<pid>, one file per process that loads the simulator.
  if (appliedFile_ == nullptr) {
    std::string path = config_.controlPath + ".applied." + std::to_string(static_cast<long long>(getpid()));
    appliedFile_ = std::fopen(path.c_str(), "ab");
    if (appliedFile_ == nullptr) return;
  }
  // Each line is handed to the file whole (one write), so a reader never sees half a line that a
  // full stdio buffer flushed.
  char line[128];
  int length = std::snprintf(line, sizeof(line), "%lld %s %.17g %lld\n", static_cast<long long>(appliedNs), target,
                             watts, static_cast<long long>(requestedNs));
  if (length <= 0 || static_cast<size_t>(length) >= sizeof(line)) return;
  std::fwrite(line, 1, static_cast<size_t>(length), appliedFile_);
  std::fflush(appliedFile_);
}

bool SimState::ThermalSlowdown(int64_t nowNs) const {
  return config_.thermalAfterS >= 0 && nowNs >= config_.epochNs + static_cast<int64_t>(config_.thermalAfterS * 1e9);
}

bool SimState::Lost(int dev, int64_t nowNs) const {
  if (config_.lostGpu >= 0 && dev != config_.lostGpu) return false;
  return config_.gpuLostAfterS >= 0 && nowNs >= config_.epochNs + static_cast<int64_t>(config_.gpuLostAfterS * 1e9);
}

double SimState::WorkloadEnergyMj(unsigned int dev, int64_t tNs) const {
  const std::vector<PowerChange>& h = devices_[dev].history;
  if (tNs <= h.front().tNs) return 0.0;
  auto pos = std::upper_bound(h.begin(), h.end(), tNs, [](int64_t t, const PowerChange& c) { return t < c.tNs; });
  const PowerChange& c = *(pos - 1);
  return c.cumMj + c.watts * static_cast<double>(tNs - c.tNs) * 1e-6;
}

double SimState::WorkloadW(unsigned int dev, int64_t tNs) const {
  const std::vector<PowerChange>& h = devices_[dev].history;
  auto pos = std::upper_bound(h.begin(), h.end(), tNs, [](int64_t t, const PowerChange& c) { return t < c.tNs; });
  return pos == h.begin() ? h.front().watts : (pos - 1)->watts;
}

double SimState::EnergyMj(unsigned int dev, int64_t tNs) {
  SimDevice& d = devices_[dev];
  if (!d.response) return WorkloadEnergyMj(dev, tNs);
  d.response->AdvanceTo(tNs, [this, dev](int64_t t) { return WorkloadW(dev, t); });
  return d.response->EnergyMj(tNs);
}

double SimState::PowerW(unsigned int dev, int64_t tNs) {
  PollControl(tNs);
  if (tNs > lastEvalNs_) lastEvalNs_ = tNs;
  SimDevice& d = devices_[dev];
  if (!d.response) return WorkloadW(dev, tNs);
  d.response->AdvanceTo(tNs + PowerResponse::kStepNs, [this, dev](int64_t t) { return WorkloadW(dev, t); });
  return d.response->PowerW(tNs);
}

int64_t SimState::RefreshIndex(int64_t tNs) const {
  int64_t since = tNs - config_.epochNs - config_.refreshPhaseNs;
  return since < 0 ? -1 : since / config_.refreshNs;
}

int64_t SimState::RefreshAt(int64_t index) const {
  return config_.epochNs + config_.refreshPhaseNs + index * config_.refreshNs;
}

double SimState::WindowMeanW(unsigned int dev, int64_t refreshIndex) {
  int64_t at = RefreshAt(refreshIndex);
  int64_t from = std::max<int64_t>(at - config_.windowNs, config_.epochNs);
  double mean = at > from ? (EnergyMj(dev, at) - EnergyMj(dev, from)) / (static_cast<double>(at - from) * 1e-6)
                          : devices_[dev].history.front().watts;
  return mean + config_.noiseW * NormalDraw(config_.seed, dev, refreshIndex);
}

double SimState::SensorW(unsigned int dev, int64_t tNs) {
  if (config_.idealSensor) return PowerW(dev, tNs);
  PollControl(tNs);
  if (tNs > lastEvalNs_) lastEvalNs_ = tNs;
  int64_t k = RefreshIndex(tNs);
  return k < 0 ? devices_[dev].history.front().watts : std::max(0.0, WindowMeanW(dev, k));
}

double SimState::CountedMj(unsigned int dev, int64_t tNs) {
  if (!config_.windowedCounter) return EnergyMj(dev, tNs);
  // Only the sensor's windows are integrated: each refresh credits its window's mean power for
  // the whole refresh period.
  SimDevice& d = devices_[dev];
  int64_t refreshes = RefreshIndex(tNs) + 1;
  if (refreshes < d.windowedRefreshes) {
    double mj = 0;
    for (int64_t k = 0; k < refreshes; ++k) mj += WindowMeanW(dev, k) * static_cast<double>(config_.refreshNs) * 1e-6;
    return mj;
  }
  for (; d.windowedRefreshes < refreshes; ++d.windowedRefreshes) {
    d.windowedMj += WindowMeanW(dev, d.windowedRefreshes) * static_cast<double>(config_.refreshNs) * 1e-6;
  }
  return d.windowedMj;
}

double SimState::CounterMj(unsigned int dev, int64_t tNs) {
  PollControl(tNs);
  if (tNs > lastEvalNs_) lastEvalNs_ = tNs;
  int64_t since = tNs - config_.epochNs;
  int64_t stepped = since < 0 ? config_.epochNs : config_.epochNs + (since / config_.periodNs) * config_.periodNs;
  double e = CountedMj(dev, stepped);
  if (config_.counterResetAtS >= 0) {
    int64_t resetNs = config_.epochNs + static_cast<int64_t>(config_.counterResetAtS * 1e9);
    if (stepped >= resetNs) return std::floor(e - CountedMj(dev, resetNs));
  }
  return std::floor(config_.energyStartMj + e);
}

double SimState::AverageW(unsigned int dev, int64_t tNs, int64_t windowNs) {
  PollControl(tNs);
  if (tNs > lastEvalNs_) lastEvalNs_ = tNs;
  int64_t from = std::max<int64_t>(tNs - windowNs, config_.epochNs);
  if (tNs <= from) return PowerW(dev, tNs);
  return (EnergyMj(dev, tNs) - EnergyMj(dev, from)) / (static_cast<double>(tNs - from) * 1e-6);
}

}  // namespace wattscope_sim
