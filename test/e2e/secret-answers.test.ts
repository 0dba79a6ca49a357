/**
 * An encrypted password answer end to end on the fleet: made with `corral secret keygen` and
 * `corral secret encrypt`, applied by `corral sync --once` and by the daemon. The container
 * gets the plain value (docker inspect and docker exec); no plan (text or JSON), sync or
 * render output, API answer, metric or log line holds it. A second stack puts the value in
 * a scheduling rule no host satisfies, so that it would be quoted, lowercased, in messages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import { MASK } from '../../src/model/redact.js';
import { Daemon, freePort, GitRemote, ROOT, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts } from './sync-repo.js';

const PASSWORD = 'Sesame-Opens-4-E2E';
const APP = 'sec-app';
const PROBE = 'sec-probe';
const STACKS = [APP, PROBE];

const FILES: Record<string, string> = {
  'catalog/templates/vault/config.yml': 'name: vault\nversion: 1.0.0\n',
  'catalog/templates/vault/0/docker-compose.yml': `app:\n  image: ${IMAGES.busybox}\n  command: ["sleep", "3600"]\n  stop_grace_period: 1s\n  environment:\n    DB_PASSWORD: \${db_password}\n`,
  'catalog/templates/vault/0/rancher-compose.yml':
    '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: db_password\n      type: password\n      required: true\n      min_length: 12\n',
  'catalog/templates/probe/config.yml': 'name: probe\nversion: 1.0.0\n',
  'catalog/templates/probe/0/docker-compose.yml': `app:\n  image: ${IMAGES.busybox}\n  command: ["sleep", "3600"]\n  labels:\n    io.rancher.scheduler.affinity:host_label: pw=\${db_password}\n`,
  'catalog/templates/probe/0/rancher-compose.yml':
    '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: db_password\n      type: password\n      required: true\n',
};

let hosts: HostConfig[];
let configPath: string;
let keysDir: string;
let identityFile: string;
let remote: GitRemote;
let daemon: Daemon | undefined;

function corral(args: string[], options: { input?: string; withKey?: boolean } = {}) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORRAL_AGE_IDENTITY: options.withKey === false ? '' : identityFile },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, all: result.stdout + result.stderr };
}

/** The value in any letter case: the scheduler lowercases label values it quotes. */
function assertHidden(text: string, where: string): void {
  assert.ok(!text.toLowerCase().includes(PASSWORD.toLowerCase()), `${where} shows the password:\n${text}`);
}

async function containerOf(stack: string): Promise<Docker.Container> {
  for (const host of hosts) {
    const [found] = await clientOf(host).listContainers({ all: true, filters: { label: [`${CorralLabel.stack}=${stack}`] } });
    if (found) return clientOf(host).getContainer(found.Id);
  }
  throw new Error(`no container of ${stack} on the fleet`);
}

async function execOutput(container: Docker.Container, command: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  container.modem.demuxStream(stream, stdout, new PassThrough());
  await new Promise((resolve) => stream.on('end', resolve));
  return text;
}

before(async () => {
  configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, STACKS);
  keysDir = mkdtempSync(join(tmpdir(), 'corral-keys-'));
  identityFile = join(keysDir, 'identity.txt');
  remote = new GitRemote();
  for (const [path, text] of Object.entries(FILES)) remote.write(path, text);
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, STACKS);
  remote?.destroy();
  rmSync(keysDir, { recursive: true, force: true });
});

