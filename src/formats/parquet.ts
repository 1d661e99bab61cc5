/** Parquet files read as rows of objects (hyparquet), whatever codec wrote them. */
import { WattscopeError } from '../util/errors.js';

/**
 * The rows of the Parquet bytes read from `file` (the first `rowEnd`, when given). Every codec
 * Parquet writers use (GZIP, ZSTD, BROTLI, LZ4...) is read, not only hyparquet's built-in SNAPPY;
 * a file hyparquet cannot read is WATTSCOPE_BAD_DATASET naming it.
 */
export async function readParquetObjects(file: string, bytes: Buffer, rowEnd?: number): Promise<Array<Record<string, unknown>>> {
  const { parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    return (await parquetReadObjects({ file: data, compressors, ...(rowEnd !== undefined && Number.isFinite(rowEnd) ? { rowEnd } : {}) })) as Array<
      Record<string, unknown>
    >;
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: not a readable Parquet file (${(err as Error).message})`, { file, cause: err });
  }
}
