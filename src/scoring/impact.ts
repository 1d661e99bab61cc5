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
import { z } from 'zod';
import { WattscopeError } from '../util/errors.js';
import { parseOptions } from '../util/options.js';

/** Abiotic depletion (kg Sb eq per kWh) and primary energy (MJ per kWh) of electricity, by region. */
export const REGION_FACTORS = {
  world: { adpeKgSbEqPerKwh: 7.378e-8, peMjPerKwh: 9.99 },
  eea: { adpeKgSbEqPerKwh: 6.423e-8, peMjPerKwh: 12.9 },
  usa: { adpeKgSbEqPerKwh: 9.855e-8, peMjPerKwh: 11.4 },
  china: { adpeKgSbEqPerKwh: 8.515e-8, peMjPerKwh: 14.1 },
  france: { adpeKgSbEqPerKwh: 4.858e-8, peMjPerKwh: 11.3 },
} as const;
export type Region = keyof typeof REGION_FACTORS;

/** Defaults and where they come from. */
export const DEFAULTS = {
  cpuFractionOfGpu: {
    value: 0.0589,
    source: 'CPU/GPU energy ratio of the AI Energy Score example optimum-benchmark report (prefill: 0.004241 / 0.072009 kWh)',
  },
  ramFractionOfGpu: { value: 0.00109, source: 'RAM/GPU energy ratio of the same report (prefill: 0.0000786 / 0.072009 kWh)' },
  bytesPerQuery: { value: 4096, source: 'a 4 KiB request and response per query (text in, text out), an assumption: set --bytes-per-query' },
  networkKwhPerGb: {
    value: 0.06,
    source: 'electricity intensity of internet data transmission, 0.06 kWh/GB for 2015 (Aslan, Mayers, Koomey, France, J. Industrial Ecology, 2018)',
  },
  storageWhPer1000: { value: 0, source: 'none: inference reads weights from memory, not storage; set --storage-wh if your serving path reads disk per query' },
  pue: { value: 1.58, source: 'average data-centre PUE, Uptime Institute Global Data Center Survey 2023' },
  gridGCo2ePerKwh: {
    value: 402,
    source:
      "a gas combined-cycle plant's generation, 402 g CO2e/kWh: not a world or regional grid average (the region sets the ADPe and PE factors only); set gridGCo2ePerKwh (--grid) to your grid's intensity",
  },
  wueLPerKwh: {
    value: 1.8,
    source: 'average on-site data-centre water use, 1.8 L/kWh (Shehabi et al., United States Data Center Energy Usage Report, LBNL, 2016)',
  },
  region: { value: 'world' as Region, source: "the ADPe and PE factors per kWh (world, EEA, USA, China, France); it does not set the grid's carbon intensity" },
} as const;

export const ImpactOptionsSchema = z
  .object({
    /** GPU energy per 1,000 queries, Wh (from the benchmark). */
    gpuWhPer1000: z.number().min(0),
    cpuWhPer1000: z.number().min(0).optional(),
    ramWhPer1000: z.number().min(0).optional(),
    networkWhPer1000: z.number().min(0).optional(),
    storageWhPer1000: z.number().min(0).optional(),
    bytesPerQuery: z.number().min(0).optional(),
    pue: z.number().min(1).max(5).optional(),
    gridGCo2ePerKwh: z.number().min(0).max(2000).optional(),
    wueLPerKwh: z.number().min(0).max(100).optional(),
    region: z.enum(Object.keys(REGION_FACTORS) as [Region, ...Region[]]).optional(),
    /** Queries per day, for the daily and yearly figures. */
    queriesPerDay: z.number().min(0).optional(),
  })
  .strict();
export type ImpactOptions = z.input<typeof ImpactOptionsSchema>;

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
