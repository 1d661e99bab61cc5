/** binding.gyp (shipping) and CMakeLists.txt (developers) must build the same sources. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBinding, packageRoot } from '../src/native/binding.js';

const read = (f: string) => readFileSync(path.join(packageRoot, f), 'utf8');

function gypSources(): { addon: string[]; sim: string[] } {
  const gyp = JSON.parse(read('binding.gyp')) as { variables: Record<string, string[]> };
  return { addon: gyp.variables.wattscope_addon_sources!.sort(), sim: gyp.variables.wattscope_sim_sources!.sort() };
}

function cmakeList(name: string): string[] {
  const m = new RegExp(`set\\(${name}\\s+([^)]*)\\)`).exec(read('CMakeLists.txt'));
  if (!m) throw new Error(`${name} not found in CMakeLists.txt`);
  return m[1]!.split(/\s+/).filter(Boolean);
}

describe('build files', () => {
  it('binding.gyp and CMakeLists.txt list the same addon and simulator sources', () => {
    const gyp = gypSources();
    const cmakeAddon = [...cmakeList('WATTSCOPE_CORE_SOURCES'), ...cmakeList('WATTSCOPE_ADDON_SOURCES')].sort();
    expect(cmakeAddon).toEqual(gyp.addon);
    expect(cmakeList('WATTSCOPE_SIM_SOURCES').sort()).toEqual(gyp.sim);
  });

  it('every .cc file under native/ (but the native tests) is built', () => {
    const gyp = gypSources();
    const all: string[] = [];
    for (const dir of ['addon', 'core', 'nvml', 'sim']) {
      for (const f of readdirSync(path.join(packageRoot, 'native', dir))) {
        if (f.endsWith('.cc')) all.push(`native/${dir}/${f}`);
      }
    }
    expect(all.sort()).toEqual([...gyp.addon, ...gyp.sim].sort());
  });

  it('benchmark code stays out of the shipped addon: bench/native has its own addon, built by bench/ only', () => {
    const gyp = gypSources();
    expect([...gyp.addon, ...gyp.sim].filter((f) => /bench/.test(f))).toEqual([]);
    expect(read('CMakeLists.txt')).not.toMatch(/bench/);
    const benchGyp = JSON.parse(read('bench/native/binding.gyp')) as { targets: Array<{ target_name: string; sources: string[] }> };
    expect(benchGyp.targets.map((t) => t.target_name)).toEqual(['wattscope_bench']);
    expect(benchGyp.targets[0]!.sources).toContain('bench_addon.cc');
    expect(Object.keys(loadBinding()).filter((name) => /bench/i.test(name))).toEqual([]);
    const pkg = JSON.parse(read('package.json')) as { files: string[] };
    expect(pkg.files.some((f) => f.startsWith('bench'))).toBe(false);
  });

  it('binding.gyp links -ldl and -lpthread on Linux only; the README says Windows builds are untested', () => {
    type Target = { target_name: string; libraries?: string[]; conditions?: Array<[string, { libraries?: string[] }]> };
    const gyp = JSON.parse(read('binding.gyp')) as { targets: Target[] };
    for (const target of gyp.targets) {
      expect(target.libraries ?? [], target.target_name).toEqual([]);
      for (const [condition, settings] of target.conditions ?? []) {
        if (settings.libraries?.some((l) => l === '-ldl' || l === '-lpthread')) expect(condition).toBe("OS=='linux'");
      }
    }
    const addon = gyp.targets.find((t) => t.target_name === 'wattscope')!;
    expect(addon.conditions!.find(([c]) => c === "OS=='linux'")![1].libraries).toEqual(['-ldl', '-lpthread']);
    expect(read('README.md')).toMatch(/Windows\s+builds are untested/);
  });

  it('native source files stay under about 400 lines each', () => {
    for (const dir of ['addon', 'core', 'nvml', 'sim', 'test']) {
      for (const f of readdirSync(path.join(packageRoot, 'native', dir))) {
        const lines = read(`native/${dir}/${f}`).split('\n').length;
        expect(lines, `native/${dir}/${f}`).toBeLessThanOrEqual(420);
      }
    }
  });
});
