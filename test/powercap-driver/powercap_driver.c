/*
 * A powercap tree driven at known power, for the tests. Each zone's energy_uj is a FIFO: as
 * sysfs computes an attribute when it is read, the driver answers each open with the energy of
 * the zone's power trace at that instant (CLOCK_MONOTONIC, the sampler's clock), wrapped at the
 * zone's range. With an update period, the value is that of the last update (as a real RAPL
 * counter, refreshed about every millisecond); with 0 it is exact at the read (the ideal sensor).
 *
 * Usage: powercap_driver ORIGIN_NS UPDATE_US ZONE_DIR,LOW_W,HIGH_W,PERIOD_MS,RANGE_UJ,OFFSET_UJ ...
 * The power is LOW_W for the first half of each period from ORIGIN_NS and HIGH_W for the second
 * (PERIOD_MS 0: LOW_W throughout). Prints "ready" once every FIFO is in place; runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct zone {
  char fifo[4096];
  double lowW, highW, periodS, rangeUj, offsetUj;
};

static long long originNs;
static long long updateNs;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Energy of the zone's trace from the origin to `s` seconds after it, J. */
static double trace_energy_j(const struct zone *z, double s) {
  if (s <= 0) return 0;
  if (z->periodS <= 0) return z->lowW * s;
  double half = z->periodS / 2;
  double periods = floor(s / z->periodS);
  double rest = s - periods * z->periodS;
  double partial = rest <= half ? z->lowW * rest : z->lowW * half + z->highW * (rest - half);
  return periods * (z->lowW + z->highW) * half + partial;
}

static void *serve(void *arg) {
  const struct zone *z = arg;
  char text[64];
  for (;;) {
    int fd = open(z->fifo, O_WRONLY); /* blocks until a reader opens the file */
    if (fd < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    long long t = now_ns() - originNs;
    if (updateNs > 0) t -= ((t % updateNs) + updateNs) % updateNs;
    double uj = fmod(z->offsetUj + trace_energy_j(z, (double)t / 1e9) * 1e6, z->rangeUj);
    int n = snprintf(text, sizeof text, "%.0f\n", floor(uj));
    /* One answer per open: the FIFO is closed once the reader has taken the answer (the pipe is
       empty) or has gone; the next open then waits for the next reader. */
    if (write(fd, text, (size_t)n) == n) {
      struct pollfd gone = {fd, 0, 0};
      int unread = 1;
      struct timespec pause_10us = {0, 10000};
      while (ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) {
        if (poll(&gone, 1, 0) > 0 && (gone.revents & (POLLERR | POLLHUP))) break;
        nanosleep(&pause_10us, NULL);
      }
    }
    close(fd);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: powercap_driver ORIGIN_NS UPDATE_US ZONE_DIR,LOW_W,HIGH_W,PERIOD_MS,RANGE_UJ,OFFSET_UJ ...\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  originNs = atoll(argv[1]);
  updateNs = atoll(argv[2]) * 1000LL;
  int count = argc - 3;
  struct zone *zones = calloc((size_t)count, sizeof *zones);
  pthread_t thread;
  for (int i = 0; i < count; ++i) {
    char dir[4000];
    double periodMs;
    if (sscanf(argv[i + 3], "%3999[^,],%lf,%lf,%lf,%lf,%lf", dir, &zones[i].lowW, &zones[i].highW, &periodMs,
               &zones[i].rangeUj, &zones[i].offsetUj) != 6) {
      fprintf(stderr, "bad zone: %s\n", argv[i + 3]);
      return 2;
    }
    zones[i].periodS = periodMs / 1000;
    snprintf(zones[i].fifo, sizeof zones[i].fifo, "%s/energy_uj", dir);
    unlink(zones[i].fifo);
    if (mkfifo(zones[i].fifo, 0644) != 0) {
      perror(zones[i].fifo);
      return 1;
    }
    pthread_create(&thread, NULL, serve, &zones[i]);
    pthread_detach(thread);
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
