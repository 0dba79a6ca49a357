import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/config.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { errorsOf, FILE } from './errors.js';

test('an ssh host takes an identity and a known_hosts file', () => {
  const result = parseConfig(
    'hosts:\n  - name: h1\n    docker: ssh://root@10.99.0.11\n    ssh: {identity: ssh/id_ed25519, known_hosts: ssh/known_hosts}\n',
    FILE,
  );
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.config?.hosts[0]?.docker, {
    kind: 'ssh',
    url: 'ssh://root@10.99.0.11',
    host: '10.99.0.11',
    port: 22,
    username: 'root',
    ssh: { identity: 'ssh/id_ed25519', knownHosts: 'ssh/known_hosts' },
  });
});

test('both ssh files are optional (the agent and ~/.ssh/known_hosts then)', () => {
  const result = parseConfig(
    'hosts:\n  - name: h1\n    docker: ssh://deploy@h1:2222\n    ssh: {known_hosts: /etc/corral/known_hosts}\n',
    FILE,
  );
  assert.deepEqual(result.config?.hosts[0]?.docker, {
    kind: 'ssh',
    url: 'ssh://deploy@h1:2222',
    host: 'h1',
    port: 2222,
    username: 'deploy',
    ssh: { knownHosts: '/etc/corral/known_hosts' },
  });
});

test('a wrong ssh section names the field and what is accepted', () => {
  assert.deepEqual(errorsOf('hosts:\n  - name: h1\n    docker: ssh://h1\n    ssh: {identity: a, password: hunter2}\n'), [
    'corral.yml:4: error: hosts[0].ssh.password: unknown key; accepted: identity, known_hosts',
  ]);
  assert.deepEqual(errorsOf('hosts:\n  - name: h1\n    docker: ssh://h1\n    ssh: {identity: 3}\n'), [
    'corral.yml:4: error: hosts[0].ssh.identity: expected a file path',
  ]);
  assert.deepEqual(errorsOf('hosts:\n  - name: h1\n    docker: ssh://h1\n    ssh: id_ed25519\n'), [
    'corral.yml:4: error: hosts[0].ssh: expected a mapping with identity and known_hosts file paths',
  ]);
  assert.deepEqual(errorsOf('hosts:\n  - name: h1\n    docker: tcp://h1:2376\n    ssh: {identity: a}\n'), [
    'corral.yml:4: error: hosts[0].ssh: only an ssh:// endpoint uses ssh files',
  ]);
});

test('the loader resolves ssh and TLS paths against the config file and names a file it cannot read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-config-'));
  for (const name of ['id', 'known', 'ca.pem', 'cert.pem']) writeFileSync(join(dir, name), 'x');
  const file = join(dir, 'corral.yml');
  writeFileSync(
    file,
    'hosts:\n  - name: h1\n    docker: ssh://root@h1\n    ssh: {identity: id, known_hosts: known}\n  - name: h2\n    docker: tcp://h2:2376\n    tls: {ca: ca.pem, cert: cert.pem, key: key.pem}\n',
  );
  await assert.rejects(loadConfig(file), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, `${file}: hosts[1].tls.key: cannot read ${join(dir, 'key.pem')} (ENOENT)`);
    return true;
  });
  writeFileSync(join(dir, 'key.pem'), 'x');
  const config = await loadConfig(file);
  assert.deepEqual(config.hosts[0]?.docker.kind === 'ssh' && config.hosts[0].docker.ssh, {
    identity: join(dir, 'id'),
    knownHosts: join(dir, 'known'),
  });
});
