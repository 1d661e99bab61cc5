/**
 * wattscope/scoring: AI Energy Score star ratings against a leaderboard, model size classes, the
 * label (SVG, PNG), and the environmental impact estimate.
 * @packageDocumentation
 */
export { starRating, bandEdges } from '../scoring/stars.js';
export type { Stars } from '../scoring/stars.js';
export { modelClass, modelMemoryGb, BYTES_PER_PARAMETER } from '../scoring/classes.js';
export type { ModelClass, Precision } from '../scoring/classes.js';
export { parseLeaderboard, readLeaderboard, rate, placeResult } from '../scoring/leaderboard.js';
export type { LeaderboardEntry, RatedEntry, Placement } from '../scoring/leaderboard.js';
export { labelSvg, labelPng, LABEL_WIDTH_PX, LABEL_HEIGHT_PX } from '../scoring/label.js';
export type { LabelData } from '../scoring/label.js';
export { estimateImpact, REGION_FACTORS, DEFAULTS as IMPACT_DEFAULTS } from '../scoring/impact.js';
export type { ImpactOptions, ImpactEstimate, ImpactFigures, Region } from '../scoring/impact.js';
