import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OperationResult } from '../../src/apply/index.js';
import type { DesiredStack } from '../../src/model/desired.js';
import type { Operation, Plan } from '../../src/plan/types.js';
import { failedUpgrades } from '../../src/reconcile/rollback.js';
import { parseRollbacks, RollbacksStore } from '../../src/state/rollbacks-store.js';
import { historyEntryOf } from '../../src/state/stack-history.js';
import { StateDir } from '../../src/state/state-dir.js';
import { type StackStatus, stackStatus } from '../../src/status/stack-status.js';
import { tempDirs } from '../fixtures/temp-dirs.js';

const tempDir = tempDirs('corral-rollbacks-');

const RECORD = {
  key: 'k2',
  template: 'demo',
  version: '2',
  revision: 'rev2',
  cause: 'AwaitReady web-app-1 on h1: not ready',
  time: '2026-11-29T23:00:00.000Z',
};

test('rollbacks: a record survives a restart (a new store on the same directory reads it); the last one per stack counts', async () => {
  const dir = tempDir();
  const store = new RollbacksStore(new StateDir(dir, true));
  assert.deepEqual([...(await store.load())], []);
  await store.record('web', { ...RECORD, key: 'k1' });
  await store.record('web', RECORD);
  await store.record('db', { ...RECORD, template: 'db' });
  const again = await new RollbacksStore(new StateDir(dir, true)).load();
  assert.deepEqual(again.get('web'), RECORD);
  assert.equal(again.get('db')?.template, 'db');
  assert.equal(JSON.parse(readFileSync(join(dir, 'rollbacks.json'), 'utf8')).version, 1);
});

test('rollbacks: a read-only state directory (corral plan) reads but never writes', async () => {
  const dir = tempDir();
  const store = new RollbacksStore(new StateDir(dir, false));
  await store.record('web', RECORD);
  assert.equal((await store.load()).get('web')?.key, 'k2');
  assert.throws(() => readFileSync(join(dir, 'rollbacks.json')), /ENOENT/);
});

test('rollbacks: a damaged file is an error naming the file and the field', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'rollbacks.json'), JSON.stringify({ version: 1, stacks: { web: { key: 'k' } } }));
  await assert.rejects(
    new RollbacksStore(new StateDir(dir, true)).load(),
    /rollbacks\.json: stacks\.web: expected key, template, version, cause, time/,
  );
  assert.throws(() => parseRollbacks([], 'f.json'), /f\.json: expected \{"version": 1, "stacks": \{\.\.\.\}\}/);
});

function op(kind: Operation['kind'], target: string, upgrade: boolean): Operation {
  return { id: '#1', kind, host: 'h1', target, stack: 'web', dependsOn: [], cause: '', ...(upgrade ? { upgrade: true } : {}) } as Operation;
}

function result(operation: Operation, status: OperationResult['status'], error?: string): OperationResult {
  return { operation, status, durationMs: 1, ...(error ? { error } : {}) };
}

const secretStack = {
  name: 'web',
  template: { catalog: 'library', template: 'demo', folder: '2', version: '2' },
  variables: { password: 's3cret-value' },
  secretVariables: ['password'],
  services: {},
  volumes: {},
  ignoredKeys: [],
  warnings: [],
} as DesiredStack;

test('failed upgrades: the first failed upgrade operation of a stack that upgrades is the cause, secrets scrubbed; other failures roll nothing back', () => {
  const attempt = { key: 'k2', template: 'demo', version: '2', revision: 'rev2' };
  const plan: Plan = {
    operations: [],
    stacks: [
      { stack: 'web', actionable: true, notes: [], upgrade: attempt },
      { stack: 'other', actionable: true, notes: [] },
    ],
  };
  const results = [
    result(op('RemoveContainer', 'web-app-1-prev', false), 'failed', 'no such container'),
    result(op('CreateContainer', 'web-app-1', true), 'failed', 'invalid env s3cret-value'),
    result(op('StartContainer', 'web-app-1', true), 'skipped', 'not run'),
    result({ ...op('CreateContainer', 'other-x-1', true), stack: 'other' } as Operation, 'failed', 'boom'),
  ];
  const failures = failedUpgrades(plan, results, [secretStack], new Date('2026-11-29T23:00:00Z'));
  assert.deepEqual([...failures.keys()], ['web']);
  assert.deepEqual(failures.get('web'), {
    ...attempt,
    cause: 'CreateContainer web-app-1 on h1: invalid env ********',
    time: '2026-11-29T23:00:00.000Z',
  });
  const fine = failedUpgrades(plan, [result(op('CreateContainer', 'web-app-1', true), 'ok')], [secretStack], new Date());
  assert.equal(fine.size, 0);
});

test("a revision's result, as its history entry has it: RolledBack with the rollback's cause, Synced, Failed with the error, never done while changes are left", () => {
  const status = (sync: StackStatus['sync'], lastError?: string) =>
    ({ sync, message: 'm', ...(lastError ? { lastError } : {}) }) as StackStatus;
  const time = new Date('2026-11-29T23:00:00Z');
  const desired = { ...secretStack, revision: 'rev2' };
  const entryOf = (passStatus: StackStatus) =>
    historyEntryOf({
      desired,
      operations: [result(op('CreateContainer', 'web-app-1', true), 'ok')],
      status: passStatus,
      time,
      secrets: [],
    });
  // The status of a stack whose plan says its desired state was rolled back, as the pass reports it.
  const rolledBack = stackStatus({ name: 'web', desired, observed: { hosts: [] }, rolledBack: { ...RECORD }, nowMs: time.getTime() });
  const { digest, ...rolledBackEntry } = entryOf(rolledBack) ?? { digest: '' };
  assert.ok(digest);
  assert.deepEqual(rolledBackEntry, {
    time: '2026-11-29T23:00:00.000Z',
    template: 'library/demo',
    version: '2',
    commit: 'rev2',
    result: 'RolledBack',
    cause: RECORD.cause,
  });
  assert.equal(entryOf(status('Synced'))?.result, 'Synced');
  assert.equal(entryOf(status('Failed', 'boom'))?.cause, 'boom');
  // A pass has ended: what it left to do is pending (OutOfSync), neither Synced nor Failed.
  assert.equal(entryOf(status('Progressing'))?.result, 'OutOfSync');
});
