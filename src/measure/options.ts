/** Options of EnergyMonitor.open(), validated with zod. */
import { z } from 'zod';
import type { Measurement } from './types.js';

export const MonitorOptionsSchema = z
  .object({
    /** GPUs to measure: 'all' (default: all CUDA-visible), CUDA indices, or GPU-/MIG- UUIDs. */
    gpus: z.union([z.literal('all'), z.array(z.union([z.number().int().min(0), z.string().min(1)])).min(1)]).default('all'),
    /** Sampler rate, Hz (default 1000). */
    sampleHz: z.number().min(1).max(20000).default(1000),
    /** Seconds of full-rate samples kept for timelines and estimates (default 120). */
    retentionS: z.number().min(5).max(86400).default(120),
    /** How long to wait for the counter to update past a boundary before extrapolating, ms. */
    settleTimeoutMs: z.number().min(0).max(60000).default(2000),
    /** How often JS drains the native sampler, ms. */
    drainIntervalMs: z.number().min(1).max(1000).default(50),
    /** CUDA_VISIBLE_DEVICES to honour (default: the environment's). */
    cudaVisibleDevices: z.string().optional(),
    /** Use the simulated H100 shipped with wattscope. */
    simulate: z.union([z.boolean(), z.enum(['h100', 'legacy'])]).optional(),
    /** Path of the NVML library (also WATTSCOPE_NVML_LIBRARY). */
    library: z.string().min(1).optional(),
    /**
     * Without a GPU to measure (no NVML, no driver, no GPU, or no addon for this platform):
     * 'throw' (default) the error, or 'noop': a monitor whose scopes run the code and measure
     * nothing, each measurement `unavailable` with the reason `no-gpu` (for production code that
     * also runs on machines without a GPU).
     */
    ifUnavailable: z.enum(['throw', 'noop']).default('throw'),
    /** Called with every scope's final (settled) measurement. */
    onMeasurement: z.custom<(m: Measurement) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();

export type MonitorOptions = z.input<typeof MonitorOptionsSchema>;
export type ResolvedMonitorOptions = z.output<typeof MonitorOptionsSchema>;
