/**
 * What a report says of the engine that ran the benchmark: node-llama-cpp's version, the llama.cpp
 * release and build it uses (CUDA, Vulkan, Metal or the CPU; prebuilt or built locally), the layers
 * offloaded to the GPU, and the model file (name, size, SHA-256, quantization, architecture).
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import type { EngineRecord } from '../formats/report-types.js';
import { loadNodeLlamaCpp } from './node-llama-cpp.js';

/** The file's SHA-256, hex, read as a stream (a model of many GB is never held in memory). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** GGUF's general.file_type as llama.cpp names it (MOSTLY_Q4_K_M, ALL_F32…), or null when the file does not say. */
async function quantizationOf(model: LlamaModel): Promise<string | null> {
  const { GgufFileType } = await loadNodeLlamaCpp();
  const fileType = model.fileInfo.metadata.general.file_type;
  if (fileType === undefined) return null;
  return GgufFileType[fileType] ?? `file_type ${fileType}`;
}

/** The engine record of a loaded model. */
export async function engineRecordOf(llama: Llama, model: LlamaModel, modelPath: string): Promise<EngineRecord> {
  const { getModuleVersion } = await loadNodeLlamaCpp();
  const general = model.fileInfo.metadata.general;
  return {
    name: 'node-llama-cpp',
    version: await getModuleVersion(),
    llamaCppRelease: llama.llamaCppRelease.release,
    build: llama.gpu === false ? 'cpu' : llama.gpu,
    binary: llama.buildType,
    gpuLayers: model.gpuLayers,
    model: {
      file: path.basename(modelPath),
      sizeBytes: statSync(modelPath).size,
      sha256: await sha256OfFile(modelPath),
      quantization: await quantizationOf(model),
      architecture: general.architecture ?? null,
      name: general.name ?? null,
    },
  };
}
