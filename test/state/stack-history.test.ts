/** A stack's history: the entry a pass makes, which entries are kept, and the append-only file that holds them. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OperationResult } from '../../src/apply/index.js';
import type { HistoryEntry } from '../../src/model/history.js';
import type { Operation } from '../../src/plan/types.js';
import { type AppliedPass, historyEntryOf, parseHistory, worthKeeping } from '../../src/state/stack-history.js';
import { StackHistoryStore } from '../../src/state/stack-history-store.js';
import { StateDir } from '../../src/state/state-dir.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { desiredStack } from '../fixtures/desired.js';
import { tempDirs } from '../fixtures/temp-dirs.js';

const TIME = new Date('2026-11-29T22:00:00.000Z');
const tempDir = tempDirs('corral-history-');

function status(sync: StackStatus['sync'], message = 'converged', lastError?: string): StackStatus {
  return { name: 'shop', sync, health: 'Healthy', message, services: [], endpoints: [], events: [], ...(lastError ? { lastError } : {}) };
}

function done(
  kind: Operation['kind'],
  target: string,
  cause: string,
  unit = target,
  result: OperationResult['status'] = 'ok',
): OperationResult {
  const operation = { id: '#1', host: 'h1', target, stack: 'shop', dependsOn: [], cause, unit, kind } as unknown as Operation;
  return { operation, status: result, durationMs: 5 };
}

function shop(version = '1.0.0', password = 'p4ssw0rd-secret'): AppliedPass['desired'] {
  const stack = desiredStack('shop', []);
  return {
    ...stack,
    template: { ...stack.template, version },
    revision: `rev-${version}`,
    variables: { password },
    secretVariables: ['password'],
  };
}

function pass(extra: Partial<AppliedPass>): AppliedPass {
  return { operations: [], status: status('Synced'), time: TIME, secrets: [], ...extra };
}

test('an applied upgrade: template, version, commit, Synced, and how many containers changed and why', () => {
  const entry = historyEntryOf(
    pass({
      desired: shop('1.1.0'),
      operations: [
        done('PullImage', 'web:2', 'missing on h1', ''),
        done('StopContainer', 'shop-web-1', 'config changed: image'),
        done('RemoveContainer', 'shop-web-1-prev', 'kept during the upgrade; the upgrade is done', 'shop-web-1'),
        done('CreateContainer', 'shop-web-1', 'config changed: image'),
        done('StartContainer', 'shop-web-1', 'config changed: image'),
        done('CreateContainer', 'shop-web-2', 'scale 1 → 2'),
      ],
    }),
  );
  assert.deepEqual(
    { ...entry, digest: entry?.digest.length },
    {
      time: '2026-11-29T22:00:00.000Z',
      template: 'library/shop',
      version: '1.1.0',
      commit: 'rev-1.1.0',
      result: 'Synced',
      cause: '2 containers: 1 replaced, 1 created (config changed: image; scale 1 → 2)',
      digest: 64,
    },
  );
});

test('a failed upgrade records the error, with secret answers masked; a removal records what went', () => {
  const failed = historyEntryOf(
    pass({
      desired: shop('2.0.0'),
      status: status('Failed', 'x', '#1 PullImage web:p4ssw0rd-secret on h1: manifest unknown'),
      operations: [done('PullImage', 'web:p4ssw0rd-secret', 'missing on h1', '', 'failed')],
      secrets: ['p4ssw0rd-secret'],
    }),
  );
  assert.equal(failed?.result, 'Failed');
  assert.equal(failed?.cause, '#1 PullImage web:******** on h1: manifest unknown');
  assert.ok(!JSON.stringify(failed).includes('p4ssw0rd'));
  const removed = historyEntryOf(
    pass({ revision: 'rev-9', operations: [done('RemoveContainer', 'shop-web-1', 'stack removed from git', 'shop-web-1')] }),
  );
  assert.deepEqual(
    [removed?.version, removed?.commit, removed?.cause],
    [undefined, 'rev-9', '1 container: 1 removed (stack removed from git)'],
  );
  assert.equal(historyEntryOf(pass({})), undefined, 'a removed stack with nothing left to remove');
  const unrendered = historyEntryOf(pass({ renderErrors: ['stacks/shop/stack.yml:3: answer x: not an int'], status: status('Failed') }));
  assert.equal(unrendered?.cause, 'cannot be rendered: stacks/shop/stack.yml:3: answer x: not an int');
});

test('a rolled-back upgrade: RolledBack with what failed; the passes after it add nothing, its revert does', () => {
  const cause = 'PullImage web:9 on h1: manifest unknown';
  const rolled = historyEntryOf(
    pass({
      desired: shop('1.1.0'),
      status: status('RolledBack', `upgrade to shop 1.1.0 failed and was rolled back: ${cause}`, cause),
      operations: [done('PullImage', 'web:9', 'missing on h1', '', 'failed')],
    }),
  );
  assert.deepEqual([rolled?.version, rolled?.result, rolled?.cause], ['1.1.0', 'RolledBack', cause]);
  const again = historyEntryOf(pass({ desired: shop('1.1.0'), status: status('RolledBack', 'x', cause) }));
  assert.ok(rolled && again);
  assert.equal(worthKeeping(rolled, again), false, 'the rolled-back revision is not tried again: nothing new');
  const revert = historyEntryOf(pass({ desired: shop('1.0.0') }));
  assert.ok(revert);
  assert.deepEqual([revert.result, revert.cause, worthKeeping(rolled, revert)], ['Synced', 'no container changed', true]);
});

test('the digest follows the configuration, not the revision nor the answer values in clear', () => {
  const a = historyEntryOf(pass({ desired: shop('1.0.0') }));
  const sameConfigNewCommit = historyEntryOf(
    pass({ desired: { ...(shop('1.0.0') as NonNullable<AppliedPass['desired']>), revision: 'other' } }),
  );
  const bumped = historyEntryOf(pass({ desired: shop('1.1.0') }));
  assert.equal(a?.digest, sameConfigNewCommit?.digest);
  assert.notEqual(a?.digest, bumped?.digest);
  assert.ok(!a?.digest.includes('p4ss'));
});

const entry = (digest: string, result: HistoryEntry['result']): HistoryEntry => ({ time: TIME.toISOString(), result, cause: '', digest });

test('kept: a new configuration, or a new result after one that did not succeed; not a self-heal of the same one', () => {
  assert.equal(worthKeeping(undefined, entry('a', 'Synced')), true);
  assert.equal(worthKeeping(entry('a', 'Synced'), entry('b', 'Synced')), true, 'a bump');
  assert.equal(worthKeeping(entry('a', 'Synced'), entry('a', 'Synced')), false, 'a pass that found nothing new');
  assert.equal(worthKeeping(entry('a', 'Synced'), entry('a', 'Failed')), false, 'a self-heal that failed');
  assert.equal(worthKeeping(entry('a', 'Failed'), entry('a', 'Synced')), true, 'a retry that went through');
  assert.equal(worthKeeping(entry('a', 'Failed'), entry('a', 'Failed')), false);
  assert.equal(worthKeeping(entry('a', 'RolledBack'), entry('a', 'RolledBack')), false);
});

test('reading the file: a torn last line is skipped and named', () => {
  const good = JSON.stringify(entry('a', 'Synced'));
  const { entries, problems } = parseHistory(`${good}\n{"time":"2026-11-29T22:00:00.000Z","res\n`);
  assert.deepEqual(entries, [entry('a', 'Synced')]);
  assert.deepEqual(problems, ['line 2 is not a history entry; skipped']);
  assert.deepEqual(parseHistory(`${JSON.stringify({ ...entry('a', 'Synced'), result: 'Great' })}\n`).entries, []);
});

test('the store appends one line per kept entry, survives a new process, and compacts to the last entries', async () => {
  const dir = tempDir();
  const store = new StackHistoryStore(new StateDir(dir, true), 3);
  assert.deepEqual(await store.read('shop'), []);
  assert.equal(await store.record('shop', entry('a', 'Synced')), true);
  assert.equal(await store.record('shop', entry('a', 'Synced')), false);
  assert.equal(await store.record('shop', entry('b', 'Failed')), true);
  const file = join(dir, 'history', 'shop.jsonl');
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2);
  const restarted = new StackHistoryStore(new StateDir(dir, true), 3);
  assert.deepEqual(
    (await restarted.read('shop')).map((e) => e.digest),
    ['a', 'b'],
  );
  for (const digest of ['c', 'd', 'e', 'f']) await restarted.record('shop', entry(digest, 'Synced'));
  // 6 entries reached twice the 3 kept: the file now holds the last 3.
  assert.deepEqual(
    parseHistory(readFileSync(file, 'utf8')).entries.map((e) => e.digest),
    ['d', 'e', 'f'],
  );
  assert.deepEqual(
    (await restarted.read('shop')).map((e) => e.digest),
    ['d', 'e', 'f'],
  );
});

test('the store: concurrent records of one stack are written one after another; names that are not stacks are never files', async () => {
  const dir = tempDir();
  const store = new StackHistoryStore(new StateDir(dir, true));
  await Promise.all(['a', 'b', 'c', 'd'].map((digest) => store.record('shop', entry(digest, 'Synced'))));
  assert.deepEqual(
    parseHistory(readFileSync(join(dir, 'history', 'shop.jsonl'), 'utf8')).entries.map((e) => e.digest),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(await store.record('../escape', entry('a', 'Synced')), false);
  assert.deepEqual(await store.read('../escape'), []);
  // A crash tore the last line: it is skipped, and the next entry does not land on it.
  const torn = join(dir, 'history', 'torn.jsonl');
  writeFileSync(torn, `${JSON.stringify(entry('a', 'Synced'))}\n{"ti`);
  assert.deepEqual(
    (await store.read('torn')).map((e) => e.digest),
    ['a'],
  );
  await store.record('torn', entry('b', 'Synced'));
  assert.deepEqual(parseHistory(readFileSync(torn, 'utf8')), { entries: [entry('a', 'Synced'), entry('b', 'Synced')], problems: [] });
  const lookOnly = tempDir();
  await new StackHistoryStore(new StateDir(lookOnly, false)).record('shop', entry('a', 'Synced'));
  assert.equal(existsSync(join(lookOnly, 'history')), false, 'a read-only state directory is never written');
});
