/** `wattscope devices [--json]`: the GPUs NVML sees. */
import { listDevices } from '../nvml/session.js';
import { fmt, nvmlFlags, nvmlOptionsFrom, parse, table } from './common.js';

export const devicesHelp = `wattscope devices [--json] [--simulate] [--nvml-library PATH]
  Lists the GPUs with their energy counter (J), power (W), temperature and clocks.`;

export function devicesCommand(argv: string[]): number {
  const { values } = parse(argv, nvmlFlags);
  if (values.help) {
    process.stdout.write(devicesHelp + '\n');
    return 0;
  }
  const { library, devices } = listDevices(nvmlOptionsFrom(values));
  if (values.json) {
    process.stdout.write(JSON.stringify(devices, null, 2) + '\n');
    return 0;
  }
  const rows = devices.map((d) => [
    String(d.index),
    d.name ?? 'n/a',
    d.uuid ?? 'n/a',
    d.pciBusId ?? 'n/a',
    fmt(d.totalEnergyJ, 3),
    fmt(d.powerW, 1),
    fmt(d.instantPowerW, 1),
    fmt(d.temperatureC, 0),
    fmt(d.smClockMhz, 0),
  ]);
  const source = library.simulated ? 'simulated GPU' : library.path;
  process.stdout.write(`NVML ${library.nvmlVersion ?? '?'}, driver ${library.driverVersion ?? '?'} (${source})\n`);
  process.stdout.write(
    table(['GPU', 'name', 'uuid', 'pci', 'energy_J', 'power_W', 'instant_W', 'temp_C', 'sm_MHz'], rows) + '\n',
  );
  if (library.missingSymbols.length > 0) {
    process.stdout.write(`not available in this NVML: ${library.missingSymbols.join(', ')}\n`);
  }
  return 0;
}
