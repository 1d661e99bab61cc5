/**
 * CUDA's view of the GPUs: CUDA_DEVICE_ORDER (PCI_BUS_ID, or the default FASTEST_FIRST, unknown
 * from NVML on mixed models), CUDA_VISIBLE_DEVICES with indices, UUID prefixes, MIG UUIDs and the
 * legacy MIG form. Unit tests on identities, then through the simulated GPU.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { cudaView, resolveUuidEntry, type GpuIdentity } from '../src/sampling/cuda-visible.js';
import { configureSim } from './helpers/sim.js';

const uuid = (i: number) => `GPU-5a1d0000-000${i}-4000-8000-00000000000${i}`;
const same: GpuIdentity[] = [0, 1, 2, 3].map((index) => ({ index, uuid: uuid(index), name: 'NVIDIA H100 80GB HBM3' }));
const mixed: GpuIdentity[] = same.map((d) => (d.index === 2 ? { ...d, name: 'NVIDIA A100-SXM4-80GB' } : d));
const migParent = (u: string) => (u === 'MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' ? 3 : null);
const indices = (view: ReturnType<typeof cudaView>) => view.visible.map((v) => v.index);

describe('cudaView (unit)', () => {
  it('one model: FASTEST_FIRST is PCI order (its tie-break), known; indices select in that order', () => {
    expect(cudaView(same, undefined, undefined, migParent)).toEqual({ visible: [0, 1, 2, 3].map((index) => ({ index, mig: null })), orderKnown: true });
    expect(indices(cudaView(same, '2,0', undefined, migParent))).toEqual([2, 0]);
  });

  it('mixed models: under FASTEST_FIRST the order is unknown and an index is refused; PCI_BUS_ID makes it known', () => {
    expect(cudaView(mixed, undefined, undefined, migParent).orderKnown).toBe(false);
    expect(cudaView(mixed, undefined, 'FASTEST_FIRST', migParent).orderKnown).toBe(false);
    expect(() => cudaView(mixed, '1', undefined, migParent)).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_UNKNOWN_GPU', field: 'cudaVisibleDevices', message: expect.stringMatching(/CUDA_DEVICE_ORDER=PCI_BUS_ID/) }),
    );
    expect(cudaView(mixed, '1,3', 'PCI_BUS_ID', migParent)).toEqual({ visible: [1, 3].map((index) => ({ index, mig: null })), orderKnown: true });
    // UUIDs need no order.
    expect(cudaView(mixed, `${uuid(2)},${uuid(0)}`, undefined, migParent)).toEqual({
      visible: [2, 0].map((index) => ({ index, mig: null })),
      orderKnown: true,
    });
  });

  it('UUID prefixes: a unique prefix selects its GPU; one shared by several names none (the list ends there)', () => {
    expect(resolveUuidEntry('GPU-5a1d0000-0002', same, migParent)).toEqual({ index: 2, mig: null });
    expect(resolveUuidEntry('gpu-5A1D0000-0001', same, migParent)).toEqual({ index: 1, mig: null });
    expect(resolveUuidEntry('GPU-5a1d', same, migParent)).toBeNull();
    expect(indices(cudaView(same, 'GPU-5a1d0000-0003,GPU-5a1d,0', undefined, migParent))).toEqual([3]);
  });

  it('MIG UUIDs and the legacy MIG-GPU-<uuid>/<gi>/<ci> form select the parent GPU and say which instance', () => {
    expect(resolveUuidEntry('MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', same, migParent)).toEqual({
      index: 3,
      mig: 'MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    });
    expect(resolveUuidEntry(`MIG-${uuid(1)}/7/0`, same, migParent)).toEqual({ index: 1, mig: `MIG-${uuid(1)}/7/0` });
    expect(resolveUuidEntry('MIG-GPU-5a1d0000-0001/1/0', same, migParent)).toEqual({ index: 1, mig: 'MIG-GPU-5a1d0000-0001/1/0' });
    expect(resolveUuidEntry('MIG-GPU-ffff/1/0', same, migParent)).toBeNull();
    expect(resolveUuidEntry('MIG-ffffffff-0000-0000-0000-000000000000', same, migParent)).toBeNull();
  });

  it('the list ends at the first entry that names no device, as CUDA does', () => {
    expect(indices(cudaView(same, '1,7,0', undefined, migParent))).toEqual([1]);
    expect(indices(cudaView(same, '3,foo,0', undefined, migParent))).toEqual([3]);
    expect(cudaView(same, '', undefined, migParent).visible).toEqual([]);
  });
});

let monitor: EnergyMonitor | undefined;
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
});

describe('through the simulated GPU', () => {
  it('mixed models: gpus [1] is refused under the default order, and is NVML GPU 1 with cudaDeviceOrder PCI_BUS_ID', async () => {
    configureSim({ devices: 3, names: ['NVIDIA H100 80GB HBM3', 'NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-80GB'] });
    await expect(EnergyMonitor.open({ simulate: true, gpus: [1], cudaDeviceOrder: 'FASTEST_FIRST' })).rejects.toMatchObject({
      code: 'WATTSCOPE_UNKNOWN_GPU',
      field: 'gpus.0',
    });
    monitor = await EnergyMonitor.open({ simulate: true, gpus: [1], cudaDeviceOrder: 'PCI_BUS_ID' });
    expect(monitor.gpus.map((g) => [g.index, g.cudaIndex, g.name])).toEqual([[1, 1, 'NVIDIA H100 80GB HBM3']]);
    await monitor.close();
    // All GPUs under the unknown order: measured, but no CUDA index is claimed.
    monitor = await EnergyMonitor.open({ simulate: true, cudaDeviceOrder: 'FASTEST_FIRST' });
    expect(monitor.gpus.map((g) => g.cudaIndex)).toEqual([null, null, null]);
  });

  it('a UUID prefix and the legacy MIG form select GPUs', async () => {
    configureSim({ devices: 2 });
    monitor = await EnergyMonitor.open({ simulate: true, gpus: ['GPU-5a1d0000-0001'] });
    expect(monitor.gpus.map((g) => g.index)).toEqual([1]);
    await monitor.close();
    monitor = await EnergyMonitor.open({ simulate: true, cudaVisibleDevices: 'MIG-GPU-5a1d0000-0001-4000-8000-000000000001/3/0' });
    expect(monitor.gpus[0]).toMatchObject({ index: 1, cudaIndex: 0, migInstance: 'MIG-GPU-5a1d0000-0001-4000-8000-000000000001/3/0' });
    await monitor.close();
    await expect(EnergyMonitor.open({ simulate: true, gpus: ['GPU-5a1d'] })).rejects.toMatchObject({ code: 'WATTSCOPE_UNKNOWN_GPU', field: 'gpus.0' });
  });
});
