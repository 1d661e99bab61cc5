/** Reasoning states and the chat-template forms of the AI Energy Score's model list (unit, no I/O). */
import { describe, expect, it } from 'vitest';
import { parseReasoningState, reasoningRequest } from '../src/server/reasoning.js';

const on = parseReasoningState('On');
const off = parseReasoningState('Off');

describe('reasoning state', () => {
  it('reads Off, On, On (High), High, Low, N/A and empty', () => {
    expect(parseReasoningState('Off')).toEqual({ enabled: false, effort: null });
    expect(parseReasoningState(' On ')).toEqual({ enabled: true, effort: null });
    expect(parseReasoningState('On (High)')).toEqual({ enabled: true, effort: 'high' });
    expect(parseReasoningState('Low')).toEqual({ enabled: true, effort: 'low' });
    expect(parseReasoningState('medium')).toEqual({ enabled: true, effort: 'medium' });
    expect(parseReasoningState('N/A')).toEqual({ enabled: false, effort: null });
    expect(parseReasoningState('')).toEqual({ enabled: false, effort: null });
    expect(() => parseReasoningState('sometimes')).toThrow(/not a reasoning state: "sometimes"/);
  });

  it('off: exactly 10 new tokens; on: up to 8,192, at least one', () => {
    expect(reasoningRequest(off, '')).toMatchObject({ label: 'off', maxNewTokens: 10, minNewTokens: 10 });
    expect(reasoningRequest(on, '')).toMatchObject({ label: 'on', maxNewTokens: 8192, minNewTokens: 1 });
    expect(reasoningRequest(parseReasoningState('On (High)'), '').label).toBe('on-high');
  });
});

describe('chat-template forms', () => {
  it('reasoning_effort (and reasoning: <effort>): the request field, the state effort first', () => {
    expect(reasoningRequest(parseReasoningState('On (Low)'), 'reasoning_effort: high').extraBody).toEqual({ reasoning_effort: 'low' });
    expect(reasoningRequest(on, 'reasoning: medium').extraBody).toEqual({ reasoning_effort: 'medium' });
  });

  it("gpt-oss's Harmony reasoning: True: on with the state's effort, high when none", () => {
    const template = 'Harmony format, reasoning: True';
    expect(reasoningRequest(on, template).extraBody).toEqual({ reasoning_effort: 'high' });
    expect(reasoningRequest(parseReasoningState('On (Medium)'), template).extraBody).toEqual({ reasoning_effort: 'medium' });
    // Known as Harmony by the model's name, when the template does not say so.
    expect(reasoningRequest(on, 'reasoning: True', 'openai/gpt-oss-20b').extraBody).toEqual({ reasoning_effort: 'high' });
  });

  it('enable_thinking=True|False: chat_template_kwargs.enable_thinking as the state says', () => {
    expect(reasoningRequest(on, 'enable_thinking=True').extraBody).toEqual({ chat_template_kwargs: { enable_thinking: true } });
    expect(reasoningRequest(off, 'enable_thinking=True (default); set enable_thinking=False to disable').extraBody).toEqual({
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it('/think and /no_think: a switch before the prompt', () => {
    expect(reasoningRequest(on, 'add /think to the prompt').promptPrefix).toBe('/think ');
    expect(reasoningRequest(off, 'System prompt /no_think disables reasoning').promptPrefix).toBe('/no_think ');
  });

  it('a <think> prefix: the prompt starts with it when on', () => {
    expect(reasoningRequest(on, 'Prepend input with <think>').promptPrefix).toBe('<think>\n');
    expect(reasoningRequest(off, 'Prepend input with <think>').promptPrefix).toBe('');
  });

  it('reasoning: True|False of other models: chat_template_kwargs.reasoning', () => {
    expect(reasoningRequest(on, 'reasoning: True').extraBody).toEqual({ chat_template_kwargs: { reasoning: true } });
    expect(reasoningRequest(off, 'reasoning: False').extraBody).toEqual({ chat_template_kwargs: { reasoning: false } });
  });

  it('N/A or an unrelated template: nothing sent', () => {
    expect(reasoningRequest(on, 'N/A')).toMatchObject({ extraBody: {}, promptPrefix: '' });
  });
});

describe('ratings group by task, reasoning and class', () => {
  const csv = [
    'model,total_gpu_energy,energy_score,class,task,reasoning',
    'a,0.01,,A,text_generation,Off',
    'b,0.05,,A,text_generation,Off',
    'c,0.5,,A,text_generation,On',
    'd,2.0,,A,text_generation,On (High)',
    'e,0.02,,A,summarization,Off',
  ].join('\n');

  it('reasoning models are rated among themselves, as their own task on the current leaderboard', async () => {
    const { parseLeaderboard, placeResult, rate } = await import('../src/scoring/leaderboard.js');
    const board = parseLeaderboard(csv, 'board.csv');
    expect(board.map((e) => [e.model, e.reasoning, e.task])).toEqual([
      ['a', false, 'text_generation'],
      ['b', false, 'text_generation'],
      ['c', true, 'text_generation'],
      ['d', true, 'text_generation'],
      ['e', false, 'summarization'],
    ]);
    expect(rate(board).map((e) => [e.model, e.stars])).toEqual([
      ['a', 5],
      ['b', 1],
      ['c', 5],
      ['d', 1],
      ['e', 5],
    ]);
    // 600 Wh per 1,000 queries: mid-range among the reasoning models, worst among the others.
    const placed = placeResult(board, { model: 'new', energyWh: 600, class: 'A', task: 'text-generation', reasoning: true });
    expect(placed).toMatchObject({ rank: 2, of: 3 });
    expect(placeResult(board, { model: 'new', energyWh: 600, class: 'A', task: 'text-generation', reasoning: false })).toMatchObject({ rank: 3, of: 3 });
  });

  it('a bad reasoning cell is an error naming the line', async () => {
    const { parseLeaderboard } = await import('../src/scoring/leaderboard.js');
    expect(() => parseLeaderboard(csv.replace('On (High)', 'Maybe'), 'board.csv')).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_BAD_LEADERBOARD', line: 5, field: 'reasoning' }),
    );
  });
});
