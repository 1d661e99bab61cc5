/**
 * wattscope/testing: test doubles for code that uses wattscope without a GPU: the simulated H100
 * (a real NVML library: its path, and the control of its power draw) and a fake OpenAI-compatible
 * streaming server whose work draws known power from the simulated GPU.
 * @packageDocumentation
 */
export { simulatedNvmlPath } from '../native/binding.js';
export { SimPowerControl } from '../sim/power-control.js';
export { startFakeServer } from '../server/fake-server.js';
export type { FakeServer, FakeServerOptions, ServerVariant } from '../server/fake-server.js';
