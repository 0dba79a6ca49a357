import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerName } from '../src/model/naming.js';

test('container names follow <stack>-<service>-<n>, sidekicks <stack>-<primary>-<sidekick>-<n>', () => {
  assert.equal(containerName('web', 'nginx', 2), 'web-nginx-2');
  assert.equal(containerName('c', 'consul-base', 1, 'consul'), 'c-consul-consul-base-1');
});
