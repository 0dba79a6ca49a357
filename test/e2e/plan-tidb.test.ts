/**
 * The bundled `tidb` template on the fleet, planned only (no registry here has pingcap/*
 * images): `corral validate` accepts a request for it, and `corral plan` against the fleet's
 * three hosts places one PD member and one TiKV node on every host and as many TiDB servers
 * as the request asks, each on a host of its own. Nothing is created.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ROOT } from './daemon-harness.js';
import { ensureFleet, type FleetInfo } from './fleet.js';
import { fleetHosts, placementOf, TestRepo, uniqueName } from './sync-repo.js';

const stack = uniqueName('tidb-plan');
const repo = new TestRepo().withBundledCatalog(ROOT);
let fleet: FleetInfo;

interface PlannedOperation {
  host: string;
  stack: string;
  kind: string;
  target: string;
}

function corral(...args: string[]): { code: number | null; stdout: string; all: string } {
  const result = spawnSync(process.execPath, [`${ROOT}/bin/corral`, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, all: result.stdout + result.stderr };
}

/** service → the hosts its containers are created on, sorted. */
function hostsByService(operations: PlannedOperation[]): Record<string, string[]> {
  const byService: Record<string, string[]> = {};
  for (const op of operations.filter((o) => o.stack === stack && o.kind === 'CreateContainer')) {
    const service = op.target.slice(stack.length + 1).replace(/-\d+$/, '');
    (byService[service] ??= []).push(op.host);
  }
  for (const hosts of Object.values(byService)) hosts.sort();
  return byService;
}

before(async () => {
  fleet = await ensureFleet();
  const pdHosts = fleet.hosts.map((host) => host.address).join(' ');
  repo.stack(stack, 'tidb', { tikv_scale: fleet.hosts.length, tidb_scale: 2, pd_hosts: pdHosts });
});

after(() => repo.remove());

test("a tidb request validates and renders with the bundled catalog under the fleet's policy", () => {
  const validate = corral('validate', '--repo', repo.dir, '--config', fleet.configPath);
  assert.equal(validate.code, 0, validate.all);
  const render = corral('render', stack, '--repo', repo.dir, '--config', fleet.configPath);
  assert.equal(render.code, 0, render.all);
  for (const image of ['pingcap/pd:v4.0.16', 'pingcap/tikv:v4.0.16', 'pingcap/tidb:v4.0.16'])
    assert.ok(render.stdout.includes(image), image);
});

test('corral plan places one PD and one TiKV per host and the TiDB servers asked for, each on its own host', async () => {
  const plan = corral('plan', '--repo', repo.dir, '--config', fleet.configPath, '--stack', stack, '--format', 'json');
  assert.equal(plan.code, 0, plan.all);
  const operations = (JSON.parse(plan.stdout) as { plan: { operations: PlannedOperation[] } }).plan.operations;
  const every = fleet.hosts.map((host) => host.name).sort();
  const placed = hostsByService(operations);
  assert.deepEqual(placed['pd'], every, 'one PD member per host');
  assert.deepEqual(placed['tikv'], every, 'one TiKV node per host');
  assert.equal(placed['tidb']?.length, 2, 'two TiDB servers');
  assert.equal(new Set(placed['tidb']).size, 2, 'the TiDB servers on two hosts');
  assert.deepEqual(Object.keys(placed).sort(), ['pd', 'tidb', 'tikv']);
  assert.deepEqual(await placementOf(await fleetHosts(), stack), [], 'plan created nothing');
});
