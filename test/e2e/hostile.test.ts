/**
 * The hostile corpus on the fleet: `corral sync --once` on a repository holding every hostile
 * request and one benign stack creates nothing of the hostile ones and converges the benign one.
 * Limited to the corpus's stacks (--stack), so that nothing else on the shared fleet is pruned.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { HostConfig } from '../../src/config/config.js';
import { BENIGN_STACK, copyHostileRepo, EXPECTED_REFUSALS, type HostileRepo } from '../fixtures/hostile-repo.js';
import { ensureFleet } from './fleet.js';
import { cleanup, fleetHosts, networksOf, placementOf } from './sync-repo.js';

const corral = fileURLToPath(new URL('../../../bin/corral', import.meta.url));
const hostile = [...EXPECTED_REFUSALS.keys()];
const everyStack = [BENIGN_STACK, ...hostile, 'link-usr'];

let repo: HostileRepo;
let hosts: HostConfig[] = [];
let config = '';

before(async () => {
  repo = copyHostileRepo();
  hosts = await fleetHosts();
  // The fleet's hosts with the corpus's policy.
  const fleetConfig = parse(readFileSync((await ensureFleet()).configPath, 'utf8')) as { hosts: unknown };
  const corpusConfig = parse(readFileSync(repo.config, 'utf8')) as { policy: unknown };
  config = join(repo.dir, 'fleet-corral.yml');
  writeFileSync(config, stringify({ hosts: fleetConfig.hosts, policy: corpusConfig.policy }));
  await cleanup(hosts, everyStack);
});

after(async () => {
  await cleanup(hosts, everyStack);
  repo.remove();
});

test('sync --once creates nothing of the hostile requests and converges the benign stack', async () => {
  const only = everyStack.flatMap((name) => ['--stack', name]);
  const sync = spawnSync(process.execPath, [corral, 'sync', '--once', '--repo', repo.dir, '--config', config, ...only], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(sync.status, 1, 'the hostile stacks fail, so the pass does not converge everything');
  assert.match(sync.stdout, new RegExp(`^stack ${BENIGN_STACK}: Synced,`, 'm'), sync.stdout + sync.stderr);
  for (const name of hostile) assert.match(sync.stdout, new RegExp(`^stack ${name}: Failed,`, 'm'), `${name}\n${sync.stdout}`);
  assert.doesNotMatch(sync.stdout + sync.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.deepEqual(
    (await placementOf(hosts, BENIGN_STACK)).map((p) => p.split(':')[1]),
    [`${BENIGN_STACK}-web-1`],
  );
  for (const name of [...hostile, 'link-usr']) {
    assert.deepEqual(await placementOf(hosts, name), [], `no container of ${name}`);
    assert.deepEqual(await networksOf(hosts, name), [], `no network of ${name}`);
  }
});
