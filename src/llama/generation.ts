/**
 * One node-llama-cpp generation measured as the AI Energy Score's three phases, inside a query:
 * preprocess (the chat template and tokenization), prefill (the prompt's evaluation, ended by the
 * engine handing over the first generated token) and decode (from the first token to the last).
 * Token counts are the engine's: prefill counts the tokens the sequence evaluated, decode the tokens
 * generated after the first (the first ends prefill, as for an endpoint). Exactly `maxNewTokens`
 * are generated when `forceNewTokens` bans the end-of-generation tokens through the engine's token
 * bias, as the AI Energy Score forces 10 new tokens.
 */
import type { ChatHistoryItem, ChatWrapper, LlamaChatSession, LlamaContextSequence, LlamaModel, Token, TokenBias } from 'node-llama-cpp';
import { z } from 'zod';
import type { QueryContext } from '../monitor/scope.js';
import { WattscopeError } from '../util/errors.js';
import { parseOptions } from '../util/options.js';
import { loadNodeLlamaCpp } from './node-llama-cpp.js';

export const GenerationOptionsSchema = z
  .object({
    /** New tokens at most (default 10, the AI Energy Score's). */
    maxNewTokens: z.number().int().min(1).max(1_000_000).default(10),
    /** Ban the end-of-generation tokens, so that exactly maxNewTokens are generated (default true). */
    forceNewTokens: z.boolean().default(true),
    /** Sampling temperature (default 0: greedy, as the AI Energy Score). */
    temperature: z.number().min(0).default(0),
    /** Wrap a text prompt in the model's chat template before tokenizing (sequence only; default true). */
    chatTemplate: z.boolean().default(true),
    /** Stops the generation: the query then fails with WATTSCOPE_ABORTED (its phases measured, never a zero). */
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
    /** Called with each generated token and its index (0 for the first), as the engine hands it over. */
    onToken: z.custom<(token: Token, index: number) => void>((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();

/** Options of a measured generation. */
export type GenerationOptions = z.input<typeof GenerationOptionsSchema>;

/** What a measured generation produced, by the engine's counts. */
export interface GenerationResult {
  text: string;
  /** Tokens the engine evaluated for the prompt (prefill). */
  promptTokens: number;
  /** Tokens generated, the first included. */
  newTokens: number;
  /** 'max-tokens': maxNewTokens were generated; 'end-of-generation': the model stopped first. */
  stopReason: 'max-tokens' | 'end-of-generation';
}

/** Each model's chat template, as node-llama-cpp resolves it (once per model). */
const chatWrappers = new WeakMap<LlamaModel, ChatWrapper>();

/** The prompt as the engine will evaluate it: through the model's chat template, or tokenized as is. */
async function promptTokensOf(model: LlamaModel, prompt: string | Token[], chatTemplate: boolean): Promise<Token[]> {
  if (typeof prompt !== 'string') return [...prompt];
  if (!chatTemplate) return model.tokenize(prompt);
  const llamaCpp = await loadNodeLlamaCpp();
  let wrapper = chatWrappers.get(model);
  if (!wrapper) chatWrappers.set(model, (wrapper = llamaCpp.resolveChatWrapper(model)));
  const history: ChatHistoryItem[] = [
    { type: 'user', text: prompt },
    { type: 'model', response: [] },
  ];
  return wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer);
}

/** Throws WATTSCOPE_ABORTED, with the signal's reason as its cause, once the signal is aborted. */
function checkAborted(signal: AbortSignal | undefined, newTokens: number): void {
  if (!signal?.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  throw new WattscopeError('WATTSCOPE_ABORTED', `generation stopped after ${newTokens} new tokens: ${reason}`, { cause: signal.reason });
}

const endOfGenerationBans = new WeakMap<LlamaModel, TokenBias>();

/** A token bias that never samples the model's end-of-generation tokens (one per model). */
export async function endOfGenerationBan(model: LlamaModel): Promise<TokenBias> {
  const known = endOfGenerationBans.get(model);
  if (known) return known;
  const { TokenBias } = await loadNodeLlamaCpp();
  const bias = new TokenBias(model.tokenizer);
  for (const token of [model.tokens.eos, model.tokens.eot]) if (token !== null) bias.set(token, 'never');
  endOfGenerationBans.set(model, bias);
  return bias;
}

/**
 * Generates from `prompt` on `sequence` (appended to what it holds: clear its history first for an
 * independent query), as the query's preprocess, prefill and decode phases.
 */
export async function measureSequenceGeneration(
  q: QueryContext,
  sequence: LlamaContextSequence,
  prompt: string | Token[],
  options: GenerationOptions = {},
): Promise<GenerationResult> {
  const o = parseOptions(GenerationOptionsSchema, options, 'generation options');
  const model = sequence.model;
  const tokens = await q.phase('preprocess', () => promptTokensOf(model, prompt, o.chatTemplate), { samples: 1 });
  const tokenBias = o.forceNewTokens ? await endOfGenerationBan(model) : undefined;
  const before = sequence.nextTokenIndex;
  const generated: Token[] = [];
  let promptTokens = 0;
  const iterator = sequence.evaluate(tokens, { temperature: o.temperature, ...(tokenBias ? { tokenBias } : {}) });
  const take = (step: IteratorResult<Token, void>) => {
    if (step.done) return false;
    o.onToken?.(step.value, generated.length);
    generated.push(step.value);
    return true;
  };
  let ended = false;
  try {
    // The generator yields the first token once the engine has evaluated the prompt and sampled it.
    ended = !(await q.phase('prefill', async () => {
      checkAborted(o.signal, 0);
      const step = await iterator.next();
      promptTokens = sequence.nextTokenIndex - before;
      return take(step);
    }));
    await q.phase('decode', async () => {
      while (!ended && generated.length < o.maxNewTokens) {
        checkAborted(o.signal, generated.length);
        ended = !take(await iterator.next());
      }
    });
  } finally {
    await iterator.return();
  }
  q.count('prefill', { tokens: promptTokens });
  q.count('decode', { tokens: Math.max(0, generated.length - 1) });
  return { text: model.detokenize(generated), promptTokens, newTokens: generated.length, stopReason: ended ? 'end-of-generation' : 'max-tokens' };
}

/**
 * Prompts a chat session, as the query's phases: preprocess is the session's chat template and
 * tokenization (done to count them: the session repeats them inside prompt(), in prefill); prefill
 * ends at the session's first onToken; decode ends with the answer. The session hands tokens over in
 * chunks (a character's UTF-8 bytes, a possible stop trigger), so prefill ends with the first chunk
 * and decode counts the tokens after it; the sequence helper ends prefill at the very first token.
 */
export async function measureChatPrompt(
  q: QueryContext,
  session: LlamaChatSession,
  prompt: string,
  options: GenerationOptions = {},
): Promise<GenerationResult> {
  const o = parseOptions(GenerationOptionsSchema, options, 'generation options');
  const sequence = session.sequence;
  const model = sequence.model;
  await q.phase(
    'preprocess',
    () => {
      const history: ChatHistoryItem[] = [...session.getChatHistory(), { type: 'user', text: prompt }, { type: 'model', response: [] }];
      return session.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
    },
    { samples: 1 },
  );
  const tokenBias = o.forceNewTokens ? await endOfGenerationBan(model) : undefined;
  const before = sequence.nextTokenIndex;
  let promptTokens = 0;
  let newTokens = 0;
  let firstChunkTokens = 0;
  let firstToken!: () => void;
  const firstTokenSeen = new Promise<void>((resolve) => (firstToken = resolve));
  let answer!: Promise<{ responseText: string; stopReason: string }>;
  await q.phase('prefill', () => {
    answer = session
      .promptWithMeta(prompt, {
        maxTokens: o.maxNewTokens,
        temperature: o.temperature,
        ...(tokenBias ? { tokenBias } : {}),
        ...(o.signal ? { signal: o.signal, stopOnAbortSignal: false } : {}),
        onToken: (chunk: Token[]) => {
          if (newTokens === 0 && chunk.length > 0) {
            promptTokens = sequence.nextTokenIndex - before;
            firstChunkTokens = chunk.length;
            firstToken();
          }
          for (const token of chunk) {
            o.onToken?.(token, newTokens);
            newTokens++;
          }
        },
      })
      .catch((err: unknown) => {
        // The session rejects with the signal's reason: the same typed error as the sequence's.
        checkAborted(o.signal, newTokens);
        throw err;
      });
    return Promise.race([firstTokenSeen, answer.then(() => undefined)]);
  });
  const { responseText, stopReason } = await q.phase('decode', () => answer);
  if (newTokens === 0) promptTokens = sequence.nextTokenIndex - before;
  q.count('prefill', { tokens: promptTokens });
  q.count('decode', { tokens: newTokens - firstChunkTokens });
  return { text: responseText, promptTokens, newTokens, stopReason: stopReason === 'maxTokens' ? 'max-tokens' : 'end-of-generation' };
}
