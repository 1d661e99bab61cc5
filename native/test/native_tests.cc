// Native unit tests: the loader, device queries and sampler against the
// simulated GPU, without Node. Built by CMake (also under ASan/UBSan) and run
// by ctest. Prints "N passed, N failed".
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../core/clock.h"
#include "../core/device_queries.h"
#include "../core/rapl.h"
#include "../core/rapl_poller.h"
#include "../core/sampler.h"
#include "../nvml/nvml_codes.h"
#include "../nvml/nvml_loader.h"

using namespace wattscope;

namespace {

int g_passed = 0;
int g_failed = 0;
bool g_current_ok = true;

#define EXPECT(cond)                                                \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      g_current_ok = false;                                         \
    }                                                               \
  } while (0)

void Run(const char* name, const std::function<void()>& fn) {
  g_current_ok = true;
  fn();
  std::printf("%s %s\n", g_current_ok ? "ok  " : "FAIL", name);
  (g_current_ok ? g_passed : g_failed)++;
}

void ClearSimEnv() {
  const char* vars[] = {"WATTSCOPE_SIM_DEVICES",  "WATTSCOPE_SIM_TRACE",     "WATTSCOPE_SIM_FAULTS",
                        "WATTSCOPE_SIM_EPOCH_NS", "WATTSCOPE_SIM_PERIOD_MS", "WATTSCOPE_SIM_MIG"};
  for (const char* v : vars) unsetenv(v);
  // These tests were written against the published H100 model (idle 70 W, instant reads); the
  // library's default is the measured H200, tested in the TypeScript suite.
  setenv("WATTSCOPE_SIM_SENSOR", "h100", 1);
}

std::shared_ptr<NvmlLibrary> OpenSim(const char* path = WATTSCOPE_SIM_PATH) {
  NvmlFailure f;
  auto lib = NvmlLibrary::Open(path, &f);
  if (!lib) std::printf("  open failed: %s %s\n", NvmlReturnName(f.ret), f.detail.c_str());
  return lib;
}

}  // namespace

