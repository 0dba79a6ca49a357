/**
 * A create operation's body (`container`) and `configHash` are built when first read: everything
 * that reads an operation — JSON (`corral plan --format json`, stack history), a spread or
 * Object.keys, redaction, structuredClone, apply — sees what a plain object made at plan time shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CorralLabel } from '../../src/model/labels.js';
import { MASK, redactValue } from '../../src/model/redact.js';
import { type Operation, plan } from '../../src/plan/index.js';
import { createContainerOperation } from '../../src/plan/operations.js';
import type { ContainerCreateSpec } from '../../src/plan/types.js';
import { host, live, placement, stack } from './fixtures.js';

const SECRET = 's3cret-value';

/** A stack with a secret in its environment, two instances and a sidekick; an upgrade of another. */
function createsOf(): Extract<Operation, { kind: 'CreateContainer' }>[] {
  const desired = stack('web', {
    app: { ports: ['8080:80'], scale: 2, environment: { PASSWORD: SECRET }, sidekicks: ['log'] },
    log: { command: 'sleep 1' },
  });
  desired.variables = { password: SECRET };
  desired.secretVariables = ['password'];
  const upgrade = { batchSize: 1, intervalMs: 1000, startFirst: false, minReadyMs: 2000 };
  const before = stack('up', { app: { image: 'app:1', upgrade } });
  const after = stack('up', { app: { image: 'app:2', upgrade } });
  const result = plan(
    [desired, after],
    [
      placement('web', [
        ['app', 1, 'h1'],
        ['app', 2, 'h2'],
      ]),
      placement('up', [['app', 1, 'h1']]),
    ],
    {
      hosts: [host('h1', { networks: ['corral-up'], images: ['app:1', 'app:2'], containers: live(before, 'app', 1, 'h1') }), host('h2')],
    },
    { prune: true },
  );
  return result.operations.filter((op) => op.kind === 'CreateContainer');
}

/** The operation as the plan made it before its body was built when read: a plain object, in the same key order. */
function eager(op: Extract<Operation, { kind: 'CreateContainer' }>): Record<string, unknown> {
  const plain: Record<string, unknown> = {
    kind: op.kind,
    host: op.host,
    target: op.target,
    stack: op.stack,
    dependsOn: op.dependsOn,
    cause: op.cause,
    unit: op.unit,
    container: op.container,
    configHash: op.configHash,
    id: op.id,
  };
  if (op.upgrade) plain['upgrade'] = true;
  return plain;
}

const KEYS = ['kind', 'host', 'target', 'stack', 'dependsOn', 'cause', 'unit', 'container', 'configHash', 'id'];

test('a create operation holds its body and config hash as own, enumerable accessors, each read giving the same object', () => {
  const creates = createsOf();
  assert.deepEqual(creates.map((op) => op.target).sort(), ['up-app-1', 'web-app-1', 'web-app-2', 'web-app-log-1', 'web-app-log-2']);
  for (const op of creates) {
    for (const key of ['container', 'configHash']) {
      const descriptor = Object.getOwnPropertyDescriptor(op, key);
      assert.equal(typeof descriptor?.get, 'function', `${op.target}: ${key} is built when read`);
      assert.equal(descriptor?.enumerable, true);
    }
    assert.equal(op.container, op.container, 'built once');
    assert.equal(op.configHash, op.container.Labels[CorralLabel.configHash]);
    assert.equal(op.container.name, op.target);
  }
});

test('a create operation keeps no other property that JSON, a spread or Object.keys would see, in the order a plain object had', () => {
  for (const op of createsOf()) {
    const keys = op.upgrade ? [...KEYS, 'upgrade'] : KEYS;
    assert.deepEqual(Object.keys(op), keys);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(op))), keys);
    assert.equal(JSON.stringify(op), JSON.stringify(eager(op)));
    assert.equal(JSON.stringify(op, null, 2), JSON.stringify(eager(op), null, 2));
    assert.deepEqual(
      Object.getOwnPropertySymbols(op).filter((s) => Object.getOwnPropertyDescriptor(op, s)?.enumerable),
      [],
    );
  }
  assert.ok(
    createsOf().some((op) => op.upgrade),
    'an upgrade create is among them',
  );
});

