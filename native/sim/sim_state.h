// State of the simulated GPUs: configuration from the environment, the power
// history of each device (piecewise constant), and the energy arithmetic.
//
// Environment (read at the first nvmlInit):
//   WATTSCOPE_SIM_DEVICES          number of GPUs (default 1)
//   WATTSCOPE_SIM_NAME             device name (default "NVIDIA H200" on profile h200, else
//                                  "NVIDIA H100 80GB HBM3")
//   WATTSCOPE_SIM_NAME_<i>         GPU i's name (a machine of mixed models)
//   WATTSCOPE_SIM_IDLE_W           power before any trace point, W (default 70)
//   WATTSCOPE_SIM_TRACE            "t_s:W,t_s:W,..." piecewise-constant power, all GPUs
//   WATTSCOPE_SIM_TRACE_<i>        the same for GPU i only
//   WATTSCOPE_SIM_EPOCH_NS         monotonic ns that trace times count from (default: init)
//   WATTSCOPE_SIM_PERIOD_MS        energy counter update period (default 100)
//   WATTSCOPE_SIM_SAMPLE_PERIOD_MS driver power-sample buffer period (default 20)
//   WATTSCOPE_SIM_ENERGY_START_MJ  counter value at the epoch (default 123456789)
//   WATTSCOPE_SIM_CONTROL          control file: lines "<t_ns> <gpu|*> <watts>" appended
//                                  at run time set power from monotonic time t_ns on (no
//                                  earlier than the simulator's last read); each change as
//                                  applied is logged to <file>.applied.<pid> (the truth)
//   WATTSCOPE_SIM_MIG              "MIG-uuid@parentIndex;..." MIG instances
//   WATTSCOPE_SIM_SENSOR           the GPU's profile: h200 (default), h100 or ideal (anything else:
//                                  nvmlInit fails, saying so on stderr)
//     h100: the power fields (186, 185's instant part) and the sample buffer are refreshed
//           every WATTSCOPE_SIM_POWER_REFRESH_MS (100) on a grid whose phase
//           (WATTSCOPE_SIM_POWER_PHASE_MS, default derived from WATTSCOPE_SIM_SEED) is independent
//           of the counter's; each value is the mean power of the last
//           WATTSCOPE_SIM_POWER_WINDOW_MS (25) before its refresh, plus Gaussian noise of
//           WATTSCOPE_SIM_NOISE_W (0) W standard deviation. nvmlDeviceGetPowerUsage and field 185
//           are the true 1 s average.
//     ideal: every power reading is the exact instantaneous power.
//     h200 (default): the measured H200 (../shared/data/h200): the h100 fields on top of the power the
//           GPU draws (sim_response.h: lag, response, boost), idle 122.5 W with a CUDA context
//           (WATTSCOPE_SIM_CONTEXT=none: 79 W), the sample buffer one sample every 10-30 ms
//           (mean 20) holding the mean power since the sample before, nvmlDeviceGetPowerUsage and
//           field 185 the 1 s average refreshed every 100 ms, and the counter read (function or
//           field 83) spinning the caller 2.6-5.7 ms (p10-p90; WATTSCOPE_SIM_COUNTER_READ_MS=0
//           for none), one reader at a time.
//   WATTSCOPE_SIM_COUNTER          what the energy counter integrates: true (default; the exact
//                                  integral, stepped every period) or windowed (only the sensor's
//                                  sampled windows, each window's mean times the refresh period)
//   WATTSCOPE_SIM_SEED             seed of the noise and of the default refresh phase (1)
//   WATTSCOPE_SIM_LIFECYCLE_LOG    a file that gets "init <n>" and "shutdown <n>" lines (n the
//                                  count after the call) and "uninitialized <query>" for any
//                                  device query made while NVML is not initialised (tests)
//   WATTSCOPE_SIM_FAULTS           comma list: energy_not_supported, no_permission,
//                                  driver_not_loaded, gpu_lost_after=<s>[@<gpu>] (every GPU,
//                                  or that one alone),
//                                  counter_reset_at=<s>, thermal_after=<s> (87 C and a
//                                  thermal clocks event from then on), not_supported=<query>,
//                                  not_found=<query>: the query answers NOT_SUPPORTED or
//                                  NOT_FOUND (a function name such as
//                                  nvmlDeviceGetTemperatureV, or field<id> such as field186)
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sim_replay.h"
#include "sim_response.h"

