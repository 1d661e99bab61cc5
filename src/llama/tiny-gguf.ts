/**
 * A tiny, valid GGUF model (llama architecture, random weights, a few layers, a byte-level
 * vocabulary) for the tests and `wattscope demo --engine llama`: llama.cpp loads and runs it on
 * the CPU, so a real engine can run under the scopes with nothing downloaded. It generates
 * gibberish, at the engine's real pace for its size.
 *
 * GGUF v3 (ggml's docs/gguf.md): the header ("GGUF", version, tensor and key-value counts), the
 * metadata key-values, each tensor's info (name, dimensions, type, offset), then the tensors'
 * data, each aligned to 32 bytes. Every tensor here is F32.
 */
import { writeFileSync } from 'node:fs';

/** GGUF metadata value types. */
const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
/** ggml's F32 tensor type; llama's file type ALL_F32. */
const GGML_TYPE_F32 = 0;
const FILE_TYPE_ALL_F32 = 0;
const ALIGNMENT_BYTES = 32;
/** Token types of a SentencePiece vocabulary: normal, unknown, control, byte. */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

/** The tiny model's shape. */
export interface TinyModelShape {
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  feedForwardLength: number;
  contextLength: number;
}

export const TINY_MODEL_SHAPE: TinyModelShape = { embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 128, contextLength: 1024 };

type MetadataValue =
  | { type: 'bool'; value: boolean }
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'str'; value: string }
  | { type: 'array'; of: 'str' | 'f32' | 'i32'; values: Array<string | number> };

/** A growable little-endian byte buffer. */
class ByteWriter {
  #buffer = Buffer.alloc(1 << 16);
  length = 0;

  #reserve(bytes: number): void {
    if (this.length + bytes <= this.#buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, this.length + bytes));
    this.#buffer.copy(grown, 0, 0, this.length);
    this.#buffer = grown;
  }
  u8(value: number): void {
    this.#reserve(1);
    this.length = this.#buffer.writeUInt8(value, this.length);
  }
  u32(value: number): void {
    this.#reserve(4);
    this.length = this.#buffer.writeUInt32LE(value, this.length);
  }
  i32(value: number): void {
    this.#reserve(4);
    this.length = this.#buffer.writeInt32LE(value, this.length);
  }
  u64(value: number): void {
    this.#reserve(8);
    this.length = this.#buffer.writeBigUInt64LE(BigInt(value), this.length);
  }
  f32(value: number): void {
    this.#reserve(4);
    this.length = this.#buffer.writeFloatLE(value, this.length);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.#reserve(bytes.length);
    this.length += bytes.copy(this.#buffer, this.length);
  }
  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.#reserve(padding);
    this.length += padding;
  }
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.length);
  }
}

/**
 * The vocabulary: <unk>, <s>, </s>, SentencePiece's word boundary "\u2581" (a space), then the 256
 * byte tokens <0x00>..<0xFF> that spell everything else.
 */
export function byteVocabulary(): { tokens: string[]; types: number[] } {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  return {
    tokens: ['<unk>', '<s>', '</s>', '\u2581', ...bytes],
    types: [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL, TOKEN_TYPE.NORMAL, ...bytes.map(() => TOKEN_TYPE.BYTE)],
  };
}

function metadataOf(shape: TinyModelShape, name: string): Array<[string, MetadataValue]> {
  const vocabulary = byteVocabulary();
  const u32 = (value: number): MetadataValue => ({ type: 'u32', value });
  return [
    ['general.architecture', { type: 'str', value: 'llama' }],
    ['general.name', { type: 'str', value: name }],
    ['general.file_type', u32(FILE_TYPE_ALL_F32)],
    ['llama.context_length', u32(shape.contextLength)],
    ['llama.embedding_length', u32(shape.embeddingLength)],
    ['llama.block_count', u32(shape.blockCount)],
    ['llama.feed_forward_length', u32(shape.feedForwardLength)],
    ['llama.attention.head_count', u32(shape.headCount)],
    ['llama.attention.head_count_kv', u32(shape.headCount)],
    ['llama.rope.dimension_count', u32(shape.embeddingLength / shape.headCount)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'str', value: 'llama' }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'str', values: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', of: 'f32', values: vocabulary.tokens.map(() => 0) }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'i32', values: vocabulary.types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
  ];
}