test('a spread or structuredClone of a create operation is the plain operation, its body a value', () => {
  for (const op of createsOf()) {
    const spread = { ...op };
    assert.deepEqual(Object.keys(spread), Object.keys(op));
    assert.equal(Object.getOwnPropertyDescriptor(spread, 'container')?.value, op.container);
    assert.equal(Object.getOwnPropertyDescriptor(spread, 'configHash')?.value, op.configHash);
    assert.deepEqual(spread, eager(op));
    assert.deepEqual(Object.getOwnPropertySymbols(spread), []);
    const clone = structuredClone(op);
    assert.equal(JSON.stringify(clone), JSON.stringify(eager(op)));
    assert.deepEqual(Object.getOwnPropertySymbols(clone), []);
  }
});

test('redaction of a create operation masks a secret in its body as in the plain operation, and leaves the plan as it was', () => {
  const creates = createsOf();
  const app = creates.find((op) => op.target === 'web-app-1');
  assert.ok(app);
  assert.ok((app.container['Env'] as string[]).includes(`PASSWORD=${SECRET}`));
  for (const op of creates) {
    const redacted = redactValue(op, [SECRET]);
    assert.equal(JSON.stringify(redacted), JSON.stringify(redactValue(eager(op), [SECRET])));
    assert.equal(JSON.stringify(redacted).includes(SECRET), false);
  }
  const shown = redactValue({ operations: creates }, [SECRET]) as { operations: { target: string; container: ContainerCreateSpec }[] };
  const shownApp = shown.operations.find((op) => op.target === 'web-app-1');
  assert.ok(shownApp);
  assert.ok((shownApp.container['Env'] as string[]).includes(`PASSWORD=${MASK}`));
  assert.ok((app.container['Env'] as string[]).includes(`PASSWORD=${SECRET}`), 'the plan itself is not changed');
});

test('the body and hash are those of the container as corral creates it (the spec built on its own)', () => {
  const creates = createsOf();
  const desired = stack('web', {
    app: { ports: ['8080:80'], scale: 2, environment: { PASSWORD: SECRET }, sidekicks: ['log'] },
    log: { command: 'sleep 1' },
  });
  const [app, log] = live(desired, 'app', 2, 'h2');
  const created = new Map(creates.map((op) => [op.target, op]));
  assert.deepEqual(created.get('web-app-2')?.container.Labels, app?.labels);
  assert.equal(created.get('web-app-2')?.configHash, app?.owner?.configHash);
  assert.deepEqual(created.get('web-app-log-2')?.container.Labels, log?.labels);
});

test('a create operation made directly reads its spec only when asked, and a value set replaces the accessor in place', () => {
  let built = 0;
  const body: ContainerCreateSpec = { name: 'w-a-1', Image: 'i', Labels: {}, HostConfig: {} };
  const source = {
    get create() {
      built++;
      return body;
    },
    hash: 'abc',
  };
  const op = createContainerOperation(
    { host: 'h1', target: 'w-a-1', stack: 'w', dependsOn: ['#1'], cause: 'scale 0 → 1', unit: 'w-a-1' },
    source,
  );
  assert.equal(built, 0, 'not built by making the operation');
  assert.equal(op.container, body);
  assert.equal(built, 1);
  assert.equal(JSON.stringify(op), JSON.stringify({ ...op }));
  const other: ContainerCreateSpec = { ...body, Image: 'j' };
  op.container = other;
  op.configHash = 'def';
  assert.equal(op.container, other);
  assert.deepEqual(Object.keys(op), ['kind', 'host', 'target', 'stack', 'dependsOn', 'cause', 'unit', 'container', 'configHash']);
  assert.equal(JSON.parse(JSON.stringify(op)).configHash, 'def');
  assert.equal(Object.getOwnPropertyDescriptor(op, 'container')?.writable, true);
});
