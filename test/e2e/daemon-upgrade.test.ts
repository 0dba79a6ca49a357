/**
 * Upgrades as transactions under `corral run`, on the fleet: a bump to a version whose health
 * check never passes is rolled back to the very same containers, reported RolledBack with the
 * version, the revision and the cause (the rollback's steps events and log lines), not tried
 * again over the next intervals nor after a restart, and its revert changes nothing; the daemon SIGKILLed in the middle of an upgrade, five
 * times, each time ends with the stack upgraded or rolled back and exactly the desired set of
 * containers (no duplicates, no kept container left over).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { Daemon, freePort, GitRemote, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts } from './sync-repo.js';

const INTERVAL_S = 2;
const stacks = ['upg-bad', 'upg-kill'];
let hosts: HostConfig[];
let remote: GitRemote;
let daemon: Daemon;
let configPath: string;
let stateDir: string;
let port: number;

/** httpd serving the answer `title`, checked by a rancher-compose health_check; `serve: sleep` never answers it. */
const COMPOSE = `web:
  image: ${IMAGES.busybox}
  command: ["sh", "-c", "mkdir -p /www && echo \${title} > /www/index.html && exec \${serve}"]
  stop_signal: SIGKILL
`;
const rancher = (version: string) => `.catalog:
  version: ${version}
  questions:
    - variable: title
      type: string
      default: one
    - variable: serve
      type: string
      default: httpd -f -p 80 -h /www
web:
  scale: 3
  upgrade_strategy:
    batch_size: 1
    interval_millis: 200
  health_check:
    port: 80
    request_line: GET / HTTP/1.0
    interval: 500
    response_timeout: 1000
    healthy_threshold: 1
    unhealthy_threshold: 3
    initializing_timeout: 5000
    strategy: none
`;

interface Live {
  name: string;
  id: string;
  running: boolean;
  /** The command Docker runs: the same for every instance of one configuration. */
  command: string;
  revision: string;
}

/** Every container of the stack on every host, by name. */
async function liveOf(stack: string): Promise<Live[]> {
  const found = await Promise.all(
    hosts.map(async (host) => {
      const list = await clientOf(host).listContainers({ all: true, filters: { label: [`${CorralLabel.stack}=${stack}`] } });
      return list.map((c) => ({
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        id: c.Id,
        running: c.State === 'running',
        command: c.Command,
        revision: c.Labels[CorralLabel.revision] ?? '',
      }));
    }),
  );
  return found.flat().sort((a, b) => a.name.localeCompare(b.name));
}

const exactSet = (stack: string) => [1, 2, 3].map((n) => `${stack}-web-${n}`);

function startDaemon(): Daemon {
  return new Daemon({
    repo: remote.bare,
    config: configPath,
    interval: INTERVAL_S,
    port,
    args: ['--state-dir', stateDir],
  }).start();
}

const statusIs = (stack: string, words: StackStatus['sync'][], revision?: string) => async (): Promise<StackStatus | undefined> => {
  const status = await daemon.stack(stack);
  if (!status || !words.includes(status.sync)) return undefined;
  if (revision && status.revision !== revision) return undefined;
  return status;
};

