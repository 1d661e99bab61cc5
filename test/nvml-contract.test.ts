/**
 * The NVML contract: every query wattscope makes, through the real native path
 * (dlopen, symbol lookup, struct layouts, error mapping). Runs against the
 * simulated H100, and additionally against a real NVML when
 * WATTSCOPE_CONTRACT_NVML names one (as on a GPU machine).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NvmlError, NvmlSession } from '../src/index.js';
import { simulatedNvmlPath } from '../src/public/testing.js';
import { configureSim, sleep } from './helpers/sim.js';

const real = process.env.WATTSCOPE_CONTRACT_NVML;
interface Backend {
  name: string;
  library: () => string;
  /** The simulated H100 as configured (exact expectations), or a GPU whose support varies. */
  simulated: boolean;
  /** How to configure the simulator, for the simulated backends. */
  setup?: Parameters<typeof configureSim>[0];
}
const backends: Backend[] = [
  { name: 'simulated H100', library: () => simulatedNvmlPath(), simulated: true, setup: { devices: 2 } },
  // A GPU in MIG mode reports utilization as NOT_SUPPORTED: the suite must skip that reading, saying why, as on a real one.
  {
    name: 'simulated H100 in MIG mode',
    library: () => simulatedNvmlPath(),
    simulated: false,
    setup: { devices: 2, mig: 'MIG-5a1d0000-aaaa-4000-8000-000000000001@0', faults: 'not_supported=nvmlDeviceGetUtilizationRates' },
  },
];
if (real) backends.push({ name: `real NVML (${real})`, library: () => real, simulated: false });

/** Skips the running test, with the reason, when GPU 0 reports `field` as NOT_SUPPORTED on a backend whose support varies. */
function skipIfNotSupported(ctx: { skip: (note?: string) => never }, backend: Backend, unsupported: Record<string, string>, field: string): void {
  if (!backend.simulated && unsupported[field] === 'NVML_ERROR_NOT_SUPPORTED') {
    ctx.skip(`GPU 0 reports ${field} as NVML_ERROR_NOT_SUPPORTED (MIG mode reports utilization so): nothing to check`);
  }
}

for (const backend of backends) {
  describe(`NVML contract: ${backend.name}`, () => {
    let session: NvmlSession | undefined;
    afterEach(() => session?.close());
    const open = () => {
      if (backend.setup) configureSim(backend.setup);
      session = NvmlSession.open({ library: backend.library() });
      return session;
    };

    it('reports the library, its driver and which versioned symbols were bound', () => {
      const s = open();
      expect(s.library.path).toBe(backend.library());
      expect(s.library.driverVersion).toMatch(/^\d+\.\d+/);
      expect(s.library.boundSymbols).toContain('nvmlInit_v2');
      expect(s.library.boundSymbols).toContain('nvmlDeviceGetPciInfo_v3');
    });

    it('lists devices with name, UUID, PCI bus id, architecture, memory and power limit', () => {
      const s = open();
      expect(s.deviceCount()).toBeGreaterThan(0);
      const d = s.device(0);
      expect(d.index).toBe(0);
      expect(d.name).toMatch(/NVIDIA/);
      expect(d.uuid).toMatch(/^GPU-[0-9a-f-]{36}$/);
      expect(d.pciBusId).toMatch(/^[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.\d$/i);
      expect(d.memoryTotalBytes).toBeGreaterThan(1e9);
      expect(d.powerLimitW).toBeGreaterThan(50);
      if (backend.simulated) {
        expect(d).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', architecture: 'Hopper', powerLimitW: 700 });
        expect(s.device(1).uuid).not.toBe(d.uuid);
      }
    });

    it('reads energy (J), power, instant power, temperature and clocks', () => {
      const s = open();
      const st = s.status(0);
      expect(st.totalEnergyJ).toBeGreaterThan(0);
      expect(st.powerW).toBeGreaterThan(0);
      expect(st.instantPowerW).toBeGreaterThan(0);
      expect(st.temperatureC).toBeGreaterThan(10);
      expect(st.smClockMhz).toBeGreaterThan(0);
      expect(st.memClockMhz).toBeGreaterThan(0);
      expect(typeof st.timestampNs).toBe('bigint');
      // Anything else a GPU refuses must be NOT_SUPPORTED, never another error.
      for (const reason of Object.values(st.unsupported)) expect(reason).toBe('NVML_ERROR_NOT_SUPPORTED');
      if (backend.simulated) expect(st.unsupported).toEqual({});
    });

    it('reads utilization (skipped, saying why, where the GPU does not support it)', (ctx) => {
      const s = open();
      const st = s.status(0);
      skipIfNotSupported(ctx, backend, st.unsupported, 'utilizationGpuPct');
      expect(st.utilizationGpuPct).toBeGreaterThanOrEqual(0);
      expect(st.utilizationGpuPct).toBeLessThanOrEqual(100);
    });

    it('the energy counter is monotonic and the raw reads agree with status()', async () => {
      const s = open();
      const a = s.readEnergyMj(0);
      await sleep(250);
      const b = s.readEnergyMj(0);
      expect(b).toBeGreaterThan(a);
      expect(s.readInstantPowerMw(0)).toBeGreaterThan(0);
      expect(s.readPowerMw(0)).toBeGreaterThan(0);
    });

    it('returns the driver power sample buffer with increasing timestamps', async () => {
      const s = open();
      await sleep(120);
      const { timestampsUs, powerMw } = s.powerSamples(0, 0);
      expect(timestampsUs.length).toBeGreaterThan(0);
      expect(powerMw.length).toBe(timestampsUs.length);
      for (let i = 1; i < timestampsUs.length; i++) expect(timestampsUs[i]).toBeGreaterThan(timestampsUs[i - 1]!);
      const later = s.powerSamples(0, timestampsUs[timestampsUs.length - 1]!);
      expect(later.timestampsUs.every((t) => t > timestampsUs[timestampsUs.length - 1]!)).toBe(true);
    });

    it('maps a device UUID back to its index', () => {
      const s = open();
      const uuid = s.device(0).uuid!;
      expect(s.indexByUuid(uuid)).toEqual({ index: 0, mig: false });
    });

    it('an invalid index is a typed error, not a crash', () => {
      const s = open();
      expect(() => s.device(99)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_UNKNOWN_GPU' }));
      let caught: unknown;
      try {
        s.readEnergyMj(99);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(NvmlError);
      expect(caught).toMatchObject({ code: 'NVML_ERROR_INVALID_ARGUMENT', deviceIndex: 99 });
    });
  });
}
