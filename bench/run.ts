/**
 * `npm run bench`: corral vs Debian's docker-compose 1.29, side by side on one fleet host.
 *  (a) cold start of a 10-container stack;
 *  (b) a no-op sync over 50 two-container stacks vs docker-compose's no-op `up -d` of one 10-container project.
 * Both tools run as processes (startup included). Medians and ratios go to docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { CorralLabel } from '../src/model/labels.js';
import { dockerClient } from '../src/observe/index.js';
import { measureDaemon } from './daemon.js';

const FLEET_CONFIG = '/run/corral-fleet/corral.yml';
const IMAGE = '10.99.0.2:5000/corral/busybox:1';
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const COMPOSE = '/usr/bin/docker-compose';

const host = (await loadConfig(FLEET_CONFIG)).hosts[0];
if (host?.docker.kind !== 'unix') throw new Error(`${FLEET_CONFIG}: expected a fleet host on a unix socket (scripts/fleet up)`);
const docker = dockerClient(host.docker);
const work = mkdtempSync(join(tmpdir(), 'corral-bench-'));
const configFile = join(work, 'corral.yml');
writeFileSync(configFile, `hosts:\n  - name: ${host.name}\n    docker: ${host.docker.url}\n    address: ${host.address}\n`);
const composeEnv = { ...process.env, DOCKER_HOST: host.docker.url, COMPOSE_INTERACTIVE_NO_CLI: '1' };

function services(count: number, prefix = 's'): string {
  return Array.from(
    { length: count },
    (_, i) => `  ${prefix}${i + 1}:\n    image: ${IMAGE}\n    command: ["sleep", "86400"]\n    stop_signal: SIGKILL\n`,
  ).join('');
}

function corralRepo(name: string, stacks: Record<string, number>): string {
  const dir = join(work, name);
  for (const [template, count] of Object.entries({ ten: 10, two: 2 })) {
    mkdirSync(join(dir, 'catalog', 'templates', template, '0'), { recursive: true });
    writeFileSync(join(dir, 'catalog', 'templates', template, 'config.yml'), `name: ${template}\nversion: 1.0.0\n`);
    writeFileSync(join(dir, 'catalog', 'templates', template, '0', 'docker-compose.yml'), `version: '2'\nservices:\n${services(count)}`);
    writeFileSync(join(dir, 'catalog', 'templates', template, '0', 'rancher-compose.yml'), '.catalog:\n  version: 1.0.0\n');
  }
  for (const [stack, size] of Object.entries(stacks)) {
    mkdirSync(join(dir, 'stacks', stack), { recursive: true });
    writeFileSync(join(dir, 'stacks', stack, 'stack.yml'), `template: ${size === 10 ? 'ten' : 'two'}\n`);
  }
  return dir;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return ms;
}

const corral = (repo: string) => timed(process.execPath, ['dist/bench/corral-sync.js', repo, configFile]);
const compose = (dir: string, ...args: string[]) =>
  timed(COMPOSE, ['-f', join(dir, 'docker-compose.yml'), '-p', 'corralbench', ...args], composeEnv);

async function removeCorralStacks(prefix: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [CorralLabel.managed] } });
  await Promise.all(
    containers
      .filter((c) => (c.Labels[CorralLabel.stack] ?? '').startsWith(prefix))
      .map((c) => docker.getContainer(c.Id).remove({ force: true })),
  );
  const networks = await docker.listNetworks({ filters: { label: [CorralLabel.managed] } });
  await Promise.all(networks.filter((n) => n.Name.startsWith(`corral-${prefix}`)).map((n) => docker.getNetwork(n.Id).remove()));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const composeDir = join(work, 'compose');
mkdirSync(composeDir);
writeFileSync(join(composeDir, 'docker-compose.yml'), `version: '2'\nservices:\n${services(10)}`);
const coldRepo = corralRepo('cold', { 'bench-cold': 10 });
const noopRepo = corralRepo('noop', Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bench-noop-${i + 1}`, 2])));

const results = { coldCompose: [] as number[], coldCorral: [] as number[], noopCompose: [] as number[], noopCorral: [] as number[] };
try {
  await docker.pull(IMAGE).then((stream) => new Promise((resolve) => docker.modem.followProgress(stream, resolve)));
  for (let run = 0; run < RUNS; run++) {
    results.coldCompose.push(compose(composeDir, 'up', '-d'));
    compose(composeDir, 'down', '-t', '0');
    results.coldCorral.push(corral(coldRepo));
    await removeCorralStacks('bench-cold');
  }
  compose(composeDir, 'up', '-d');
  corral(noopRepo);
  for (let run = 0; run < RUNS; run++) {
    results.noopCompose.push(compose(composeDir, 'up', '-d'));
    results.noopCorral.push(corral(noopRepo));
  }
} finally {
  spawnSync(COMPOSE, ['-f', join(composeDir, 'docker-compose.yml'), '-p', 'corralbench', 'down', '-t', '0'], { env: composeEnv });
  await removeCorralStacks('bench-');
  rmSync(work, { recursive: true, force: true });
}

const latencies = await measureDaemon();
const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');

const row = (label: string, composeMs: number[], corralMs: number[]) => {
  const ratio = median(corralMs) / median(composeMs);
  return `| ${label} | ${median(composeMs).toFixed(0)} ms | ${median(corralMs).toFixed(0)} ms | ${ratio.toFixed(2)} |`;
};
const report = `# Benchmarks

\`npm run bench\` (bench/run.ts) on the test fleet's host ${host.name}, ${RUNS} runs each, medians.
Both tools run as processes, so startup counts: docker-compose 1.29 (Debian, Python) and corral
(Node.js; the same code path as \`corral sync --once\`, limited to the benchmark's stacks).
Image ${IMAGE} is present on the host before the runs; every container is busybox \`sleep\`.

| case | docker-compose | corral | corral / compose |
|---|---|---|---|
${row('(a) cold start, one 10-container stack', results.coldCompose, results.coldCorral)}
${row('(b) no-op: compose 1 project × 10 containers, corral 50 stacks × 2 containers', results.noopCompose, results.noopCorral)}

Targets (issue 4): (a) corral's median no slower than docker-compose's; (b) corral's no-op over
all 50 stacks no slower than docker-compose's no-op for one project. A ratio ≤ 1.00 meets the target.

## The daemon (\`corral run\`)

| latency, 10 runs | median | min | max |
|---|---|---|---|
| commit to running: push + GitLab webhook → the new stack's container answers on its published port | ${median(latencies.commitToRunning).toFixed(0)} ms | ${Math.min(...latencies.commitToRunning)} ms | ${Math.max(...latencies.commitToRunning)} ms |
| self-heal: \`docker kill\` of a managed container → running again | ${median(latencies.selfHeal).toFixed(0)} ms | ${Math.min(...latencies.selfHeal)} ms | ${Math.max(...latencies.selfHeal)} ms |

Raw runs (ms):
- commit to running: ${list(latencies.commitToRunning)}
- self-heal: ${list(latencies.selfHeal)}

Raw runs of the comparison (ms):
- (a) docker-compose: ${results.coldCompose.map((v) => v.toFixed(0)).join(', ')}
- (a) corral: ${results.coldCorral.map((v) => v.toFixed(0)).join(', ')}
- (b) docker-compose: ${results.noopCompose.map((v) => v.toFixed(0)).join(', ')}
- (b) corral: ${results.noopCorral.map((v) => v.toFixed(0)).join(', ')}
`;
mkdirSync('docs', { recursive: true });
writeFileSync('docs/benchmarks.md', report);
process.stdout.write(report);
