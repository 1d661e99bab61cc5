/**
 * A real GPU's recording, in the format of the H200 recording's instruments: `<name>-probe.csv(.gz)`
 * (the counter, power fields and read times, polled), `<name>-samples.csv(.gz)` (the driver's power
 * samples) and `<name>-phases.csv(.gz)` (the work: `section,run,query,phase,t0_ns,t1_ns` on the
 * same CLOCK_MONOTONIC). Read here for replay: the phases as a schedule, the probe files unpacked
 * for the simulated library (which reads plain CSV), and the recorded counter over any window. A
 * file that does not parse is WATTSCOPE_BAD_RECORDING naming the file and line.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WattscopeError } from '../util/errors.js';

/** One recorded phase of one query, on the recording's monotonic clock (ns). */
export interface RecordedPhase {
  section: string;
  run: number;
  query: number;
  phase: string;
  t0Ns: bigint;
  t1Ns: bigint;
}

/** A recorded counter reading: when the read started (monotonic ns) and the counter, mJ. */
export interface CounterReading {
  tNs: bigint;
  energyMj: number;
}

export interface Recording {
  /** The recording's path prefix (`DIR/trace`), as given. */
  prefix: string;
  phases: RecordedPhase[];
  counter: CounterReading[];
  /** The driver's power samples' own stamps (wall-clock µs), each once, in order. */
  driverSampleStampsUs: number[];
  /** The probe and samples files as plain CSV (unpacked where they were gzipped), for the simulated library. */
  plainPrefix: string;
}

function badRecording(file: string, line: number, why: string): WattscopeError {
  return new WattscopeError('WATTSCOPE_BAD_RECORDING', `${file}:${line}: ${why}`, { file, line });
}

/** The text of `<prefix><suffix>.csv`, or of its .gz; the file's path for messages. */
function readCsv(prefix: string, suffix: string): { file: string; text: string } {
  const plain = `${prefix}${suffix}.csv`;
  if (existsSync(plain)) return { file: plain, text: readFileSync(plain, 'utf8') };
  const gz = `${plain}.gz`;
  if (existsSync(gz)) return { file: gz, text: gunzipSync(readFileSync(gz)).toString('utf8') };
  throw new WattscopeError('WATTSCOPE_BAD_RECORDING', `no ${path.basename(plain)} (or .gz) beside ${prefix}`, { file: plain });
}

/** A non-negative integer cell of a recording as a bigint, or the error naming its place. */
function nanoseconds(cell: string | undefined, file: string, line: number, column: string): bigint {
  if (cell === undefined || !/^\d+$/.test(cell)) throw badRecording(file, line, `${column} must be an integer of ns, got ${JSON.stringify(cell ?? '')}`);
  return BigInt(cell);
}

function parsePhases(file: string, text: string): RecordedPhase[] {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== 'section,run,query,phase,t0_ns,t1_ns') throw badRecording(file, 1, 'expected the header section,run,query,phase,t0_ns,t1_ns');
  const phases: RecordedPhase[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [section, run, query, phase, t0, t1, ...rest] = line.split(',');
    if (rest.length > 0 || !section || !phase) throw badRecording(file, i + 1, 'expected 6 cells');
    if (!/^\d+$/.test(run ?? '') || !/^\d+$/.test(query ?? '')) throw badRecording(file, i + 1, 'run and query must be integers');
    const row = {
      section,
      run: Number(run),
      query: Number(query),
      phase,
      t0Ns: nanoseconds(t0, file, i + 1, 't0_ns'),
      t1Ns: nanoseconds(t1, file, i + 1, 't1_ns'),
    };
    if (row.t1Ns < row.t0Ns) throw badRecording(file, i + 1, 't1_ns is before t0_ns');
    phases.push(row);
  }
  return phases;
}

function parseSampleStamps(file: string, text: string): number[] {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('t_ns,sample_ts_us,sample_mw')) throw badRecording(file, 1, 'expected the columns t_ns,sample_ts_us,sample_mw,...');
  const stamps = new Set<number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const stamp = line.split(',')[1] ?? '';
    if (!/^\d+$/.test(stamp)) throw badRecording(file, i + 1, `sample_ts_us must be an integer of µs, got ${JSON.stringify(stamp)}`);
    stamps.add(Number(stamp));
  }
  if (stamps.size < 2) throw badRecording(file, 2, 'fewer than two driver samples');
  return [...stamps].sort((a, b) => a - b);
}

function parseCounter(file: string, text: string): CounterReading[] {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('# mono_ns=')) throw badRecording(file, 1, 'expected "# mono_ns=<ns> real_ns=<ns> ..."');
  if (!lines[1]?.startsWith('t_ns,energy_mj,')) throw badRecording(file, 2, 'expected the columns t_ns,energy_mj,...');
  const counter: CounterReading[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [t, energy] = line.split(',');
    const energyMj = Number(energy);
    if (energy === undefined || energy === '' || !Number.isFinite(energyMj))
      throw badRecording(file, i + 1, `energy_mj must be a number, got ${JSON.stringify(energy ?? '')}`);
    counter.push({ tNs: nanoseconds(t, file, i + 1, 't_ns'), energyMj });
  }
  if (counter.length < 2) throw badRecording(file, 3, 'fewer than two readings');
  return counter;
}

/** Reads a recording (`DIR/trace` for DIR/trace-probe.csv.gz and its siblings). */
export function readRecording(prefix: string): Recording {
  const phasesCsv = readCsv(prefix, '-phases');
  const probeCsv = readCsv(prefix, '-probe');
  const samplesCsv = readCsv(prefix, '-samples');
  const phases = parsePhases(phasesCsv.file, phasesCsv.text);
  const counter = parseCounter(probeCsv.file, probeCsv.text);
  const plainDir = mkdtempSync(path.join(tmpdir(), 'wattscope-replay-'));
  const plainPrefix = path.join(plainDir, 'recording');
  writeFileSync(`${plainPrefix}-probe.csv`, probeCsv.text);
  writeFileSync(`${plainPrefix}-samples.csv`, samplesCsv.text);
  const driverSampleStampsUs = parseSampleStamps(samplesCsv.file, samplesCsv.text);
  return { prefix, phases, counter, driverSampleStampsUs, plainPrefix };
}

/**
 * The recorded counter at instant tNs, mJ: linear between the instants where its value changed
 * (each change seen at the first read that showed it), the counter's own 100 ms steps.
 */
export function counterAtMj(counter: CounterReading[], tNs: bigint): number {
  const changes = counterChanges(counter);
  if (tNs <= changes[0]!.tNs) return changes[0]!.energyMj;
  for (let i = 1; i < changes.length; i++) {
    const b = changes[i]!;
    if (tNs <= b.tNs) {
      const a = changes[i - 1]!;
      return a.energyMj + ((b.energyMj - a.energyMj) * Number(tNs - a.tNs)) / Number(b.tNs - a.tNs);
    }
  }
  return changes.at(-1)!.energyMj;
}

const changesCache = new WeakMap<CounterReading[], CounterReading[]>();

function counterChanges(counter: CounterReading[]): CounterReading[] {
  let changes = changesCache.get(counter);
  if (!changes) {
    changes = counter.filter((r, i) => i === 0 || r.energyMj !== counter[i - 1]!.energyMj);
    changesCache.set(counter, changes);
  }
  return changes;
}
