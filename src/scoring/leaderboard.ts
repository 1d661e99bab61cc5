/**
 * AI Energy Score leaderboards (CSV: model, total_gpu_energy in kWh per 1,000
 * queries, energy_score, and class for text generation; today's also task and
 * reasoning state), rated with starRating within each group of task, reasoning
 * (on or off: reasoning is its own task on today's leaderboard) and class, and a
 * new result placed against them.
 */
import { readFileSync } from 'node:fs';
import { WattscopeError } from '../util/errors.js';
import { parseCsv } from '../util/csv.js';
import { parseReasoningState } from '../server/reasoning.js';
import { bandEdges, starRating, type Stars } from './stars.js';

export interface LeaderboardEntry {
  model: string;
  /** GPU energy per 1,000 queries, kWh (the CSV's total_gpu_energy). */
  energyKwh: number;
  /** The same in Wh per 1,000 queries (as labels show it). */
  energyWh: number;
  /** The published energy_score, where the CSV has one. */
  publishedStars: number | null;
  class: string | null;
  /** The task, where the CSV has a task column (one file per task otherwise). */
  task: string | null;
  /** Whether the model reasoned, where the CSV has a reasoning (or reasoning_state) column. */
  reasoning: boolean | null;
  /** 1-based line in the CSV (null for an added result). */
  line: number | null;
}

/** The group an entry is rated in: task, reasoning (on or off) and class. */
function groupOf(e: Pick<LeaderboardEntry, 'class' | 'task' | 'reasoning'>): string {
  const task = (e.task ?? '').toLowerCase().replace(/[-\s]+/g, '_');
  return `${task}|${e.reasoning ? 'reasoning' : ''}|${e.class ?? ''}`;
}

export interface RatedEntry extends LeaderboardEntry {
  stars: Stars;
  added: boolean;
}

export function parseLeaderboard(text: string, file: string): LeaderboardEntry[] {
  const records = parseCsv(text, file);
  const header = records.shift();
  const fail = (line: number, why: string, field?: string): never => {
    throw new WattscopeError('WATTSCOPE_BAD_LEADERBOARD', `${file}:${line}: ${why}`, { file, line, ...(field ? { field } : {}) });
  };
  if (!header) return fail(1, 'empty file');
  const col = (name: string) => header.cells.findIndex((c) => c.trim() === name);
  const iModel = col('model');
  const iEnergy = col('total_gpu_energy');
  const iScore = col('energy_score');
  const iClass = col('class');
  const iTask = col('task');
  const iReasoning = col('reasoning') >= 0 ? col('reasoning') : col('reasoning_state');
  if (iModel < 0) fail(1, `no "model" column (has: ${header.cells.join(', ')})`, 'model');
  if (iEnergy < 0) fail(1, `no "total_gpu_energy" column (has: ${header.cells.join(', ')})`, 'total_gpu_energy');
  return records.map((r) => {
    const model = (r.cells[iModel] ?? '').trim();
    if (!model) fail(r.line, 'empty model name', 'model');
    const raw = (r.cells[iEnergy] ?? '').trim();
    if (raw === '') fail(r.line, `model "${model}": total_gpu_energy is missing`, 'total_gpu_energy');
    const energyKwh = Number(raw);
    if (!Number.isFinite(energyKwh)) fail(r.line, `model "${model}": total_gpu_energy "${raw}" is not a number`, 'total_gpu_energy');
    if (energyKwh < 0) fail(r.line, `model "${model}": total_gpu_energy ${raw} is negative`, 'total_gpu_energy');
    const score = iScore >= 0 ? Number((r.cells[iScore] ?? '').trim()) : NaN;
    const cls = iClass >= 0 ? (r.cells[iClass] ?? '').trim() || null : null;
    const task = iTask >= 0 ? (r.cells[iTask] ?? '').trim() || null : null;
    let reasoning: boolean | null = null;
    if (iReasoning >= 0) {
      try {
        reasoning = parseReasoningState(r.cells[iReasoning] ?? '').enabled;
      } catch (err) {
        fail(r.line, `model "${model}": ${(err as Error).message}`, 'reasoning');
      }
    }
    return { model, energyKwh, energyWh: energyKwh * 1000, publishedStars: Number.isFinite(score) ? score : null, class: cls, task, reasoning, line: r.line };
  });
}

export function readLeaderboard(file: string): LeaderboardEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_LEADERBOARD', `${file}: cannot read (${(err as Error).message})`, { file, cause: err });
  }
  return parseLeaderboard(text, file);
}

/** Stars for every entry, within its group of task, reasoning and class (entries without them form one group). Input order is kept. */
export function rate(entries: Array<LeaderboardEntry & { added?: boolean }>): RatedEntry[] {
  const groups = new Map<string, { min: number; max: number }>();
  for (const e of entries) {
    const key = groupOf(e);
    const g = groups.get(key) ?? { min: Infinity, max: -Infinity };
    g.min = Math.min(g.min, e.energyKwh);
    g.max = Math.max(g.max, e.energyKwh);
    groups.set(key, g);
  }
  return entries.map((e) => {
    const g = groups.get(groupOf(e))!;
    return { ...e, stars: starRating(e.energyKwh, g.min, g.max), added: e.added ?? false };
  });
}

export interface Placement {
  entry: RatedEntry;
  /** 1-based rank by energy within its class, most efficient first. */
  rank: number;
  of: number;
  /** Band edges in Wh per 1,000 queries, after adding the result. */
  bandEdgesWh: Array<{ stars: Stars; from: number; to: number }>;
  /** Whether adding it widened the range. */
  widensRange: boolean;
  /** Models whose stars change because of it. */
  changed: Array<{ model: string; before: Stars; after: Stars }>;
  rated: RatedEntry[];
}

/** Where a new result would fall on a leaderboard, and what adding it changes. */
export function placeResult(
  leaderboard: LeaderboardEntry[],
  result: { model: string; energyWh: number; class?: string | null; task?: string | null; reasoning?: boolean | null },
): Placement {
  const added = {
    model: result.model,
    energyKwh: result.energyWh / 1000,
    energyWh: result.energyWh,
    publishedStars: null,
    class: result.class ?? null,
    // A leaderboard without task or reasoning columns rates in one group: the result joins it.
    task: leaderboard.some((e) => e.task !== null) ? (result.task ?? null) : null,
    reasoning: leaderboard.some((e) => e.reasoning !== null) ? (result.reasoning ?? false) : null,
    line: null,
    added: true,
  };
  const before = rate(leaderboard);
  const rated = rate([...leaderboard, added]);
  const entry = rated[rated.length - 1]!;
  const peers = rated.filter((e) => groupOf(e) === groupOf(entry));
  const energies = peers.map((e) => e.energyWh);
  const min = Math.min(...energies);
  const max = Math.max(...energies);
  const oldPeers = before.filter((e) => groupOf(e) === groupOf(entry));
  const widensRange =
    oldPeers.length === 0 || entry.energyWh < Math.min(...oldPeers.map((e) => e.energyWh)) || entry.energyWh > Math.max(...oldPeers.map((e) => e.energyWh));
  const changed = before.map((b, i) => ({ model: b.model, before: b.stars, after: rated[i]!.stars })).filter((c) => c.before !== c.after);
  return {
    entry,
    rank: energies.filter((e) => e < entry.energyWh).length + 1,
    of: peers.length,
    bandEdgesWh: bandEdges(min, max),
    widensRange,
    changed,
    rated,
  };
}
