/**
 * `npm run bench`: corral vs Debian's docker-compose 1.29, side by side on one fleet host, in one run.
 *  (a) cold start of a 10-container stack, with the raw Docker API floor beside it: 10 creates
 *      and starts in parallel with dockerode, as a process of its own (./docker-floor.ts), on
 *      Docker's default bridge and on a network of their own (as the stack's and the project's are);
 *  (b) a no-op sync over 50 two-container stacks vs docker-compose's no-op `up -d` of one 10-container project.
 * Every tool runs as a process (startup included), the cases in turn within each round so that
 * load weighs on all alike. Then the daemon's latencies (./daemon.ts). Prints the tables with
 * ratios to compose, and rewrites their sections of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { CorralLabel } from '../src/model/labels.js';
import { dockerClient } from '../src/observe/index.js';
import { IMAGES } from '../test/e2e/fleet.js';
import { measureDaemon } from './daemon.js';
import { median, ROOT, writeSection } from './doc.js';

const FLEET_CONFIG = '/run/corral-fleet/corral.yml';
const IMAGE = IMAGES.busybox;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const COMPOSE = '/usr/bin/docker-compose';
const FLOOR_LABEL = 'corral-bench-floor';
const COMPARISON = '## corral vs docker-compose 1.29';
const DAEMON = '## The daemon (`corral run`)';
/** Targets (issue 8): corral / compose at most this. */
const TARGET = { cold: 0.8, noop: 0.6 };

if (!existsSync(COMPOSE)) throw new Error(`${COMPOSE} is missing: install Debian's docker-compose 1.29 (apt-get install docker-compose)`);
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
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.error?.message ?? ''}\n${run.stdout}${run.stderr}`);
  return ms;
}

const stateDir = join(work, 'state');
/** `corral sync --once` as a user runs it (bin/corral, the bundled CLI), limited to the repository's stacks. */
const corral = (repo: string) =>
  timed(process.execPath, [
    join(ROOT, 'bin', 'corral'),
    'sync',
    '--once',
    '--repo',
    repo,
    '--config',
    configFile,
    '--state-dir',
    stateDir,
    ...readdirSync(join(repo, 'stacks')).flatMap((stack) => ['--stack', stack]),
  ]);

/** The floor process (on its own network when `network` is given): its wall-clock time, and the time its API calls took inside it. */
function floor(network?: string): { processMs: number; apiMs: number } {
  const args = [
    join(ROOT, 'dist', 'bench', 'docker-floor.js'),
    host?.docker.kind === 'unix' ? host.docker.socketPath : '',
    IMAGE,
    FLOOR_LABEL,
    ...(network ? [network] : []),
  ];
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`docker-floor failed:\n${run.stdout}${run.stderr}`);
  return { processMs, apiMs: Number(run.stdout.trim()) };
}

async function removeFloor(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [FLOOR_LABEL] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const networks = await docker.listNetworks({ filters: { label: [FLOOR_LABEL] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()));
}
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

const composeDir = join(work, 'compose');
mkdirSync(composeDir);
writeFileSync(join(composeDir, 'docker-compose.yml'), `version: '2'\nservices:\n${services(10)}`);
const coldRepo = corralRepo('cold', { 'bench-cold': 10 });
const noopRepo = corralRepo('noop', Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bench-noop-${i + 1}`, 2])));

