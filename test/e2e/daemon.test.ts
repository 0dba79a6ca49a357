/**
 * `corral run` end to end: a real git remote the test pushes to, the daemon as a child
 * process, and the fleet's Docker hosts. The tests wait for what they expect with generous
 * deadlines (a loaded machine, overlay networks): they show what the daemon does, not how
 * fast. That healing follows Docker events, not the interval, is shown by a daemon that
 * checks only every hour.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import { Daemon, freePort, GitRemote, ROOT, WEB_TEMPLATE, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts, killOneContainer, placementOf } from './sync-repo.js';

const INTERVAL_S = 3;
/** The interval of the daemon that heals: longer than the whole file runs, so only a Docker event can start a heal. */
const HEALING_INTERVAL_S = 3600;
/** How long a change may take to converge on a loaded machine; no test asserts a speed. */
const CONVERGE_MS = 60_000;
/** stop_grace_period of the slow stack's containers: far longer than healing another stack may take. */
const SLOW_STOP_S = 300;
const SECRET = 'webhook-secret-for-tests';
let hosts: HostConfig[];
let remote: GitRemote;
let daemon: Daemon;
let configPath: string;
const stacks = ['dmn-a', 'dmn-b', 'dmn-c', 'dmn-big', 'dmn-slow'];

const running = async (stack: string) => (await placementOf(hosts, stack)).length;
const synced = (name: string) => async () => {
  const status = await daemon.stack(name);
  return status?.sync === 'Synced' && status.health === 'Healthy' ? status : undefined;
};

before(async () => {
  configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, stacks);
  remote = new GitRemote();
  remote.webTemplate(IMAGES.busybox).write('stacks/dmn-a/stack.yml', 'template: web\nanswers:\n  scale: 2\n').push('first stack');
  daemon = new Daemon({ repo: remote.bare, config: configPath, interval: INTERVAL_S, port: freePort(), webhookSecret: SECRET }).start();
  await waitFor('the first stack Synced', 2 * CONVERGE_MS, synced('dmn-a'));
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, stacks);
  remote?.destroy();
});

test('the status API lists the stack with revision, counts and endpoints a user can reach', async () => {
  const status = await daemon.stack('dmn-a');
  assert.ok(status);
  assert.match(status.revision ?? '', /^[0-9a-f]{40}$/);
  assert.deepEqual(
    status.services.map((s) => [s.name, s.desired, s.running, s.healthy, s.health, s.checkedBy]),
    [['web', 2, 2, 2, 'Healthy', 'running']],
  );
  assert.equal(status.endpoints.length, 2);
  for (const endpoint of status.endpoints) {
    const page = await (await fetch(`http://${endpoint.address}:${endpoint.port}/`)).text();
    assert.match(page, /^dmn-a-web-\d/);
  }
  const list = await daemon.stacks();
  assert.deepEqual(
    Object.keys(list[0] ?? {})
      .filter((k) => ['name', 'sync', 'health', 'revision', 'message'].includes(k))
      .sort(),
    ['health', 'message', 'name', 'revision', 'sync'],
  );
  const health = await fetch(`${daemon.url}/healthz`);
  assert.equal(health.status, 200);
  const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), 'status', '--server', daemon.url], { encoding: 'utf8' });
  assert.match(cli.stdout, /^STACK\s+SYNC\s+HEALTH\s+REVISION\s+ENDPOINTS\s+MESSAGE$/m);
  assert.match(
    cli.stdout,
    new RegExp(
      `^dmn-a\\s+Synced\\s+Healthy\\s+${status.revision?.slice(0, 8)}\\s+10\\.99\\.0\\.1\\d:\\d+,10\\.99\\.0\\.1\\d:\\d+\\s+converged$`,
      'm',
    ),
  );
  const detail = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), 'status', 'dmn-a', '--server', daemon.url], {
    encoding: 'utf8',
  });
  assert.match(detail.stdout, /^web\s+Healthy\s+2\s+2\s+2\s+0\s+0\s+running$/m);
  assert.match(detail.stdout, /^\s+dmn-a-web-1\s+h\d\s+running\s+healthy\s+(\d+[smhd]|-)\s+(0|-)\s+running$/m);
  assert.match(detail.stdout, /CreateContainer dmn-a-web-1/);
});

test('a pushed commit adding a stack converges without a webhook or a sync request', async () => {
  remote.write('stacks/dmn-b/stack.yml', 'template: web\n').push('add dmn-b');
  await waitFor('dmn-b running', CONVERGE_MS, synced('dmn-b'));
  assert.equal(await running('dmn-b'), 1);
});