/** The daemon's log lines about Docker operations on the stack, after `from` characters of the log. */
function operationsLogged(stack: string, from: number): string[] {
  return daemon.log
    .slice(from)
    .split('\n')
    .filter((line) => line.includes(`"stack":"${stack}"`) && /"message":"(Create|Remove|Rename|Start|Stop)Container /.test(line));
}

/** The message of a JSON log line ('' for any other line). */
function messageOf(line: string): string {
  try {
    const message = (JSON.parse(line) as { message?: unknown }).message;
    return typeof message === 'string' ? message : '';
  } catch {
    return '';
  }
}

before(async () => {
  configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, stacks);
  stateDir = mkdtempSync(join(tmpdir(), 'corral-e2e-upgrade-state-'));
  port = freePort();
  remote = new GitRemote();
  remote
    .write('catalog/templates/web/config.yml', 'name: web\nversion: "1"\n')
    .write('catalog/templates/web/0/docker-compose.yml', COMPOSE)
    .write('catalog/templates/web/0/rancher-compose.yml', rancher('1'))
    .write('catalog/templates/web/1/docker-compose.yml', COMPOSE)
    .write('catalog/templates/web/1/rancher-compose.yml', rancher('2').replace('default: httpd -f -p 80 -h /www', 'default: sleep 3600'))
    .write('stacks/upg-bad/stack.yml', 'template: web\nversion: "1"\n')
    .push('web 1');
  daemon = startDaemon();
  await waitFor('upg-bad Synced and Healthy', 90_000, async () => {
    const status = await daemon.stack('upg-bad');
    return status?.sync === 'Synced' && status.health === 'Healthy' ? status : undefined;
  });
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, stacks);
  remote?.destroy();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('a bump to a version whose health check never passes: rolled back to the same containers, RolledBack, not tried again, and its revert is a no-op', async () => {
  const before = await liveOf('upg-bad');
  assert.deepEqual(
    before.map((c) => c.name),
    exactSet('upg-bad'),
  );
  const bump = remote.write('stacks/upg-bad/stack.yml', 'template: web\nversion: "2"\n').push('bump web to 2');
  const rolledBack = await waitFor('upg-bad RolledBack', 180_000, statusIs('upg-bad', ['RolledBack'], bump), 200);
  assert.equal(rolledBack.revision, bump);
  assert.match(
    rolledBack.message,
    new RegExp(
      `^upgrade to web 2 \\(revision ${bump.slice(0, 12)}\\) failed and was rolled back at \\S+: AwaitReady upg-bad-web-1 on h\\d: upg-bad-web-1 not ready within 5 s: .+not tried again until a new commit changes the stack$`,
    ),
  );
  const restored = await waitFor('the three old containers running', 60_000, async () => {
    const live = await liveOf('upg-bad');
    return live.every((c) => c.running) && live.length === 3 ? live : undefined;
  });
  assert.deepEqual(
    restored.map((c) => `${c.name}=${c.id}`),
    before.map((c) => `${c.name}=${c.id}`),
  );
  // The rollback's own steps are events of the stack (GET /api/v1/stacks/NAME) and log lines, as the upgrade's are.
  const events = rolledBack.events.map((e) => e.message);
  const oldId = before[0]?.id.slice(0, 12) ?? '';
  const rollbackSteps = [
    /^upgrade to web 2 failed \(AwaitReady upg-bad-web-1 on h\d: .+\): rolling back$/,
    /^rollback of upg-bad-web-1 on h\d started: (stop upg-bad-web-1, )?remove upg-bad-web-1, rename upg-bad-web-1-prev to upg-bad-web-1, start upg-bad-web-1$/,
    new RegExp(
      `^rollback of upg-bad-web-1 on h\\d done: (stopped upg-bad-web-1, )?removed upg-bad-web-1, renamed upg-bad-web-1-prev to upg-bad-web-1, started upg-bad-web-1 \\(container ${oldId}\\)$`,
    ),
    /^rolled back: the containers it ran are back \(\d+ operations\)$/,
  ];
  for (const step of rollbackSteps) {
    assert.ok(
      events.some((m) => step.test(m)),
      `${step} in the events:\n${events.join('\n')}`,
    );
    assert.ok(
      daemon.log.split('\n').some((line) => line.includes('"stack":"upg-bad"') && step.test(messageOf(line))),
      `${step} in the log`,
    );
  }

  // Three intervals, then a restart of the daemon: the rolled-back revision is not tried again.
  const mark = daemon.log.length;
  await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_S * 1000 + 1000));
  assert.deepEqual(operationsLogged('upg-bad', mark), []);
  await daemon.stop('SIGKILL');
  daemon = startDaemon();
  const again = await waitFor('upg-bad RolledBack after a restart', 60_000, statusIs('upg-bad', ['RolledBack'], bump), 200);
  assert.match(again.message, /failed and was rolled back/);
  await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_S * 1000));
  assert.deepEqual(operationsLogged('upg-bad', 0), []);
  assert.deepEqual(
    (await liveOf('upg-bad')).map((c) => `${c.name}=${c.id}`),
    before.map((c) => `${c.name}=${c.id}`),
  );

  const revert = remote.revert();
  const synced = await waitFor('the revert Synced', 60_000, statusIs('upg-bad', ['Synced'], revert), 200);
  assert.equal(synced.version, '1');
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_S * 1000));
  assert.deepEqual(operationsLogged('upg-bad', 0), [], 'the revert changed nothing');
  assert.deepEqual(
    (await liveOf('upg-bad')).map((c) => `${c.name}=${c.id}:${c.running}`),
    before.map((c) => `${c.name}=${c.id}:true`),
  );
});

