/**
 * The power the simulated H200 draws (profile h200) in response to the power its work asks for:
 * the same model, steps and parameters as native/sim/sim_response.cc (lag, first-order response,
 * boost above 600 W for a credit recovered with the headroom), computed again from the work's
 * power history so that the demo can judge each phase's estimate against the energy the GPU drew
 * while the phase ran (its in-situ truth), not the energy the phase asked for.
 * `test/drawn-power.test.ts` holds it against the simulated library's own counter.
 */
import { WattscopeError } from '../util/errors.js';
import type { PowerHistory } from './power-history.js';

/** The response's parameters; the defaults are the measured H200's (sim_response.h). */
export interface ResponseParams {
  lagMs: number;
  responseMs: number;
  boostW: number;
  boostAboveW: number;
  boostCreditMs: number;
  idleW: number;
}

/** The simulator's step, ns (0.1 ms). */
const STEP_NS = 100_000;

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `${name} is not a number: ${text}`, { field: name });
  return value;
}

/** The h200 profile's parameters as the simulated library reads them from the environment. */
export function responseParamsFromEnv(env: NodeJS.ProcessEnv = process.env): ResponseParams {
  const idleDefaultW = env.WATTSCOPE_SIM_CONTEXT === 'none' ? 79 : 122.5;
  return {
    lagMs: envNumber(env, 'WATTSCOPE_SIM_LAG_MS', 9),
    responseMs: Math.max(0.1, envNumber(env, 'WATTSCOPE_SIM_RESPONSE_MS', 3)),
    boostW: envNumber(env, 'WATTSCOPE_SIM_BOOST_W', 160),
    boostAboveW: envNumber(env, 'WATTSCOPE_SIM_BOOST_ABOVE_W', 600),
    boostCreditMs: envNumber(env, 'WATTSCOPE_SIM_BOOST_CREDIT_MS', 35),
    idleW: envNumber(env, 'WATTSCOPE_SIM_IDLE_W', idleDefaultW),
  };
}

/** The drawn power's energy between instants, from `fromNs` (the work idle before it) to `toNs`. */
export class DrawnPower {
  readonly #fromNs: bigint;
  /** Energy drawn from `fromNs` to the end of each step, J (index 0: none). */
  readonly #cumulativeJ: Float64Array;

  constructor(work: PowerHistory, params: ResponseParams, fromNs: bigint, toNs: bigint) {
    this.#fromNs = fromNs;
    const steps = Math.max(0, Math.ceil(Number(toNs - fromNs) / STEP_NS));
    this.#cumulativeJ = new Float64Array(steps + 1);
    const decay = 1 - Math.exp(-STEP_NS / (params.responseMs * 1e6));
    const creditFullNs = params.boostCreditMs * 1e6;
    const lagNs = BigInt(Math.round(params.lagMs * 1e6));
    let levelW = params.idleW;
    let creditNs = creditFullNs;
    let joules = 0;
    for (let step = 0; step < steps; step++) {
      const askedW = work.powerW(fromNs + BigInt(step * STEP_NS) - lagNs);
      let goalW = askedW;
      if (askedW > params.boostAboveW) {
        if (creditNs > 0) {
          creditNs -= STEP_NS;
          goalW = askedW + params.boostW;
        }
      } else {
        const headroom = (params.boostAboveW - askedW) / Math.max(1, params.boostAboveW - params.idleW);
        creditNs = Math.min(creditFullNs, creditNs + STEP_NS * Math.min(1, Math.max(0, headroom)));
      }
      const beforeW = levelW;
      levelW += (goalW - levelW) * decay;
      joules += (0.5 * (beforeW + levelW) * STEP_NS) / 1e9;
      this.#cumulativeJ[step + 1] = joules;
    }
  }

  /** Energy drawn between two instants inside the span given to the constructor, J. */
  energyJ(startNs: bigint, endNs: bigint): number {
    return this.#atJ(endNs) - this.#atJ(startNs);
  }

  #atJ(tNs: bigint): number {
    const intoNs = Number(tNs - this.#fromNs);
    const last = this.#cumulativeJ.length - 1;
    if (intoNs < 0 || intoNs > last * STEP_NS)
      throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `instant ${tNs} ns is outside the drawn power's span`, { field: 'tNs' });
    const step = Math.min(last - 1, Math.floor(intoNs / STEP_NS));
    if (step < 0) return 0;
    const fraction = (intoNs - step * STEP_NS) / STEP_NS;
    return this.#cumulativeJ[step]! + fraction * (this.#cumulativeJ[step + 1]! - this.#cumulativeJ[step]!);
  }
}
