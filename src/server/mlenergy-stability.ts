/**
 * The ML.ENERGY Benchmark's stability rules, judged per run: a run is stable when its steady state
 * (from when max_num_seqs requests are in flight until the tail begins) lasts at least 20 s, its
 * energy per output token is above zero, and the requests running during it stay at or above
 * 0.85 x max_num_seqs. Here "running" is the client's count of requests in flight, time-weighted
 * over the steady state (the server's own queue is not visible from the client), so the
 * microseconds between one request finishing and the next being sent are not a drop.
 */

/** The steady state's shortest length, s. */
export const MIN_STEADY_STATE_S = 20;
/** The least share of max_num_seqs that must stay running. */
export const MIN_RUNNING_SHARE = 0.85;

/** What the rules look at. */
export interface StabilityInput {
  /** max_num_seqs: the requests in flight at once. */
  maxNumSeqs: number;
  /** The steady state, or null when the run never had maxNumSeqs requests in flight. */
  steadyState: { durationS: number; jPerToken: number | null; meanRunningRequests: number | null } | null;
}

/** Whether a run is stable by the ML.ENERGY rules, with a reason for each rule it breaks. */
export interface MlEnergyStability {
  isStable: boolean;
  reasons: string[];
}

/** Judges one run. */
export function judgeStability({ maxNumSeqs, steadyState }: StabilityInput): MlEnergyStability {
  if (steadyState === null) {
    return { isStable: false, reasons: [`no-steady-state: ${maxNumSeqs} requests were never in flight at once (the dataset is smaller than max_num_seqs?)`] };
  }
  const reasons: string[] = [];
  if (steadyState.durationS < MIN_STEADY_STATE_S) {
    reasons.push(`steady-state-short: ${steadyState.durationS.toFixed(2)} s is under ${MIN_STEADY_STATE_S} s`);
  }
  if (steadyState.jPerToken === null || !(steadyState.jPerToken > 0)) {
    reasons.push(`energy-per-token: ${steadyState.jPerToken === null ? 'no token' : `${steadyState.jPerToken} J`} in the steady state, not above zero`);
  }
  const running = steadyState.meanRunningRequests;
  if (running === null || running < MIN_RUNNING_SHARE * maxNumSeqs) {
    reasons.push(
      `running-requests: ${running === null ? 'unknown' : running.toFixed(2)} in flight on average during the steady state, under ${MIN_RUNNING_SHARE} x ${maxNumSeqs} = ${(MIN_RUNNING_SHARE * maxNumSeqs).toFixed(2)}`,
    );
  }
  return { isStable: reasons.length === 0, reasons };
}
