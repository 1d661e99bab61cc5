/**
 * The Pareto frontier of points where less is better on both axes (energy per token against
 * inter-token latency): a point is on it when no other point is at least as good on both and
 * better on one.
 */

/** Whether each point is on the frontier (minimizing x and y). */
export function paretoFrontier(points: ReadonlyArray<{ x: number; y: number }>): boolean[] {
  return points.map((p, i) => !points.some((q, j) => j !== i && q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y)));
}
