/** `wattscope watch`: live power and energy per GPU, and the CPU's power from RAPL, until Ctrl-C. */
import { EnergyMonitor } from '../monitor/monitor.js';
import { CounterBridge } from '../metrics/counter-bridge.js';
import { type GpuReadingState, readGpu } from '../metrics/gpu-reading.js';
import { NvmlSession } from '../nvml/session.js';
import { fmt, nvmlFlags, nvmlOptionsFrom, parse, positiveNumber, str } from './common.js';

export const watchHelp = `wattscope watch [--interval SECONDS] [--count N] [--json] [--simulate] [--nvml-library PATH]
  Prints power (W) and energy since start (J) per GPU every interval (default 1 s) until Ctrl-C, and the
  CPU packages' and DRAM power (W) over the interval from RAPL where it is readable (else why not, once).`;

/** A line of CPU power (RAPL) for the interval just ended, or why there is none. */
function cpuLine(monitor: EnergyMonitor | null, windowS: number, elapsedS: number, json: boolean): string {
  const status = monitor?.cpuStatus(windowS) ?? null;
  const packageW = status && status.zones.length > 0 && Number.isFinite(status.packageW) ? status.packageW : null;
  const dramW = status && Number.isFinite(status.dramW) ? status.dramW : null;
  // A zone read fewer than twice in the window (its sampler thread starved) has no power to give: said, never a silent null.
  const unread = status !== null && (packageW === null || dramW === null) ? `a RAPL zone was not read twice in the last ${windowS} s` : null;
  const reason = status === null ? 'CPU energy is not read' : (status.reason ?? unread);
  if (json) return JSON.stringify({ elapsedS, cpu: { packageW, dramW, reason } }) + '\n';
  return `${fmt(elapsedS, 1, 's').padStart(8)}  CPU    ${fmt(packageW, 1, ' W').padStart(9)}  DRAM ${fmt(dramW, 1, ' W')}${reason ? `  (${reason})` : ''}\n`;
}

export async function watchCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...nvmlFlags, interval: { type: 'string' }, count: { type: 'string' } });
  if (values.help) {
    process.stdout.write(watchHelp + '\n');
    return 0;
  }
  const intervalS = positiveNumber(str(values, 'interval'), 'interval', 1);
  const count = values.count === undefined ? Infinity : positiveNumber(str(values, 'count'), 'count', 1);
  const session = NvmlSession.open(nvmlOptionsFrom(values));
  const n = session.deviceCount();
  // Each GPU's counter comes from the monitor's sampler where it states it closely (a real H200's
  // driver takes ~3 ms to read it), as the exporter's does; the CPU's power from its RAPL reads (10 a
  // second). Every GPU NVML sees, in NVML's order, as the lines are numbered.
  const monitor = await EnergyMonitor.open({
    ...nvmlOptionsFrom(values),
    sampleHz: 200,
    cpuSampleHz: 10,
    cudaVisibleDevices: Array.from({ length: n }, (_, i) => i).join(','),
    cudaDeviceOrder: 'PCI_BUS_ID',
    ifUnavailable: 'noop',
  }).catch(() => null);
  const gpus: GpuReadingState[] = Array.from({ length: n }, (_, index) => ({
    index,
    bridge: new CounterBridge(),
    status: null,
    failure: null,
    counterSource: null,
  }));
  for (const gpu of gpus) readGpu(session, gpu, monitor);
  const startJ = gpus.map((gpu) => gpu.bridge.totalJ);
  const startNs = process.hrtime.bigint();
  let printed = 0;
  return await new Promise<number>((resolve) => {
    const stop = (code: number) => {
      clearInterval(timer);
      process.off('SIGINT', onSigint);
      session.close();
      void (monitor?.close() ?? Promise.resolve()).then(() => resolve(code));
    };
    const onSigint = () => {
      if (!values.json) process.stdout.write('\nstopped\n');
      stop(0);
    };
    const tick = () => {
      const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
      for (let i = 0; i < n; i++) {
        const gpu = gpus[i]!;
        readGpu(session, gpu, monitor);
        const s = gpu.status;
        const e0 = startJ[i] ?? null;
        const energyJ = s !== null && gpu.bridge.totalJ !== null && e0 !== null ? gpu.bridge.totalJ - e0 : null;
        const powerW = s === null ? null : (s.instantPowerW ?? s.powerW);
        const temperatureC = s?.temperatureC ?? null;
        if (values.json) {
          process.stdout.write(JSON.stringify({ elapsedS, gpu: i, powerW, energyJ, temperatureC, ...(gpu.failure ? { failure: gpu.failure } : {}) }) + '\n');
        } else {
          process.stdout.write(
            `${fmt(elapsedS, 1, 's').padStart(8)}  GPU ${i}  ${fmt(powerW, 1, ' W').padStart(9)}  ` +
              `${fmt(energyJ, 2, ' J').padStart(12)}  ${fmt(temperatureC, 0, ' C')}${gpu.failure ? `  (${gpu.failure})` : ''}\n`,
          );
        }
      }
      process.stdout.write(cpuLine(monitor, intervalS, elapsedS, values.json === true));
      if (++printed >= count) stop(0);
    };
    process.on('SIGINT', onSigint);
    const timer = setInterval(tick, intervalS * 1000);
  });
}
