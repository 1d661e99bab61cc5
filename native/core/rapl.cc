#include "rapl.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#if !defined(_WIN32)
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace wattscope {
namespace {

// The first line of a small sysfs file, or false with errno.
bool ReadLine(const std::string& file, std::string* line, int* error) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) {
    *error = errno;
    return false;
  }
  char buf[128] = {};
  bool ok = std::fgets(buf, sizeof(buf), f) != nullptr;
  if (!ok) *error = std::ferror(f) ? errno : EIO;
  std::fclose(f);
  if (!ok) return false;
  *line = buf;
  while (!line->empty() && (line->back() == '\n' || line->back() == '\r' || line->back() == ' ')) line->pop_back();
  return true;
}

// Parses "intel-rapl:N" or "intel-rapl:N:M"; false for other entries.
bool ParseZoneId(const std::string& id, int* package, int* subzone) {
  const std::string prefix = "intel-rapl:";
  if (id.compare(0, prefix.size(), prefix) != 0) return false;
  int n = -1;
  int m = -1;
  char tail = 0;
  int fields = std::sscanf(id.c_str() + prefix.size(), "%d:%d%c", &n, &m, &tail);
  if (fields == 1 && n >= 0) {
    *package = n;
    *subzone = -1;
    return true;
  }
  if (fields == 2 && n >= 0 && m >= 0) {
    *package = n;
    *subzone = m;
    return true;
  }
  return false;
}

std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
#if !defined(_WIN32)
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) names.emplace_back(entry->d_name);
    closedir(d);
  }
#endif
  return names;
}

}  // namespace

std::vector<RaplZone> DiscoverRaplZones(const std::string& root) {
  std::vector<RaplZone> zones;
  // Sub-zones are listed both at the root (as links) and inside their package; each once.
  std::vector<std::string> ids;
  for (const std::string& name : ListDirectory(root)) {
    int package, subzone;
    if (ParseZoneId(name, &package, &subzone)) ids.push_back(name);
    if (ParseZoneId(name, &package, &subzone) && subzone < 0) {
      for (const std::string& inner : ListDirectory(root + "/" + name)) {
        int p, s;
        if (ParseZoneId(inner, &p, &s) && s >= 0) ids.push_back(name + "/" + inner);
      }
    }
  }
  for (const std::string& relative : ids) {
    RaplZone zone;
    zone.id = relative.substr(relative.rfind('/') + 1);
    if (std::any_of(zones.begin(), zones.end(), [&](const RaplZone& z) { return z.id == zone.id; })) continue;
    ParseZoneId(zone.id, &zone.package, &zone.subzone);
    zone.path = root + "/" + relative;
    int error = 0;
    std::string text;
    if (ReadLine(zone.path + "/name", &text, &error)) zone.name = text;
    if (ReadLine(zone.path + "/max_energy_range_uj", &text, &error))
      zone.maxEnergyRangeUj = std::strtod(text.c_str(), nullptr);
    double energy = 0;
    zone.readable = ReadRaplEnergyUj(zone, &energy, &zone.readErrno);
    zones.push_back(zone);
  }
  std::sort(zones.begin(), zones.end(), [](const RaplZone& a, const RaplZone& b) {
    return a.package != b.package ? a.package < b.package : a.subzone < b.subzone;
  });
  return zones;
}

bool ReadRaplEnergyUj(const RaplZone& zone, double* energyUj, int* error) {
  *error = 0;
#if defined(_WIN32)
  *error = ENOSYS;
  return false;
#else
  // One open and one read, as sysfs serves an attribute whole on the first read (no stdio buffer:
  // this runs on the sampler thread up to every tick).
  const std::string file = zone.path + "/energy_uj";
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    return false;
  }
  char buf[64];
  ssize_t got;
  do {
    got = read(fd, buf, sizeof(buf) - 1);
  } while (got < 0 && errno == EINTR);
  int readErrno = errno;
  close(fd);
  if (got < 0) {
    *error = readErrno;
    return false;
  }
  buf[got] = '\0';
  // Digits only, then the end or a newline: an empty or partial read is no reading, never a 0.
  char* end = nullptr;
  double value = std::strtod(buf, &end);
  if (got == 0 || end == buf || buf[0] < '0' || buf[0] > '9' || (*end != '\0' && *end != '\n')) {
    *error = EINVAL;
    return false;
  }
  *energyUj = value;
  return true;
#endif
}

double RaplAccumulator::Update(double rawUj) {
  if (!started_) {
    started_ = true;
    firstUj_ = rawUj;
    lastUj_ = rawUj;
    return 0;
  }
  // A reading below the last one: the counter passed max_energy_range_uj and restarted from 0.
  if (rawUj < lastUj_ && maxRangeUj_ > 0) wrapsUj_ += maxRangeUj_;
  lastUj_ = rawUj;
  return wrapsUj_ + rawUj - firstUj_;
}

}  // namespace wattscope
