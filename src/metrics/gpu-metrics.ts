/**
 * The exporter's metrics on a prom-client registry, each read when scraped: per GPU (the labels
 * dcgm-exporter's dashboards join on: gpu, UUID, modelName, Hostname) whether it answers (`wattscope_gpu_up`), the energy counter (bridged across driver
 * resets), power, temperature and the measured sensor refresh period; per RAPL zone the CPU's
 * energy, where it is measured. A value NVML cannot give is left out of the scrape (never exported
 * as 0). A GPU that stops answering (lost, fallen off the bus) is `wattscope_gpu_up 0` with its
 * other series dropped; the other GPUs go on, and a scrape never fails as a whole for one GPU.
 */
import { hostname } from 'node:os';
import { Counter, Gauge, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import type { EnergyMonitor } from '../monitor/monitor.js';
import type { DeviceStatus, NvmlSession } from '../nvml/session.js';
import { CounterBridge } from './counter-bridge.js';
import { type GpuReadingState, readGpu } from './gpu-reading.js';

/** Registries in either exposition format: the exporter serves each as the scraper asks. */
type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** dcgm-exporter's label names, so that its dashboards' joins find wattscope's series. */
type GpuLabels = 'gpu' | 'UUID' | 'modelName' | 'Hostname';

/** One GPU's labels, its counter bridge and its latest reading (status null: it did not answer). */
interface ExportedGpu extends GpuReadingState {
  labels: Record<GpuLabels, string>;
}

/** Readings younger than this are reused: one NVML read per GPU serves every metric of a scrape, ms. */
const READING_REUSE_MS = 50;

/**
 * Registers the metrics; `refresh()` reads every GPU (call it often to keep resets bridged). It never
 * throws; `onGpuDown` hears of each GPU that stops answering, once per outage, with NVML's reason.
 */
export function registerGpuMetrics(
  registries: AnyRegistry[],
  session: NvmlSession,
  monitor: EnergyMonitor | null,
  onGpuDown: (gpu: number, reason: string) => void = () => {},
): { refresh: () => void } {
  const host = hostname();
  const gpus: ExportedGpu[] = Array.from({ length: session.deviceCount() }, (_, index) => {
    const info = session.device(index);
    const labels = { gpu: String(index), UUID: info.uuid ?? '', modelName: info.name ?? '', Hostname: host };
    return { index, labels, bridge: new CounterBridge(), status: null, failure: null, counterSource: null };
  });
  let readAtMs = -Infinity;
  const refresh = () => {
    readAtMs = performance.now();
    for (const gpu of gpus) {
      const wasUp = gpu.failure === null;
      readGpu(session, gpu, monitor);
      if (wasUp && gpu.failure !== null) onGpuDown(gpu.index, gpu.failure);
    }
  };
  const readIfStale = () => {
    if (performance.now() - readAtMs > READING_REUSE_MS) refresh();
  };
  const labelNames: GpuLabels[] = ['gpu', 'UUID', 'modelName', 'Hostname'];
  new Gauge({
    name: 'wattscope_gpu_up',
    help: 'Whether the GPU answered NVML at this scrape (1) or not (0: lost or unreachable; its other series are absent)',
    labelNames,
    registers: registries,
    collect() {
      this.reset();
      readIfStale();
      for (const gpu of gpus) this.set(gpu.labels, gpu.status === null ? 0 : 1);
    },
  });
  new Counter({
    name: 'wattscope_gpu_energy_joules_total',
    help: "GPU energy since the driver loaded, J (NVML's counter, bridged across driver reloads; DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION is the same counter in mJ)",
    labelNames,
    registers: registries,
    collect() {
      this.reset();
      readIfStale();
      for (const gpu of gpus) if (gpu.status !== null && gpu.bridge.totalJ !== null) this.inc(gpu.labels, gpu.bridge.totalJ);
    },
  });
  registerStatusGauges(registries, labelNames, gpus, readIfStale, monitor);
  registerCpuMetrics(registries, monitor);
  return { refresh };
}

/** The gauges read from each GPU's status (power, average power, temperature) and the sensor's refresh period. */
function registerStatusGauges(
  registries: AnyRegistry[],
  labelNames: GpuLabels[],
  gpus: ExportedGpu[],
  readIfStale: () => void,
  monitor: EnergyMonitor | null,
): void {
  const statusGauge = (name: string, help: string, read: (status: DeviceStatus, index: number) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: registries,
      collect() {
        this.reset();
        readIfStale();
        for (const gpu of gpus) {
          if (gpu.status === null) continue;
          const value = read(gpu.status, gpu.index);
          if (value !== null && Number.isFinite(value)) this.set(gpu.labels, value);
        }
      },
    });
  // Two series, each one kind of reading: which one a driver gives is never left to guess.
  statusGauge(
    'wattscope_gpu_power_watts',
    "GPU power, W: the driver's instant reading (NVML_FI_DEV_POWER_INSTANT; on an H100 refreshed every ~100 ms, each value a ~25 ms mean); absent where the driver has none",
    (status) => status.instantPowerW,
  );
  statusGauge(
    'wattscope_gpu_power_average_watts',
    'GPU power averaged over the last second, W (nvmlDeviceGetPowerUsage, what DCGM_FI_DEV_POWER_USAGE reports)',
    (status) => status.powerW,
  );
  statusGauge('wattscope_gpu_temperature_celsius', 'GPU temperature, degrees C (DCGM_FI_DEV_GPU_TEMP)', (status) => status.temperatureC);
  statusGauge(
    'wattscope_gpu_power_sensor_refresh_seconds',
    "How often the GPU's power reading changes, as measured from the samples (absent until known; about 0.1 s on an H100)",
    (_status, index) => {
      const period = monitor?.gpus.find((g) => g.index === index)?.sensor.refreshPeriodMs ?? null;
      return period === null ? null : period / 1000;
    },
  );
}

/** The CPU packages' and DRAM energy per RAPL zone, where the monitor reads them. */
function registerCpuMetrics(registries: AnyRegistry[], monitor: EnergyMonitor | null): void {
  new Counter({
    name: 'wattscope_cpu_energy_joules_total',
    help: 'CPU energy per RAPL zone (packages and DRAM) since the exporter started, J (absent where RAPL cannot be read: see wattscope devices)',
    labelNames: ['zone'],
    registers: registries,
    collect() {
      this.reset();
      let zones: Record<string, number> = {};
      try {
        zones = monitor?.cpuStatus()?.zoneEnergyJ ?? {};
      } catch {
        return; // the CPU's zones failing to read leave their series out, never the scrape
      }
      for (const [zone, energyJ] of Object.entries(zones)) this.inc({ zone }, energyJ);
    },
  });
}
