/** `wattscope measure [--json] -- <command...>`: GPU energy of a whole command, like `time`. */
import { spawn } from 'node:child_process';
import { writeFileAtomic } from '../util/atomic.js';
import { WattscopeError } from '../util/errors.js';
import { EnergyMonitor } from '../monitor/monitor.js';
import { fmt, nvmlFlags, nvmlOptionsFrom, parse, positiveNumber, str } from './common.js';

export const measureHelp = `wattscope measure [--json] [--output FILE] [--gpus LIST] [--hz N] [--simulate] -- <command...>
  Runs the command and reports GPU energy (J), duration and average power over its lifetime, and the
  CPU packages' and DRAM energy from RAPL where it is readable (null with the reason where not).
  --json prints the result as JSON on stdout (after the command's own output); --output FILE writes
  that JSON to FILE instead (atomically), leaving stdout to the command. --gpus 0,2 or GPU-… UUIDs
  measures those GPUs only (default: all CUDA-visible).`;

export async function measureCommand(argv: string[]): Promise<number> {
  const sep = argv.indexOf('--');
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const command = sep >= 0 ? argv.slice(sep + 1) : [];
  // An argument that is neither a flag nor a flag's value: a command given without "--".
  const takesValue = (arg: string | undefined) => arg === '--hz' || arg === '--nvml-library' || arg === '--output' || arg === '--gpus';
  const stray = sep < 0 ? argv.find((arg, i) => !arg.startsWith('-') && !takesValue(argv[i - 1])) : undefined;
  if (stray !== undefined) {
    const rest = argv.slice(argv.indexOf(stray)).join(' ');
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `put the command to measure after "--": wattscope measure -- ${rest}`);
  }
  const { values } = parse(own, { ...nvmlFlags, hz: { type: 'string' }, output: { type: 'string' }, gpus: { type: 'string' } });
  if (values.help) {
    process.stdout.write(measureHelp + '\n');
    return 0;
  }
  if (command.length === 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give the command after "--", e.g. wattscope measure -- python3 infer.py');
  }
  const gpus = gpusFrom(str(values, 'gpus'));
  const output = str(values, 'output');
  const monitor = await EnergyMonitor.open({ ...nvmlOptionsFrom(values), sampleHz: positiveNumber(str(values, 'hz'), 'hz', 1000), ...(gpus ? { gpus } : {}) });
  const scope = monitor.begin(command.join(' '));
  const status = await runChild(command);
  scope.end();
  const m = await scope.settled();
  // The sampler thread read RAPL beside the GPUs (cpu: 'auto'): null figures carry the reason.
  const cpu = m.cpu ?? { packageEnergyJ: null, packageUncertaintyJ: null, dramEnergyJ: null, dramUncertaintyJ: null, reason: 'CPU energy is not read' };
  await monitor.close();
  // How each GPU's figures were read: the power query, the energy counter's source, and whether
  // the driver kept its own power samples (or refused them).
  const sources = (index: number) => {
    const gpu = monitor.gpus.find((g) => g.index === index);
    return { powerSource: gpu?.powerSource ?? null, energySource: gpu?.energySource ?? null, driverSamples: gpu?.driverSamples ?? null };
  };
  const perGpu =
    m.status === 'measured'
      ? m.gpus.map((g) => ({
          index: g.gpu,
          energyJ: g.energyJ,
          uncertaintyJ: g.uncertaintyJ,
          avgPowerW: m.durationS > 0 ? g.energyJ / m.durationS : null,
          method: g.method,
          flags: g.flags,
          ...sources(g.gpu),
        }))
      : monitor.gpus.map((g) => ({ index: g.index, energyJ: null, uncertaintyJ: null, avgPowerW: null, method: null, flags: m.flags, ...sources(g.index) }));
  const json =
    JSON.stringify({
      command,
      exitStatus: status,
      durationS: m.durationS,
      status: m.status,
      gpus: perGpu,
      ...(m.status === 'unavailable' ? { reason: m.reason } : {}),
      cpuEnergyJ: cpu.packageEnergyJ,
      cpuUncertaintyJ: cpu.packageUncertaintyJ,
      dramEnergyJ: cpu.dramEnergyJ,
      dramUncertaintyJ: cpu.dramUncertaintyJ,
      cpuReason: cpu.reason,
    }) + '\n';
  if (output !== undefined) writeFileAtomic(output, json);
  if (values.json && output === undefined) {
    process.stdout.write(json);
  } else {
    process.stderr.write(`\n${fmt(m.durationS, 3, ' s')} elapsed, exit status ${status}\n`);
    for (const g of perGpu) {
      process.stderr.write(
        `GPU ${g.index}: ${fmt(g.energyJ, 3, ' J')} (+-${fmt(g.uncertaintyJ, 3, ' J')}), ${fmt(g.avgPowerW, 1, ' W')} average, ${g.method ?? 'unavailable'}\n`,
      );
    }
    process.stderr.write(
      `CPU packages: ${fmt(cpu.packageEnergyJ, 3, ' J')}, DRAM: ${fmt(cpu.dramEnergyJ, 3, ' J')} (RAPL)${cpu.reason ? `: ${cpu.reason}` : ''}\n`,
    );
  }
  return status;
}

const signalNumber: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Runs the command with this terminal, forwarding Ctrl-C and SIGTERM; its exit status as a shell gives it. */
async function runChild(command: string[]): Promise<number> {
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        process.stderr.write(`wattscope: could not start ${command[0]}: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber[signal] ?? 1) : 1)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** `--gpus 0,2` or UUIDs (GPU-…, MIG-…): the monitor's `gpus`; undefined when not given. */
function gpusFrom(raw: string | undefined): Array<number | string> | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--gpus takes CUDA indices or UUIDs separated by commas, got "${raw}"`, { field: 'gpus' });
  }
  return items.map((item) => (/^\d+$/.test(item) ? Number(item) : item));
}
