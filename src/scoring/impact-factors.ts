/** The impact estimate's factors by region, and every default with its source. */
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
