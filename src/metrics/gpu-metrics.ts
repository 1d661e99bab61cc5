/**
 * The exporter's metrics on a prom-client registry, each read when scraped: per GPU (labels gpu,
 * uuid, name) the energy counter (bridged across driver resets), power, temperature and the
 * measured sensor refresh period; per RAPL zone the CPU's energy, where it is measured. A value
 * NVML cannot give is left out of the scrape (never exported as 0).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EnergyMonitor } from '../measure/monitor.js';
import type { NvmlSession } from '../nvml/session.js';
import { CounterBridge } from './counter-bridge.js';

type GpuLabels = 'gpu' | 'uuid' | 'name';

/** One GPU's labels and its counter bridge. */
interface ExportedGpu {
  labels: Record<GpuLabels, string>;
  bridge: CounterBridge;
}

/** Registers the metrics; `refresh()` reads every counter (call it often to keep resets bridged). */
export function registerGpuMetrics(registry: Registry, session: NvmlSession, monitor: EnergyMonitor | null): { refresh: () => void } {
  const gpus: ExportedGpu[] = Array.from({ length: session.deviceCount() }, (_, index) => {
    const info = session.device(index);
    return { labels: { gpu: String(index), uuid: info.uuid ?? '', name: info.name ?? '' }, bridge: new CounterBridge() };
  });
  const refresh = () => {
    for (const [index, gpu] of gpus.entries()) {
      const energyJ = session.status(index).totalEnergyJ;
      if (energyJ !== null) gpu.bridge.update(energyJ);
    }
  };
  const labelNames: GpuLabels[] = ['gpu', 'uuid', 'name'];
  new Counter({
    name: 'wattscope_gpu_energy_joules_total',
    help: "GPU energy since the driver loaded, J (NVML's counter, bridged across driver reloads; DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION is the same counter in mJ)",
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      refresh();
      for (const gpu of gpus) if (gpu.bridge.totalJ !== null) this.inc(gpu.labels, gpu.bridge.totalJ);
    },
  });
  const statusGauge = (name: string, help: string, read: (index: number) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [index, gpu] of gpus.entries()) {
          const value = read(index);
          if (value !== null && Number.isFinite(value)) this.set(gpu.labels, value);
        }
      },
    });
  statusGauge(
    'wattscope_gpu_power_watts',
    'GPU power, W (the instant reading where the driver has one, else the 1 s average that DCGM_FI_DEV_POWER_USAGE reports)',
    (i) => {
      const s = session.status(i);
      return s.instantPowerW ?? s.powerW;
    },
  );
  statusGauge('wattscope_gpu_temperature_celsius', 'GPU temperature, degrees C (DCGM_FI_DEV_GPU_TEMP)', (i) => session.status(i).temperatureC);
  statusGauge(
    'wattscope_gpu_power_sensor_refresh_seconds',
    "How often the GPU's power reading changes, as measured from the samples (absent until known; about 0.1 s on an H100)",
    (i) => {
      const period = monitor?.gpus.find((g) => g.index === i)?.sensor.refreshPeriodMs ?? null;
      return period === null ? null : period / 1000;
    },
  );
  registerCpuMetrics(registry, monitor);
  return { refresh };
}

/** The CPU packages' and DRAM energy per RAPL zone, where the monitor reads them. */
function registerCpuMetrics(registry: Registry, monitor: EnergyMonitor | null): void {
  new Counter({
    name: 'wattscope_cpu_energy_joules_total',
    help: 'CPU energy per RAPL zone (packages and DRAM) since the exporter started, J (absent where RAPL cannot be read: see wattscope devices)',
    labelNames: ['zone'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [zone, energyJ] of Object.entries(monitor?.cpuStatus()?.zoneEnergyJ ?? {})) this.inc({ zone }, energyJ);
    },
  });
}
