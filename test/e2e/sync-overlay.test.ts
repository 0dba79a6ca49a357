/**
 * Names across hosts on the fleet's swarm (issue 10): a stack's services pinned to different
 * hosts reach each other by link alias, service name and `<service>.<stack>` over the stack's
 * overlay network; another stack reaches them through external_links and nothing else does;
 * pruning leaves no network on any host; 20 stacks at once converge and resolve; a host that
 * leaves the swarm is reported and the others keep working; a `net: host` service is reached by
 * its names at its host's address; with bridge networks, a link across hosts degrades the stack.
 * The swarm is restored at the end, whatever happens.
 */

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { HostConfig } from '../../src/config/config.js';
import type { ReconcileResult } from '../../src/reconcile/index.js';
import { BUSYBOX, cleanup, fleetHosts, networksOf, operationLine, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const run = promisify(execFile);
const FLEET_SCRIPT = fileURLToPath(new URL('../../../scripts/fleet', import.meta.url));
const ZONES = ['a', 'b', 'c'];

const zoneQuestions = (...names: string[]) =>
  names.map((name) => `    - variable: ${name}\n      type: string\n      required: true\n`).join('');

/**
 * `server`: an httpd answering `<server> of <stack>` on `port` (80), on its host's network with
 * `hostNetwork`; client: a sleeper on the stack network linking it as `alias`. Each is pinned to
 * the zone asked as `<service>_zone`.
 */
function serverAndClient(server: string, alias: string, { port = '80', hostNetwork = false } = {}): string {
  return `version: '2'
services:
  ${server}:
    image: ${BUSYBOX}
${hostNetwork ? '    net: host\n' : ''}    command: ["sh", "-c", "mkdir -p /www && echo '${server} of {{ .Stack.Name }}' > /www/index.html && exec httpd -f -p ${port} -h /www"]
    stop_signal: SIGKILL
    labels:
      io.rancher.scheduler.affinity:host_label: zone=\${${server}_zone}
  client:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    links: ["${server}:${alias}"]
    labels:
      io.rancher.scheduler.affinity:host_label: zone=\${client_zone}
`;
}

/** A sleeper in another stack reaching `<target>/<service>` as `alias`. */
function probeOf(service: string, alias: string): string {
  return `version: '2'
services:
  probe:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    external_links: ["\${target}/${service}:${alias}"]
    labels:
      io.rancher.scheduler.affinity:host_label: zone=\${zone}
`;
}

/** db and client on the stack network; web on its host's network (port asked) and client. */
const PAIR = serverAndClient('db', 'database');
const HOSTWEB = serverAndClient('web', 'frontend', { port: '${port}', hostNetwork: true });
const PROBE = probeOf('db', 'store');
const SITE_PROBE = probeOf('web', 'site');

const LONER = `version: '2'
services:
  loner:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    labels:
      io.rancher.scheduler.affinity:host_label: zone=\${zone}
`;

const repo = new TestRepo()
  .template('pair', PAIR, zoneQuestions('db_zone', 'client_zone'))
  .template('probe', PROBE, zoneQuestions('target', 'zone'))
  .template('loner', LONER, zoneQuestions('zone'))
  .template('hostweb', HOSTWEB, zoneQuestions('web_zone', 'client_zone', 'port'))
  .template('siteprobe', SITE_PROBE, zoneQuestions('target', 'zone'))
  .allow('hostweb', 'host_network');
const made: string[] = [];
let fleet: HostConfig[] = [];
let overlayHosts: HostConfig[] = [];
let bridgeHosts: HostConfig[] = [];
const configDir = mkdtempSync(join(tmpdir(), 'corral-overlay-'));
const overlayConfig = join(configDir, 'corral.yml');
const bridgeConfig = join(configDir, 'corral-bridge.yml');

function hostOf(zone: string): HostConfig {
  const host = fleet.find((h) => h.labels['zone'] === zone);
  assert.ok(host, `no fleet host in zone ${zone}`);
  return host;
}

async function docker(host: HostConfig, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', host.docker.url, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * The page `name` serves on `port` (80), fetched from inside the container (names spread by
 * gossip, so the first lookups may miss for a moment); '' when nothing answers within `tries`
 * attempts (40: about 10 s).
 */
async function fetchFrom(host: HostConfig, container: string, name: string, { tries = 40, port = 80 } = {}): Promise<string> {
  const script = `for i in $(seq ${tries}); do printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${name} ${port} 2>/dev/null | tail -n 1 | grep . && exit 0; sleep 0.25; done; exit 0`;
  return docker(host, 'exec', container, 'sh', '-c', script);
}

function pairStack(name: string, dbZone: string, clientZone: string): void {
  repo.stack(name, 'pair', { db_zone: dbZone, client_zone: clientZone });
  made.push(name);
}

function operationsOf(result: ReconcileResult): string[] {
  return result.stacks.flatMap((s) => s.operations.map(operationLine));
}

/** Each of the stacks converged, Synced and Healthy after the pass (its operations in the message when not). */
function assertSyncedHealthy(result: ReconcileResult, names: string[]): void {
  for (const name of names) {
    const outcome = summary(result, name);
    assert.deepEqual([outcome.converged, outcome.sync, outcome.health], [true, 'Synced', 'Healthy'], `${name}: ${outcome.ops.join('\n')}`);
  }
}

before(async () => {
  fleet = (await fleetHosts()).slice(0, 3);
  overlayHosts = fleet.map((h) => ({ ...h, network: 'overlay' as const }));
  bridgeHosts = fleet.map((h) => ({ ...h, network: 'bridge' as const }));
  // The same hosts for the command line (JSON is YAML).
  for (const [path, hosts] of [
    [overlayConfig, overlayHosts],
    [bridgeConfig, bridgeHosts],
  ] as const) {
    const entries = hosts.map((h) => ({ name: h.name, docker: h.docker.url, address: h.address, labels: h.labels, network: h.network }));
    writeFileSync(path, JSON.stringify({ hosts: entries }, null, 2));
  }
});

after(async () => {
  await restoreSwarm();
  await cleanup(fleet, made);
  repo.remove();
  rmSync(configDir, { recursive: true, force: true });
});

/** `scripts/fleet up` joins a host that left the swarm again (and drops its stale node). */
async function restoreSwarm(): Promise<void> {
  const states = await Promise.all(fleet.map((h) => docker(h, 'info', '--format', '{{.Swarm.LocalNodeState}}').catch(() => 'unknown')));
  if (states.every((state) => state === 'active')) return;
  await run(FLEET_SCRIPT, ['up'], { timeout: 180_000 });
}

/**
 * The stack's networks still listed on some host, once they are gone or after 60 s: a worker drops
 * its copy of an overlay network a moment after the manager removed it.
 */
async function networksGone(stack: string): Promise<string[]> {
  let left = await networksOf(fleet, stack);
  for (const deadline = Date.now() + 60_000; left.length > 0 && Date.now() < deadline; left = await networksOf(fleet, stack)) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return left;
}

/** `docker swarm leave --force`, again until the host says inactive: on a busy machine the daemon may time out half-way. */
async function leaveSwarm(host: HostConfig): Promise<void> {
  const state = () => docker(host, 'info', '--format', '{{.Swarm.LocalNodeState}}').catch(() => '');
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 1000))) {
    if ((await state()) === 'inactive') return;
    await docker(host, 'swarm', 'leave', '--force').catch(() => undefined);
  }
  assert.fail(`${host.name} did not leave the swarm within 180 s`);
}