// That an accepted webhook fetches at once, long before the interval, is shown by daemon-metrics.test.ts,
// whose daemon polls only every 60 s; here the interval is 3 s, so a deadline cannot tell the two apart.
test('a GitHub-signed webhook is accepted, a wrong token refused, and the announced push converges', async () => {
  const revision = remote.write('stacks/dmn-b/stack.yml', 'template: web\nanswers:\n  scale: 3\n').push('scale dmn-b to 3');
  const body = JSON.stringify({ ref: 'refs/heads/main', after: revision });
  const refused = await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-gitlab-token': 'wrong' }, body });
  assert.equal(refused.status, 401);
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const accepted = await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-hub-signature-256': signature }, body });
  assert.equal(accepted.status, 202);
  const status = await waitFor('dmn-b at 3', CONVERGE_MS, async () => {
    const s = await daemon.stack('dmn-b');
    return s?.revision === revision && s.services[0]?.running === 3 ? s : undefined;
  });
  assert.equal(status.sync, 'Synced');
});

test('a commit that breaks some stacks fails only those; the others keep converging', async () => {
  remote
    .write('stacks/dmn-b/stack.yml', 'template: web\nanswers: [broken\n')
    .write('stacks/dmn-c/stack.yml', 'template: no-such-template\n')
    .write('stacks/dmn-a/stack.yml', 'template: web\nanswers:\n  scale: 1\n')
    .push('break b, add a bad c, scale a down');
  await waitFor('a scaled to 1 while b and c fail', CONVERGE_MS, async () => {
    const [a, b, c] = [await daemon.stack('dmn-a'), await daemon.stack('dmn-b'), await daemon.stack('dmn-c')];
    return a?.services[0]?.running === 1 && a.sync === 'Synced' && b?.sync === 'Failed' && c?.sync === 'Failed' ? { b, c } : undefined;
  })
    .catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await daemon.stacks(), null, 1)}\n${daemon.log.slice(-3000)}`);
    })
    .then(({ b, c }) => {
      assert.match(b.message, /stacks\/dmn-b\/stack.yml:\d+: YAML syntax error/);
      assert.match(c.message, /unknown template "no-such-template"/);
    });
  assert.equal(await running('dmn-b'), 3, 'a stack that fails to render is never pruned');
  assert.equal(await running('dmn-a'), 1);
});

test('a commit removing a stack prunes it; a revert brings it back', async () => {
  remote.remove('stacks/dmn-c').write('stacks/dmn-b/stack.yml', 'template: web\n').push('mend b, drop c');
  remote.remove('stacks/dmn-a').push('remove dmn-a');
  await waitFor('dmn-a pruned', CONVERGE_MS, async () => (await running('dmn-a')) === 0);
  await waitFor('dmn-a gone from the status', CONVERGE_MS, async () => (await daemon.stack('dmn-a')) === undefined);
  remote.revert();
  await waitFor('dmn-a back', CONVERGE_MS, synced('dmn-a'));
  assert.equal(await running('dmn-a'), 1);
});

test('a repository that cannot be read keeps the last good revision running, reports the error, never prunes', async () => {
  const moved = `${remote.bare}.away`;
  renameSync(remote.bare, moved);
  try {
    const status = await waitFor('the fetch error in the status', CONVERGE_MS, async () => {
      const s = await daemon.stack('dmn-a');
      return s?.lastError?.startsWith('repository: ') ? s : undefined;
    });
    assert.match(status.lastError ?? '', /remote\.git/);
    await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
    assert.equal(await running('dmn-a'), 1);
    assert.ok((await running('dmn-b')) >= 1);
  } finally {
    renameSync(moved, remote.bare);
  }
  await waitFor('the error cleared', CONVERGE_MS, async () => (await daemon.stack('dmn-a'))?.lastError === undefined);
});

test('SIGTERM finishes the work in flight and exits 0; the restarted daemon picks up the stacks', async () => {
  remote.write('stacks/dmn-b/stack.yml', 'template: web\nanswers:\n  scale: 2\n').push('dmn-b to 2');
  await daemon.sync();
  assert.equal(await daemon.stop('SIGTERM'), 0);
  assert.match(daemon.log, /"message":"stopped"/);
  // From here on the daemon checks only every hour: what it heals, it heals from a Docker event.
  daemon = new Daemon({
    repo: remote.bare,
    config: configPath,
    interval: HEALING_INTERVAL_S,
    port: freePort(),
    webhookSecret: SECRET,
  }).start();
  await waitFor('dmn-b at 2 after the restart', CONVERGE_MS, async () => (await daemon.stack('dmn-b'))?.services[0]?.running === 2);
  await waitFor('dmn-a Synced after the restart', CONVERGE_MS, synced('dmn-a'));
});

test('docker kill of a managed container is undone from the Docker event, without waiting for the interval', async () => {
  const { name, container } = await killOneContainer(hosts, 'dmn-a');
  await waitFor(
    `${name} running again (the next interval is an hour away)`,
    CONVERGE_MS,
    async () => (await container.inspect()).State.Running,
  );
});

test('a slow stop in one stack does not hold up self-healing in another', async () => {
  remote
    .write('catalog/templates/slow/config.yml', 'name: slow\nversion: 1.0.0\n')
    .write(
      'catalog/templates/slow/0/docker-compose.yml',
      `sleeper:\n  image: ${IMAGES.busybox}\n  command: ["sleep", "3600"]\n  stop_grace_period: ${SLOW_STOP_S}s\n`,
    )
    .write('catalog/templates/slow/0/rancher-compose.yml', WEB_TEMPLATE.rancher.replace('web:', 'sleeper:'))
    .write('stacks/dmn-slow/stack.yml', 'template: slow\nanswers:\n  scale: 2\n');
  remote.push(`a stack whose containers take ${SLOW_STOP_S} s to stop`);
  await waitFor('dmn-slow running', CONVERGE_MS, synced('dmn-slow'));
  const scaledDownAt = Date.now();
  const revision = remote.write('stacks/dmn-slow/stack.yml', 'template: slow\nanswers:\n  scale: 1\n').push('dmn-slow to 1');
  await fetch(`${daemon.url}/api/v1/webhook`, {
    method: 'POST',
    headers: { 'x-gitlab-token': SECRET },
    body: JSON.stringify({ after: revision }),
  });
  const stopping = await waitFor('a dmn-slow sleeper being stopped', CONVERGE_MS, () => stopSentSince('dmn-slow', scaledDownAt), 500);
  const { name, container } = await killOneContainer(hosts, 'dmn-a');
  await waitFor(
    `${name} running again while dmn-slow is still stopping`,
    CONVERGE_MS,
    async () => (await container.inspect()).State.Running,
  );
  assert.equal(await running('dmn-slow'), 2, `${stopping.name} is still stopping (its grace period is ${SLOW_STOP_S} s)`);
  // Shown; end the stop's grace period early instead of waiting it out.
  await clientOf(stopping.host)
    .getContainer(stopping.name)
    .kill()
    .catch(() => {});
  await waitFor('dmn-slow at 1', CONVERGE_MS, async () => (await running('dmn-slow')) === 1);
});

/** The container of the stack that Docker was asked to stop (a SIGTERM kill event) since a time, on any host. */
async function stopSentSince(stack: string, sinceMs: number): Promise<{ host: HostConfig; name: string } | undefined> {
  for (const host of hosts) {
    const stream = (await clientOf(host).getEvents({
      since: Math.floor(sinceMs / 1000) - 1,
      until: Math.floor(Date.now() / 1000),
      filters: { type: ['container'], event: ['kill'], label: [`${CorralLabel.stack}=${stack}`] },
    })) as unknown as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    for (const line of text.split('\n').filter(Boolean)) {
      const attributes = (JSON.parse(line) as { Actor: { Attributes: Record<string, string> } }).Actor.Attributes;
      if (attributes['signal'] === '15' && attributes['name']) return { host, name: attributes['name'] };
    }
  }
  return undefined;
}

test('SIGKILL during a 20-container apply, then a restart: exactly the desired set, 10 times over', async () => {
  await daemon.stop('SIGKILL');
  remote.write('stacks/dmn-big/stack.yml', 'template: web\nanswers:\n  scale: 20\n').push('a 20-container stack');
  const expected = Array.from({ length: 20 }, (_, i) => `dmn-big-web-${i + 1}`).sort();
  for (let round = 1; round <= 10; round += 1) {
    await cleanup(hosts, ['dmn-big']);
    const doomed = new Daemon({ repo: remote.bare, config: configPath, interval: 60, port: freePort() }).start();
    try {
      await waitFor('the apply under way', 60_000, async () => (await running('dmn-big')) >= 1 + (round % 5) * 3, 20);
    } finally {
      // Also when the wait fails: a daemon left running would keep the test process, and the fleet lock, forever.
      await doomed.stop('SIGKILL');
    }
    daemon = new Daemon({ repo: remote.bare, config: configPath, interval: 60, port: freePort() }).start();
    await waitFor(`round ${round}: dmn-big Synced`, 60_000, synced('dmn-big'), 100);
    const names = (await placementOf(hosts, 'dmn-big')).map((entry) => entry.split(':')[1] ?? '').sort();
    assert.deepEqual(names, expected, `round ${round}`);
    const states = await Promise.all(
      hosts.map(async (h) => (await clientOf(h).listContainers({ filters: { label: ['io.corral.stack=dmn-big'] } })).length),
    );
    assert.equal(
      states.reduce((a, b) => a + b, 0),
      20,
      `round ${round}: all 20 running`,
    );
    await daemon.stop('SIGKILL');
  }
});
