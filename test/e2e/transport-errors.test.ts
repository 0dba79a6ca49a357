/**
 * Remote endpoints that refuse corral, against the fleet's real dockerd (TLS) and sshd: a
 * server certificate from another CA, a client certificate from another CA, an expired client
 * certificate, an unknown host key, a changed host key and a refused key. Each is reported as
 * that host being unreachable with a sentence naming the host and the file to fix; `corral plan`
 * says the same, and no key or certificate content ever appears in its output.
 */

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { observe } from '../../src/observe/index.js';
import { ensureFleet, FLEET_DIR, type FleetHost } from './fleet.js';
import { TestRepo } from './sync-repo.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'corral-transport-'));
const FLEET_TLS = `${FLEET_DIR}/tls`;
const FLEET_SSH = `${FLEET_DIR}/ssh`;
let h1: FleetHost;
const repo = new TestRepo().template('sleeper', "version: '2'\nservices:\n  app:\n    image: busybox\n");

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args);
}

async function newKey(path: string): Promise<void> {
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path);
}

/** A client certificate signed by the given CA; `days: -1` makes one that expired yesterday. */
async function clientCert(name: string, ca: { cert: string; key: string }, days: number): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}.pem`);
  await newKey(key);
  await openssl('req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${cert}.csr`);
  writeFileSync(`${cert}.ext`, 'extendedKeyUsage=clientAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    `${cert}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    '7',
    '-days',
    String(days),
    '-extfile',
    `${cert}.ext`,
    '-out',
    cert,
  );
  return { cert, key };
}

/** A one-host config for h1 with the given endpoint lines. */
function configWith(name: string, endpoint: string): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, `hosts:\n  - name: h1\n    address: ${h1.address}\n${endpoint}`);
  return file;
}

/** What observe says of h1 through the config. */
async function h1Error(configFile: string): Promise<string | undefined> {
  const [host] = (await observe((await loadConfig(configFile)).hosts)).hosts;
  assert.equal(host?.reachable, false, `h1 answered through ${configFile}`);
  return host?.error;
}

/** `corral plan` through the config: it names the host; nothing secret is printed. */
function planOutput(configFile: string): string {
  const plan = spawnSync(process.execPath, ['bin/corral', 'plan', '--repo', repo.dir, '--config', configFile], { encoding: 'utf8' });
  return plan.stdout + plan.stderr;
}

const secrets: string[] = [];
function assertNoSecrets(output: string): void {
  assert.doesNotMatch(output, /PRIVATE KEY|BEGIN CERTIFICATE/);
  for (const secret of secrets) assert.equal(output.includes(secret), false, 'key material in the output');
}

/** The base64 body of every PEM or OpenSSH key file, to look for in outputs. */
function rememberSecret(path: string): void {
  const body = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .join('');
  secrets.push(body.slice(0, 40), body.slice(-40));
}

