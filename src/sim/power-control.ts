/**
 * Drives the simulated GPU's power at run time through its control file
 * (WATTSCOPE_SIM_CONTROL): each call appends "<monotonic ns> <gpu|*> <watts>".
 * Any process can write it; the simulator reads new lines on its next call.
 */
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class SimPowerControl {
  readonly file: string;
  #fd: number | null = null;

  constructor(file: string) {
    this.file = file;
  }

  /** Closes the kept file descriptor (it is reopened on the next set()). */
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  /** A fresh control file in a temporary directory, also set as WATTSCOPE_SIM_CONTROL for this process. */
  static create(): SimPowerControl {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-sim-'));
    const file = path.join(dir, 'control.log');
    writeFileSync(file, '');
    process.env.WATTSCOPE_SIM_CONTROL = file;
    return new SimPowerControl(file);
  }

  /** Sets GPU `gpu`'s (or every GPU's) power from now on; returns the change's monotonic ns. */
  set(watts: number, gpu: number | '*' = '*'): bigint {
    this.#fd ??= openSync(this.file, 'a');
    const tNs = process.hrtime.bigint();
    writeSync(this.#fd, `${tNs} ${gpu} ${watts}\n`);
    return tNs;
  }
}
