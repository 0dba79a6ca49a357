import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const HOSTS = 'hosts:\n  - name: h1\n    docker: unix:///run/docker.sock\n';

test('api: read access and the connection cap; absent, the defaults apply (reads open, 64 connections)', () => {
  assert.equal(parseConfig(HOSTS, 'corral.yml').config?.api, undefined);
  assert.deepEqual(parseConfig(`${HOSTS}api:\n  read: token\n  max_connections: 16\n`, 'corral.yml').config?.api, {
    read: 'token',
    maxConnections: 16,
  });
  assert.deepEqual(parseConfig(`${HOSTS}api: {read: open}\n`, 'corral.yml').config?.api, { read: 'open', maxConnections: 64 });
});

test('api: a bad value or an unknown key is refused with the file, the line, the key and what is accepted', () => {
  const result = parseConfig(`${HOSTS}api:\n  read: closed\n  max_connections: 0\n  token: hunter2\n`, 'corral.yml');
  assert.equal(result.config, undefined);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    'corral.yml:7: error: api.token: unknown key; accepted: read, max_connections',
    'corral.yml:5: error: api.read: expected open (status and metrics need no token) or token (they need CORRAL_API_TOKEN), got "closed"',
    'corral.yml:6: error: api.max_connections: expected a whole number from 1 to 10000, got 0',
  ]);
  assert.match(
    formatDiagnostic(parseConfig(`${HOSTS}api: token\n`, 'corral.yml').diagnostics[0] ?? { severity: 'error', file: '', message: '' }),
    /api: expected a mapping/,
  );
});
