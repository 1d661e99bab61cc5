// wattscope's cost on a real engine: node-llama-cpp generating 10 tokens on the tiny GGUF model
// (CPU, one thread), measured as three phases inside a query, against the same generation with no
// measurement, alternating the two. The overhead per generated token is the difference, shown as a
// ratio to the engine's own time per token. Part of bench/cases.js.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The cases, given cases.js's helpers. */
export function llamaCases({ root, quick, now, row }) {
  return {
    async 'llama-token'() {
      const { writeTinyGguf, measureSequenceGeneration, endOfGenerationBan } = await import(path.join(root, 'dist', 'public', 'llama.js'));
      const { EnergyMonitor } = await import(path.join(root, 'dist', 'index.js'));
      const { getLlama } = await import('node-llama-cpp');
      const modelPath = writeTinyGguf(path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-bench-llama-')), 'tiny.gguf'));
      const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
      const model = await llama.loadModel({ modelPath });
      const context = await model.createContext({ contextSize: 512, threads: 1 });
      const sequence = context.getSequence();
      const tokenBias = await endOfGenerationBan(model);
      const prompt = model.tokenize('How much energy does one query use?');
      const newTokens = 10;
      // The engine alone: the same prompt, the same 10 forced tokens.
      const engineOnly = async () => {
        await sequence.clearHistory();
        const generation = sequence.evaluate(prompt, { temperature: 0, tokenBias });
        for (let generated = 0; generated < newTokens && !(await generation.next()).done; generated++);
        await generation.return();
      };
      const monitor = await EnergyMonitor.open({ simulate: true });
      let id = 0;
      const measured = async () => {
        await sequence.clearHistory();
        await monitor.query(id++, (q) => measureSequenceGeneration(q, sequence, prompt, { maxNewTokens: newTokens }));
      };
      const generations = quick ? 100 : 1000;
      const rounds = quick ? 3 : 7;
      const engineNs = [];
      const measuredNs = [];
      for (let i = 0; i < 20; i++) await engineOnly(); // warm-up
      for (let r = 0; r < rounds; r++) {
        for (const [fn, out] of [
          [engineOnly, engineNs],
          [measured, measuredNs],
        ]) {
          const t0 = now();
          for (let i = 0; i < generations; i++) await fn();
          out.push(Number(now() - t0) / generations / newTokens);
        }
      }
      await monitor.close();
      await llama.dispose();
      const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      const perTokenEngineNs = median(engineNs);
      const perTokenMeasuredNs = median(measuredNs);
      return [
        row('llama (tiny model, CPU): time per generated token, measured as 3 phases (vs the engine alone)', 'ns/token', perTokenMeasuredNs, perTokenEngineNs),
        row(
          "llama: wattscope's overhead per generated token (vs the engine's own time per token)",
          'ns/token',
          perTokenMeasuredNs - perTokenEngineNs,
          perTokenEngineNs,
        ),
      ];
    },
  };
}
