/**
 * Impact estimates from GPU energy per 1,000 queries:
 *
 *   total = (GPU + CPU + RAM + networking + storage) x PUE
 *   carbon = total x grid intensity;  water = total x WUE
 *   ADPe = total x ADPe factor;  PE = total x PE factor (per region)
 *
 * scaled from per-1,000-queries to a stated volume (queries per day, per year).
 * Every factor can be overridden; each default's source is listed in DEFAULTS.
 */
import { DEFAULTS, REGION_FACTORS, type Region } from './impact-factors.js';
import { ImpactOptionsSchema } from './impact-options.js';
import { WattscopeError } from '../util/errors.js';
import { parseOptions } from '../util/options.js';

export { DEFAULTS, REGION_FACTORS, type Region } from './impact-factors.js';

/** What the impact estimate starts from; every factor left out takes its stated default (DEFAULTS). */
export interface ImpactOptions {
  /** GPU energy per 1,000 queries, Wh (from the benchmark). */
  gpuWhPer1000: number;
  cpuWhPer1000?: number;
  ramWhPer1000?: number;
  networkWhPer1000?: number;
  storageWhPer1000?: number;
  bytesPerQuery?: number;
  /** 1 to 5. */
  pue?: number;
  /** g CO2e per kWh, 0 to 2,000. */
  gridGCo2ePerKwh?: number;
  /** L per kWh, 0 to 100. */
  wueLPerKwh?: number;
  /** Sets the ADPe and PE factors (not the grid's carbon intensity). */
  region?: Region;
  /** Queries per day, for the daily and yearly figures. */
  queriesPerDay?: number;
}

export interface ImpactFigures {
  energyWh: number;
  carbonGCo2e: number;
  waterL: number;
  adpeKgSbEq: number;
  primaryEnergyMj: number;
}

export interface ImpactEstimate {
  inputs: {
    gpuWhPer1000: number;
    cpuWhPer1000: number;
    ramWhPer1000: number;
    networkWhPer1000: number;
    storageWhPer1000: number;
    pue: number;
    gridGCo2ePerKwh: number;
    wueLPerKwh: number;
    region: Region;
    adpeKgSbEqPerKwh: number;
    peMjPerKwh: number;
    queriesPerDay: number | null;
  };
  /** Which inputs were defaulted, with the default's source. */
  defaulted: Record<string, string>;
  per1000Queries: ImpactFigures;
  perDay: ImpactFigures | null;
  perYear: ImpactFigures | null;
}

function figures(totalWh: number, i: ImpactEstimate['inputs'], scale: number): ImpactFigures {
  const kwh = (totalWh * scale) / 1000;
  return {
    energyWh: totalWh * scale,
    carbonGCo2e: kwh * i.gridGCo2ePerKwh,
    waterL: kwh * i.wueLPerKwh,
    adpeKgSbEq: kwh * i.adpeKgSbEqPerKwh,
    primaryEnergyMj: kwh * i.peMjPerKwh,
  };
}

export function estimateImpact(options: ImpactOptions): ImpactEstimate {
  const o = parseOptions(ImpactOptionsSchema, options, 'impact options');
  const defaulted: Record<string, string> = {};
  const pick = <K extends keyof typeof DEFAULTS>(key: K, given: number | undefined, value: number): number => {
    if (given !== undefined) return given;
    defaulted[key] = DEFAULTS[key].source;
    return value;
  };
  // Networking: given in Wh, or bytes per query (given or defaulted) x the transmission intensity.
  const bytes = o.networkWhPer1000 !== undefined ? 0 : pick('bytesPerQuery', o.bytesPerQuery, DEFAULTS.bytesPerQuery.value);
  const networkDefault = ((bytes * 1000) / 1e9) * DEFAULTS.networkKwhPerGb.value * 1000;
  const region: Region = o.region ?? DEFAULTS.region.value;
  if (o.region === undefined) defaulted.region = DEFAULTS.region.source;
  const inputs: ImpactEstimate['inputs'] = {
    gpuWhPer1000: o.gpuWhPer1000,
    cpuWhPer1000: pick('cpuFractionOfGpu', o.cpuWhPer1000, o.gpuWhPer1000 * DEFAULTS.cpuFractionOfGpu.value),
    ramWhPer1000: pick('ramFractionOfGpu', o.ramWhPer1000, o.gpuWhPer1000 * DEFAULTS.ramFractionOfGpu.value),
    networkWhPer1000: o.networkWhPer1000 ?? networkDefault,
    storageWhPer1000: pick('storageWhPer1000', o.storageWhPer1000, DEFAULTS.storageWhPer1000.value),
    pue: pick('pue', o.pue, DEFAULTS.pue.value),
    gridGCo2ePerKwh: pick('gridGCo2ePerKwh', o.gridGCo2ePerKwh, DEFAULTS.gridGCo2ePerKwh.value),
    wueLPerKwh: pick('wueLPerKwh', o.wueLPerKwh, DEFAULTS.wueLPerKwh.value),
    region,
    ...REGION_FACTORS[region],
    queriesPerDay: o.queriesPerDay ?? null,
  };
  if (o.networkWhPer1000 === undefined) defaulted.networkWhPer1000 = DEFAULTS.networkKwhPerGb.source;
  const totalWh = (inputs.gpuWhPer1000 + inputs.cpuWhPer1000 + inputs.ramWhPer1000 + inputs.networkWhPer1000 + inputs.storageWhPer1000) * inputs.pue;
  const perDayScale = o.queriesPerDay !== undefined ? o.queriesPerDay / 1000 : null;
  return {
    inputs,
    defaulted,
    per1000Queries: figures(totalWh, inputs, 1),
    perDay: perDayScale === null ? null : figures(totalWh, inputs, perDayScale),
    perYear: perDayScale === null ? null : figures(totalWh, inputs, perDayScale * 365),
  };
}

/** A region name as typed by a person ("EEA", "usa", "World") or an error listing the known ones. */
export function parseRegion(raw: string): Region {
  const r = raw.trim().toLowerCase();
  if (r in REGION_FACTORS) return r as Region;
  throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `unknown region "${raw}" (known: ${Object.keys(REGION_FACTORS).join(', ')})`, { field: 'region' });
}