function writeValue(out: ByteWriter, value: MetadataValue): void {
  if (value.type === 'bool') return (out.u32(GGUF_TYPE.BOOL), out.u8(value.value ? 1 : 0));
  if (value.type === 'u32') return (out.u32(GGUF_TYPE.UINT32), out.u32(value.value));
  if (value.type === 'f32') return (out.u32(GGUF_TYPE.FLOAT32), out.f32(value.value));
  if (value.type === 'str') return (out.u32(GGUF_TYPE.STRING), out.string(value.value));
  out.u32(GGUF_TYPE.ARRAY);
  out.u32(value.of === 'str' ? GGUF_TYPE.STRING : value.of === 'f32' ? GGUF_TYPE.FLOAT32 : GGUF_TYPE.INT32);
  out.u64(value.values.length);
  for (const item of value.values) {
    if (value.of === 'str') out.string(item as string);
    else if (value.of === 'f32') out.f32(item as number);
    else out.i32(item as number);
  }
}

/** Every tensor of the llama architecture, with its dimensions (ggml order: the row length first). */
function tensorsOf(shape: TinyModelShape, vocabularySize: number): Array<{ name: string; dims: number[]; norm: boolean }> {
  const { embeddingLength: embd, feedForwardLength: ff } = shape;
  const tensors = [
    { name: 'token_embd.weight', dims: [embd, vocabularySize], norm: false },
    { name: 'output_norm.weight', dims: [embd], norm: true },
    { name: 'output.weight', dims: [embd, vocabularySize], norm: false },
  ];
  for (let block = 0; block < shape.blockCount; block++) {
    const of = (name: string, dims: number[], norm = false) => ({ name: `blk.${block}.${name}.weight`, dims, norm });
    tensors.push(
      of('attn_norm', [embd], true),
      of('attn_q', [embd, embd]),
      of('attn_k', [embd, embd]),
      of('attn_v', [embd, embd]),
      of('attn_output', [embd, embd]),
      of('ffn_norm', [embd], true),
      of('ffn_gate', [embd, ff]),
      of('ffn_up', [embd, ff]),
      of('ffn_down', [ff, embd]),
    );
  }
  return tensors;
}

/** A deterministic generator of weights in [-scale, scale) (mulberry32). */
function weights(seed: number, scale: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  };
}

/** The tiny model's GGUF bytes: the same bytes for the same seed. */
export function tinyGgufBytes(options: { seed?: number; name?: string; shape?: TinyModelShape } = {}): Buffer {
  const shape = options.shape ?? TINY_MODEL_SHAPE;
  const metadata = metadataOf(shape, options.name ?? 'wattscope-tiny-llama');
  const tensors = tensorsOf(shape, byteVocabulary().tokens.length);
  const out = new ByteWriter();
  out.u32(0x46554747); // "GGUF"
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, value);
  }
  let offsetBytes = 0;
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_TYPE_F32);
    out.u64(offsetBytes);
    const bytes = tensor.dims.reduce((a, b) => a * b, 1) * 4;
    offsetBytes += Math.ceil(bytes / ALIGNMENT_BYTES) * ALIGNMENT_BYTES;
  }
  out.padTo(ALIGNMENT_BYTES);
  const next = weights(options.seed ?? 1, 0.08);
  for (const tensor of tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    for (let i = 0; i < count; i++) out.f32(tensor.norm ? 1 : next());
    out.padTo(ALIGNMENT_BYTES);
  }
  return out.bytes();
}

/** Writes the tiny model to `file`; returns the file. */
export function writeTinyGguf(file: string, options: { seed?: number; name?: string } = {}): string {
  writeFileSync(file, tinyGgufBytes(options));
  return file;
}
