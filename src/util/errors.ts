/**
 * Typed errors. Every error wattscope throws is a {@link WattscopeError} with a
 * stable string `code`; NVML failures are {@link NvmlError}s carrying NVML's own
 * return code name (e.g. `NVML_ERROR_NOT_SUPPORTED`).
 */

/** Codes of errors that are wattscope's own (NVML errors use NVML's names). */
export type WattscopeErrorCode =
  | 'WATTSCOPE_INVALID_OPTIONS'
  | 'WATTSCOPE_INVALID_ARGUMENT'
  | 'WATTSCOPE_CLOSED'
  | 'WATTSCOPE_UNKNOWN_GPU'
  | 'WATTSCOPE_SCOPE_ENDED'
  | 'WATTSCOPE_NO_POWER_SOURCE'
  | 'WATTSCOPE_NATIVE_MISSING'
  | 'WATTSCOPE_NATIVE_SHAPE'
  | 'WATTSCOPE_SIM_MISSING'
  | 'WATTSCOPE_BAD_DATASET'
  | 'WATTSCOPE_BAD_CONFIG'
  | 'WATTSCOPE_BAD_LEADERBOARD'
  | 'WATTSCOPE_BAD_REPORT'
  | 'WATTSCOPE_LOCKED'
  | 'WATTSCOPE_OUT_NOT_OURS'
  | 'WATTSCOPE_PORT_UNAVAILABLE'
  | 'WATTSCOPE_ENDPOINT_UNREACHABLE'
  | 'WATTSCOPE_BAD_RECORDING'
  | 'WATTSCOPE_NO_RAPL'
  | 'WATTSCOPE_MISSING_PEER'
  | 'WATTSCOPE_PROMETHEUS_UNREACHABLE'
  | 'WATTSCOPE_PROMETHEUS_QUERY'
  | 'WATTSCOPE_PROMETHEUS_RESPONSE'
  | 'WATTSCOPE_NODE_NOT_SCRAPED'
  | 'WATTSCOPE_ABORTED'
  | 'WATTSCOPE_ENGINE_LOAD'
  | 'WATTSCOPE_IO';

export interface WattscopeErrorDetails {
  /** The option, field or column at fault, as a dotted path. */
  field?: string;
  /** The file at fault. */
  file?: string;
  /** 1-based row or line number in `file`. */
  line?: number;
  cause?: unknown;
}

export class WattscopeError extends Error {
  readonly code: string;
  readonly field?: string;
  readonly file?: string;
  readonly line?: number;

  constructor(code: WattscopeErrorCode | string, message: string, details: WattscopeErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'WattscopeError';
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
  }
}

/** Details the native addon attaches to every NVML failure. */
export interface NvmlErrorDetails {
  code: string;
  returnValue: number;
  nvmlFunction: string;
  deviceIndex: number | null;
}

/**
 * An NVML call failed (or NVML could not be loaded: `NVML_ERROR_LIBRARY_NOT_FOUND`).
 * Thrown by the native addon itself, which receives this class at start.
 */
export class NvmlError extends WattscopeError {
  /** NVML's numeric nvmlReturn_t. */
  readonly returnValue: number;
  /** The NVML function that failed, e.g. `nvmlDeviceGetTotalEnergyConsumption`. */
  readonly nvmlFunction: string;
  /** The device index, or null when not about one device. */
  readonly deviceIndex: number | null;

  constructor(message: string, details: NvmlErrorDetails) {
    super(details.code, message);
    this.name = 'NvmlError';
    this.returnValue = details.returnValue;
    this.nvmlFunction = details.nvmlFunction;
    this.deviceIndex = details.deviceIndex;
  }
}
