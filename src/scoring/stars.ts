/**
 * AI Energy Score star ratings. Within a task (and a size class for text
 * generation), the range [min, max] of energies is cut into five equal bands:
 *
 *   stars = clamp(5 - floor(5 (e - min) / (max - min)), 1, 5)
 *
 * Edge cases, decided here and tested:
 * - one model, or all models equal (max = min): every model gets 5 stars;
 * - a value exactly on a band edge falls into the less efficient band (fewer
 *   stars), except min itself (5 stars); max gets 1 star. Values within 1e-9 of
 *   a band width from an edge count as on it, so floating-point noise in a
 *   computed edge cannot move a model across it;
 * - a missing, non-numeric or negative energy is an error (see leaderboard.ts):
 *   a rating with a hole in the range would silently change everyone's stars.
 */

export type Stars = 1 | 2 | 3 | 4 | 5;

export function starRating(energy: number, min: number, max: number): Stars {
  if (!(max > min)) return 5;
  let x = (5 * (energy - min)) / (max - min);
  const nearest = Math.round(x);
  if (Math.abs(x - nearest) < 1e-9) x = nearest;
  return Math.min(5, Math.max(1, 5 - Math.floor(x))) as Stars;
}

/**
 * The band edges in the energy's unit: five [from, to) bands, 5 stars first.
 * The last band includes max.
 */
export function bandEdges(min: number, max: number): Array<{ stars: Stars; from: number; to: number }> {
  const w = (max - min) / 5;
  return ([5, 4, 3, 2, 1] as const).map((stars, i) => ({ stars, from: min + i * w, to: i === 4 ? max : min + (i + 1) * w }));
}
