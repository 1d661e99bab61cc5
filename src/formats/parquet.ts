/**
 * Parquet files read as rows of objects (hyparquet), whatever codec wrote them, within bounds: a
 * file over {@link MAX_INPUT_FILE_BYTES} is refused before it is read, and every page is
 * decompressed into a buffer of the size the page declares, so that a page declaring 100 bytes
 * cannot become a gigabyte (a decompression bomb) whatever its codec.
 */
import { readFileSync, statSync } from 'node:fs';
import { WattscopeError } from '../util/errors.js';

/** The largest dataset or results file read, bytes (512 MiB; a 1,000-query dataset is a few MB). */
export const MAX_INPUT_FILE_BYTES = 512 * 1024 * 1024;

/**
 * The bytes of an input file (a dataset, an ML.ENERGY results file), or WATTSCOPE_BAD_DATASET
 * naming it: unreadable, or over {@link MAX_INPUT_FILE_BYTES} (checked before reading).
 */
export function readBoundedFile(file: string, what: string): Buffer {
  let sizeBytes: number;
  try {
    sizeBytes = statSync(file).size;
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: cannot read the ${what} (${(err as Error).message})`, { file, cause: err });
  }
  if (sizeBytes > MAX_INPUT_FILE_BYTES) {
    throw new WattscopeError(
      'WATTSCOPE_BAD_DATASET',
      `${file}: the ${what} is ${(sizeBytes / 2 ** 20).toFixed(0)} MiB, over the ${MAX_INPUT_FILE_BYTES / 2 ** 20} MiB that wattscope reads (limit or split it)`,
      { file },
    );
  }
  try {
    return readFileSync(file);
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: cannot read the ${what} (${(err as Error).message})`, { file, cause: err });
  }
}

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

/** Fails a page whose data does not decompress to exactly its declared size. */
function declaredSize(codec: string, decompress: Decompress): Decompress {
  return (input, outputLength) => {
    const output = decompress(input, outputLength);
    if (output.length !== outputLength) throw new Error(`a ${codec} page decompressed to ${output.length} bytes where it declares ${outputLength}`);
    return output;
  };
}

/** hyparquet-compressors' codecs, each writing into a buffer of the page's declared size (ZSTD's own default grows without bound). */
async function boundedCompressors(): Promise<Record<string, Decompress>> {
  const { compressors, decompressZstd } = await import('hyparquet-compressors');
  const bounded: Record<string, Decompress> = {};
  for (const [codec, decompress] of Object.entries(compressors)) bounded[codec] = declaredSize(codec, decompress as Decompress);
  bounded.ZSTD = declaredSize('ZSTD', (input, outputLength) => {
    try {
      return decompressZstd(input, new Uint8Array(outputLength));
    } catch (err) {
      throw new Error(`a ZSTD page does not fit the ${outputLength} bytes it declares (${(err as Error).message})`);
    }
  });
  return bounded;
}

/**
 * The rows of the Parquet bytes read from `file` (the first `rowEnd`, when given). Every codec
 * Parquet writers use (GZIP, ZSTD, BROTLI, LZ4...) is read, not only hyparquet's built-in SNAPPY;
 * a file hyparquet cannot read, or a page larger than it declares, is WATTSCOPE_BAD_DATASET naming it.
 */
export async function readParquetObjects(file: string, bytes: Buffer, rowEnd?: number): Promise<Array<Record<string, unknown>>> {
  const { parquetReadObjects } = await import('hyparquet');
  const compressors = await boundedCompressors();
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    return (await parquetReadObjects({ file: data, compressors, ...(rowEnd !== undefined && Number.isFinite(rowEnd) ? { rowEnd } : {}) })) as Array<
      Record<string, unknown>
    >;
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: not a readable Parquet file (${(err as Error).message})`, { file, cause: err });
  }
}
