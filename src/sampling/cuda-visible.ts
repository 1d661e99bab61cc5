/**
 * Which GPUs CUDA shows a process, and in which order, following CUDA's rules:
 * - CUDA_DEVICE_ORDER: `PCI_BUS_ID` numbers GPUs in PCI bus order (NVML's order); anything else,
 *   including unset, is CUDA's default `FASTEST_FIRST`, which puts the fastest model first and
 *   breaks ties by PCI bus order. NVML cannot tell which model CUDA deems fastest, so on a machine
 *   of mixed models under FASTEST_FIRST the order is unknown, and an index is refused rather than
 *   guessed (UUIDs always work).
 * - CUDA_VISIBLE_DEVICES: indices in that order, GPU UUIDs or any unique prefix of one
 *   (`GPU-5a1d`), MIG UUIDs (`MIG-<uuid>`) and the legacy MIG form (`MIG-GPU-<uuid>/<gi>/<ci>`);
 *   the list ends at the first entry that names no device (or more than one).
 * Pure functions over the devices' identities: unit-tested without NVML.
 */
import { WattscopeError } from '../util/errors.js';

export interface GpuIdentity {
  /** NVML's index (PCI bus order). */
  index: number;
  uuid: string | null;
  name: string | null;
}

/** A MIG instance's parent GPU index, or null when no instance has that UUID. */
export type MigParentLookup = (migUuid: string) => number | null;

export interface VisibleGpu {
  index: number;
  /** The MIG instance this entry named (its parent GPU is measured), or null. */
  mig: string | null;
}

export interface CudaView {
  /** The GPUs CUDA shows, in CUDA's order. */
  visible: VisibleGpu[];
  /** False when CUDA's order cannot be known (mixed models under FASTEST_FIRST, no explicit list). */
  orderKnown: boolean;
}

/** NVML indices in CUDA's order, and whether that order is certain. */
export function cudaDeviceOrder(devices: readonly GpuIdentity[], deviceOrder: string | undefined): { indices: number[]; known: boolean } {
  const indices = devices.map((d) => d.index).sort((a, b) => a - b);
  if (deviceOrder === 'PCI_BUS_ID') return { indices, known: true };
  // FASTEST_FIRST: the same model everywhere leaves PCI order (CUDA's tie-break).
  const names = new Set(devices.map((d) => d.name));
  return { indices, known: names.size <= 1 && !names.has(null) };
}

const LEGACY_MIG = /^MIG-(GPU-[0-9a-f-]+)\/\d+\/\d+$/i;

/** The GPU whose UUID starts with `prefix` (case-insensitive): its index, or null for none or several. */
function byUuidPrefix(devices: readonly GpuIdentity[], prefix: string): number | null {
  const wanted = prefix.toLowerCase();
  const matches = devices.filter((d) => d.uuid !== null && d.uuid.toLowerCase().startsWith(wanted));
  return matches.length === 1 ? matches[0]!.index : null;
}

/** A UUID entry (GPU, MIG or legacy MIG) resolved to a device, or null when it names none (or several). */
export function resolveUuidEntry(entry: string, devices: readonly GpuIdentity[], migParent: MigParentLookup): VisibleGpu | null {
  const legacy = LEGACY_MIG.exec(entry);
  if (legacy) {
    const parent = byUuidPrefix(devices, legacy[1]!);
    return parent === null ? null : { index: parent, mig: entry };
  }
  if (/^MIG-/i.test(entry)) {
    const parent = migParent(entry);
    return parent === null ? null : { index: parent, mig: entry };
  }
  if (/^GPU-/i.test(entry)) {
    const index = byUuidPrefix(devices, entry);
    return index === null ? null : { index, mig: null };
  }
  return null;
}

/** The error for an index where CUDA's order cannot be known. */
export function unknownOrderError(what: string, field: string): WattscopeError {
  return new WattscopeError(
    'WATTSCOPE_UNKNOWN_GPU',
    `${what} selects GPUs by index, but this machine mixes GPU models and CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA's default fastest-first order cannot be known from NVML. Set CUDA_DEVICE_ORDER=PCI_BUS_ID, or select GPUs by UUID`,
    { field },
  );
}

/** The GPUs CUDA shows under CUDA_VISIBLE_DEVICES (undefined: all) and CUDA_DEVICE_ORDER. */
export function cudaView(
  devices: readonly GpuIdentity[],
  cudaVisibleDevices: string | undefined,
  deviceOrder: string | undefined,
  migParent: MigParentLookup,
): CudaView {
  const order = cudaDeviceOrder(devices, deviceOrder);
  if (cudaVisibleDevices === undefined) return { visible: order.indices.map((index) => ({ index, mig: null })), orderKnown: order.known };
  const visible: VisibleGpu[] = [];
  for (const raw of cudaVisibleDevices.split(',')) {
    const entry = raw.trim();
    if (/^\d+$/.test(entry)) {
      if (!order.known) throw unknownOrderError(`CUDA_VISIBLE_DEVICES="${cudaVisibleDevices}"`, 'cudaVisibleDevices');
      const index = order.indices[Number(entry)];
      if (index === undefined) break;
      visible.push({ index, mig: null });
      continue;
    }
    const resolved = resolveUuidEntry(entry, devices, migParent);
    if (resolved === null) break;
    visible.push(resolved);
  }
  // An explicit list fixes CUDA's order, whatever the models.
  return { visible, orderKnown: true };
}
