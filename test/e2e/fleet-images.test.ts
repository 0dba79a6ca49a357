/**
 * The fleet's images built from Debian packages (issues 13 and 14): corral/mariadb:10 starts on
 * a fleet host, initialises its data directory from MARIADB_* variables, runs as a non-root
 * user, becomes healthy by its HEALTHCHECK (a query over TCP, failing when the server does not
 * answer) and takes a `mariadb` client from the root namespace with the answered user and
 * password; corral/node:20 runs `node -e` and npm. Every container made here is removed.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureFleet, type FleetHost, type FleetInfo } from './fleet.js';

const run = promisify(execFile);
const TEST_LABEL = 'corral.e2e=fleet-images-test';
const runId = Math.random().toString(36).slice(2, 7);
let fleet: FleetInfo;
const made: Array<{ host: FleetHost; id: string }> = [];

async function docker(host: FleetHost, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', host.docker, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function hostNamed(name: string): FleetHost {
  const host = fleet.hosts.find((candidate) => candidate.name === name);
  assert.ok(host, `the fleet has no host ${name}`);
  return host;
}

/** The `mariadb` client from the root namespace; the password goes in the environment, not argv. */
async function mariadb(host: FleetHost, port: string, user: string, password: string, sql: string): Promise<string> {
  const { stdout } = await run('mariadb', ['-h', host.address, '-P', port, '-u', user, '--batch', '--skip-column-names', '-e', sql], {
    env: { ...process.env, MYSQL_PWD: password },
  });
  return stdout.trim();
}

async function until<T>(what: string, seconds: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what} within ${seconds} s; last: ${(last as Error)?.message}`);
}

before(async () => {
  fleet = await ensureFleet();
});

after(async () => {
  await Promise.all(made.map(({ host, id }) => docker(host, 'rm', '-f', '-v', id)));
  for (const host of fleet?.hosts ?? []) assert.equal(await docker(host, 'ps', '-aq', '--filter', `label=${TEST_LABEL}`), '', host.name);
});

test('corral/mariadb:10 initialises from MARIADB_* variables as user mysql; a client from the root namespace writes a row', async () => {
  const h2 = hostNamed('h2');
  const password = `pw'${runId}"\\x`;
  const id = await docker(
    h2,
    'run',
    '-d',
    '--label',
    TEST_LABEL,
    '--name',
    `fleet-mariadb-${runId}`,
    '--pull',
    'always',
    '-p',
    '3306',
    '-e',
    `MARIADB_ROOT_PASSWORD=root-${runId}`,
    '-e',
    'MARIADB_DATABASE=shop',
    '-e',
    'MARIADB_USER=app',
    '-e',
    `MARIADB_PASSWORD=${password}`,
    fleet.images.mariadb,
  );
  made.push({ host: h2, id });
  const port = /:(\d+)$/m.exec(await docker(h2, 'port', id, '3306/tcp'))?.[1];
  assert.ok(port, 'no published port for 3306');

  const version = await until('mariadb answers the user app', 60, () => mariadb(h2, port, 'app', password, 'SELECT VERSION()'));
  assert.match(version, /^10\.11\./);
  await mariadb(
    h2,
    port,
    'app',
    password,
    'CREATE TABLE shop.orders (id INT PRIMARY KEY, item TEXT); INSERT INTO shop.orders VALUES (1, "corral")',
  );
  assert.equal(await mariadb(h2, port, 'app', password, 'SELECT item FROM shop.orders WHERE id = 1'), 'corral');
  assert.equal(await mariadb(h2, port, 'root', `root-${runId}`, 'SELECT COUNT(*) FROM shop.orders'), '1');
  await assert.rejects(mariadb(h2, port, 'app', 'wrong', 'SELECT 1'), /Access denied for user 'app'/);

  assert.equal(await docker(h2, 'exec', id, 'id', '-un'), 'mysql', 'mariadbd runs as mysql');
  // The image's HEALTHCHECK logs in over TCP with its own account and asks for InnoDB.
  await until('the container is healthy', 120, async () => {
    assert.equal(await docker(h2, 'inspect', '-f', '{{.State.Health.Status}}', id), 'healthy');
  });
  assert.equal(await docker(h2, 'exec', id, 'stat', '-c', '%a %U', '/var/lib/mysql/.my-healthcheck.cnf'), '600 mysql');
  await docker(h2, 'exec', id, 'healthcheck.sh');
  // With the server frozen (SIGSTOP from outside its PID namespace) the check fails: it needs answers, not a process.
  const serverPid = Number(await docker(h2, 'inspect', '-f', '{{.State.Pid}}', id));
  process.kill(serverPid, 'SIGSTOP');
  try {
    await assert.rejects(docker(h2, 'exec', id, 'timeout', '20', 'healthcheck.sh'), 'healthcheck.sh passed against a stopped server');
  } finally {
    process.kill(serverPid, 'SIGCONT');
  }
  await docker(h2, 'exec', id, 'healthcheck.sh');
  const logs = await docker(h2, 'logs', id);
  assert.match(logs, /corral\/mariadb: initialised/);
  assert.equal(logs.includes(password) || logs.includes(`root-${runId}`), false, 'a password in the logs');
});

test('corral/mariadb:10 without a root password refuses to initialise, saying what to set', async () => {
  const h3 = hostNamed('h3');
  const { stdout, stderr } = await run('docker', ['-H', h3.docker, 'run', '--rm', '--label', TEST_LABEL, fleet.images.mariadb]).catch(
    (err: { stdout: string; stderr: string }) => err,
  );
  assert.match(stdout + stderr, /set MARIADB_ROOT_PASSWORD \(or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1\)/);
});

test('corral/node:20 runs node -e and npm, with CA certificates, as root or as user node', async () => {
  const h3 = hostNamed('h3');
  const script = "const fs = require('fs'); console.log(process.version, fs.statSync('/etc/ssl/certs/ca-certificates.crt').size > 0)";
  const out = await docker(h3, 'run', '--rm', '--label', TEST_LABEL, '--pull', 'always', fleet.images.node, 'node', '-e', script);
  assert.match(out, /^v20\.\d+\.\d+ true$/);
  assert.match(
    await docker(h3, 'run', '--rm', '--label', TEST_LABEL, '--user', 'node', fleet.images.node, 'npm', '--version'),
    /^\d+\.\d+\.\d+$/,
  );
  assert.equal(await docker(h3, 'run', '--rm', '--label', TEST_LABEL, fleet.images.node, 'sh', '-c', 'echo $((6 * 7))'), '42');
});