before(async () => {
  const fleet = await ensureFleet();
  h1 = fleet.hosts[0] as FleetHost;
  repo.stack('transport-errors', 'sleeper');
  for (const file of ['key.pem', 'cert.pem', 'ca.pem']) rememberSecret(join(FLEET_TLS, file));
  rememberSecret(join(FLEET_SSH, 'id_ed25519'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  repo.remove();
});

test('TLS: a CA that did not sign the server is refused, naming the host and the CA file', async () => {
  const otherCa = { cert: join(dir, 'other-ca.pem'), key: join(dir, 'other-ca-key.pem') };
  await newKey(otherCa.key);
  await openssl('req', '-x509', '-new', '-key', otherCa.key, '-subj', '/CN=another CA', '-days', '30', '-out', otherCa.cert);
  const config = configWith(
    'wrong-ca',
    `    docker: tcp://${h1.address}:2376\n    tls: {ca: ${otherCa.cert}, cert: ${FLEET_TLS}/cert.pem, key: ${FLEET_TLS}/key.pem}\n`,
  );
  const expected = `tcp://${h1.address}:2376: TLS: the server's certificate is not signed by the CA in ${otherCa.cert}`;
  assert.equal(await h1Error(config), expected);
  const output = planOutput(config);
  assert.ok(output.includes(`host h1 unreachable: ${expected}`), output);
  assertNoSecrets(output);
});

test('TLS: a client certificate of another CA, and an expired one of the fleet CA, are refused by the server', async () => {
  const otherCa = { cert: join(dir, 'rogue-ca.pem'), key: join(dir, 'rogue-ca-key.pem') };
  await newKey(otherCa.key);
  await openssl('req', '-x509', '-new', '-key', otherCa.key, '-subj', '/CN=rogue CA', '-days', '30', '-out', otherCa.cert);
  const rogue = await clientCert('rogue', otherCa, 30);
  const rogueConfig = configWith(
    'rogue-client',
    `    docker: tcp://${h1.address}:2376\n    tls: {ca: ${FLEET_TLS}/ca.pem, cert: ${rogue.cert}, key: ${rogue.key}}\n`,
  );
  assert.equal(
    await h1Error(rogueConfig),
    `tcp://${h1.address}:2376: TLS: the server refused the client certificate ${rogue.cert}: it is not signed by a CA the server trusts`,
  );

  const expired = await clientCert('expired', { cert: `${FLEET_TLS}/ca.pem`, key: `${FLEET_TLS}/ca-key.pem` }, -1);
  const expiredConfig = configWith(
    'expired-client',
    `    docker: tcp://${h1.address}:2376\n    tls: {ca: ${FLEET_TLS}/ca.pem, cert: ${expired.cert}, key: ${expired.key}}\n`,
  );
  const error = await h1Error(expiredConfig);
  assert.match(error ?? '', new RegExp(`^tcp://${h1.address}:2376: TLS: the server refused the client certificate ${expired.cert}: it `));
  rememberSecret(expired.key);
  const output = planOutput(expiredConfig);
  assert.ok(output.includes(`host h1 unreachable: ${error}`), output);
  assertNoSecrets(output);
});

test('ssh: an unknown host key and a changed host key are refused, naming the host and the known_hosts file', async () => {
  const emptyKnownHosts = join(dir, 'known_hosts.empty');
  writeFileSync(emptyKnownHosts, '# no hosts yet\n');
  const unknown = configWith(
    'unknown-host',
    `    docker: ssh://root@${h1.address}\n    ssh: {identity: ${FLEET_SSH}/id_ed25519, known_hosts: ${emptyKnownHosts}}\n`,
  );
  assert.match(
    (await h1Error(unknown)) ?? '',
    new RegExp(
      `^ssh root@${h1.address}:22: the host key \\(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\\) is not in ${emptyKnownHosts}; after checking it, add`,
    ),
  );

  // h1 listed with h2's key: what a reinstalled host (or someone in between) looks like.
  const h2Line = readFileSync(`${FLEET_SSH}/known_hosts`, 'utf8')
    .split('\n')
    .find((line) => line.startsWith('10.99.0.12 '));
  const changedKnownHosts = join(dir, 'known_hosts.changed');
  writeFileSync(changedKnownHosts, `${h2Line?.replace('10.99.0.12', h1.address)}\n`);
  const changed = configWith(
    'changed-host',
    `    docker: ssh://root@${h1.address}\n    ssh: {identity: ${FLEET_SSH}/id_ed25519, known_hosts: ${changedKnownHosts}}\n`,
  );
  const error = (await h1Error(changed)) ?? '';
  assert.match(error, new RegExp(`does not match the ssh-ed25519 key for ${h1.address} in ${changedKnownHosts} line 1`));
  const output = planOutput(changed);
  assert.ok(output.includes(`host h1 unreachable: ${error}`), output);
  assertNoSecrets(output);
});

test('ssh: a key the server does not know is refused, naming the host and the key file', async () => {
  const stranger = join(dir, 'id_stranger');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  rememberSecret(stranger);
  const config = configWith(
    'refused-key',
    `    docker: ssh://root@${h1.address}\n    ssh: {identity: ${stranger}, known_hosts: ${FLEET_SSH}/known_hosts}\n`,
  );
  const expected = `ssh root@${h1.address}:22: the server refused the key ${stranger} (is its public key in the user's authorized_keys?)`;
  assert.equal(await h1Error(config), expected);
  const output = planOutput(config);
  assert.ok(output.includes(`host h1 unreachable: ${expected}`), output);
  assertNoSecrets(output);
});
