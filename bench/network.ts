/**
 * `npm run bench:network`: what a stack's network costs on the test fleet (run it under the fleet
 * lock). Between two containers: TCP round trip (redis-cli sending PINGs one after another on one
 * connection) and throughput (busybox dd through nc, 512 MiB), for a user-defined bridge on one
 * host, an attachable overlay on one host and an attachable overlay across two hosts. Then the time
 * to create and remove a stack's overlay network through the swarm manager, and to start the first
 * container on it on another host. Prints a markdown section for docs/benchmarks.md; removes all
 * it made, whatever happens.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { HostConfig } from '../src/config/config.js';
import { loadConfig } from '../src/config/load.js';
import { dockerClient } from '../src/observe/index.js';
import { IMAGES } from '../test/e2e/fleet.js';
import { median } from './doc.js';

const run = promisify(execFile);
const FLEET_CONFIG = process.env['CORRAL_FLEET_CONFIG'] ?? '/run/corral-fleet/corral.yml';
const { redis: REDIS, busybox: BUSYBOX } = IMAGES;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const PINGS = 20_000;
const MIB = 512;
const LABEL = 'corral.bench=network';
const PREFIX = `corral-bench-${process.pid}`;

interface Pair {
  name: string;
  network: string;
  server: HostConfig;
  client: HostConfig;
}

interface Figures {
  roundTripUs: number[];
  mibPerSecond: number[];
}

const made: { host: HostConfig; kind: 'container' | 'network'; name: string }[] = [];

async function docker(host: HostConfig, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', host.docker.url, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function timedMs(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** `real 1.23` from busybox `time -p`, in seconds. */
function realSeconds(text: string): number {
  const match = /^real\s+([\d.]+)/m.exec(text);
  if (!match) throw new Error(`no "real" line in:\n${text}`);
  return Number(match[1]);
}

async function createNetwork(host: HostConfig, name: string, driver: 'bridge' | 'overlay'): Promise<void> {
  const extra = driver === 'overlay' ? ['--attachable'] : [];
  await docker(host, 'network', 'create', '--driver', driver, ...extra, '--label', LABEL, name);
  made.push({ host, kind: 'network', name });
}

async function startContainer(host: HostConfig, name: string, network: string, alias: string, ...command: string[]): Promise<void> {
  made.push({ host, kind: 'container', name });
  await docker(host, 'run', '-d', '--name', name, '--label', LABEL, '--network', network, '--network-alias', alias, ...command);
}

/** A redis server and a client container for a pair; the client waits until the server answers. */
async function startPair(pair: Pair): Promise<{ server: string; client: string }> {
  const server = `${PREFIX}-${pair.name}-server`;
  const client = `${PREFIX}-${pair.name}-client`;
  await startContainer(
    pair.server,
    server,
    pair.network,
    `server-${pair.name}`,
    REDIS,
    'redis-server',
    '--protected-mode',
    'no',
    '--save',
    '',
  );
  await startContainer(pair.client, client, pair.network, `client-${pair.name}`, REDIS, 'sleep', '86400');
  await docker(
    pair.client,
    'exec',
    client,
    'sh',
    '-c',
    `for i in $(seq 100); do redis-cli -h server-${pair.name} PING 2>/dev/null | grep -q PONG && exit 0; sleep 0.2; done; exit 1`,
  );
  return { server, client };
}

async function roundTripUs(pair: Pair, client: string): Promise<number> {
  const script = `time -p redis-cli -h server-${pair.name} -r ${PINGS} PING > /dev/null`;
  const { stderr } = await run('docker', ['-H', pair.client.docker.url, 'exec', client, 'sh', '-c', script]);
  return (realSeconds(stderr) * 1e6) / PINGS;
}

/** The server's dd times the transfer from the connection to the last byte. */
async function throughput(pair: Pair, server: string, client: string, port: number): Promise<number> {
  const receive = run('docker', [
    '-H',
    pair.server.docker.url,
    'exec',
    server,
    'sh',
    '-c',
    `nc -l -p ${port} -e time -p dd of=/dev/null bs=65536 2>&1 | grep real`,
  ]);
  const send = `for i in $(seq 100); do nc server-${pair.name} ${port} -e dd if=/dev/zero bs=65536 count=${MIB * 16} 2>/dev/null && exit 0; sleep 0.1; done; exit 1`;
  await docker(pair.client, 'exec', client, 'sh', '-c', send);
  const { stdout } = await receive;
  return MIB / realSeconds(stdout);
}

async function measurePair(pair: Pair): Promise<Figures> {
  const { server, client } = await startPair(pair);
  const figures: Figures = { roundTripUs: [], mibPerSecond: [] };
  for (let i = 0; i < RUNS; i++) {
    figures.roundTripUs.push(await roundTripUs(pair, client));
    figures.mibPerSecond.push(await throughput(pair, server, client, 5001 + i));
  }
  return figures;
}

