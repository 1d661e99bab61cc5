// A background thread that polls each selected GPU's energy counter and power
// at a fixed rate into a bounded ring buffer per GPU. JS drains the buffers in
// bulk. The thread never touches N-API, so it cannot keep the process alive.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../nvml/nvml_loader.h"
#include "counter_schedule.h"
#include "device_queries.h"
#include "driver_stream.h"
#include "rapl_poller.h"

namespace wattscope {

// energyRet of a sample whose counter was not read at that tick (the schedule skipped it).
constexpr int32_t kCounterNotRead = -1;
// energyRet of a read that opened a sparse window: its value is the counter's, but the change since
// the previous read holds steps that were not read, so it places no update (counter_schedule.h).
constexpr int32_t kCounterBaseline = -2;

struct SampleRecord {
  int64_t tNs;        // monotonic midpoint of the two reads
  double energyMj;    // NaN when the counter read failed, is unsupported or was not made
  double powerMw;     // NaN when the power read failed
  int32_t energyRet;  // nvmlReturn_t of the counter read
  int32_t powerRet;   // nvmlReturn_t of the power read
};

// The clocks event reasons read at tNs (nvmlClocksEventReason* bits), about 10 times a second.
struct ClocksEventRecord {
  int64_t tNs;
  unsigned long long reasons;
};

// The calling thread's CPU time, ns, or -1 where the platform has no per-thread clock.
int64_t ThreadCpuNs();

// Sleeps until the monotonic instant `deadlineNs` (MonotonicNowNs's clock).
void SleepUntilNs(int64_t deadlineNs);

// Where each sample's power comes from, chosen once per device, newest first:
// the instant field (186), nvmlDeviceGetPowerUsage (a 1 s average), the average field (185).
enum class PowerSource { kInstantField, kPowerUsage, kAverageField, kNone };
// Where the energy counter comes from: the function, else its field value (83).
enum class EnergySource { kFunction, kField, kNone };

struct SamplerConfig {
  std::vector<unsigned int> indices;
  double hz = 1000.0;
  size_t capacity = 16384;  // samples kept per GPU between drains
  // RAPL zones read every raplEveryTicks ticks on the same thread (none: no CPU energy).
  std::vector<RaplZone> raplZones;
  uint64_t raplEveryTicks = 1;
  // When the energy counter is read: every tick, or around its expected steps (counter_schedule.h).
  CounterReads counterReads = CounterReads::kEveryTick;
  // Instead, per GPU: sparse steps where the driver keeps its own power samples and a counter read
  // through nvmlDeviceGetTotalEnergyConsumption costs kSlowCounterReadNs or more (a real H200: ~3 ms
  // of busy CPU), else every tick.
  bool counterReadsAuto = false;
};

// A counter read this slow (the faster of two at start) makes counterReadsAuto read it sparsely.
constexpr int64_t kSlowCounterReadNs = 1000000;

struct SamplerSlotInfo {
  unsigned int index;
  PowerSource powerSource;
  bool hasEnergyCounter;
  EnergySource energySource;
  bool hasClocksEventReasons;  // the driver answers nvmlDeviceGetCurrentClocksEventReasons for it
  bool hasDriverSamples;       // the driver answers nvmlDeviceGetSamples(TOTAL_POWER) for it
  int driverSamplesRet;        // its answer to the first call (NVML_SUCCESS where it has them)
  CounterReads counterReads;   // when its counter is read
};

struct SamplerStats {
  uint64_t ticks = 0;
  uint64_t lateTicks = 0;    // ticks skipped because polling fell behind
  uint64_t pollNsTotal = 0;  // time spent inside NVML calls
  uint64_t pollNsMax = 0;
  std::vector<uint64_t> energyReads;        // per slot: counter reads made
  std::vector<uint64_t> energyReadNsTotal;  // per slot: the time they took
  std::vector<uint64_t> counterRelearns;    // per slot: learnt counter grids found wrong (around steps)
  uint64_t threadCpuNs = 0;                 // the sampler thread's own CPU time so far
  int64_t startedNs = 0;
  std::vector<uint64_t> dropped;  // per slot: samples overwritten before a drain
};

class Sampler {
 public:
  // Probes each device once (which power source, whether the counter works)
  // and starts the thread. Returns null and fills `failure` when a device
  // cannot be opened.
  static std::unique_ptr<Sampler> Start(std::shared_ptr<NvmlLibrary> lib, const SamplerConfig& config,
                                        NvmlFailure* failure);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Stops and joins the thread, waking it at once whatever the rate. Idempotent.
  void Stop();
  bool running() const { return running_.load(); }
  // Appends the buffered samples and clocks event records of `slot` to `out` and `clocksOut`, and
  // empties the buffers.
  void Drain(size_t slot, std::vector<SampleRecord>* out, std::vector<ClocksEventRecord>* clocksOut);
  SamplerStats stats() const;
  const std::vector<SamplerSlotInfo>& slots() const { return slotInfo_; }
  // The driver's power samples of `slot` drained since the last call (see driver_stream.h).
  void DrainDriverSamples(size_t slot, std::vector<DriverPowerRecord>* out);
  // The driver sample stream of `slot` (its counts), or null for a slot that does not exist.
  const DriverPowerStream* driverStream(size_t slot) const {
    return slot < driverStreams_.size() ? driverStreams_[slot].get() : nullptr;
  }
  // The RAPL zones' poller, or null when none was asked for.
  RaplPoller* rapl() const { return rapl_.get(); }

 private:
  struct Ring {
    std::vector<SampleRecord> data;
    size_t head = 0;  // next write
    size_t size = 0;
    uint64_t dropped = 0;
    std::vector<ClocksEventRecord> clocksEvents;  // since the last drain (oldest dropped past kMaxClocksEvents)
  };
  static constexpr size_t kMaxClocksEvents = 4096;
  // Reads each slot's clocks event reasons (every clocksEveryTicks_ ticks).
  void PollClocksEvents();

  Sampler() = default;
  void Run();
  void PollOnce();

  std::shared_ptr<NvmlLibrary> lib_;
  std::unique_ptr<DeviceQueries> queries_;
  std::vector<nvmlDevice_t> devices_;
  std::vector<SamplerSlotInfo> slotInfo_;
  std::vector<CounterSchedule> counterSchedules_;                  // per slot
  std::vector<std::unique_ptr<DriverPowerStream>> driverStreams_;  // per slot
  int64_t periodNs_ = 1000000;
  uint64_t clocksEveryTicks_ = 100;  // ticks between clocks event reads: about 10 per second
  // Ticks between reads of the thread's CPU clock (a system call; in a VM, a costly one): ~100 a second.
  uint64_t cpuClockEveryTicks_ = 10;
  std::unique_ptr<RaplPoller> rapl_;
  uint64_t raplEveryTicks_ = 1;

  mutable std::mutex mutex_;  // guards rings_ and stats_
  std::vector<Ring> rings_;
  SamplerStats stats_;

  // Waits until the monotonic instant `deadlineNs`, or until Stop() asks the thread to end.
  void WaitUntilNs(int64_t deadlineNs);

  std::atomic<bool> running_{false};
  std::atomic<bool> stopRequested_{false};
  // Wakes a thread waiting out a long period (slow rates) as soon as Stop() is called.
  std::mutex stopMutex_;
  std::condition_variable stopSignal_;
  std::thread thread_;
};

}  // namespace wattscope
