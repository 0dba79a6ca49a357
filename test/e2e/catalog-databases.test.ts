/**
 * The bundled `mariadb` and `redis` templates end to end on the fleet, as users get them: a
 * merge adds stack requests with encrypted passwords, the daemon converges them, the status
 * shows `host:port`, and real clients from the root namespace (Debian's `mariadb` and
 * `redis-cli`) connect there. The mariadb stack is upgraded (1.0.0 → 1.1.0, a configuration
 * change), reverted and removed with its rows kept on the volume; redis answers PING only with
 * its password. No password ever appears in the daemon's log or API answers.
 */

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { Daemon, freePort, GitRemote, ROOT, waitFor } from './daemon-harness.js';
import { ensureFleet } from './fleet.js';
import { cleanup, clientOf, fleetHosts, uniqueName } from './sync-repo.js';

const run = promisify(execFile);
const DB = uniqueName('shop-db');
const CACHE = uniqueName('cache');
const ROOT_PASSWORD = `Root-${Math.random().toString(36).slice(2, 10)}`;
const USER_PASSWORD = `it's "Shop" ${Math.random().toString(36).slice(2, 8)}`;
const REDIS_PASSWORD = `Redis "pw" \\ ${Math.random().toString(36).slice(2, 8)}`;
const DB_PORT = 20000 + Math.floor(Math.random() * 10000);
const CACHE_PORT = DB_PORT + 10000;
/** Pulling an image, initialising a data directory and the first health checks on a busy machine. */
const CONVERGE_MS = 240_000;

let hosts: HostConfig[];
let configPath: string;
let keysDir: string;
let identityFile: string;
let remote: GitRemote;
let daemon: Daemon;

