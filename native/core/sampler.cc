#include "sampler.h"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>

#include "clock.h"
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace wattscope {

int64_t ThreadCpuNs() {
#if defined(__linux__) || defined(__APPLE__)
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
#endif
  return -1;
}

void SleepUntilNs(int64_t deadlineNs) {
#if defined(__linux__)
  // An absolute CLOCK_MONOTONIC deadline (the clock MonotonicNowNs reads): no drift, one syscall.
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(deadlineNs / 1000000000);
  ts.tv_nsec = static_cast<long>(deadlineNs % 1000000000);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
#else
  std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadlineNs)));
#endif
}

// The faster of two counter reads through nvmlDeviceGetTotalEnergyConsumption, ns; -1 where it fails.
static int64_t FasterCounterReadNs(const DeviceQueries& queries, nvmlDevice_t device) {
  int64_t fastest = -1;
  for (int attempt = 0; attempt < 2; ++attempt) {
    int64_t startNs = MonotonicNowNs();
    if (!queries.TotalEnergyMj(device).ok()) return -1;
    int64_t tookNs = MonotonicNowNs() - startNs;
    if (fastest < 0 || tookNs < fastest) fastest = tookNs;
  }
  return fastest;
}

std::unique_ptr<Sampler> Sampler::Start(std::shared_ptr<NvmlLibrary> lib, const SamplerConfig& config,
                                        NvmlFailure* failure) {
  std::unique_ptr<Sampler> s(new Sampler());
  s->lib_ = std::move(lib);
  s->queries_.reset(new DeviceQueries(*s->lib_));
  s->periodNs_ = static_cast<int64_t>(1e9 / config.hz);
  if (s->periodNs_ < 1000) s->periodNs_ = 1000;
  s->clocksEveryTicks_ = static_cast<uint64_t>(std::max<int64_t>(1, 100000000 / s->periodNs_));
  s->cpuClockEveryTicks_ = static_cast<uint64_t>(std::max<int64_t>(1, 10000000 / s->periodNs_));
  for (unsigned int index : config.indices) {
    Query<nvmlDevice_t> h = s->queries_->HandleByIndex(index);
    if (!h.ok()) {
      failure->ret = h.ret;
      failure->function = h.function;
      failure->deviceIndex = static_cast<int>(index);
      return nullptr;
    }
    SamplerSlotInfo info{index,        PowerSource::kNone, false, EnergySource::kNone, false, false,
                         NVML_SUCCESS, config.counterReads};
    Query<std::vector<PowerSample>> driverProbe = s->queries_->PowerSamples(h.value, 0);
    info.hasDriverSamples = driverProbe.ok();
    info.driverSamplesRet = driverProbe.ret;
    s->driverStreams_.emplace_back(new DriverPowerStream(info.hasDriverSamples, driverProbe.ret));
    info.hasClocksEventReasons = s->queries_->ClocksEventReasons(h.value).ok();
    if (s->queries_->InstantPowerMw(h.value).ok()) {
      info.powerSource = PowerSource::kInstantField;
    } else if (s->queries_->PowerUsageMw(h.value).ok()) {
      info.powerSource = PowerSource::kPowerUsage;
    } else if (s->queries_->AveragePowerFieldMw(h.value).ok()) {
      info.powerSource = PowerSource::kAverageField;
    }
    int64_t counterReadNs = FasterCounterReadNs(*s->queries_, h.value);
    if (counterReadNs >= 0) {
      info.energySource = EnergySource::kFunction;
    } else if (s->queries_->EnergyFieldMj(h.value).ok()) {
      info.energySource = EnergySource::kField;
    }
    info.hasEnergyCounter = info.energySource != EnergySource::kNone;
    if (config.counterReadsAuto) {
      bool slow = counterReadNs >= kSlowCounterReadNs;
      info.counterReads = info.hasDriverSamples && slow ? CounterReads::kSparseSteps : CounterReads::kEveryTick;
    }
    s->devices_.push_back(h.value);
    s->slotInfo_.push_back(info);
    s->counterSchedules_.emplace_back(info.counterReads, static_cast<int64_t>(s->counterSchedules_.size()));
    Ring ring;
    ring.data.resize(config.capacity < 16 ? 16 : config.capacity);
    s->rings_.push_back(std::move(ring));
  }
  if (!config.raplZones.empty()) {
    // Room for the RAPL reads of ten seconds between drains.
    double readsPerS = config.hz / static_cast<double>(std::max<uint64_t>(1, config.raplEveryTicks));
    size_t capacity = static_cast<size_t>(std::min(1e7, std::max(1024.0, readsPerS * 10 * config.raplZones.size())));
    s->rapl_.reset(new RaplPoller(config.raplZones, capacity));
    s->raplEveryTicks_ = std::max<uint64_t>(1, config.raplEveryTicks);
    // A first read before Start returns: every instant after it lies between two reads.
    s->rapl_->Poll();
  }
  s->stats_.dropped.assign(s->rings_.size(), 0);
  s->stats_.energyReads.assign(s->rings_.size(), 0);
  s->stats_.energyReadNsTotal.assign(s->rings_.size(), 0);
  s->stats_.counterRelearns.assign(s->rings_.size(), 0);
  s->stats_.startedNs = MonotonicNowNs();
  s->running_ = true;
  s->thread_ = std::thread(&Sampler::Run, s.get());
  return s;
}

