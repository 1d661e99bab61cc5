/**
 * Parquet datasets in every codec writers commonly use: SNAPPY (hyparquet's own), GZIP and ZSTD
 * (through hyparquet-compressors). The files are written by the test: GZIP with Node's zlib, ZSTD
 * as a valid Zstandard frame of raw (stored) blocks, which every ZSTD decoder must read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/runner/dataset.js';

/** A Zstandard frame (RFC 8878) holding `data` in raw blocks: magic, a single-segment header with a 4-byte content size, blocks. */
function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const maxBlock = 128 * 1024;
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0])];
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  parts.push(size);
  let offset = 0;
  do {
    const length = Math.min(maxBlock, data.length - offset);
    const last = offset + length >= data.length ? 1 : 0;
    const header = last | (0 << 1) | (length << 3); // Block_Type 0: raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), Buffer.from(data.subarray(offset, offset + length)));
    offset += length;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

const texts = Array.from({ length: 50 }, (_, i) => `question number ${i}: ${'why '.repeat(i % 7)}?`);

async function parquetFile(codec: 'SNAPPY' | 'GZIP' | 'ZSTD'): Promise<string> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)), ZSTD: zstdStoredFrame };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-parquet-')), `d-${codec}.parquet`);
  writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }], codec, compressors })));
  return file;
}

describe('Parquet codecs', () => {
  for (const codec of ['SNAPPY', 'GZIP', 'ZSTD'] as const) {
    it(`reads a ${codec}-compressed file`, async () => {
      const dataset = await loadDataset({ path: await parquetFile(codec) });
      expect(dataset.format).toBe('parquet');
      expect(dataset.rows.map((r) => r.text)).toEqual(texts);
    });
  }

  it('the test writer really compressed: the GZIP file is not the SNAPPY one', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(await parquetFile('GZIP')).equals(readFileSync(await parquetFile('SNAPPY')))).toBe(false);
  });
});