int main() {
  Run("missing library gives LIBRARY_NOT_FOUND with a clear sentence", [] {
    NvmlFailure f;
    auto lib = NvmlLibrary::Open("/nonexistent/libnvidia-ml.so.1", &f);
    EXPECT(!lib);
    EXPECT(f.ret == NVML_ERROR_LIBRARY_NOT_FOUND);
    EXPECT(f.detail.find("WATTSCOPE_NVML_LIBRARY") != std::string::npos);
  });

  Run("versioned symbols bind on a current driver", [] {
    ClearSimEnv();
    auto lib = OpenSim();
    EXPECT(lib != nullptr);
    if (!lib) return;
    // The four versioned entry points, nvmlDeviceGetPciInfo_v2 kept as _v3's fallback, and the
    // clocks event reasons under their current name.
    EXPECT(lib->boundSymbols().size() == 6);
    EXPECT(lib->boundSymbols()[0] == "nvmlInit_v2");
    EXPECT(lib->boundSymbols()[4] == "nvmlDeviceGetPciInfo_v2");
    EXPECT(lib->boundSymbols()[5] == "nvmlDeviceGetCurrentClocksEventReasons");
    EXPECT(lib->missingSymbols().empty());
  });

  Run("a newer query the driver refuses falls back to its older equivalent", [] {
    ClearSimEnv();
    setenv("WATTSCOPE_SIM_FAULTS",
           "not_supported=nvmlDeviceGetPciInfo_v3,not_found=nvmlDeviceGetTemperatureV,not_supported="
           "nvmlDeviceGetTotalEnergyConsumption",
           1);
    auto lib = OpenSim();
    EXPECT(lib != nullptr);
    if (!lib) return;
    DeviceQueries q(*lib);
    auto d = q.HandleByIndex(0);
    EXPECT(d.ok());
    EXPECT(q.PciBusId(d.value).value == "00000000:18:00.0");
    EXPECT(q.TemperatureC(d.value).ok());
    EXPECT(q.TotalEnergyMj(d.value).ret == NVML_ERROR_NOT_SUPPORTED);
    EXPECT(q.EnergyMjWithFallback(d.value).ok());
    unsetenv("WATTSCOPE_SIM_FAULTS");
  });

  Run("old driver falls back to unversioned symbols and disables missing features", [] {
    ClearSimEnv();
    auto lib = OpenSim(WATTSCOPE_SIM_LEGACY_PATH);
    EXPECT(lib != nullptr);
    if (!lib) return;
    EXPECT(lib->boundSymbols()[0] == "nvmlInit");
    DeviceQueries q(*lib);
    auto d = q.HandleByIndex(0);
    EXPECT(d.ok());
    EXPECT(q.InstantPowerMw(d.value).ret == NVML_ERROR_FUNCTION_NOT_FOUND);
    EXPECT(q.TemperatureC(d.value).ok());  // falls back to nvmlDeviceGetTemperature
    EXPECT(q.PciBusId(d.value).value == "0000:18:00.0");
    // The clocks event reasons under their old name (nvmlDeviceGetCurrentClocksThrottleReasons).
    Query<unsigned long long> reasons = q.ClocksEventReasons(d.value);
    EXPECT(reasons.ok() && reasons.value == NVML_CLOCKS_EVENT_REASON_GPU_IDLE);
    EXPECT(std::string(reasons.function) == "nvmlDeviceGetCurrentClocksThrottleReasons");
  });

  Run("device queries return the simulated H100", [] {
    ClearSimEnv();
    setenv("WATTSCOPE_SIM_DEVICES", "2", 1);
    auto lib = OpenSim();
    if (!lib) {
      EXPECT(false);
      return;
    }
    DeviceQueries q(*lib);
    EXPECT(q.Count().value == 2);
    auto d = q.HandleByIndex(1).value;
    EXPECT(q.Name(d).value == "NVIDIA H100 80GB HBM3");
    EXPECT(q.Architecture(d).value == NVML_DEVICE_ARCH_HOPPER);
    EXPECT(q.Memory(d).value.total == 85520809984ull);
    EXPECT(q.PowerLimitMw(d).value == 700000);
    EXPECT(q.InstantPowerMw(d).value == 70000.0);
    EXPECT(q.TotalEnergyMj(d).ok());
    EXPECT(q.HandleByIndex(2).ret == NVML_ERROR_INVALID_ARGUMENT);
    bool mig = true;
    EXPECT(q.IndexByUuid(q.Uuid(d).value, &mig).value == 1);
    EXPECT(!mig);
  });

  Run("energy counter steps every period and integrates the trace", [] {
    ClearSimEnv();
    int64_t epoch = MonotonicNowNs();
    setenv("WATTSCOPE_SIM_EPOCH_NS", std::to_string(epoch).c_str(), 1);
    setenv("WATTSCOPE_SIM_TRACE", "0:200", 1);
    setenv("WATTSCOPE_SIM_PERIOD_MS", "50", 1);
    auto lib = OpenSim();
    if (!lib) {
      EXPECT(false);
      return;
    }
    DeviceQueries q(*lib);
    auto d = q.HandleByIndex(0).value;
    double e0 = q.TotalEnergyMj(d).value;
    std::this_thread::sleep_for(std::chrono::milliseconds(230));
    double e1 = q.TotalEnergyMj(d).value;
    int64_t elapsed = MonotonicNowNs() - epoch;
    double steps = std::floor(elapsed / 50e6);
    // 200 W for whole 50 ms steps: 10 J per step, counter reported in mJ.
    EXPECT(std::fabs((e1 - e0) - steps * 10000.0) <= 10000.0 + 1);
    EXPECT(std::fmod(e1 - 123456789.0, 10000.0) < 1.0);
  });

  Run("sampler fills per-GPU ring buffers at the requested rate", [] {
    ClearSimEnv();
    setenv("WATTSCOPE_SIM_DEVICES", "2", 1);
    auto lib = OpenSim();
    if (!lib) {
      EXPECT(false);
      return;
    }
    NvmlFailure f;
    SamplerConfig cfg;
    cfg.indices = {0, 1};
    cfg.hz = 1000;
    cfg.capacity = 4096;
    auto s = Sampler::Start(lib, cfg, &f);
    EXPECT(s != nullptr);
    if (!s) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<SampleRecord> a, b;
    std::vector<ClocksEventRecord> clocksA, clocksB;
    // Stopped before draining: the thread keeps ticking at 1 kHz, and a slow drain (a sanitized
    // build) would otherwise leave GPU 1's ring several ticks ahead of GPU 0's.
    s->Stop();
    s->Drain(0, &a, &clocksA);
    s->Drain(1, &b, &clocksB);
    // Clocks event reasons about 10 times a second: idle (70 W) is GPU_IDLE alone.
    EXPECT(s->slots()[0].hasClocksEventReasons);
    EXPECT(clocksA.size() >= 1 && clocksA.size() <= 4);
    EXPECT(!clocksA.empty() && clocksA[0].reasons == NVML_CLOCKS_EVENT_REASON_GPU_IDLE);
    EXPECT(a.size() > 100 && a.size() < 260);
    EXPECT(a.size() == b.size() || a.size() + 1 == b.size() || b.size() + 1 == a.size());
    bool monotonic = true;
    for (size_t i = 1; i < a.size(); ++i) monotonic = monotonic && a[i].tNs > a[i - 1].tNs;
    EXPECT(monotonic);
    EXPECT(!a.empty() && a[0].powerMw == 70000.0);
    EXPECT(s->slots()[0].powerSource == PowerSource::kInstantField);
  });

  Run("sampler ring overwrites the oldest samples and counts them", [] {
    ClearSimEnv();
    auto lib = OpenSim();
    if (!lib) {
      EXPECT(false);
      return;
    }
    NvmlFailure f;
    SamplerConfig cfg;
    cfg.indices = {0};
    cfg.hz = 2000;
    cfg.capacity = 16;
    auto s = Sampler::Start(lib, cfg, &f);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    s->Stop();
    std::vector<SampleRecord> a;
    std::vector<ClocksEventRecord> clocks;
    s->Drain(0, &a, &clocks);
    EXPECT(a.size() == 16);
    EXPECT(s->stats().dropped[0] > 0);
  });

  Run("faults: energy not supported, no permission, driver not loaded, GPU lost", [] {
    ClearSimEnv();
    setenv("WATTSCOPE_SIM_FAULTS", "energy_not_supported", 1);
    {
      auto lib = OpenSim();
      DeviceQueries q(*lib);
      auto d = q.HandleByIndex(0).value;
      EXPECT(q.TotalEnergyMj(d).ret == NVML_ERROR_NOT_SUPPORTED);
      EXPECT(q.PowerUsageMw(d).ok());
    }
    setenv("WATTSCOPE_SIM_FAULTS", "no_permission", 1);
    {
      auto lib = OpenSim();
      DeviceQueries q(*lib);
      auto d = q.HandleByIndex(0).value;
      EXPECT(q.TotalEnergyMj(d).ret == NVML_ERROR_NO_PERMISSION);
    }
    setenv("WATTSCOPE_SIM_FAULTS", "driver_not_loaded", 1);
    {
      NvmlFailure f;
      auto lib = NvmlLibrary::Open(WATTSCOPE_SIM_PATH, &f);
      EXPECT(!lib);
      EXPECT(f.ret == NVML_ERROR_DRIVER_NOT_LOADED);
    }
    setenv("WATTSCOPE_SIM_FAULTS", "gpu_lost_after=0.05", 1);
    {
      auto lib = OpenSim();
      DeviceQueries q(*lib);
      auto d = q.HandleByIndex(0).value;
      EXPECT(q.TotalEnergyMj(d).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(80));
      EXPECT(q.TotalEnergyMj(d).ret == NVML_ERROR_GPU_IS_LOST);
    }
    unsetenv("WATTSCOPE_SIM_FAULTS");
  });

  Run("several libraries open at once balance init and shutdown", [] {
    ClearSimEnv();
    auto a = OpenSim();
    auto b = OpenSim();
    EXPECT(a && b);
    a.reset();
    DeviceQueries q(*b);
    EXPECT(q.Count().ok());
    b.reset();
  });

  Run("RAPL: zones of a powercap tree, their names and ranges, each sub-zone once", [] {
    char dir[] = "/tmp/wattscope-powercap-XXXXXX";
    EXPECT(mkdtemp(dir) != nullptr);
    std::string root = dir;
    auto write = [](const std::string& file, const std::string& text) {
      FILE* f = std::fopen(file.c_str(), "w");
      std::fputs(text.c_str(), f);
      std::fclose(f);
    };
    for (const char* zone : {"/intel-rapl:0", "/intel-rapl:0/intel-rapl:0:0", "/intel-rapl:1", "/not-rapl"}) {
      std::string path = root + zone;
      EXPECT(mkdir(path.c_str(), 0755) == 0);
    }
    write(root + "/intel-rapl:0/name", "package-0\n");
    write(root + "/intel-rapl:0/energy_uj", "1234\n");
    write(root + "/intel-rapl:0/max_energy_range_uj", "262143328850\n");
    write(root + "/intel-rapl:0/intel-rapl:0:0/name", "dram\n");
    write(root + "/intel-rapl:0/intel-rapl:0:0/energy_uj", "99\n");
    write(root + "/intel-rapl:0/intel-rapl:0:0/max_energy_range_uj", "65712999613\n");
    write(root + "/intel-rapl:1/name", "package-1\n");  // no energy_uj: not readable, with its errno
    std::vector<RaplZone> zones = DiscoverRaplZones(root);
    EXPECT(zones.size() == 3);
    if (zones.size() != 3) return;
    EXPECT(zones[0].id == "intel-rapl:0" && zones[0].name == "package-0" && zones[0].readable);
    EXPECT(zones[0].maxEnergyRangeUj == 262143328850.0);
    EXPECT(zones[1].id == "intel-rapl:0:0" && zones[1].name == "dram" && zones[1].package == 0 &&
           zones[1].subzone == 0);
    EXPECT(zones[2].id == "intel-rapl:1" && !zones[2].readable && zones[2].readErrno == ENOENT);
    double uj = 0;
    int error = 0;
    EXPECT(ReadRaplEnergyUj(zones[1], &uj, &error) && uj == 99.0);
    EXPECT(DiscoverRaplZones(root + "/absent").empty());
  });

  Run("RAPL: the accumulator carries the energy across a wraparound", [] {
    RaplAccumulator acc(1000.0);
    EXPECT(acc.Update(900) == 0);
    EXPECT(acc.Update(990) == 90);
    EXPECT(acc.Update(40) == 140);  // wrapped: 90, then 10 up to the range, then 40
    EXPECT(acc.Update(500) == 600);
  });

  Run("RAPL: the poller reads each zone with its span, undoes wraparounds, and records a bad read as such", [] {
    char dir[] = "/tmp/wattscope-poller-XXXXXX";
    EXPECT(mkdtemp(dir) != nullptr);
    std::string zoneDir = std::string(dir) + "/intel-rapl:0";
    EXPECT(mkdir(zoneDir.c_str(), 0755) == 0);
    auto write = [&](const std::string& text) {
      FILE* f = std::fopen((zoneDir + "/energy_uj").c_str(), "w");
      std::fputs(text.c_str(), f);
      std::fclose(f);
    };
    RaplZone zone;
    zone.id = "intel-rapl:0";
    zone.path = zoneDir;
    zone.maxEnergyRangeUj = 1000;
    RaplPoller poller({zone}, 16);
    write("900\n");
    poller.Poll();
    write("50\n");  // wrapped: 100 up to the range, then 50
    poller.Poll();
    write("");  // an empty read: no value, never a 0 (nor a wraparound)
    poller.Poll();
    write("12ab\n");  // a partial number: no value either
    poller.Poll();
    write("70\n");
    poller.Poll();
    std::vector<RaplRecord> records;
    EXPECT(poller.Drain(&records) == 0);
    EXPECT(records.size() == 5);
    if (records.size() != 5) return;
    EXPECT(records[0].energyUj == 0 && records[1].energyUj == 150 && records[4].energyUj == 170);
    EXPECT(std::isnan(records[2].energyUj) && records[2].readErrno == EINVAL);
    EXPECT(std::isnan(records[3].energyUj) && records[3].readErrno == EINVAL);
    EXPECT(records[1].tNs > records[0].tNs && records[0].spanNs > 0 && records[0].zone == 0);
    EXPECT(poller.reads() == 5);
    for (int i = 0; i < 20; ++i) poller.Poll();  // past the capacity of 16: counted as dropped
    records.clear();
    EXPECT(poller.Drain(&records) == 4 && records.size() == 16);
  });

  Run("sampler reads RAPL zones on its thread every N ticks, with a first read before Start returns", [] {
    ClearSimEnv();
    auto lib = OpenSim();
    char dir[] = "/tmp/wattscope-sampler-rapl-XXXXXX";
    EXPECT(mkdtemp(dir) != nullptr);
    std::string zoneDir = std::string(dir) + "/intel-rapl:0";
    EXPECT(mkdir(zoneDir.c_str(), 0755) == 0);
    for (const char* file : {"/name", "/energy_uj", "/max_energy_range_uj"}) {
      FILE* f = std::fopen((zoneDir + file).c_str(), "w");
      std::fputs(std::string(file) == "/name" ? "package-0\n" : "1000000\n", f);
      std::fclose(f);
    }
    if (!lib) {
      EXPECT(false);
      return;
    }
    NvmlFailure f;
    SamplerConfig cfg;
    cfg.indices = {0};
    cfg.hz = 1000;
    cfg.raplZones = DiscoverRaplZones(dir);
    cfg.raplEveryTicks = 10;
    auto s = Sampler::Start(lib, cfg, &f);
    EXPECT(s != nullptr && s->rapl() != nullptr);
    if (!s || !s->rapl()) return;
    EXPECT(s->rapl()->reads() >= 1);  // the read made inside Start
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    s->Stop();
    std::vector<RaplRecord> records;
    s->rapl()->Drain(&records);
    // About 100 reads a second (every 10 ticks at 1 kHz), plus the first.
    EXPECT(records.size() >= 10 && records.size() <= 26);
    EXPECT(!records.empty() && records.back().energyUj == 0 && records.back().readErrno == 0);
  });

  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
