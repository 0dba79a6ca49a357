/**
 * `npm run bench:startup` (also part of `npm run bench`): what a `corral` call costs before it
 * does anything, side by side with `node -e 0`: `corral --help`, and `corral validate` on the
 * bundled repository (the merge-request check). The commands run in turn, one of each per round,
 * so that whatever else the machine does weighs on all of them alike; medians of the rounds.
 * Targets: --help within 2.5× and validate within 4× of `node -e 0`, in wall-clock time. The CPU
 * time of each call (user + system, from the finished children's times in /proc/self/stat, 10 ms
 * ticks) is shown beside it: it moves much less than wall-clock time when the machine is busy.
 * Prints the table, and rewrites its own section of docs/benchmarks.md, leaving the others as they are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { median, ROOT, writeSection } from './doc.js';

const CORRAL = join(ROOT, 'bin', 'corral');
const SECTION = '## CLI start-up';
const ROUNDS = Number(process.env['BENCH_RUNS'] ?? 21);
const WARMUP = 2;

interface Case {
  label: string;
  args: string[];
  /** Within this many times `node -e 0`. */
  target?: number;
}

const CASES: Case[] = [
  { label: '`node -e 0`', args: ['-e', '0'] },
  { label: '`corral --help`', args: [CORRAL, '--help'], target: 2.5 },
  { label: '`corral validate` (bundled repository)', args: [CORRAL, 'validate', '--repo', ROOT], target: 4 },
];

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** CPU time (ms) of this process's finished, waited-for children: cutime + cstime, in 10 ms ticks. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function timed(args: string[]): Timing {
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed (${run.status}):\n${run.stdout}${run.stderr}`);
  return { wallMs, cpuMs: childrenCpuMs() - cpuBefore };
}

const times = CASES.map(() => [] as number[]);
const cpuTimes = CASES.map(() => [] as number[]);
const loadBefore = loadavg()[0] ?? 0;
for (let round = 0; round < WARMUP + ROUNDS; round += 1) {
  CASES.forEach((c, index) => {
    const timing = timed(c.args);
    if (round < WARMUP) return;
    times[index]?.push(timing.wallMs);
    cpuTimes[index]?.push(timing.cpuMs);
  });
}
const loadAfter = loadavg()[0] ?? 0;

const baseline = median(times[0] ?? []);
const cpuBaseline = median(cpuTimes[0] ?? []);
const rows = CASES.map((c, index) => {
  const ms = median(times[index] ?? []);
  const ratio = ms / baseline;
  const cpuMs = median(cpuTimes[index] ?? []);
  const verdict = c.target === undefined ? '' : ratio <= c.target ? `≤ ${c.target}×: met` : `≤ ${c.target}×: **missed**`;
  return `| ${c.label} | ${ms.toFixed(0)} ms | ${ratio.toFixed(2)}× | ${verdict} | ${cpuMs.toFixed(0)} ms | ${(cpuMs / cpuBaseline).toFixed(2)}× |`;
});
const raw = CASES.map((c, index) => `- ${c.label}: ${(times[index] ?? []).map((v) => v.toFixed(0)).join(', ')}`);
const rawCpu = CASES.map((c, index) => `- ${c.label}: ${(cpuTimes[index] ?? []).join(', ')}`);

const section = `${SECTION}

\`npm run bench:startup\` (bench/startup.ts): ${ROUNDS} rounds after ${WARMUP} warm-up rounds, each round running
every command once in turn (so that load weighs on all alike), medians; Node.js ${process.version}.
\`bin/corral\` runs the CLI bundled by esbuild (scripts/bundle.mjs), one file compiled from V8's code
cache: \`--help\` evaluates the command table and yargs and no command, \`validate\` adds the catalog
and render stages with the YAML and semver parsers; neither loads anything from node_modules: no
Docker, git, age or logging library.

| command | wall-clock median | / \`node -e 0\` | target | CPU median | / \`node -e 0\` |
|---|---|---|---|---|---|
${rows.join('\n')}

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after, on a 2-core machine.

Raw runs, wall-clock (ms):
${raw.join('\n')}

Raw runs, CPU (ms):
${rawCpu.join('\n')}
`;

process.stdout.write(`${section}\n`);
writeSection(SECTION, section);
