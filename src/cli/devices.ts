/** `wattscope devices [--json] [--sensor [--sensor-ms N]]`: the GPUs NVML sees, and optionally their power sensor. */
import { EnergyMonitor } from '../monitor/monitor.js';
import { describeSensor, driverShaped, type SensorInfo } from '../sampling/sensor-detect.js';
import { DEFAULT_POWERCAP_ROOT, listRaplZones, type RaplZone } from '../cpu/rapl-zones.js';
import { listDevices } from '../nvml/session.js';
import { fmt, nvmlFlags, nvmlOptionsFrom, parse, positiveNumber, str, table } from './common.js';

export const devicesHelp = `wattscope devices [--json] [--sensor [--sensor-ms N]] [--cpu] [--simulate] [--nvml-library PATH]
  Lists the GPUs with their energy counter (J), power (W), temperature and clocks, then the CPU's
  RAPL energy zones (powercap; WATTSCOPE_POWERCAP_ROOT) and whether each is readable.
  --cpu lists the RAPL zones alone (with --json: as JSON).
  --sensor samples each GPU for --sensor-ms (1500) and tells its power sensor: instant, periodic
  with its refresh period (an H100: about 100 ms), a 1 s average, or unknown while the reading
  stays flat (an idle GPU may hold it flat: monitor.gpus[i].sensor tells it under load).`;

const deviceFlags = { ...nvmlFlags, sensor: { type: 'boolean' }, 'sensor-ms': { type: 'string' }, cpu: { type: 'boolean' } } as const;

/** The RAPL zones, one line each: readable, or why not and what to do. */
function raplLines(zones: RaplZone[]): string[] {
  const root = process.env.WATTSCOPE_POWERCAP_ROOT ?? DEFAULT_POWERCAP_ROOT;
  if (zones.length === 0) return [`CPU energy (RAPL): no zone under ${root} (a virtual machine, or not Linux); CPU energy is not measured`];
  return zones.map((z) => `RAPL ${z.id} (${z.name || 'unnamed'}): ${z.readable ? 'readable' : `not readable: ${z.problem}`}`);
}

/** What the sampler cost for one GPU: each kind of reading's rate, the counter read's time, the sampler thread's CPU. */
interface SamplerCost {
  powerReadsPerS: number;
  counterReadsPerS: number;
  meanCounterReadMs: number;
  /** The driver's own power samples per second, or why there are none (its refusal). */
  driverSamplesPerS: number;
  driverSamplesRefusal: string | null;
  /** The sampler thread's CPU (all GPUs), as a share of one core. */
  samplerCpuFraction: number;
}

/** The driver's power samples as the devices listing says them: their rate, or the driver's refusal. */
function driverSamplesLine(sampler: SamplerCost): string {
  if (sampler.driverSamplesRefusal !== null) return `driver power samples refused (${sampler.driverSamplesRefusal})`;
  return `driver power samples ${fmt(sampler.driverSamplesPerS, 0)}/s`;
}

/** Each GPU's sensor as learnt from `durationMs` of sampling at 1 kHz, and what the sampling cost, by NVML index. */
async function probeSensors(
  values: Record<string, string | boolean | undefined>,
  durationMs: number,
): Promise<Map<number, { sensor: SensorInfo; driverShaped: boolean; sampler: SamplerCost }>> {
  const monitor = await EnergyMonitor.open({ ...nvmlOptionsFrom(values), gpus: 'all' });
  try {
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    await monitor.settle();
    const stats = monitor.stats();
    return new Map(
      monitor.gpus.map((gpu) => {
        const own = stats.gpus.find((g) => g.gpu === gpu.index);
        const sampler = {
          powerReadsPerS: own?.powerReadsPerS ?? 0,
          counterReadsPerS: own?.counterReadsPerS ?? 0,
          meanCounterReadMs: (own?.meanCounterReadNs ?? 0) / 1e6,
          driverSamplesPerS: own?.driverSamplesPerS ?? 0,
          driverSamplesRefusal: gpu.driverSamples.refusal,
          samplerCpuFraction: stats.samplerCpuFraction,
        };
        return [gpu.index, { sensor: gpu.sensor, driverShaped: driverShaped(gpu), sampler }];
      }),
    );
  } finally {
    await monitor.close();
  }
}

export async function devicesCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, deviceFlags);
  if (values.help) {
    process.stdout.write(devicesHelp + '\n');
    return 0;
  }
  if (values.cpu) {
    const zones = listRaplZones();
    process.stdout.write(values.json ? JSON.stringify(zones, null, 2) + '\n' : raplLines(zones).join('\n') + '\n');
    return 0;
  }
  const { library, devices } = listDevices(nvmlOptionsFrom(values));
  const sensors = values.sensor ? await probeSensors(values, positiveNumber(str(values, 'sensor-ms'), 'sensor-ms', 1500)) : null;
  if (values.json) {
    const withSensor = sensors
      ? devices.map((d) => ({ ...d, sensor: sensors.get(d.index)?.sensor ?? null, sampler: sensors.get(d.index)?.sampler ?? null }))
      : devices;
    process.stdout.write(JSON.stringify(withSensor, null, 2) + '\n');
    return 0;
  }
  const rows = devices.map((d) => [
    String(d.index),
    d.name ?? 'n/a',
    d.uuid ?? 'n/a',
    d.pciBusId ?? 'n/a',
    fmt(d.totalEnergyJ, 3),
    fmt(d.powerW, 1),
    fmt(d.instantPowerW, 1),
    fmt(d.temperatureC, 0),
    fmt(d.smClockMhz, 0),
  ]);
  const source = library.simulated ? 'simulated GPU' : library.path;
  process.stdout.write(`NVML ${library.nvmlVersion ?? '?'}, driver ${library.driverVersion ?? '?'} (${source})\n`);
  process.stdout.write(table(['GPU', 'name', 'uuid', 'pci', 'energy_J', 'power_W', 'instant_W', 'temp_C', 'sm_MHz'], rows) + '\n');
  for (const [index, { sensor, driverShaped: shaped, sampler }] of sensors ?? []) {
    process.stdout.write(`GPU ${index} power sensor: ${describeSensor(sensor, shaped)}\n`);
    process.stdout.write(
      `GPU ${index} sampler: power read ${fmt(sampler.powerReadsPerS, 0)}/s, energy counter read ${fmt(sampler.counterReadsPerS, 0)}/s taking ${fmt(sampler.meanCounterReadMs, 3)} ms each, ${driverSamplesLine(sampler)}; the sampler thread used ${fmt(sampler.samplerCpuFraction * 100, 1)}% of a core\n`,
    );
  }
  if (library.missingSymbols.length > 0) {
    process.stdout.write(`not available in this NVML: ${library.missingSymbols.join(', ')}\n`);
  }
  process.stdout.write(raplLines(listRaplZones()).join('\n') + '\n');
  return 0;
}
