/**
 * wattscope: GPU energy of AI inference, measured natively through NVML.
 * @packageDocumentation
 */
export { WattscopeError, NvmlError } from './errors.js';
export type { WattscopeErrorCode, WattscopeErrorDetails, NvmlErrorDetails } from './errors.js';
export {
  NvmlSession,
  NvmlOptionsSchema,
  listDevices,
  resolveLibrary,
} from './nvml/session.js';
export type { NvmlOptions, DeviceInfo, DeviceStatus, DeviceSnapshot, LibraryInfo, LibrarySource } from './nvml/session.js';
export { simulatedNvmlPath } from './native/binding.js';
