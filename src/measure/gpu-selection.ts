/**
 * Which GPUs a monitor measures: explicit indices or UUIDs, limited to and
 * numbered like CUDA_VISIBLE_DEVICES when it is set. A MIG instance is
 * measured through its parent GPU (NVML has no per-slice energy), and says so.
 */
import { NvmlError, WattscopeError } from '../util/errors.js';
import type { NvmlSession } from '../nvml/session.js';

export interface SelectedGpu {
  /** NVML's index of the physical GPU measured. */
  index: number;
  /** The index CUDA gives it in this process (after CUDA_VISIBLE_DEVICES), or null if not visible. */
  cudaIndex: number | null;
  uuid: string | null;
  name: string | null;
  /** Set when selected through a MIG instance: its UUID. The parent GPU's whole energy is measured. */
  migInstance: string | null;
}

function resolveUuid(session: NvmlSession, uuid: string, field: string): { index: number; mig: boolean } {
  try {
    return session.indexByUuid(uuid);
  } catch (err) {
    if (err instanceof NvmlError && err.code === 'NVML_ERROR_NOT_FOUND') {
      throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `no GPU or MIG instance with UUID "${uuid}"`, { field });
    }
    throw err;
  }
}

/**
 * The GPUs CUDA sees, in CUDA's order, from CUDA_VISIBLE_DEVICES (undefined: all,
 * in NVML order). Like CUDA, the list stops at the first invalid entry.
 * Assumes CUDA_DEVICE_ORDER=PCI_BUS_ID ordering, which NVML's indices follow.
 */
export function visibleGpus(session: NvmlSession, cudaVisibleDevices: string | undefined): Array<{ index: number; mig: string | null }> {
  const count = session.deviceCount();
  if (cudaVisibleDevices === undefined) return Array.from({ length: count }, (_, i) => ({ index: i, mig: null }));
  const out: Array<{ index: number; mig: string | null }> = [];
  for (const raw of cudaVisibleDevices.split(',')) {
    const entry = raw.trim();
    if (/^\d+$/.test(entry)) {
      const i = Number(entry);
      if (i >= count) break;
      out.push({ index: i, mig: null });
    } else if (/^(GPU|MIG)-/.test(entry)) {
      let r: { index: number; mig: boolean };
      try {
        r = session.indexByUuid(entry);
      } catch {
        break;
      }
      out.push({ index: r.index, mig: r.mig ? entry : null });
    } else {
      break;
    }
  }
  return out;
}

/** Resolves the `gpus` option against NVML and CUDA_VISIBLE_DEVICES. */
export function selectGpus(session: NvmlSession, gpus: 'all' | Array<number | string>, cudaVisibleDevices: string | undefined): SelectedGpu[] {
  const visible = visibleGpus(session, cudaVisibleDevices);
  const describe = (index: number, mig: string | null): SelectedGpu => {
    const info = session.device(index);
    const cuda = visible.findIndex((v) => v.index === index);
    return { index, cudaIndex: cuda >= 0 ? cuda : null, uuid: info.uuid, name: info.name, migInstance: mig };
  };
  let chosen: SelectedGpu[];
  if (gpus === 'all') {
    chosen = visible.map((v) => describe(v.index, v.mig));
  } else {
    chosen = gpus.map((g, i) => {
      const field = `gpus.${i}`;
      if (typeof g === 'number') {
        const v = visible[g];
        if (!v) {
          const where =
            cudaVisibleDevices === undefined ? `this machine has ${visible.length}` : `CUDA_VISIBLE_DEVICES="${cudaVisibleDevices}" shows ${visible.length}`;
          throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `no GPU ${g}: ${where}`, { field });
        }
        return describe(v.index, v.mig);
      }
      const r = resolveUuid(session, g, field);
      return describe(r.index, r.mig ? g : null);
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
