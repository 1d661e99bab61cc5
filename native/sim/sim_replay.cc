#include "sim_replay.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wattscope_sim {
namespace {

// Splits a CSV line of plain numbers; false when a cell is not a number.
bool Numbers(const std::string& line, std::vector<double>* out) {
  out->clear();
  std::stringstream cells(line);
  std::string cell;
  while (std::getline(cells, cell, ',')) {
    char* end = nullptr;
    double value = std::strtod(cell.c_str(), &end);
    if (cell.empty() || end == nullptr || *end != '\0') return false;
    out->push_back(value);
  }
  return true;
}

bool Fail(std::string* error, const std::string& file, size_t line, const std::string& why) {
  *error = file + ":" + std::to_string(line) + ": " + why;
  return false;
}

// A header field "key=value" of the probe's first line ("# mono_ns=... real_ns=..."), or -1.
long long HeaderValue(const std::string& header, const std::string& key) {
  size_t at = header.find(key + "=");
  return at == std::string::npos ? -1 : std::atoll(header.c_str() + at + key.size() + 1);
}

}  // namespace

bool Recording::Load(const std::string& prefix, std::string* error) {
  probe_.clear();
  samples_.clear();
  return LoadProbe(prefix + "-probe.csv", error) && LoadSamples(prefix + "-samples.csv", error);
}

bool Recording::LoadProbe(const std::string& file, std::string* error) {
  std::ifstream in(file);
  if (!in) return Fail(error, file, 0, "cannot open the recording's probe file");
  std::string header, columns, line;
  std::getline(in, header);
  long long mono = HeaderValue(header, "mono_ns");
  long long real = HeaderValue(header, "real_ns");
  if (header.rfind("#", 0) != 0 || mono < 0 || real < 0)
    return Fail(error, file, 1, "expected \"# mono_ns=<ns> real_ns=<ns> ...\"");
  wallMinusMonoNs_ = static_cast<int64_t>(real - mono);
  std::getline(in, columns);
  if (columns.rfind("t_ns,energy_mj,inst_mw,avg_mw,usage_mw,lat_energy_ns", 0) != 0)
    return Fail(error, file, 2, "expected the columns t_ns,energy_mj,inst_mw,avg_mw,usage_mw,lat_energy_ns,...");
  std::vector<double> v;
  for (size_t number = 3; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (!Numbers(line, &v) || v.size() < 6) return Fail(error, file, number, "not a row of numbers");
    ProbeRow row{static_cast<int64_t>(v[0]), v[1], v[2], v[3], v[4], static_cast<int64_t>(v[5])};
    if (!probe_.empty() && row.tNs < probe_.back().tNs) return Fail(error, file, number, "t_ns goes back in time");
    probe_.push_back(row);
  }
  if (probe_.empty()) return Fail(error, file, 3, "no rows");
  return true;
}

bool Recording::LoadSamples(const std::string& file, std::string* error) {
  std::ifstream in(file);
  if (!in) return Fail(error, file, 0, "cannot open the recording's samples file");
  std::string line;
  std::getline(in, line);
  if (line.rfind("t_ns,sample_ts_us,sample_mw", 0) != 0)
    return Fail(error, file, 1, "expected the columns t_ns,sample_ts_us,sample_mw,...");
  std::vector<double> v;
  for (size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (!Numbers(line, &v) || v.size() < 3) return Fail(error, file, number, "not a row of numbers");
    // The sample's wall-clock us on the recording's monotonic clock.
    samples_.push_back({static_cast<int64_t>(v[1]) * 1000 - wallMinusMonoNs_, v[2]});
  }
  // Each drain repeats what the buffer still held: keep each instant once, in order.
  std::sort(samples_.begin(), samples_.end(),
            [](const RecordedSample& a, const RecordedSample& b) { return a.tNs < b.tNs; });
  samples_.erase(std::unique(samples_.begin(), samples_.end(),
                             [](const RecordedSample& a, const RecordedSample& b) { return a.tNs == b.tNs; }),
                 samples_.end());
  return true;
}

const ProbeRow& Recording::At(int64_t tNs) const {
  auto pos =
      std::upper_bound(probe_.begin(), probe_.end(), tNs, [](int64_t t, const ProbeRow& r) { return t < r.tNs; });
  return pos == probe_.begin() ? probe_.front() : *(pos - 1);
}

std::vector<RecordedSample> Recording::SamplesUpTo(int64_t tNs, size_t depth) const {
  auto end = std::upper_bound(samples_.begin(), samples_.end(), tNs,
                              [](int64_t t, const RecordedSample& s) { return t < s.tNs; });
  auto begin = end - std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(depth), end - samples_.begin());
  return std::vector<RecordedSample>(begin, end);
}

}  // namespace wattscope_sim