test('a stack on two hosts: link alias, service name and <service>.<stack> resolve; another stack reaches it only through external_links; pruning leaves no network', async () => {
  const app = uniqueName('ov');
  const client = uniqueName('ovc');
  const loner = uniqueName('ovl');
  pairStack(app, 'c', 'a');
  repo.stack(client, 'probe', { target: app, zone: 'b' }).stack(loner, 'loner', { zone: 'b' });
  made.push(client, loner);

  const first = await repo.sync(overlayHosts, [app, client, loner]);
  assertSyncedHealthy(first, [app, client, loner]);
  assert.deepEqual(await placementOf(fleet, app), [`h1:${app}-client-1`, `h3:${app}-db-1`]);
  assert.deepEqual(await placementOf(fleet, client), [`h2:${client}-probe-1`]);

  const page = `db of ${app}`;
  const [h1, h2] = [hostOf('a'), hostOf('b')];
  for (const name of ['database', 'db', `db.${app}`]) assert.equal(await fetchFrom(h1, `${app}-client-1`, name), page, name);
  for (const name of ['store', `db.${app}`]) assert.equal(await fetchFrom(h2, `${client}-probe-1`, name), page, name);
  // The stacks are otherwise apart: a stack without the link resolves none of these names.
  for (const name of [`db.${app}`, 'store', 'database'])
    assert.equal(await fetchFrom(h2, `${loner}-loner-1`, name, { tries: 4 }), '', name);

  const again = await repo.sync(overlayHosts, [app, client, loner]);
  assert.deepEqual(operationsOf(again), [], 'a second sync changes nothing');

  repo.removeStack(app).removeStack(client).removeStack(loner);
  const pruned = await repo.sync(overlayHosts, [app, client, loner]);
  assert.deepEqual(
    operationsOf(pruned).filter((op) => !op.endsWith(' ok')),
    [],
  );
  // Read back at once, the pruned stacks are done: the swarm no longer lists their overlay network.
  for (const name of [app, client, loner])
    assert.deepEqual([summary(pruned, name).converged, summary(pruned, name).sync], [true, 'Synced'], name);
  for (const name of [app, client, loner]) {
    assert.deepEqual(await placementOf(fleet, name), [], name);
    assert.deepEqual(await networksGone(name), [], `${name}: networks left`);
  }
});