/** One network's life through the Docker API: create it, start a first container on it, remove both. */
async function networkLifecycle(
  owner: HostConfig,
  runner: HostConfig,
  driver: 'bridge' | 'overlay',
  i: number,
): Promise<{ create: number; attach: number; remove: number }> {
  const name = driver === 'overlay' ? `${PREFIX}-life${i}_overlay` : `${PREFIX}-blife${i}`;
  const [manager, worker] = [dockerClient(owner.docker), dockerClient(runner.docker)];
  made.push({ host: owner, kind: 'network', name }, { host: runner, kind: 'container', name });
  const create = await timedMs(() =>
    manager.createNetwork({
      Name: name,
      Driver: driver,
      Labels: { 'corral.bench': 'network' },
      ...(driver === 'overlay' ? { Attachable: true } : {}),
    }),
  );
  const attach = await timedMs(async () => {
    const container = await worker.createContainer({
      name,
      Image: BUSYBOX,
      Cmd: ['sleep', '86400'],
      Labels: { 'corral.bench': 'network' },
      HostConfig: { NetworkMode: name },
    });
    await container.start();
  });
  await worker.getContainer(name).remove({ force: true });
  const remove = await timedMs(() => manager.getNetwork(name).remove());
  return { create, attach, remove };
}

async function cleanUp(): Promise<void> {
  const ignore = () => undefined;
  for (const item of made.filter((m) => m.kind === 'container')) await docker(item.host, 'rm', '-f', item.name).catch(ignore);
  for (const item of made.filter((m) => m.kind === 'network')) await docker(item.host, 'network', 'rm', item.name).catch(ignore);
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);
const raw = (values: number[], digits = 0) => values.map((v) => fmt(v, digits)).join(', ');

async function main(): Promise<void> {
  const hosts = (await loadConfig(FLEET_CONFIG)).hosts;
  const [h1, h3] = [hosts[0], hosts[2]];
  if (!h1 || !h3) throw new Error(`${FLEET_CONFIG}: needs 3 fleet hosts (scripts/fleet up)`);
  const bridge = `${PREFIX}-bridge`;
  const overlay = `${PREFIX}_overlay`;
  await Promise.all([docker(h1, 'pull', REDIS), docker(h3, 'pull', REDIS), docker(h1, 'pull', BUSYBOX), docker(h3, 'pull', BUSYBOX)]);
  await createNetwork(h1, bridge, 'bridge');
  await createNetwork(h1, overlay, 'overlay');
  const pairs: Pair[] = [
    { name: 'bridge', network: bridge, server: h1, client: h1 },
    { name: 'overlay1', network: overlay, server: h1, client: h1 },
    { name: 'overlay2', network: overlay, server: h3, client: h1 },
  ];
  const results = new Map<string, Figures>();
  for (const pair of pairs) results.set(pair.name, await measurePair(pair));
  const overlayRuns = [];
  const bridgeRuns = [];
  for (let i = 0; i < RUNS; i++) {
    overlayRuns.push(await networkLifecycle(h1, h3, 'overlay', i));
    bridgeRuns.push(await networkLifecycle(h3, h3, 'bridge', i));
  }

  const label: Record<string, string> = {
    bridge: `bridge, one host (${h1.name} → ${h1.name})`,
    overlay1: `overlay, one host (${h1.name} → ${h1.name})`,
    overlay2: `overlay, two hosts (${h1.name} → ${h3.name})`,
  };
  const lines = [
    '## Networks between containers (`npm run bench:network`)',
    '',
    `Two containers on the fleet, ${RUNS} runs each, medians. Round trip: \`redis-cli -r ${PINGS} PING\` (one connection,`,
    `each PING waits for its PONG), total time / ${PINGS}. Throughput: ${MIB} MiB from \`dd\` through busybox \`nc -e\`,`,
    "timed by the receiving `dd` (busybox `time`, 10 ms resolution). The fleet's hosts are network namespaces on one",
    'machine joined by a Linux bridge, so "two hosts" measures VXLAN encapsulation and the extra hops, not a wire.',
    '',
    '| network | TCP round trip | throughput |',
    '|---|---|---|',
    ...pairs.map((pair) => {
      const f = results.get(pair.name) as Figures;
      return `| ${label[pair.name]} | ${fmt(median(f.roundTripUs))} µs | ${fmt(median(f.mibPerSecond))} MiB/s |`;
    }),
    '',
    `Time to make a stack's network through the Docker API, ${RUNS} runs, medians: create it, create and start the first`,
    `(busybox) container on it, remove the network once the container is gone. The overlay is created through the swarm`,
    `manager (${h1.name}) and its container started on a worker (${h3.name}); the bridge is made and used on ${h3.name}.`,
    '',
    '| network | create | first container (create + start) | remove |',
    '|---|---|---|---|',
    `| attachable overlay | ${fmt(median(overlayRuns.map((r) => r.create)))} ms | ${fmt(median(overlayRuns.map((r) => r.attach)))} ms | ${fmt(median(overlayRuns.map((r) => r.remove)))} ms |`,
    `| bridge (for comparison) | ${fmt(median(bridgeRuns.map((r) => r.create)))} ms | ${fmt(median(bridgeRuns.map((r) => r.attach)))} ms | ${fmt(median(bridgeRuns.map((r) => r.remove)))} ms |`,
    '',
    'Raw runs:',
    ...pairs.flatMap((pair) => {
      const f = results.get(pair.name) as Figures;
      return [`- ${label[pair.name]}: round trip (µs) ${raw(f.roundTripUs)}; MiB/s ${raw(f.mibPerSecond)}`];
    }),
    `- overlay create (ms): ${raw(overlayRuns.map((r) => r.create))}; first container: ${raw(overlayRuns.map((r) => r.attach))}; remove: ${raw(overlayRuns.map((r) => r.remove))}`,
    `- bridge create (ms): ${raw(bridgeRuns.map((r) => r.create))}; first container: ${raw(bridgeRuns.map((r) => r.attach))}; remove: ${raw(bridgeRuns.map((r) => r.remove))}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} finally {
  await cleanUp();
}
