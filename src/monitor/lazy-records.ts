/**
 * Results whose measurements are computed when first read, so that a benchmark loop that ignores
 * them pays nothing: measure()'s with `settle: false`, and query()'s.
 */
import type { ScopeRecord } from './ledger.js';
import type { Measurement, QueryRecord } from './types.js';

type MeasurementOf = (rec: ScopeRecord) => Measurement;

/** measure()'s result without waiting: the measurement as known when first read, then kept. */
export function lazyMeasured<T>(result: T, rec: ScopeRecord, measurementOf: MeasurementOf): { result: T; measurement: Measurement } {
  let cached: Measurement | undefined;
  return {
    result,
    get measurement() {
      return (cached ??= measurementOf(rec));
    },
  };
}

/** query()'s record: the query's and its phases' measurements, as known when read. */
export function lazyQueryRecord<T>(id: string, result: T, rec: ScopeRecord, phases: ScopeRecord[], measurementOf: MeasurementOf): QueryRecord<T> {
  return {
    id,
    result,
    get measurement() {
      return measurementOf(rec);
    },
    get phases() {
      return phases.map(measurementOf);
    },
  };
}
