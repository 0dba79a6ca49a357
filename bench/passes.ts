/**
 * `npm run bench:passes -- --stacks N`: what `corral run` does with many stacks that change at
 * once, on the test fleet (3 hosts), every stack one busybox container:
 *  - restart: the daemon starts over N stacks that already run as the repository says (converged
 *    by `corral sync --once` first), until every stack has a Synced status;
 *  - catalog edit: one commit bumps the template's default version (a new environment value), so
 *    every stack is upgraded, until every stack is Synced on that revision.
 * For each: the time, and how many stack passes the daemon ran (its
 * corral_reconcile_duration_seconds_count{pass="stack"}), each of which observes every host and
 * schedules every stack. Last line: `{"stacks":N,"restartMs":…,"restartPasses":…,"editMs":…,"editPasses":…}`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DAEMON_API_TOKEN, Daemon, freePort, GitRemote, ROOT, waitFor } from '../test/e2e/daemon-harness.js';
import { ensureFleet, IMAGES } from '../test/e2e/fleet.js';
import { cleanup, fleetHosts } from '../test/e2e/sync-repo.js';

const { values } = parseArgs({ options: { stacks: { type: 'string', default: '60' } } });
const STACKS = Number(values.stacks);
const TEMPLATE = 'sleeper';

function composeOf(note: string): string {
  return `sleeper:\n  image: ${IMAGES.busybox}\n  command: ["sleep", "100000"]\n  stop_grace_period: 1s\n  environment:\n    NOTE: ${note}\n`;
}
const RANCHER = (version: string) => `.catalog:\n  version: ${version}\nsleeper:\n  scale: 1\n`;

function stackPasses(metrics: string): number {
  let passes = 0;
  for (const line of metrics.split('\n'))
    if (line.startsWith('corral_reconcile_duration_seconds_count{') && line.includes('pass="stack"'))
      passes += Number(line.split(' ').pop());
  return passes;
}

async function allSynced(daemon: Daemon, names: readonly string[], revision?: string): Promise<boolean> {
  const statuses = await daemon.stacks();
  const synced = new Set(statuses.filter((s) => s.sync === 'Synced' && (!revision || s.revision === revision)).map((s) => s.name));
  return names.every((name) => synced.has(name));
}

const configPath = (await ensureFleet()).configPath;
const hosts = await fleetHosts();
const names = Array.from({ length: STACKS }, (_, i) => `pass-${String(i + 1).padStart(3, '0')}`);
await cleanup(hosts, names);
const remote = new GitRemote();
remote
  .write(`catalog/templates/${TEMPLATE}/config.yml`, `name: ${TEMPLATE}\nversion: 1.0.0\n`)
  .write(`catalog/templates/${TEMPLATE}/0/docker-compose.yml`, composeOf('first'))
  .write(`catalog/templates/${TEMPLATE}/0/rancher-compose.yml`, RANCHER('1.0.0'));
for (const name of names) remote.write(`stacks/${name}/stack.yml`, `template: ${TEMPLATE}\n`);
remote.push('many stacks');

const sync = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), 'sync', '--once', '--repo', remote.work, '--config', configPath], {
  encoding: 'utf8',
});
if (sync.status !== 0) throw new Error(`corral sync --once exited with ${sync.status}: ${sync.stdout}${sync.stderr}`);

const port = freePort();
const SECRET = 'bench-passes-webhook-secret';
const daemon = new Daemon({ repo: remote.bare, config: configPath, interval: 3600, port, webhookSecret: SECRET });
const passesSoFar = async () =>
  stackPasses(await (await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${DAEMON_API_TOKEN}` } })).text());
let restartMs = 0;
let restartPasses = 0;
let editMs = 0;
let editPasses = 0;
try {
  const started = Date.now();
  daemon.start();
  await waitFor('every stack Synced after the restart', 600_000, () => allSynced(daemon, names), 100);
  restartMs = Date.now() - started;
  // Passes already asked for may still be running: let them finish before counting.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  restartPasses = await passesSoFar();

  remote
    .write(`catalog/templates/${TEMPLATE}/config.yml`, `name: ${TEMPLATE}\nversion: 1.1.0\n`)
    .write(`catalog/templates/${TEMPLATE}/1/docker-compose.yml`, composeOf('second'))
    .write(`catalog/templates/${TEMPLATE}/1/rancher-compose.yml`, RANCHER('1.1.0'));
  const editStarted = Date.now();
  const revision = remote.push('bump the template');
  const body = JSON.stringify({ ref: 'refs/heads/main', after: revision });
  await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-gitlab-token': SECRET }, body });
  await waitFor('every stack Synced on the new revision', 1_200_000, () => allSynced(daemon, names, revision), 100);
  editMs = Date.now() - editStarted;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  editPasses = (await passesSoFar()) - restartPasses;
} finally {
  await daemon.stop('SIGKILL');
  if (process.env['BENCH_DAEMON_LOG']) writeFileSync(process.env['BENCH_DAEMON_LOG'], daemon.log);
  await cleanup(hosts, names);
  remote.destroy();
}
console.log(JSON.stringify({ stacks: STACKS, restartMs, restartPasses, editMs, editPasses }));