test('keygen and encrypt make the answer; validate accepts it with and without the key', () => {
  const keygen = corral(['secret', 'keygen', '-o', identityFile]);
  assert.equal(keygen.code, 0, keygen.all);
  const recipient = /public key: (age1\S+)/.exec(keygen.stderr)?.[1] ?? '';
  remote.write('.corral/recipients.txt', `${recipient}\n`);
  const encrypted = corral(['secret', 'encrypt', '--repo', remote.work], { input: `${PASSWORD}\n` });
  assert.equal(encrypted.code, 0, encrypted.all);
  const answer = encrypted.stdout.trim();
  assert.match(answer, /^ENC\[age,/);
  remote.write(`stacks/${APP}/stack.yml`, `template: vault\nanswers:\n  db_password: ${answer}\n`);
  remote.write(`stacks/${PROBE}/stack.yml`, `template: probe\nanswers:\n  db_password: ${answer}\n`);
  remote.push('two stacks with an encrypted password');

  const withoutKey = corral(['validate', '--repo', remote.work], { withKey: false });
  assert.equal(withoutKey.code, 0, withoutKey.all);
  assert.match(withoutKey.stdout, /answers\.db_password: encrypted: .*not checked without CORRAL_AGE_IDENTITY: min_length 12/);
  const withKey = corral(['validate', '--repo', remote.work]);
  assert.equal(withKey.code, 0, withKey.all);
  for (const output of [keygen, encrypted, withoutKey, withKey]) assertHidden(output.all, 'secret/validate');
});

test('plan (text and JSON) and sync --once mask the value; the container gets it in plain', async () => {
  const repo = ['--repo', remote.work, '--config', configPath];
  const planText = corral(['plan', ...repo, '--stack', APP]);
  assert.equal(planText.code, 0, planText.all);
  assert.match(planText.stdout, /CreateContainer sec-app-app-1/);
  const planJson = corral(['plan', ...repo, '--stack', APP, '--format', 'json']);
  const create = (
    JSON.parse(planJson.stdout) as { plan: { operations: { kind: string; container?: { Env?: string[] } }[] } }
  ).plan.operations.find((op) => op.kind === 'CreateContainer');
  assert.ok(create?.container?.Env?.includes(`DB_PASSWORD=${MASK}`), JSON.stringify(create));
  const probePlan = corral(['plan', ...repo, '--stack', PROBE]);
  assert.match(probePlan.all, new RegExp(`pw=${MASK.replace(/\*/g, '\\*')}`), probePlan.all);

  const sync = corral(['sync', '--once', ...repo, '--stack', APP]);
  assert.equal(sync.code, 0, sync.all);
  const probeSync = corral(['sync', '--once', ...repo, '--stack', PROBE]);
  assert.equal(probeSync.code, 1, 'no host satisfies the probe');
  assert.match(probeSync.all, /no host satisfies/);
  const rendered = corral(['render', APP, '--repo', remote.work, '--format', 'json']);
  assert.equal(rendered.code, 0, rendered.all);
  for (const output of [planText, planJson, probePlan, sync, probeSync, rendered]) assertHidden(output.all, 'plan/sync/render');

  const container = await containerOf(APP);
  const inspected = await container.inspect();
  assert.ok(inspected.State.Running);
  assert.ok(inspected.Config.Env.includes(`DB_PASSWORD=${PASSWORD}`), 'docker inspect shows the plain value in the environment');
  assert.equal(await execOutput(container, ['sh', '-c', 'printf %s "$DB_PASSWORD"']), PASSWORD);
  for (const [key, value] of Object.entries(inspected.Config.Labels ?? {})) assertHidden(`${key}=${value}`, 'a container label');
});

test('the daemon converges with the key; no API answer, metric or log line holds the value', async () => {
  daemon = new Daemon({
    repo: remote.bare,
    config: configPath,
    interval: 60,
    port: freePort(),
    env: { CORRAL_AGE_IDENTITY: identityFile },
  }).start();
  const running = daemon;
  await waitFor('sec-app Synced and Healthy', 30_000, async () => {
    const status = await running.stack(APP);
    return status?.sync === 'Synced' && status.health === 'Healthy';
  });
  const probe = await waitFor('the probe Failed', 30_000, async () => {
    const status = await running.stack(PROBE);
    return status?.sync === 'Failed' ? status : undefined;
  });
  assert.match(JSON.stringify(probe), new RegExp(`pw=${MASK.replace(/\*/g, '\\*')}`), 'the rule is quoted, masked');
  assert.equal((await running.sync(APP)).status, 202);
  const answers = await Promise.all(
    ['/api/v1/stacks', `/api/v1/stacks/${APP}`, `/api/v1/stacks/${PROBE}`, '/metrics'].map(async (path) =>
      (await fetch(`${running.url}${path}`)).text(),
    ),
  );
  await running.stop('SIGTERM');
  assert.match(running.log, /"message":"new revision"/);
  for (const text of [...answers, running.log]) assertHidden(text, 'the daemon');
  assert.ok((await (await containerOf(APP)).inspect()).Config.Env.includes(`DB_PASSWORD=${PASSWORD}`), 'the daemon kept the container');
});