const results = {
  coldCompose: [] as number[],
  coldCorral: [] as number[],
  coldFloor: [] as number[],
  coldFloorApi: [] as number[],
  coldFloorNetwork: [] as number[],
  coldFloorNetworkApi: [] as number[],
  noopCompose: [] as number[],
  noopCorral: [] as number[],
};
const loadBefore = loadavg()[0] ?? 0;
try {
  await docker.pull(IMAGE).then((stream) => new Promise((resolve) => docker.modem.followProgress(stream, resolve)));
  await removeFloor();
  for (let run = 0; run < RUNS; run++) {
    results.coldCompose.push(compose(composeDir, 'up', '-d'));
    compose(composeDir, 'down', '-t', '0');
    results.coldCorral.push(corral(coldRepo));
    await removeCorralStacks('bench-cold');
    const measured = floor();
    results.coldFloor.push(measured.processMs);
    results.coldFloorApi.push(measured.apiMs);
    await removeFloor();
    const onNetwork = floor(`${FLOOR_LABEL}-net`);
    results.coldFloorNetwork.push(onNetwork.processMs);
    results.coldFloorNetworkApi.push(onNetwork.apiMs);
    await removeFloor();
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
  await removeFloor();
  rmSync(work, { recursive: true, force: true });
}
const loadAfter = loadavg()[0] ?? 0;

const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');

const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
const ratio = (values: number[], compose: number[]) => (median(values) / median(compose)).toFixed(2);
const verdict = (values: number[], compose: number[], target: number) =>
  median(values) / median(compose) <= target ? `≤ ${target}: met` : `≤ ${target}: **missed**`;

const comparison = `${COMPARISON}

\`npm run bench\` (bench/run.ts) on the test fleet's host ${host.name}, ${RUNS} rounds, medians; each round
runs every case in turn, so that whatever else the machine does weighs on all alike.
Every tool runs as a process, so start-up counts: docker-compose 1.29 (Debian, Python); corral
(\`bin/corral sync --once --stack ...\`, the bundled CLI, limited to the benchmark's stacks, with a state
directory of its own); and the raw
Docker API floor, a Node.js process that only creates and starts 10 containers in parallel with
dockerode (bench/docker-floor.ts; the time of its API calls alone is shown beside it), once on Docker's
default bridge and once on a bridge network it creates first, as compose creates its project's network
and corral its stack's (the fair floor for both).
Image ${IMAGE} is present on the host before the runs; every container is busybox \`sleep\`.
The benchmark's own config names ${host.name} alone, without \`network:\`: each corral stack gets a bridge
network of its own (corral's default), whatever the fleet's corral.yml says.

| case | docker-compose | corral | corral / compose | target | raw API floor / compose | floor with its own network / compose |
|---|---|---|---|---|---|---|
| (a) cold start, one 10-container stack | ${ms(results.coldCompose)} | ${ms(results.coldCorral)} | ${ratio(results.coldCorral, results.coldCompose)} | ${verdict(results.coldCorral, results.coldCompose, TARGET.cold)} | ${ratio(results.coldFloor, results.coldCompose)} (${ms(results.coldFloor)}; API calls ${ms(results.coldFloorApi)}) | ${ratio(results.coldFloorNetwork, results.coldCompose)} (${ms(results.coldFloorNetwork)}; API calls ${ms(results.coldFloorNetworkApi)}) |
| (b) no-op: compose 1 project × 10 containers, corral 50 stacks × 2 containers | ${ms(results.noopCompose)} | ${ms(results.noopCorral)} | ${ratio(results.noopCorral, results.noopCompose)} | ${verdict(results.noopCorral, results.noopCompose, TARGET.noop)} | | |

Measured ${new Date().toISOString().slice(0, 10)}, load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after, on a 2-core
machine; fleet of 3 hosts (Debian docker.io, overlay2). Wall-clock times depend on what else
the machine runs: compare the ratios of one run, not times across runs.

Raw runs (ms):
- (a) docker-compose: ${list(results.coldCompose)}
- (a) corral: ${list(results.coldCorral)}
- (a) raw API floor, process: ${list(results.coldFloor)}
- (a) raw API floor, API calls: ${list(results.coldFloorApi)}
- (a) floor with its own network, process: ${list(results.coldFloorNetwork)}
- (a) floor with its own network, API calls: ${list(results.coldFloorNetworkApi)}
- (b) docker-compose: ${list(results.noopCompose)}
- (b) corral: ${list(results.noopCorral)}
`;

// The comparison is written before the daemon is measured: a failure there leaves it in place.
writeSection(COMPARISON, comparison);
process.stdout.write(`${comparison}\n`);

const latencies = await measureDaemon();
const daemonSection = `${DAEMON}

\`corral run\` with the fleet's corral.yml (\`network: ${host.network ?? 'bridge'}\`), 10 runs of each latency.

| latency, 10 runs | median | min | max |
|---|---|---|---|
| commit to running: push + GitLab webhook → the new stack's container answers on its published port | ${median(latencies.commitToRunning).toFixed(0)} ms | ${Math.min(...latencies.commitToRunning)} ms | ${Math.max(...latencies.commitToRunning)} ms |
| self-heal: \`docker kill\` of a managed container → running again | ${median(latencies.selfHeal).toFixed(0)} ms | ${Math.min(...latencies.selfHeal)} ms | ${Math.max(...latencies.selfHeal)} ms |

Raw runs (ms):
- commit to running: ${list(latencies.commitToRunning)}
- self-heal: ${list(latencies.selfHeal)}
`;

writeSection(DAEMON, daemonSection);
process.stdout.write(daemonSection);
