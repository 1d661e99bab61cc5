/**
 * `wattscope demo --engine llama`: the demo's benchmark run by a real engine, node-llama-cpp, on
 * the CPU, with a tiny random-weight GGUF model written for the occasion (nothing downloaded). The
 * simulated GPU is not driven by anything: it draws its idle power, and the phases' energies are
 * that power over the engine's real phase durations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LlamaHandler } from '../llama/llama-handler.js';

/** The demo's llama workload: the handler, and the temporary model file to remove after. */
export interface LlamaDemo {
  handler: LlamaHandler;
  modelFile: string;
  close(): Promise<void>;
}

/** Writes the tiny model and makes its handler (node-llama-cpp loads on the first query). */
export async function llamaDemo(): Promise<LlamaDemo> {
  // Loaded here: node-llama-cpp is an optional peer dependency, needed by this engine only.
  const [{ llamaHandler }, { writeTinyGguf }] = await Promise.all([import('../llama/llama-handler.js'), import('../llama/tiny-gguf.js')]);
  const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-demo-llama-'));
  const modelFile = writeTinyGguf(path.join(dir, 'wattscope-tiny-llama.gguf'));
  // CPU only; one thread, as the engine's default thread count is far slower on a small VM. The
  // context holds the longest synthetic prompt (about 2,600 byte-level tokens) with its template.
  const handler = llamaHandler({ modelPath: modelFile, gpu: false, gpuLayers: 0, contextSize: 4096, threads: 1 });
  return {
    handler,
    modelFile,
    close: async () => {
      await handler.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
