/**
 * Parquet datasets in every codec writers commonly use: SNAPPY (hyparquet's own), GZIP and ZSTD
 * (through hyparquet-compressors). The files are written by the test: GZIP with Node's zlib, ZSTD
 * as a valid Zstandard frame of raw (stored) blocks, which every ZSTD decoder must read.
 */
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/runner/dataset.js';
import { MAX_INPUT_FILE_BYTES } from '../src/formats/parquet.js';
import { readMlEnergyRuns } from '../src/formats/mlenergy-file.js';

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

/**
 * A decompression bomb: the page's real data in a raw block, then `extraBytes` of zeros in RLE
 * blocks (4 bytes each for 128 KiB), in a frame that declares no content size. The page itself
 * declares only the real data's length.
 */
function zstdBomb(extraBytes: number) {
  return (data: Uint8Array): Uint8Array => {
    // Frame header: descriptor 0 (no content size, not single segment), window descriptor (2^(10+exp)).
    const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])];
    parts.push(Buffer.from([(data.length << 3) & 0xff, (data.length >> 5) & 0xff, (data.length >> 13) & 0xff]), Buffer.from(data));
    const rle = 128 * 1024;
    for (let left = extraBytes; left > 0; left -= rle) {
      const last = left <= rle ? 1 : 0;
      const header = last | (1 << 1) | (Math.min(rle, left) << 3); // Block_Type 1: RLE
      parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0]));
    }
    return Buffer.concat(parts);
  };
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

  it('a ZSTD page that decompresses to far more than it declares (a bomb): only its declared bytes are decompressed', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-parquet-')), 'bomb.parquet');
    const bomb = zstdBomb(256 * 1024 * 1024);
    writeFileSync(
      file,
      Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }], codec: 'ZSTD', compressors: { ZSTD: bomb } })),
    );
    const rssBefore = process.memoryUsage().rss;
    expect((await loadDataset({ path: file })).rows.map((r) => r.text)).toEqual(texts);
    // 256 MiB of zeros beyond the page were never decompressed (before the fix: RSS grew by about that).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('a file over the size limit is refused before it is read (a sparse file: nothing to read anyway)', async () => {
    for (const name of ['big.parquet', 'big.jsonl']) {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-big-')), name);
      writeFileSync(file, '');
      truncateSync(file, MAX_INPUT_FILE_BYTES + 1);
      await expect(loadDataset({ path: file })).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_DATASET', file, message: expect.stringContaining('MiB') });
      await expect(readMlEnergyRuns(file)).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_DATASET', file });
    }
  });
});
