/**
 * A fleet host whose Docker daemon is stopped: a new stack is still created on the other hosts
 * in one pass; a unit the host held waits there for host_down_grace (that pass runs at a clock
 * 1 s after the host's last read, so a slow dockerd stop cannot use the grace up), then, after
 * GRACE_MS of real time, is recreated elsewhere; once the host is back, its copy goes and exactly
 * `scale` instances remain — the ones that kept running. What corral knows of the hosts is
 * kept in a temporary state directory. The stopped daemon is started again (scripts/fleet up)
 * whatever happens.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { HostConfig } from '../../src/config/config.js';
import { KnownHostsStore } from '../../src/state/known-hosts-store.js';
import { StateDir } from '../../src/state/state-dir.js';
import { FLEET_DIR } from './fleet.js';
import { cleanup, clientOf, fleetHosts, placementOf, summary, TestRepo, uniqueName } from './sync-repo.js';

const run = promisify(execFile);
const FLEET_SCRIPT = fileURLToPath(new URL('../../../scripts/fleet', import.meta.url));
/** Short, to wait for it in real time before the unit moves. */
const GRACE_MS = 30_000;

const spread = uniqueName('down');
const fresh = uniqueName('fresh');
const repo = new TestRepo().withSpread();
const stateDir = mkdtempSync(join(tmpdir(), 'corral-state-'));
let hosts: HostConfig[] = [];
let stopped: string | undefined;
// One store for the whole test, as one corral process keeps one.
const memory = { store: new KnownHostsStore(new StateDir(stateDir, true)), hostDownGraceMs: GRACE_MS };
/** A pass with the real clock, or at `at` (the pass within the grace: a busy machine may take longer than GRACE_MS to stop a dockerd). */
const pass = (only: string[], at?: Date) => repo.sync(hosts, only, false, { memory, ...(at ? { now: () => at } : {}) });

before(async () => {
  hosts = (await fleetHosts()).slice(0, 3);
});
after(async () => {
  await restore();
  await cleanup(hosts, [spread, fresh]);
  repo.remove();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Stops the host's dockerd as scripts/fleet does (SIGTERM, containers get 2 s), and waits until it no longer answers. */
async function stopDaemon(name: string): Promise<void> {
  const pid = Number(readFileSync(join(FLEET_DIR, name, 'dockerd.pid'), 'utf8').trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `no dockerd pid for ${name}`);
  stopped = name;
  process.kill(pid, 'SIGTERM');
  const host = hosts.find((h) => h.name === name) as HostConfig;
  const deadline = Date.now() + 60_000;
  while (
    await clientOf(host)
      .ping()
      .then(
        () => true,
        () => false,
      )
  ) {
    assert.ok(Date.now() < deadline, `dockerd of ${name} still answers 60 s after SIGTERM`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts what is not running (the stopped dockerd) with the fleet's own script. */
async function restore(): Promise<void> {
  if (!stopped) return;
  await run(FLEET_SCRIPT, ['up'], { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  stopped = undefined;
}

test('one host down: new stacks go ahead, its unit moves after host_down_grace, and on its return exactly scale remain', async () => {
  repo.stack(spread, 'spread', { scale: 2 });
  assert.equal(summary(await pass([spread]), spread).converged, true);
  const before = await placementOf(hosts, spread);
  assert.equal(before.length, 2);
  // The host to stop holds one instance; not h1 when avoidable (the swarm's manager).
  const victims = before.map((p) => p.split(':')[0] as string).filter((h) => h !== 'h1');
  const victim = victims[0] ?? (before[0]?.split(':')[0] as string);
  const others = hosts.filter((h) => h.name !== victim);
  // What the victim held is in the state directory, as of its last read.
  const saved = JSON.parse(readFileSync(join(stateDir, 'hosts.json'), 'utf8'));
  assert.deepEqual(saved.hosts[victim].units, { [spread]: { app: [Number(before.find((p) => p.startsWith(`${victim}:`))?.slice(-1))] } });
  const lastSeen = Date.parse(saved.hosts[victim].lastSeen);
  await stopDaemon(victim);

  // Within the grace: a brand-new stack is created on the other hosts in one pass; the unit on the stopped host waits.
  repo.stack(fresh, 'spread', { scale: 2 });
  const within = await pass([spread, fresh], new Date(lastSeen + 1000));
  const freshOutcome = summary(within, fresh);
  assert.equal(freshOutcome.converged, true, JSON.stringify(freshOutcome));
  assert.equal((await placementOf(others, fresh)).length, 2);
  const held = within.stacks.find((s) => s.stack === spread);
  assert.deepEqual([held?.converged, held?.status.health, held?.operations.length], [false, 'Degraded', 0]);
  assert.match(
    held?.status.message ?? '',
    new RegExp(`host ${victim} is unreachable .*left as is, rescheduled on another host in [\\dhms]+ unless it is back`),
  );
  assert.equal(held?.status.sync, 'Unknown');
  assert.deepEqual(
    held?.status.waiting?.map((w) => [w.host, w.lastSeen]),
    [[victim, new Date(lastSeen).toISOString()]],
  );
  assert.deepEqual(
    await placementOf(others, spread),
    before.filter((p) => !p.startsWith(`${victim}:`)),
  );

  // Past the grace: the unit is recreated on the host that has none of the stack's instances.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastSeen + GRACE_MS + 500 - Date.now())));
  const moved = await pass([spread]);
  const movedOutcome = summary(moved, spread);
  assert.equal(movedOutcome.converged, true, JSON.stringify(movedOutcome));
  assert.ok(
    movedOutcome.ops.some((op) => op.startsWith('CreateContainer')),
    `expected a create, got ${JSON.stringify(movedOutcome.ops)}`,
  );
  const movedStatus = moved.stacks.find((s) => s.stack === spread)?.status;
  assert.match(movedStatus?.message ?? '', new RegExp(`rescheduled on .* \\(${victim} unreachable since`));
  assert.deepEqual(
    movedStatus?.rescheduled?.map((r) => r.from),
    [victim],
  );
  const serving = await placementOf(others, spread);
  assert.equal(serving.length, 2);
  const servingIds = await containerIds(others, spread);

  // Back: the stopped host's copy (restarted by Docker) is the extra one; the copies that kept running stay.
  await restore();
  assert.equal((await placementOf(hosts, spread)).length, 3);
  const back = summary(await pass([spread]), spread);
  assert.equal(back.converged, true, JSON.stringify(back));
  assert.ok(
    back.ops.some((op) => op.startsWith(`RemoveContainer ${victim}:`)),
    JSON.stringify(back.ops),
  );
  assert.deepEqual(await placementOf(hosts, spread), serving);
  assert.deepEqual(await containerIds(hosts, spread), servingIds);
});

async function containerIds(on: HostConfig[], stack: string): Promise<string[]> {
  const lists = await Promise.all(
    on.map((h) => clientOf(h).listContainers({ all: true, filters: { label: [`io.corral.stack=${stack}`] } })),
  );
  return lists
    .flat()
    .map((c) => c.Id)
    .sort();
}