namespace wattscope_sim {

struct PowerChange {
  int64_t tNs;
  double watts;
  double cumMj;  // energy from the epoch up to tNs
};

struct SimDevice {
  unsigned int index = 0;
  std::vector<PowerChange> history;  // sorted by tNs, history[0].tNs == epoch
  // Windowed counter: energy credited by the refreshes up to windowedRefreshes (mJ), cached
  // because reads move forward and the past never changes.
  int64_t windowedRefreshes = 0;
  double windowedMj = 0;
  // Profile h200: the power the GPU draws in response to the workload (null on other profiles),
  // and the driver's power samples' instants (jittered, 10-30 ms apart), oldest first.
  std::shared_ptr<PowerResponse> response;
  std::deque<int64_t> sampleTimesNs;
  int64_t samplesMade = 0;
};

struct SimConfig {
  unsigned int deviceCount = 1;
  std::string name = "NVIDIA H100 80GB HBM3";
  std::vector<std::string> names;  // per device: WATTSCOPE_SIM_NAME_<i>, else name
  double idleW = 70.0;
  int64_t epochNs = 0;
  int64_t periodNs = 100000000;
  int64_t samplePeriodNs = 20000000;
  double energyStartMj = 123456789.0;
  std::string controlPath;
  std::vector<std::pair<std::string, unsigned int>> mig;
  bool energyNotSupported = false;
  bool noPermission = false;
  bool driverNotLoaded = false;
  double gpuLostAfterS = -1;
  int lostGpu = -1;  // the one GPU lost (gpu_lost_after=<s>@<i>), or -1: all of them
  double counterResetAtS = -1;
  double thermalAfterS = -1;  // from then on: 87 C, clocks slowed for temperature
  bool idealSensor = false;
  // Profile h200 (the measured H200): a power response, jittered samples, slow counter reads.
  bool h200 = false;
  ResponseParams response;
  // The counter read's time (profile h200): base + a lognormal part (median, log-sd), capped.
  double counterReadBaseMs = 2.3;
  double counterReadMedianMs = 0.8;
  double counterReadSigma = 1.1;
  double counterReadMaxMs = 17.0;
  // Replay of a recording (sim_replay.h): its path prefix, and the recording's instant at the epoch.
  std::string replayPrefix;
  int64_t replayStartNs = -1;
  bool windowedCounter = false;
  int64_t refreshNs = 100000000;
  int64_t windowNs = 25000000;
  int64_t refreshPhaseNs = 0;
  double noiseW = 0;
  unsigned long long seed = 1;
  // Queries the driver refuses although it exports them: name -> NVML return code.
  // Transparent (std::less<>): a query is looked up by its C string, without building a std::string.
  std::map<std::string, int, std::less<>> refusals;
};

class SimState {
 public:
  // Reads the environment and builds the devices. Returns an NVML code.
  int Init();
  // Closes the control file (at the last nvmlShutdown).
  void Release();
  const SimConfig& config() const { return config_; }
  // NVML_SUCCESS, or the code a refused query answers (WATTSCOPE_SIM_FAULTS not_supported=, not_found=).
  // A real driver answers a field read in ~1 µs: with no refusals this costs nothing.
  int Refusal(std::string_view query) const {
    if (config_.refusals.empty()) return 0;
    auto it = config_.refusals.find(query);
    return it == config_.refusals.end() ? 0 : it->second;
  }
  unsigned int count() const { return static_cast<unsigned int>(devices_.size()); }
  // The recording being replayed (null when none), and the recording's instant for a simulated one.
  const Recording* replay() const { return recording_.loaded() ? &recording_ : nullptr; }
  int64_t RecordingNs(int64_t simNs) const { return config_.replayStartNs + (simNs - config_.epochNs); }

  // Caller holds mutex().
  bool Lost(int dev, int64_t nowNs) const;
  // True once the thermal_after= fault has begun (the GPU slows its clocks for temperature).
  bool ThermalSlowdown(int64_t nowNs) const;
  double PowerW(unsigned int dev, int64_t tNs);
  // Profile h200: the driver's power samples whose instants fall in (afterNs, tNs], oldest first,
  // each the mean power since the sample before it (at most the last 120), as (instant, W).
  std::vector<std::pair<int64_t, double>> DriverSamples(unsigned int dev, int64_t afterNs, int64_t tNs);
  // Energy counter as the driver reports it at tNs (stepped, after faults), mJ.
  double CounterMj(unsigned int dev, int64_t tNs);
  // Average power over [tNs - windowNs, tNs], W.
  double AverageW(unsigned int dev, int64_t tNs, int64_t windowNs);
  // What the power sensor reads at tNs (the profile's refresh, window and noise), W.
  double SensorW(unsigned int dev, int64_t tNs);
  std::mutex& mutex() { return mutex_; }

 private:
  double EnergyMj(unsigned int dev, int64_t tNs);
  // The workload's own power and energy (the trace and control file), before any response.
  double WorkloadW(unsigned int dev, int64_t tNs) const;
  double WorkloadEnergyMj(unsigned int dev, int64_t tNs) const;
  void ReadProfileH200();
  // Energy the counter has integrated from the epoch to tNs (true or windowed), mJ.
  double CountedMj(unsigned int dev, int64_t tNs);
  // Index of the last sensor refresh at or before tNs (-1 before the first), and its instant.
  int64_t RefreshIndex(int64_t tNs) const;
  int64_t RefreshAt(int64_t index) const;
  double WindowMeanW(unsigned int dev, int64_t refreshIndex);
  void PollControl(int64_t nowNs);
  void AddChange(SimDevice* d, int64_t tNs, double watts);
  void ParseTrace(SimDevice* d, const std::string& spec);

  SimConfig config_;
  Recording recording_;
  std::vector<SimDevice> devices_;
  std::mutex mutex_;
  long controlOffset_ = 0;
  FILE* controlFile_ = nullptr;  // kept open; only new bytes are read
  FILE* appliedFile_ = nullptr;  // the changes as applied (the truth), kept open
  void RecordApplied(int64_t appliedNs, const char* target, double watts, int64_t requestedNs);
  std::string controlPartial_;
  int64_t lastEvalNs_ = 0;
};

}  // namespace wattscope_sim