test('SIGKILL of corral run in the middle of an upgrade, 5 rounds: each ends upgraded or rolled back, with exactly the desired set', async () => {
  // Each round kills the daemon once the named unit's old container is kept (its batch under way), after a pause.
  const rounds = [
    { title: 'two', serve: '', expect: 'Synced', killAt: 1, pauseMs: 0 },
    { title: 'three', serve: 'sleep 3600', expect: 'RolledBack', killAt: 1, pauseMs: 700 },
    { title: 'four', serve: '', expect: 'Synced', killAt: 2, pauseMs: 300 },
    { title: 'five', serve: 'sleep 3601', expect: 'RolledBack', killAt: 1, pauseMs: 4000 },
    { title: 'six', serve: '', expect: 'Synced', killAt: 3, pauseMs: 1500 },
  ] as const;
  const stackFile = (title: string, serve: string) =>
    `template: web\nversion: "1"\nanswers:\n  title: ${title}\n${serve ? `  serve: ${serve}\n` : ''}`;
  let good = remote.write('stacks/upg-kill/stack.yml', stackFile('one', '')).push('upg-kill one');
  await waitFor('upg-kill Synced', 120_000, statusIs('upg-kill', ['Synced'], good), 200);
  let goodSet = await liveOf('upg-kill');
  const report: string[] = [];
  for (const [index, round] of rounds.entries()) {
    const started = Date.now();
    const revision = remote.write('stacks/upg-kill/stack.yml', stackFile(round.title, round.serve)).push(`upg-kill ${round.title}`);
    const kept = `upg-kill-web-${round.killAt}-prev`;
    await waitFor(`round ${index + 1}: ${kept} kept`, 120_000, async () => (await liveOf('upg-kill')).some((c) => c.name === kept), 100);
    const pauseMs = round.pauseMs;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const killedWith = (await liveOf('upg-kill')).map((c) => `${c.name}${c.running ? '' : '(stopped)'}`).join(' ');
    await daemon.stop('SIGKILL');
    daemon = startDaemon();
    const status = await waitFor(
      `round ${index + 1}: upg-kill upgraded or rolled back`,
      180_000,
      async () => {
        const found = await statusIs('upg-kill', ['Synced', 'RolledBack'], revision)();
        if (!found) return undefined;
        const live = await liveOf('upg-kill');
        return live.length === 3 && live.every((c) => c.running) ? found : undefined;
      },
      200,
    ).catch(async (err: Error) => {
      const live = (await liveOf('upg-kill')).map((c) => `${c.name}${c.running ? '' : '(stopped)'}@${c.revision.slice(0, 8)}`).join(' ');
      const status = await daemon.stack('upg-kill').catch(() => undefined);
      throw new Error(
        `${err.message}\nkilled with: ${killedWith}\nlive: ${live}\nstatus: ${JSON.stringify(status, null, 1)}\nlog: ${daemon.log.slice(-6000)}`,
      );
    });
    const live = await liveOf('upg-kill');
    assert.deepEqual(
      live.map((c) => c.name),
      exactSet('upg-kill'),
      `round ${index + 1}: exactly the desired set (killed with: ${killedWith})`,
    );
    assert.ok(
      live.every((c) => c.running),
      `round ${index + 1}: all running`,
    );
    assert.equal(new Set(live.map((c) => c.command)).size, 1, `round ${index + 1}: one configuration`);
    assert.equal(status.sync, round.expect, `round ${index + 1}: ${status.message}`);
    if (status.sync === 'Synced') {
      assert.ok(
        live.every((c) => c.revision === revision),
        `round ${index + 1}: upgraded to ${revision}`,
      );
      good = revision;
      goodSet = live;
    } else {
      assert.deepEqual(
        live.map((c) => c.id),
        goodSet.map((c) => c.id),
        `round ${index + 1}: rolled back to the same containers`,
      );
    }
    report.push(
      `round ${index + 1}: killed ${pauseMs} ms after ${kept} appeared, with [${killedWith}] → ${status.sync} in ${Date.now() - started} ms`,
    );
  }
  assert.equal((await liveOf('upg-kill'))[0]?.revision, good);
  console.log(report.join('\n'));
});
