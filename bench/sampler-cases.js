// The sampler's own cost: CPU share against a bare thread's wake-ups, RAPL on against off, and the
// highest rate it sustains. Part of bench/cases.js (same rows: { name, unit, value, baseline, ratio }).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The cases, given cases.js's helpers. */
export function samplerCases({ EnergyMonitor, benchAddon, quick, now, sleep, row }) {
  /** This process's CPU over `windowMs`, as a share of one core. */
  const cpuShareOver = async (windowMs) => {
    const u0 = process.cpuUsage();
    const t0 = now();
    await sleep(windowMs);
    const u = process.cpuUsage(u0);
    return ((u.user + u.system) * 1000) / Number(now() - t0);
  };
  return {
    async 'sampler-cpu'() {
      const rows = [];
      const windowMs = quick ? 500 : 3000;
      const cpu = () => cpuShareOver(windowMs);
      const b = benchAddon();
      const idle = await cpu();
      for (const hz of [100, 1000, 10000]) {
        // Baseline: what a bare thread waking at this rate costs on this machine (the floor).
        const floor = b.wakeFloor(hz, windowMs);
        const m = await EnergyMonitor.open({ simulate: true, sampleHz: hz });
        await sleep(100);
        const busy = await cpu();
        await m.close();
        rows.push(row(`sampler at ${hz} Hz, 1 GPU, incl. JS drain (vs a bare thread waking at ${hz} Hz)`, '% of a core', (busy - idle) * 100, floor));
      }
      return rows;
    },
    // The sampler on profile h200, whose counter read busy-waits as the real H200's does (~3 ms):
    // what a real driver costs today, against a bare thread waking at the same rate (issue
    // "Sampling a real driver" sets the target: at most 1% of a core per GPU at the defaults).
    async 'sampler-h200'() {
      const rows = [];
      // The sparse reads come every ~2 s: a 10 s window holds about five of their windows.
      const windowMs = quick ? 500 : 10_000;
      const b = benchAddon();
      const saved = { sensor: process.env.WATTSCOPE_SIM_SENSOR, devices: process.env.WATTSCOPE_SIM_DEVICES };
      process.env.WATTSCOPE_SIM_SENSOR = 'h200';
      try {
        // The defaults (counterReads 'auto': sparse on this driver), once each GPU has learnt its
        // counter's grid (one GPU at a time, ~2.5 s each: the window starts after that), then
        // today's every-sample reads for comparison. The sampler thread's own CPU (its stats),
        // against a bare thread waking at the same rate over the same window (both threads mostly
        // asleep, on a machine of two cores or more: what the host steals from one it steals from
        // the other; measured one after the other, the floor moved by 0.3% of a core between runs).
        for (const [counterReads, hz, gpus] of [
          ['auto', 1000, 1],
          ['auto', 1000, 8],
          ['every-sample', 1000, 1],
          ['every-sample', 100, 1],
        ]) {
          process.env.WATTSCOPE_SIM_DEVICES = String(gpus);
          const m = await EnergyMonitor.open({ simulate: true, sampleHz: hz, gpus: 'all', counterReads });
          await sleep(counterReads === 'auto' ? 2800 * gpus : 100);
          // The thread's CPU since it started is samplerCpuFraction x the time since (the monitor's origin).
          const threadCpuNs = () => {
            const at = now();
            return { at, cpuNs: m.stats().samplerCpuFraction * Number(at - m.originNs), stats: m.stats() };
          };
          const before = threadCpuNs();
          // Blocks this thread for the window (the sampler's ring holds 10 s at 1 kHz; the monitor
          // drains it afterwards).
          const floor = b.wakeFloor(hz, windowMs);
          const after = threadCpuNs();
          const elapsedNs = Number(after.at - before.at);
          const threadShare = (after.cpuNs - before.cpuNs) / elapsedNs;
          const readsPerS = ((after.stats.gpus[0].counterReads - before.stats.gpus[0].counterReads) * 1e9) / elapsedNs;
          const driverPerS = ((after.stats.gpus[0].driverSamples - before.stats.gpus[0].driverSamples) * 1e9) / elapsedNs;
          await m.close();
          rows.push(
            row(
              `sampler thread, profile h200, counterReads ${counterReads}, ${hz} Hz, ${gpus} GPU${gpus > 1 ? 's' : ''}: ${readsPerS.toFixed(1)} counter reads/s and ${driverPerS.toFixed(0)} driver power samples/s per GPU (vs a bare thread waking at ${hz} Hz)`,
              '% of a core',
              threadShare * 100,
              floor,
            ),
          );
        }
      } finally {
        for (const [name, value] of [
          ['WATTSCOPE_SIM_SENSOR', saved.sensor],
          ['WATTSCOPE_SIM_DEVICES', saved.devices],
        ])
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
      }
      return rows;
    },
    // The sampler reading RAPL (4 zones: two packages and their DRAM, plain files laid out as
    // /sys/class/powercap) at its rate, against the same sampler with CPU energy off.
    async 'sampler-rapl'() {
      const root = mkdtempSync(path.join(tmpdir(), 'wattscope-bench-powercap-'));
      for (const zone of ['intel-rapl:0', 'intel-rapl:0/intel-rapl:0:0', 'intel-rapl:1', 'intel-rapl:1/intel-rapl:1:0']) {
        mkdirSync(path.join(root, zone), { recursive: true });
        writeFileSync(path.join(root, zone, 'name'), zone.includes('/') ? 'dram\n' : `package-${zone.slice(-1)}\n`);
        writeFileSync(path.join(root, zone, 'energy_uj'), '123456789\n');
        writeFileSync(path.join(root, zone, 'max_energy_range_uj'), '262143328850\n');
      }
      const windowMs = quick ? 500 : 3000;
      const cpuShare = async (options) => {
        const m = await EnergyMonitor.open({ simulate: true, sampleHz: 1000, powercapRoot: root, ...options });
        await sleep(100);
        const share = await cpuShareOver(windowMs);
        const stats = m.stats();
        await m.close();
        return { share, readNs: stats.meanRaplReadNs };
      };
      const off = await cpuShare({ cpu: false });
      const on = await cpuShare({ cpu: true });
      const tenth = await cpuShare({ cpu: true, cpuSampleHz: 100 });
      return [
        row('process CPU with RAPL read at 1 kHz, 4 zones, sampler at 1 kHz (vs RAPL off)', '% of a core', on.share * 100, off.share * 100),
        row('process CPU with RAPL read at 100 Hz, 4 zones, sampler at 1 kHz (vs RAPL off)', '% of a core', tenth.share * 100, off.share * 100),
        // A read of a tmpfs file: a real sysfs energy_uj read also reads an MSR (microseconds more).
        { name: 'one RAPL zone read on the sampler thread (tmpfs file; no baseline)', unit: 'ns', value: on.readNs, baseline: null, ratio: null },
      ];
    },
    async 'sampler-rate'() {
      // The highest rate the sampler sustains: achieved ticks per second for a requested rate.
      const rows = [];
      const windowMs = quick ? 500 : 2000;
      for (const hz of [1000, 5000, 10000, 20000]) {
        const m = await EnergyMonitor.open({ simulate: true, sampleHz: hz });
        const s0 = m.stats();
        const t0 = now();
        await sleep(windowMs);
        const s1 = m.stats();
        const achieved = (s1.ticks - s0.ticks) / (Number(now() - t0) / 1e9);
        await m.close();
        rows.push(row(`sampler rate achieved at ${hz} Hz requested (1 GPU, simulated)`, 'Hz', achieved, hz));
      }
      return rows;
    },
  };
}