function corral(args: string[], input?: string): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORRAL_AGE_IDENTITY: identityFile },
    ...(input === undefined ? {} : { input }),
  });
  assert.equal(result.status, 0, `corral ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

function encrypted(value: string): string {
  return corral(['secret', 'encrypt', '--repo', remote.work], value).trim();
}

function dbRequest(version: string, extra = ''): string {
  return [
    '# A MariaDB for the shop, as a merge request adds it.',
    'template: mariadb',
    `version: ${version}`,
    'answers:',
    `  root_password: ${encrypted(ROOT_PASSWORD)}`,
    '  database: shop',
    '  user: shop',
    `  user_password: ${encrypted(USER_PASSWORD)}`,
    `  public_port: ${DB_PORT}`,
    extra,
  ].join('\n');
}

/**
 * The stack's status once it is Synced and Healthy at the version, with its endpoint, and its
 * one container passes the template's Docker health check (the server answers queries).
 */
function converged(stack: string, version: string): Promise<StackStatus> {
  return waitFor(
    `${stack} ${version} Synced and Healthy`,
    CONVERGE_MS,
    async () => {
      const status = await daemon.stack(stack);
      const ready = status?.sync === 'Synced' && status.health === 'Healthy' && status.version === version;
      if (!ready || status.endpoints.length === 0) return undefined;
      const containers = await containersOf(stack);
      if (containers.length !== 1 || containers[0]?.version !== version) return undefined;
      const { host, id } = containers[0];
      const inspected = await clientOf(host).getContainer(id).inspect();
      return inspected.State.Health?.Status === 'healthy' ? status : undefined;
    },
    1000,
  );
}

function endpointOf(status: StackStatus): { address: string; port: number } {
  const [endpoint] = status.endpoints;
  assert.ok(endpoint, `${status.name} has no endpoint`);
  return { address: endpoint.address, port: endpoint.port };
}

/** Debian's `mariadb` client from the root namespace; the password in the environment, not argv. */
async function sql(at: { address: string; port: number }, user: string, password: string, statement: string): Promise<string> {
  const args = [
    '-h',
    at.address,
    '-P',
    String(at.port),
    '-u',
    user,
    '--batch',
    '--skip-column-names',
    '--connect-timeout=5',
    '-e',
    statement,
  ];
  const { stdout } = await run('mariadb', args, { env: { ...process.env, MYSQL_PWD: password } });
  return stdout.trim();
}

/** Debian's `redis-cli` from the root namespace, the password in REDISCLI_AUTH; what it printed, whatever its exit code. */
async function redis(at: { address: string; port: number }, password: string | undefined, ...command: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password === undefined) delete env['REDISCLI_AUTH'];
  else env['REDISCLI_AUTH'] = password;
  const args = ['-h', at.address, '-p', String(at.port), '--no-raw', ...command];
  const { stdout, stderr } = await run('redis-cli', args, { env }).catch((err: { stdout?: string; stderr?: string }) => ({
    stdout: err.stdout ?? '',
    stderr: err.stderr ?? '',
  }));
  return `${stdout}${stderr}`.trim();
}

async function containersOf(stack: string): Promise<Array<{ host: HostConfig; id: string; version: string }>> {
  const found = await Promise.all(
    hosts.map(async (host) => {
      const list = await clientOf(host).listContainers({ all: true, filters: { label: [`${CorralLabel.stack}=${stack}`] } });
      return list.map((c) => ({ host, id: c.Id, version: c.Labels[CorralLabel.templateVersion] ?? '' }));
    }),
  );
  return found.flat();
}

before(async () => {
  configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, [DB, CACHE]);
  keysDir = mkdtempSync(join(tmpdir(), 'corral-db-keys-'));
  identityFile = join(keysDir, 'identity.txt');
  remote = new GitRemote().copy(join(ROOT, 'catalog'), 'catalog');
  corral(['secret', 'keygen', '-o', identityFile]);
  const recipient = /public key: (age1\S+)/.exec(readFileSync(identityFile, 'utf8'))?.[1];
  assert.ok(recipient, 'the identity file names its public key');
  remote.write('.corral/recipients.txt', `${recipient}\n`);
  remote.write(`stacks/${DB}/stack.yml`, dbRequest('1.0.0'));
  remote.write(
    `stacks/${CACHE}/stack.yml`,
    `template: redis\nanswers:\n  password: ${encrypted(REDIS_PASSWORD)}\n  memory_mb: 64\n  public_port: ${CACHE_PORT}\n`,
  );
  remote.push(`merge: request ${DB} (mariadb 1.0.0) and ${CACHE} (redis)`);
  daemon = new Daemon({
    repo: remote.bare,
    config: configPath,
    interval: 5,
    port: freePort(),
    env: { CORRAL_AGE_IDENTITY: identityFile },
  }).start();
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, [DB, CACHE]);
  remote?.destroy();
  if (keysDir) rmSync(keysDir, { recursive: true, force: true });
});

let dbAt: { address: string; port: number };

test('a mariadb request converges; the status shows host:port; the answered user creates a table and a row', async () => {
  const status = await converged(DB, '1.0.0');
  dbAt = endpointOf(status);
  assert.equal(dbAt.port, DB_PORT);
  assert.ok(
    hosts.some((host) => host.address === dbAt.address),
    `${dbAt.address} is a fleet host`,
  );
  const text = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), 'status', DB, '--server', daemon.url], { encoding: 'utf8' });
  assert.ok(text.stdout.includes(`${dbAt.address}:${DB_PORT}`), text.stdout + text.stderr);

  await sql(
    dbAt,
    'shop',
    USER_PASSWORD,
    'CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(64)); INSERT INTO shop.orders VALUES (1, "a corral")',
  );
  assert.equal(await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT item FROM shop.orders WHERE id = 1'), 'a corral');
  assert.equal(await sql(dbAt, 'root', ROOT_PASSWORD, 'SELECT COUNT(*) FROM shop.orders'), '1');
  await assert.rejects(sql(dbAt, 'shop', 'not-the-password', 'SELECT 1'), /Access denied for user 'shop'/);
  assert.equal(await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT @@max_connections'), '151', "1.0.0 runs with MariaDB's default");
});

test('the version bump upgrades the server in place (its configuration applied) and the row survives', async () => {
  const [before] = await containersOf(DB);
  remote.write(`stacks/${DB}/stack.yml`, dbRequest('1.1.0', '  max_connections: 250\n'));
  remote.push(`${DB}: mariadb 1.1.0`);
  const status = await converged(DB, '1.1.0');
  assert.deepEqual(endpointOf(status), dbAt, 'the same host and port');
  const [after] = await containersOf(DB);
  assert.ok(before && after);
  assert.notEqual(after.id, before.id, 'the container was replaced');
  assert.equal(after.version, '1.1.0');
  assert.equal(after.host.name, before.host.name, 'on the same host, where its volume is');
  assert.equal(await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT @@max_connections'), '250');
  assert.equal(await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT item FROM shop.orders WHERE id = 1'), 'a corral');
});

test('the revert returns to 1.0.0 with the row intact', async () => {
  remote.revert();
  await converged(DB, '1.0.0');
  assert.equal(await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT @@max_connections'), '151');
  await sql(dbAt, 'shop', USER_PASSWORD, 'INSERT INTO shop.orders VALUES (2, "after the revert")');
  assert.equal(
    await sql(dbAt, 'shop', USER_PASSWORD, 'SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders'),
    'a corral,after the revert',
  );
});

test('a redis request answers PING with its password; a wrong or missing password is refused; data outlives a restart', async () => {
  const at = endpointOf(await converged(CACHE, '1.0.0'));
  assert.equal(at.port, CACHE_PORT);
  assert.equal(await redis(at, REDIS_PASSWORD, 'PING'), 'PONG');
  const wrong = await redis(at, 'wrong', 'PING');
  assert.match(wrong, /WRONGPASS/);
  assert.doesNotMatch(wrong, /PONG/);
  const missing = await redis(at, undefined, 'PING');
  assert.match(missing, /NOAUTH/);
  assert.doesNotMatch(missing, /PONG/);
  assert.equal(await redis(at, REDIS_PASSWORD, 'CONFIG', 'GET', 'maxmemory'), '1) "maxmemory"\n2) "50331648"', 'three quarters of 64 MiB');
  const [container] = await containersOf(CACHE);
  assert.ok(container);
  assert.equal((await clientOf(container.host).getContainer(container.id).inspect()).HostConfig.Memory, 64 * 1024 * 1024);

  assert.equal(await redis(at, REDIS_PASSWORD, 'SET', 'greeting', 'hello'), 'OK');
  await clientOf(container.host).getContainer(container.id).restart({ t: 10 });
  await waitFor('redis back after a restart', 60_000, async () => (await redis(at, REDIS_PASSWORD, 'PING')) === 'PONG', 500);
  assert.equal(await redis(at, REDIS_PASSWORD, 'GET', 'greeting'), '"hello"', 'the append-only file on the volume kept it');
});

test('removing the mariadb request removes its container and keeps its volume', async () => {
  const [running] = await containersOf(DB);
  assert.ok(running);
  remote.remove(`stacks/${DB}`);
  remote.push(`${DB}: removed`);
  await waitFor(`${DB}'s containers removed`, CONVERGE_MS, async () => (await containersOf(DB)).length === 0, 500);
  const volume = await clientOf(running.host).getVolume(`${DB}_data`).inspect();
  assert.equal(volume.Name, `${DB}_data`, 'the data volume stays, as Rancher kept it');

  const answers = await Promise.all(['/api/v1/stacks', '/metrics'].map(async (path) => (await fetch(`${daemon.url}${path}`)).text()));
  for (const text of [...answers, daemon.log])
    for (const secret of [ROOT_PASSWORD, USER_PASSWORD, REDIS_PASSWORD])
      assert.equal(text.includes(secret), false, 'a password in the daemon output');
});
