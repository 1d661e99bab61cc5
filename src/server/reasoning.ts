/**
 * Reasoning models, as the AI Energy Score's model list states them: a reasoning state per
 * benchmark (off, on, or on with an effort of low, medium or high) and a "Chat Template" text
 * saying how a model is switched. Off means exactly 10 new tokens; on means up to 8,192, at least
 * one. The template forms read:
 * - `reasoning_effort: high` (or `reasoning: high`): the request's `reasoning_effort`;
 * - gpt-oss's Harmony (`reasoning: True`, or a gpt-oss model): the state's effort (high when none
 *   is stated; low when off, the least a Harmony model reasons);
 * - `enable_thinking=True|False`: `chat_template_kwargs.enable_thinking`;
 * - `/think`, `/no_think`: a switch written before the prompt;
 * - a `<think>` prefix ("prepend input with <think>"): the prompt starts with `<think>`;
 * - `reasoning: True|False` (other models): `chat_template_kwargs.reasoning`.
 */

export type ReasoningEffort = 'low' | 'medium' | 'high';

export interface ReasoningState {
  enabled: boolean;
  effort: ReasoningEffort | null;
}

/** What a benchmark of one model in one reasoning state sends. */
export interface ReasoningRequest {
  state: ReasoningState;
  /** `off`, `on`, or `on-low` / `on-medium` / `on-high`: for directory names and results. */
  label: string;
  maxNewTokens: number;
  minNewTokens: number;
  /** Fields added to the request body (OpenAI-compatible servers pass chat_template_kwargs to the template). */
  extraBody: Record<string, unknown>;
  /** Written before each prompt (a switch some models read from the text). */
  promptPrefix: string;
}

export const REASONING_OFF_TOKENS = 10;
export const REASONING_ON_MAX_TOKENS = 8192;

const EFFORT = /\b(low|medium|high)\b/i;

/** The "Reasoning State" column: Off, On, On (High), High, Low, N/A or empty (off). */
export function parseReasoningState(text: string): ReasoningState {
  // "Off (N/A)" and "N/A (default)" are off too: a parenthesised remark after off, n/a, no or false.
  const value = text.trim().toLowerCase();
  if (value === '' || /^(n\/a|off|no|false)(\s*\(.*\))?$/.test(value)) return { enabled: false, effort: null };
  const effort = EFFORT.exec(value)?.[1]?.toLowerCase() as ReasoningEffort | undefined;
  if (value.startsWith('on') || value === 'yes' || value === 'true' || effort) return { enabled: true, effort: effort ?? null };
  throw new Error(`not a reasoning state: "${text}" (expected Off, On, or On with Low, Medium or High)`);
}

/** The label of a state: off, on, on-high. */
export function reasoningLabel(state: ReasoningState): string {
  return state.enabled ? (state.effort ? `on-${state.effort}` : 'on') : 'off';
}

/** The request for a model in `state`, from its chat-template text (and its name: gpt-oss models speak Harmony). */
export function reasoningRequest(state: ReasoningState, chatTemplate: string, model = ''): ReasoningRequest {
  const template = `${chatTemplate} ${/gpt-oss/i.test(model) ? '(harmony)' : ''}`.toLowerCase();
  const extraBody: Record<string, unknown> = {};
  let promptPrefix = '';
  const effortIn = /reasoning(?:_effort)?\s*[:=]\s*(low|medium|high)\b/.exec(template)?.[1] as ReasoningEffort | undefined;
  // A Harmony model (gpt-oss) is switched by reasoning_effort, whatever else its template text says.
  const harmony = /harmony|gpt-oss/.test(template);
  const flag = /enable_thinking\s*[:=]\s*(true|false)\b/.exec(template)?.[1];
  const generic = /(?<!_)reasoning\s*[:=]\s*(true|false)\b/.exec(template)?.[1];
  if (effortIn || harmony) {
    if (state.enabled) extraBody.reasoning_effort = state.effort ?? effortIn ?? 'high';
    else extraBody.reasoning_effort = 'low'; // the lowest a Harmony model allows: it always reasons somewhat
  } else if (flag !== undefined) {
    extraBody.chat_template_kwargs = { enable_thinking: state.enabled };
  } else if (/\/no_think\b/.test(template) || /\/think\b/.test(template)) {
    promptPrefix = state.enabled ? '/think ' : '/no_think ';
  } else if (/<think>/.test(template)) {
    if (state.enabled) promptPrefix = '<think>\n';
  } else if (generic !== undefined) {
    extraBody.chat_template_kwargs = { reasoning: state.enabled };
  }
  return {
    state,
    label: reasoningLabel(state),
    maxNewTokens: state.enabled ? REASONING_ON_MAX_TOKENS : REASONING_OFF_TOKENS,
    minNewTokens: state.enabled ? 1 : REASONING_OFF_TOKENS,
    extraBody,
    promptPrefix,
  };
}

/** The endpoint client's settings for a reasoning request: its token budget, body fields and prompt switch. */
export function reasoningClientSettings(r: ReasoningRequest): {
  maxNewTokens: number;
  minNewTokens: number;
  ignoreEos: boolean;
  extraBody: Record<string, unknown>;
  promptPrefix: string;
} {
  // Reasoning on: the model stops when it is done (ignoring the end of generation would always make 8,192 tokens).
  return { maxNewTokens: r.maxNewTokens, minNewTokens: r.minNewTokens, ignoreEos: !r.state.enabled, extraBody: r.extraBody, promptPrefix: r.promptPrefix };
}
