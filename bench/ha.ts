/**
 * `npm run bench:ha` (run it under the fleet lock): corral as operators run it, on the fleet.
 *  - the image: built by host h1 from a fresh clone of the checked-out commit, on the fleet's
 *    Node.js 20 base; its size;
 *  - container start to first pass: `docker run` of the image (all three hosts over TLS, a demo
 *    stack of one hello-web container per host, none running before) until the API reports the
 *    stack Synced and Healthy; and until the API first answers;
 *  - failover: two replicas with a 5 s lease; `kill -9` of the leader once 6 containers of a
 *    20-container apply have started; until the standby's /healthz says leader, and until the
 *    desired containers (the 20, and a commit pushed after the kill) run and are Synced.
 * Prints a Markdown section for docs/benchmarks.md.
 */

import { waitFor } from '../test/e2e/daemon-harness.js';
import { ensureFleet, type FleetHost } from '../test/e2e/fleet.js';
import { failoverRound, HaCluster } from '../test/e2e/ha-harness.js';
import {
  buildContext,
  buildImage,
  demoRemote,
  docker,
  imageFacts,
  removeDir,
  removeQuietly,
  runCorral,
  tlsConfigDir,
} from '../test/e2e/image-harness.js';
import { cleanup, fleetHosts } from '../test/e2e/sync-repo.js';

const RUNS = 5;
const TTL_S = 5;
const TAG = 'corral-bench:latest';

async function main(): Promise<void> {
  const fleet = await ensureFleet();
  const h1 = fleet.hosts[0] as FleetHost;
  const image = await measureImage(h1);
  const failover = await measureFailover();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const row = (what: string, values: number[]) =>
    `| ${what} | ${median(values)} ms | ${Math.min(...values)} ms | ${Math.max(...values)} ms |`;
  const lines = [
    '## corral as a container, and two replicas (`npm run bench:ha`)',
    '',
    `Image built by the fleet's host h1 from a fresh clone on ${'`'}10.99.0.2:5000/corral/node:20${'`'} (Debian's nodejs) in ${image.buildMs} ms: **${(image.size / 1e6).toFixed(1)} MB**.`,
    '',
    `| ${RUNS} runs | median | min | max |`,
    '| --- | --- | --- | --- |',
    row('`docker run` to the API answering', image.toApi),
    row('`docker run` to the first pass done: demo stack (3 hosts over TLS, one container each) Synced and Healthy', image.toFirstPass),
    row(`failover: \`kill -9\` of the leader mid-apply to the standby's /healthz saying leader (lease TTL ${TTL_S} s)`, failover.tookOver),
    row('failover: `kill -9` to the 20 containers and a commit pushed after the kill running and Synced', failover.converged),
    '',
    'Raw runs (ms):',
    `- to the API: ${image.toApi.join(', ')}`,
    `- to the first pass: ${image.toFirstPass.join(', ')}`,
    `- takeover: ${failover.tookOver.join(', ')}`,
    `- converged: ${failover.converged.join(', ')}`,
    `- containers of the 20 started when the leader died: ${failover.startedAtKill.join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function measureImage(h1: FleetHost): Promise<{ buildMs: number; size: number; toApi: number[]; toFirstPass: number[] }> {
  const context = buildContext();
  const configDir = tlsConfigDir();
  const stack = 'bench-img-web';
  const remote = demoRemote(stack, 'template: hello-web\nversion: 1.1.0\nanswers:\n  scale: 3\n  public_port: 19480\n');
  const hosts = await fleetHosts();
  const result = { buildMs: 0, size: 0, toApi: [] as number[], toFirstPass: [] as number[] };
  try {
    result.buildMs = await buildImage(h1.docker, TAG, context);
    result.size = (await imageFacts(h1.docker, TAG)).size;
    for (let i = 0; i < RUNS; i++) {
      await cleanup(hosts, [stack]);
      const started = Date.now();
      const corral = await runCorral(h1.docker, {
        name: `corral-bench-${i}`,
        image: TAG,
        address: h1.address,
        configDir,
        repo: remote.bare,
      });
      try {
        await waitFor('the API', 60_000, async () => (await fetch(`${corral.url}/healthz`)).ok, 10);
        result.toApi.push(Date.now() - started);
        await waitFor(
          'the first pass',
          120_000,
          async () => {
            const response = await fetch(`${corral.url}/api/v1/stacks/${stack}`);
            const status = response.ok ? ((await response.json()) as { sync: string; health: string }) : undefined;
            return status?.sync === 'Synced' && status.health === 'Healthy';
          },
          10,
        );
        result.toFirstPass.push(Date.now() - started);
      } finally {
        await removeQuietly(h1.docker, ['rm', '--force', corral.id]);
      }
    }
  } finally {
    await cleanup(hosts, [stack]);
    await docker(h1.docker, ['rmi', TAG]).catch(() => undefined);
    remote.destroy();
    removeDir(context);
    removeDir(configDir);
  }
  return result;
}

async function measureFailover(): Promise<{ tookOver: number[]; converged: number[]; startedAtKill: number[] }> {
  const cluster = await HaCluster.create({ prefix: 'bench-ha', leaseTtlSeconds: TTL_S });
  const result = { tookOver: [] as number[], converged: [] as number[], startedAtKill: [] as number[] };
  try {
    let leader = await cluster.startReplica();
    await waitFor('the first replica leads', 15_000, async () => (await leader.healthz()) === 'leader');
    let standby = await cluster.startStandby(leader);
    let previous: string[] = [];
    for (let round = 1; round <= RUNS; round++) {
      const outcome = await failoverRound(cluster, {
        leader,
        standby,
        round,
        scale: 20,
        killAfterStarts: 6,
        previous,
        leaseTtlSeconds: TTL_S,
      });
      result.tookOver.push(outcome.tookOverMs);
      result.converged.push(outcome.convergedMs);
      result.startedAtKill.push(outcome.startedAtKill);
      previous = [outcome.big, outcome.late];
      leader = standby;
      standby = await cluster.startStandby(leader);
    }
  } finally {
    await cluster.destroy();
  }
  return result;
}

await main();
