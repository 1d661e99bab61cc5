/** `wattscope impact <result> [--pue ... --grid ... --region ... --volume ...]`: energy, carbon, water, ADPe, PE. */
import { WattscopeError } from '../util/errors.js';
import { estimateImpact, parseRegion, type ImpactFigures, type ImpactOptions } from '../scoring/impact.js';
import { describePhases, readResult, type BenchmarkResult } from '../formats/result-reader.js';
import { parse, str } from './common.js';

export const impactHelp = `wattscope impact <result-dir> [--volume QUERIES_PER_DAY] [--pue N] [--grid G_CO2E_PER_KWH] [--wue L_PER_KWH]
  [--region world|eea|usa|china|france] [--cpu-wh N] [--ram-wh N] [--network-wh N] [--storage-wh N] [--bytes-per-query N] [--json]
  Estimates total energy, carbon, water, abiotic depletion and primary energy; every factor can be overridden.`;

const numberFlags: Record<string, keyof ImpactOptions> = {
  pue: 'pue',
  grid: 'gridGCo2ePerKwh',
  wue: 'wueLPerKwh',
  volume: 'queriesPerDay',
  'cpu-wh': 'cpuWhPer1000',
  'ram-wh': 'ramWhPer1000',
  'network-wh': 'networkWhPer1000',
  'storage-wh': 'storageWhPer1000',
  'bytes-per-query': 'bytesPerQuery',
};

function line(label: string, f: ImpactFigures): string {
  return `${label.padEnd(16)} energy ${(f.energyWh / 1000).toPrecision(4)} kWh, carbon ${(f.carbonGCo2e / 1000).toPrecision(4)} kg CO2e, water ${f.waterL.toPrecision(4)} L, ADPe ${f.adpeKgSbEq.toPrecision(4)} kg Sb eq, PE ${f.primaryEnergyMj.toPrecision(4)} MJ`;
}

export function impactCommand(argv: string[]): number {
  const flags = Object.fromEntries(Object.keys(numberFlags).map((k) => [k, { type: 'string' as const }]));
  const { values, positionals } = parse(argv, { ...flags, region: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(impactHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one result directory or report: wattscope impact <result-dir>');
  const result = readResult(positionals[0]!);
  const options: ImpactOptions = { gpuWhPer1000: result.energyWh };
  for (const [flag, key] of Object.entries(numberFlags)) {
    const raw = str(values, flag);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--${flag} must be a number, got "${raw}"`, { field: flag });
    (options as unknown as Record<string, number>)[key] = n;
  }
  const region = str(values, 'region');
  if (region) options.region = parseRegion(region);
  const hostSource = useMeasuredHostEnergy(options, result.hostEnergy);
  const est = estimateImpact(options);
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        { source: result.source, format: result.format, phases: result.phases, warnings: result.warnings, cpuRamSource: hostSource, ...est },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const lines = [
    `from ${result.source}: GPU ${result.energyWh.toPrecision(4)} Wh per 1,000 queries; PUE ${est.inputs.pue}, grid ${est.inputs.gridGCo2ePerKwh} g CO2e/kWh${est.defaulted.gridGCo2ePerKwh ? ' (default: a gas combined-cycle plant, not a grid average; set --grid)' : ''}, WUE ${est.inputs.wueLPerKwh} L/kWh, region ${est.inputs.region} (ADPe and PE factors only)`,
    ...describePhases(result).map((l) => `  ${l}`),
    `CPU and RAM: ${hostSource}`,
    ...result.warnings.map((w) => `warning: ${w}`),
    line('per 1,000 queries', est.per1000Queries),
  ];
  if (est.perDay) lines.push(line('per day', est.perDay), line('per year', est.perYear!));
  lines.push('defaults used:', ...Object.entries(est.defaulted).map(([k, v]) => `  ${k}: ${v}`));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/**
 * Takes the result's measured CPU and RAM energy where it has them and no flag overrides them;
 * says where the CPU and RAM figures come from: the flags, the result, or the fixed ratios.
 */
function useMeasuredHostEnergy(options: ImpactOptions, host: BenchmarkResult['hostEnergy']): string {
  const given = options.cpuWhPer1000 !== undefined || options.ramWhPer1000 !== undefined;
  if (!given && host !== null) {
    options.cpuWhPer1000 = host.cpuWh;
    options.ramWhPer1000 = host.ramWh;
    return `${host.cpuWh.toPrecision(4)} and ${host.ramWh.toPrecision(4)} Wh per 1,000 queries, from the result (${host.source})`;
  }
  if (given) return 'as given (--cpu-wh, --ram-wh; a figure not given is a fixed ratio of the GPU energy)';
  return 'not in the result: fixed ratios of the GPU energy (see the defaults below)';
}