Sampler::~Sampler() { Stop(); }

void Sampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(stopMutex_);
    stopRequested_ = true;
  }
  stopSignal_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

// Periods at least this long are waited on the stop signal (a stop need not wait for the next
// tick); shorter ones sleep on the clock alone, whose wake-ups are the more punctual.
constexpr int64_t kSignalledWaitMinNs = 2000000;

void Sampler::WaitUntilNs(int64_t deadlineNs) {
  if (periodNs_ < kSignalledWaitMinNs) {
    SleepUntilNs(deadlineNs);
    return;
  }
  std::unique_lock<std::mutex> lock(stopMutex_);
  stopSignal_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadlineNs)),
                         [this] { return stopRequested_.load(); });
}

void Sampler::Run() {
#if defined(__linux__)
  // Linux wakes sleeping threads up to 50 us late by default (timer slack), which caps a
  // sampler near 10 kHz; 1 us lets the requested rate through.
  if (periodNs_ < 200000) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
#endif
  int64_t next = MonotonicNowNs();
  // Dither each tick by up to a quarter period either way: a perfectly regular sampler can lock
  // onto the sensor's own update grid, and the counter steps would then always be placed with
  // the same error; dithered, that error is random and averages out (the schedule stays on rate).
  uint64_t rng = static_cast<uint64_t>(next) | 1u;
  const int64_t ditherNs = periodNs_ / 4;
  int64_t base = next;
  while (!stopRequested_.load(std::memory_order_relaxed)) {
    PollOnce();
    base += periodNs_;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    next = base + (ditherNs > 0 ? static_cast<int64_t>(rng % static_cast<uint64_t>(2 * ditherNs + 1)) - ditherNs : 0);
    int64_t now = MonotonicNowNs();
    if (now > next) {
      // Behind schedule: skip the missed ticks rather than bursting.
      int64_t missed = (now - next) / periodNs_ + 1;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.lateTicks += static_cast<uint64_t>(missed);
      }
      base += missed * periodNs_;
      next = base;
    }
    WaitUntilNs(next);
  }
  running_ = false;
}