test('20 stacks at once converge and resolve across hosts; a second sync is a no-op; pruning leaves no network', async () => {
  const names = Array.from({ length: 20 }, (_, i) => uniqueName(`ov${i}`));
  names.forEach((name, i) => {
    pairStack(name, ZONES[i % 3] as string, ZONES[(i + 1) % 3] as string);
  });
  const first = await repo.sync(overlayHosts, names);
  for (const name of names) {
    const outcome = summary(first, name);
    assert.deepEqual([outcome.converged, outcome.health], [true, 'Healthy'], `${name}: ${outcome.ops.join('\n')}`);
  }
  const pages = await Promise.all(names.map((name, i) => fetchFrom(hostOf(ZONES[(i + 1) % 3] as string), `${name}-client-1`, 'database')));
  assert.deepEqual(
    pages,
    names.map((name) => `db of ${name}`),
  );
  assert.deepEqual(operationsOf(await repo.sync(overlayHosts, names)), [], 'a second sync changes nothing');
  // The command line too, over the 20 stacks (named: without --stack it would prune every stack the test repository lacks).
  const once = spawnSync(
    process.execPath,
    [
      'bin/corral',
      'sync',
      '--once',
      '--repo',
      repo.dir,
      '--config',
      overlayConfig,
      '--state-dir',
      configDir,
      ...names.flatMap((name) => ['--stack', name]),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(once.status, 0, once.stdout + once.stderr);
  assert.equal(
    once.stdout,
    [...names]
      .sort()
      .map((name) => `stack ${name}: Synced, Healthy\n`)
      .join(''),
    'no operation, no note',
  );

  for (const name of names) repo.removeStack(name);
  await repo.sync(overlayHosts, names);
  const left = (await Promise.all(names.map((name) => networksGone(name)))).flat();
  assert.deepEqual(left, []);
});

test('a host that leaves the swarm is reported by name; stacks on the other hosts keep working; it is repaired once back', async () => {
  const onOthers = uniqueName('ovk');
  const onLeaver = uniqueName('ovx');
  pairStack(onOthers, 'a', 'b');
  pairStack(onLeaver, 'c', 'a');
  const first = await repo.sync(overlayHosts, [onOthers, onLeaver]);
  for (const name of [onOthers, onLeaver]) assert.equal(summary(first, name).converged, true, summary(first, name).ops.join('\n'));

  const [h1, h2, h3] = [hostOf('a'), hostOf('b'), hostOf('c')];
  try {
    await leaveSwarm(h3);
    const during = await repo.sync(overlayHosts, [onOthers, onLeaver]);
    assert.match(
      (during.plan.hosts ?? []).map((n) => `${n.host}: ${n.level}: ${n.message}`).join('\n'),
      /^h3: error: h3 is not in the swarm of h1 \(its swarm state is inactive\): nothing that needs the stacks' overlay networks is created there/m,
    );
    const kept = summary(during, onOthers);
    assert.deepEqual([kept.converged, kept.health, kept.ops], [true, 'Healthy', []]);
    assert.equal(await fetchFrom(h2, `${onOthers}-client-1`, 'database'), `db of ${onOthers}`);
    const hit = summary(during, onLeaver);
    assert.deepEqual([hit.converged, hit.health, hit.ops], [false, 'Degraded', []]);
    assert.match(
      during.stacks.find((s) => s.stack === onLeaver)?.status.message ?? '',
      new RegExp(`${onLeaver}-db-1: h3 is not in the swarm of h1 \\(its swarm state is inactive\\); left as is`),
    );
  } finally {
    await restoreSwarm();
  }
  // Back in the swarm, the container that lost its network is connected again and answers.
  const repaired = await repo.sync(overlayHosts, [onOthers, onLeaver]);
  assert.deepEqual(summary(repaired, onLeaver).ops, [`ConnectNetwork h3:${onLeaver}-db-1 ok`]);
  assert.equal(summary(repaired, onLeaver).converged, true);
  assert.equal(await fetchFrom(h1, `${onLeaver}-client-1`, 'database'), `db of ${onLeaver}`);
});

test("a net: host service is reached by service name, <service>.<stack>, link alias and external_links alias, at its host's address, from other hosts", async () => {
  const app = uniqueName('hn');
  const other = uniqueName('hnc');
  // A port nothing else on h3's own network uses: the busybox httpd listens on the host's network.
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  repo.stack(app, 'hostweb', { web_zone: 'c', client_zone: 'a', port }).stack(other, 'siteprobe', { target: app, zone: 'b' });
  made.push(app, other);

  const first = await repo.sync(overlayHosts, [app, other]);
  assertSyncedHealthy(first, [app, other]);
  assert.deepEqual(await placementOf(fleet, app), [`h1:${app}-client-1`, `h3:${app}-web-1`]);
  const h3 = hostOf('c');
  const [h1, h2] = [hostOf('a'), hostOf('b')];
  const page = `web of ${app}`;
  for (const name of ['web', `web.${app}`, 'frontend']) assert.equal(await fetchFrom(h1, `${app}-client-1`, name, { port }), page, name);
  for (const name of ['site', `web.${app}`]) assert.equal(await fetchFrom(h2, `${other}-probe-1`, name, { port }), page, name);
  // The names are the host's address, as Rancher's DNS answered them.
  const resolved = await docker(h1, 'exec', `${app}-client-1`, 'sh', '-c', 'grep -w frontend /etc/hosts');
  assert.match(resolved, new RegExp(`^${h3.address.replaceAll('.', '\\.')}\\s+frontend$`, 'm'));

  assert.deepEqual(operationsOf(await repo.sync(overlayHosts, [app, other])), [], 'a second sync changes nothing');
  repo.removeStack(app).removeStack(other);
  await repo.sync(overlayHosts, [app, other]);
  for (const name of [app, other]) assert.deepEqual(await networksGone(name), [], `${name}: networks left`);
});

test('bridge networks: a link across two hosts is Degraded with the reason, never a silent Healthy', async () => {
  const split = uniqueName('brx');
  pairStack(split, 'c', 'a');
  const result = summary(await repo.sync(bridgeHosts, [split]), split);
  assert.deepEqual([result.sync, result.health], ['Synced', 'Degraded']);
  const outcome = (await repo.sync(bridgeHosts, [split], true)).stacks.find((s) => s.stack === split);
  const reason = 'client on h1 cannot reach db on h3 (h1, h3 use network: bridge, which does not span hosts)';
  assert.equal(outcome?.status.message, reason);
  assert.equal(await fetchFrom(hostOf('a'), `${split}-client-1`, 'database', { tries: 4 }), '');
  // `corral plan` says so too (and has nothing to do).
  const planned = spawnSync(
    process.execPath,
    ['bin/corral', 'plan', '--repo', repo.dir, '--config', bridgeConfig, '--state-dir', configDir, '--stack', split],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(planned.status, 0, planned.stdout + planned.stderr);
  assert.equal(planned.stdout, `stack ${split}\n  degraded: ${reason}\n`);
});
