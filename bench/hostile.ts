/**
 * `npm run bench:hostile [-- --runs R]`: `corral validate` on the hostile corpus
 * (test/fixtures/hostile: every hostile request and one benign stack), as the merge-request job
 * runs it, with the corpus's policy. Targets: under 2 s and 300 MB.
 *  - validate: wall time, CPU time and peak RSS of the whole `corral validate` process (median of R);
 *  - startup: the same for `corral --help`, the floor every command pays before it reads anything;
 *  - in process: reading the repository and loading its desired state, and the slowest stacks;
 *  - line lookups: YAML answers of 20k, 40k and 80k keys, each looked up once, best of 3 (linear: 2x keys, ~2x time).
 * Prints as its last line
 * `{"validateMs":…,"validateCpuMs":…,"validatePeakRssMB":…,"startupMs":…,"inProcessMs":…,"lookup80kMs":…}`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { loadCatalogs, loadStack } from '../src/render/desired-state.js';
import { loadDesiredState } from '../src/render/index.js';
import { readDirectoryTree } from '../src/source/directory.js';
import { stackFolders } from '../src/stacks/request.js';
import { parseYaml } from '../src/util/yaml.js';
import { copyHostileRepo } from '../test/fixtures/hostile-repo.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number ≥ 1, got "${values.runs}"`);

const corral = fileURLToPath(new URL('../../bin/corral', import.meta.url));

interface ProcessRun {
  wallMs: number;
  cpuMs: number;
  peakRssMB: number;
}

/** Runs corral in a child whose preload reports its own CPU time and peak RSS at exit. */
function runCorral(args: string[], scratch: string): ProcessRun {
  const report = join(scratch, 'usage.json');
  const preload = join(scratch, 'usage.mjs');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.resourceUsage())));\n`,
  );
  const started = performance.now();
  spawnSync(process.execPath, ['--import', preload, corral, ...args], { stdio: 'ignore' });
  const wallMs = performance.now() - started;
  const usage = JSON.parse(readFileSync(report, 'utf8')) as { userCPUTime: number; systemCPUTime: number; maxRSS: number };
  return { wallMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMB: usage.maxRSS / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function summary(label: string, samples: ProcessRun[]): ProcessRun {
  const result = {
    wallMs: median(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    peakRssMB: Math.max(...samples.map((s) => s.peakRssMB)),
  };
  console.log(
    `${label}: ${result.wallMs.toFixed(0)} ms wall, ${result.cpuMs.toFixed(0)} ms CPU, peak RSS ${result.peakRssMB.toFixed(0)} MB (median of ${runs})`,
  );
  return result;
}

async function inProcess(dir: string, config: string): Promise<number> {
  const policy = (await loadConfig(config)).policy;
  const started = performance.now();
  const files = await readDirectoryTree(dir, ['catalog', 'stacks']);
  const read = performance.now();
  const state = loadDesiredState(files, policy ? { policy } : {});
  const loaded = performance.now();
  console.log(
    `in process: read ${(read - started).toFixed(0)} ms, desired state ${(loaded - read).toFixed(0)} ms (${state.stacks.length} valid, ${state.failed.length} refused)`,
  );
  const catalogs = loadCatalogs(files);
  const perStack = stackFolders(files).map((name) => {
    const t = performance.now();
    loadStack(files, name, catalogs, policy ? { policy } : {});
    return { name, ms: performance.now() - t };
  });
  const slowest = perStack.sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`slowest stacks: ${slowest.map((s) => `${s.name} ${s.ms.toFixed(0)} ms`).join(', ')}`);
  return loaded - started;
}

function lookups(keys: number): number {
  const text = `answers:\n${Array.from({ length: keys }, (_, i) => `  A${i}: "1"\n`).join('')}`;
  const parsed = parseYaml(text, 'answers.yml', { scalarsAsStrings: true, duplicateKeys: 'error' });
  const times = [0, 1, 2].map(() => {
    const started = performance.now();
    for (let i = 0; i < keys; i += 1) parsed.lineOf(['answers', `A${i}`]);
    return performance.now() - started;
  });
  return Math.min(...times);
}

const repo = copyHostileRepo();
const scratch = mkdtempSync(join(tmpdir(), 'corral-bench-hostile-'));
try {
  const validateArgs = ['validate', '--repo', repo.dir, '--config', repo.config];
  runCorral(validateArgs, scratch); // warm the file cache
  const validate = summary(
    'corral validate (hostile corpus)',
    Array.from({ length: runs }, () => runCorral(validateArgs, scratch)),
  );
  const startup = summary(
    'corral --help (startup floor)',
    Array.from({ length: runs }, () => runCorral(['--help'], scratch)),
  );
  const inProcessMs = await inProcess(repo.dir, repo.config);
  const lookupMs = [20_000, 40_000, 80_000].map((keys) => lookups(keys));
  console.log(`line lookups: 20k ${lookupMs[0]?.toFixed(0)} ms, 40k ${lookupMs[1]?.toFixed(0)} ms, 80k ${lookupMs[2]?.toFixed(0)} ms`);
  console.log(
    JSON.stringify({
      validateMs: Math.round(validate.wallMs),
      validateCpuMs: Math.round(validate.cpuMs),
      validatePeakRssMB: Math.round(validate.peakRssMB),
      startupMs: Math.round(startup.wallMs),
      inProcessMs: Math.round(inProcessMs),
      lookup80kMs: Math.round(lookupMs[2] ?? 0),
    }),
  );
} finally {
  repo.remove();
  rmSync(scratch, { recursive: true, force: true });
}