void Sampler::PollOnce() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Sparse steps learn one GPU's grid at a time (the others are read once a second meanwhile):
  // reading every GPU at every tick would make each GPU's reads too far apart to learn from.
  size_t learningSlot = devices_.size();
  for (size_t i = 0; i < devices_.size() && learningSlot == devices_.size(); ++i)
    if (counterSchedules_[i].learning()) learningSlot = i;
  for (size_t i = 0; i < devices_.size(); ++i) {
    const SamplerSlotInfo& info = slotInfo_[i];
    int64_t t0 = MonotonicNowNs();
    SampleRecord rec{0, nan, nan, NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_NOT_SUPPORTED};
    int64_t energyReadNs = -1;
    if (info.hasEnergyCounter && !counterSchedules_[i].ShouldRead(t0, i == learningSlot)) {
      rec.energyRet = kCounterNotRead;
    } else if (info.hasEnergyCounter) {
      Query<double> e = info.energySource == EnergySource::kField ? queries_->EnergyFieldMj(devices_[i])
                                                                  : queries_->TotalEnergyMj(devices_[i]);
      int64_t readEnd = MonotonicNowNs();
      energyReadNs = readEnd - t0;
      rec.energyRet = e.ret;
      if (e.ok()) rec.energyMj = e.value;
      counterSchedules_[i].Observe(t0, readEnd, rec.energyMj);
      if (e.ok() && counterSchedules_[i].lastWasBaseline()) rec.energyRet = kCounterBaseline;
    }
    if (info.powerSource == PowerSource::kInstantField) {
      Query<double> p = queries_->InstantPowerMw(devices_[i]);
      rec.powerRet = p.ret;
      if (p.ok()) rec.powerMw = p.value;
    } else if (info.powerSource == PowerSource::kPowerUsage) {
      Query<unsigned int> p = queries_->PowerUsageMw(devices_[i]);
      rec.powerRet = p.ret;
      if (p.ok()) rec.powerMw = p.value;
    } else if (info.powerSource == PowerSource::kAverageField) {
      Query<double> p = queries_->AveragePowerFieldMw(devices_[i]);
      rec.powerRet = p.ret;
      if (p.ok()) rec.powerMw = p.value;
    }
    int64_t t1 = MonotonicNowNs();
    rec.tNs = t0 + (t1 - t0) / 2;
    std::lock_guard<std::mutex> lock(mutex_);
    Ring& ring = rings_[i];
    ring.data[ring.head] = rec;
    ring.head = (ring.head + 1) % ring.data.size();
    if (ring.size < ring.data.size()) {
      ++ring.size;
    } else {
      ++ring.dropped;
    }
    uint64_t took = static_cast<uint64_t>(t1 - t0);
    if (energyReadNs >= 0) {
      ++stats_.energyReads[i];
      stats_.energyReadNsTotal[i] += static_cast<uint64_t>(energyReadNs);
      stats_.counterRelearns[i] = static_cast<uint64_t>(counterSchedules_[i].relearns());
    }
    stats_.pollNsTotal += took;
    if (took > stats_.pollNsMax) stats_.pollNsMax = took;
  }
  uint64_t tick;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tick = stats_.ticks++;
  }
  if (tick % clocksEveryTicks_ == 0) PollClocksEvents();
  int64_t now = MonotonicNowNs();
  for (size_t i = 0; i < devices_.size(); ++i) {
    if (driverStreams_[i]->Due(now)) driverStreams_[i]->Poll(*queries_, devices_[i], now);
  }
  if (rapl_ && tick % raplEveryTicks_ == 0) rapl_->Poll();
  if (tick % cpuClockEveryTicks_ != 0) return;
  int64_t cpuNs = ThreadCpuNs();
  std::lock_guard<std::mutex> lock(mutex_);
  if (cpuNs >= 0) stats_.threadCpuNs = static_cast<uint64_t>(cpuNs);
}

void Sampler::PollClocksEvents() {
  for (size_t i = 0; i < devices_.size(); ++i) {
    if (!slotInfo_[i].hasClocksEventReasons) continue;
    Query<unsigned long long> q = queries_->ClocksEventReasons(devices_[i]);
    if (!q.ok()) continue;
    ClocksEventRecord record{MonotonicNowNs(), q.value};
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ClocksEventRecord>& events = rings_[i].clocksEvents;
    if (events.size() >= kMaxClocksEvents) events.erase(events.begin());
    events.push_back(record);
  }
}

void Sampler::Drain(size_t slot, std::vector<SampleRecord>* out, std::vector<ClocksEventRecord>* clocksOut) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot >= rings_.size()) return;
  Ring& ring = rings_[slot];
  clocksOut->insert(clocksOut->end(), ring.clocksEvents.begin(), ring.clocksEvents.end());
  ring.clocksEvents.clear();
  size_t cap = ring.data.size();
  size_t start = (ring.head + cap - ring.size) % cap;
  out->reserve(out->size() + ring.size);
  for (size_t k = 0; k < ring.size; ++k) out->push_back(ring.data[(start + k) % cap]);
  ring.size = 0;
}

void Sampler::DrainDriverSamples(size_t slot, std::vector<DriverPowerRecord>* out) {
  if (slot < driverStreams_.size()) driverStreams_[slot]->Drain(out);
}

SamplerStats Sampler::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  SamplerStats s = stats_;
  for (size_t i = 0; i < rings_.size(); ++i) s.dropped[i] = rings_[i].dropped;
  return s;
}

}  // namespace wattscope
