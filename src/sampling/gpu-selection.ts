/**
 * Which GPUs a monitor measures: explicit indices or UUIDs, limited to and numbered as CUDA shows
 * them (CUDA_DEVICE_ORDER, CUDA_VISIBLE_DEVICES: see cuda-visible.ts). A MIG instance is measured
 * through its parent GPU (NVML has no per-slice energy), and says so.
 */
import { NvmlError, WattscopeError } from '../util/errors.js';
import type { NvmlSession } from '../nvml/session.js';
import { cudaView, resolveUuidEntry, unknownOrderError, type GpuIdentity, type MigParentLookup } from './cuda-visible.js';

export interface SelectedGpu {
  /** NVML's index of the physical GPU measured. */
  index: number;
  /**
   * The index CUDA gives it in this process (after CUDA_DEVICE_ORDER and CUDA_VISIBLE_DEVICES), or
   * null if not visible, or if CUDA's order cannot be known (mixed models under FASTEST_FIRST).
   */
  cudaIndex: number | null;
  uuid: string | null;
  name: string | null;
  /** Set when selected through a MIG instance: its UUID. The parent GPU's whole energy is measured. */
  migInstance: string | null;
}

/** Every GPU's identity, and the MIG lookup, from NVML. */
function identities(session: NvmlSession): { devices: GpuIdentity[]; migParent: MigParentLookup } {
  const devices = Array.from({ length: session.deviceCount() }, (_, index) => {
    const info = session.device(index);
    return { index, uuid: info.uuid, name: info.name };
  });
  const migParent: MigParentLookup = (uuid) => {
    try {
      const r = session.indexByUuid(uuid);
      return r.mig ? r.index : null;
    } catch (err) {
      if (err instanceof NvmlError && (err.code === 'NVML_ERROR_NOT_FOUND' || err.code === 'NVML_ERROR_INVALID_ARGUMENT')) return null;
      throw err;
    }
  };
  return { devices, migParent };
}

/** Resolves the `gpus` option against NVML, CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER (options first, then the environment). */
export function selectGpus(
  session: NvmlSession,
  options: { gpus: 'all' | Array<number | string>; cudaVisibleDevices?: string; cudaDeviceOrder?: string },
): SelectedGpu[] {
  const { gpus } = options;
  const cudaVisibleDevices = options.cudaVisibleDevices ?? process.env.CUDA_VISIBLE_DEVICES;
  const cudaDeviceOrder = options.cudaDeviceOrder ?? process.env.CUDA_DEVICE_ORDER;
  const { devices, migParent } = identities(session);
  const { visible, orderKnown } = cudaView(devices, cudaVisibleDevices, cudaDeviceOrder, migParent);
  const describe = (index: number, mig: string | null): SelectedGpu => {
    // Its identity as read above: no second round of NVML queries per selected GPU.
    const info = devices[index]!;
    const cuda = visible.findIndex((v) => v.index === index);
    return { index, cudaIndex: cuda >= 0 && orderKnown ? cuda : null, uuid: info.uuid, name: info.name, migInstance: mig };
  };
  let chosen: SelectedGpu[];
  if (gpus === 'all') {
    chosen = visible.map((v) => describe(v.index, v.mig));
  } else {
    chosen = gpus.map((g, i) => {
      const field = `gpus.${i}`;
      if (typeof g === 'number') {
        if (!orderKnown) throw unknownOrderError(`gpus: [${gpus.join(', ')}]`, field);
        const v = visible[g];
        if (!v) {
          const where =
            cudaVisibleDevices === undefined ? `this machine has ${visible.length}` : `CUDA_VISIBLE_DEVICES="${cudaVisibleDevices}" shows ${visible.length}`;
          throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `no GPU ${g}: ${where}`, { field });
        }
        return describe(v.index, v.mig);
      }
      const r = resolveUuidEntry(g, devices, migParent);
      if (r === null) throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `no GPU or MIG instance with UUID "${g}" (or a prefix of several)`, { field });
      return describe(r.index, r.mig);
    });
  }
  if (chosen.length === 0) {
    throw new WattscopeError(
      'WATTSCOPE_UNKNOWN_GPU',
      cudaVisibleDevices !== undefined ? `CUDA_VISIBLE_DEVICES="${cudaVisibleDevices}" leaves no GPU to measure` : 'no GPU to measure',
      { field: 'gpus' },
    );
  }
  // Two MIG slices of one GPU measure the same parent: keep it once.
  const seen = new Set<number>();
  return chosen.filter((g) => (seen.has(g.index) ? false : (seen.add(g.index), true)));
}
