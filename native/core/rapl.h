// RAPL energy through Linux powercap: /sys/class/powercap/intel-rapl:N (a CPU package) and its
// sub-zones intel-rapl:N:M (named core, uncore, dram); AMD Zen CPUs appear through the same
// interface. Plain C++ (no N-API) so that the sampler thread and the native tests use it as the
// addon does. The root is a parameter: tests point it at a tree laid out the same way.
#pragma once

#include <string>
#include <vector>

namespace wattscope {

struct RaplZone {
  std::string id;    // "intel-rapl:0" or "intel-rapl:0:2"
  std::string path;  // the zone's directory
  std::string name;  // its `name` file: "package-0", "core", "uncore", "dram", "psys"
  int package = -1;  // N of intel-rapl:N
  int subzone = -1;  // M of intel-rapl:N:M, -1 for a package zone
  double maxEnergyRangeUj = 0;
  bool readable = false;
  int readErrno = 0;  // why energy_uj cannot be read (EACCES since CVE-2020-8694), 0 when readable
};

// The zones under `root` (default /sys/class/powercap), packages and their sub-zones, in order.
// An absent root or a directory without RAPL zones gives none.
std::vector<RaplZone> DiscoverRaplZones(const std::string& root);

// Reads a zone's energy_uj; false (and errno in *error) when it cannot.
bool ReadRaplEnergyUj(const RaplZone& zone, double* energyUj, int* error);

// A zone's cumulative energy across the counter's wraparounds (it restarts from 0 past
// max_energy_range_uj), µJ from the first reading.
class RaplAccumulator {
 public:
  explicit RaplAccumulator(double maxEnergyRangeUj) : maxRangeUj_(maxEnergyRangeUj) {}
  // Feeds a raw reading; returns the energy since the first reading, µJ.
  double Update(double rawUj);

 private:
  double maxRangeUj_;
  bool started_ = false;
  double firstUj_ = 0;
  double lastUj_ = 0;
  double wrapsUj_ = 0;
};

}  // namespace wattscope
