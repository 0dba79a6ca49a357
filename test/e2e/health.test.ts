/**
 * Health checks under `corral run` on the fleet: rancher-compose `health_check` probes (run by the
 * per-host probe agent inside each container's network namespace, on every host), Docker's own
 * HEALTHCHECK, the strategies recreate / none / recreateOnQuorum, the bundled etcd template's
 * check, and a probe agent that cannot start (Unknown, never a replacement).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import type { HostConfig } from '../../src/config/config.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { Daemon, freePort, GitRemote, ROOT, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts } from './sync-repo.js';

const INTERVAL_S = 3;
const PROBE_INTERVAL_MS = 1000;
const UNHEALTHY_THRESHOLD = 2;
const stacks = ['hc-500', 'hc-docker', 'hc-recreate', 'hc-none', 'hc-quorum', 'hc-etcd', 'hc-noagent'];
let hosts: HostConfig[];
let remote: GitRemote;
let daemon: Daemon;
let configPath: string;

/**
 * busybox httpd whose /cgi-bin/health answers with the status code in /tmp/code (the answer
 * `code` at start); `docker exec … echo 500 > /tmp/code` makes a running container fail its check.
 */
const HEALTH_WEB = {
  config: 'name: hw\nversion: 1.0.0\n',
  compose: `web:
  image: ${IMAGES.busybox}
  command:
    - sh
    - -c
    - |
      mkdir -p /www/cgi-bin
      echo \${code} > /tmp/code
      printf '#!/bin/sh\\necho "Status: $$(cat /tmp/code) probe"\\necho\\necho checked\\n' > /www/cgi-bin/health
      chmod +x /www/cgi-bin/health
      exec httpd -f -p 80 -h /www
  stop_signal: SIGKILL
  labels:
    io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$\${stack_name}/$\${service_name}
`,
  rancher: `.catalog:
  version: 1.0.0
  questions:
    - {variable: scale, type: int, default: 1}
    - {variable: code, type: int, default: 200}
    - {variable: strategy, type: enum, options: [recreate, none, recreateOnQuorum], default: recreate}
    - {variable: quorum, type: int, default: 1}
web:
  scale: \${scale}
  health_check:
    port: 80
    request_line: GET "/cgi-bin/health" "HTTP/1.0"
    interval: ${PROBE_INTERVAL_MS}
    response_timeout: 1000
    healthy_threshold: 2
    unhealthy_threshold: ${UNHEALTHY_THRESHOLD}
    initializing_timeout: 5000
    reinitializing_timeout: 5000
    strategy: \${strategy}
    recreate_on_quorum_strategy_config:
      quorum: \${quorum}
`,
};

/** No rancher-compose check: only Docker's HEALTHCHECK, which fails after a second. */
const DOCKER_CHECK = {
  config: 'name: dh\nversion: 1.0.0\n',
  compose: `app:
  image: ${IMAGES.busybox}
  command: ["sleep", "3600"]
  stop_signal: SIGKILL
  healthcheck:
    test: ["CMD-SHELL", "echo db not ready; exit 1"]
    interval: 1s
    timeout: 1s
    retries: 1
`,
  rancher: '.catalog:\n  version: 1.0.0\n',
};

function stackFile(answers: Record<string, string | number>, template = 'hw'): string {
  return `template: ${template}\nanswers:\n${Object.entries(answers)
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n')}\n`;
}

interface Running {
  host: HostConfig;
  id: string;
  name: string;
}

async function runningOf(stack: string): Promise<Running[]> {
  const found = await Promise.all(
    hosts.map(async (host) =>
      (await clientOf(host).listContainers({ filters: { label: [`io.corral.stack=${stack}`] } })).map((c) => ({
        host,
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
      })),
    ),
  );
  return found.flat().sort((a, b) => a.name.localeCompare(b.name));
}

/** Makes a running container's health endpoint answer with `code` from now on. */
async function setCode(container: Running, code: number): Promise<void> {
  const exec = await clientOf(container.host)
    .getContainer(container.id)
    .exec({ Cmd: ['sh', '-c', `echo ${code} > /tmp/code`] });
  await exec.start({ hijack: true, stdin: false });
  await waitFor(`exec in ${container.name}`, 5000, async () => (await exec.inspect()).Running === false, 20);
}

const healthOf = (name: string, word: string) => async () => {
  const status = await daemon.stack(name);
  return status?.health === word ? status : undefined;
};

/** Docker's container events on a host since a time, one line each, for failure messages. */
async function dockerEventsSince(host: HostConfig, sinceMs: number): Promise<string> {
  const stream = (await clientOf(host).getEvents({
    since: Math.floor(sinceMs / 1000) - 1,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'] },
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const event = JSON.parse(line) as { timeNano: number; Action: string; Actor: { Attributes: Record<string, string> } };
      return `${new Date(event.timeNano / 1e6).toISOString()} ${event.Action} ${event.Actor.Attributes['name'] ?? ''}`;
    })
    .join('\n');
}

async function explain(err: Error, name: string): Promise<never> {
  throw new Error(`${err.message}\nstatus: ${JSON.stringify(await daemon.stack(name), null, 1)}\nlog: ${daemon.log.slice(-4000)}`);
}

before(async () => {
  configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, stacks);
  remote = new GitRemote()
    .write('catalog/templates/hw/config.yml', HEALTH_WEB.config)
    .write('catalog/templates/hw/0/docker-compose.yml', HEALTH_WEB.compose)
    .write('catalog/templates/hw/0/rancher-compose.yml', HEALTH_WEB.rancher)
    .write('catalog/templates/dh/config.yml', DOCKER_CHECK.config)
    .write('catalog/templates/dh/0/docker-compose.yml', DOCKER_CHECK.compose)
    .write('catalog/templates/dh/0/rancher-compose.yml', DOCKER_CHECK.rancher)
    .copy(join(ROOT, 'catalog', 'templates', 'etcd'), 'catalog/templates/etcd');
  remote.push('health templates');
  daemon = new Daemon({ repo: remote.bare, config: configPath, interval: INTERVAL_S, port: freePort() }).start();
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, stacks);
  remote?.destroy();
});

test('a web server that answers 500 is Unhealthy, never Healthy; strategy none leaves it in place', async () => {
  remote.write('stacks/hc-500/stack.yml', stackFile({ code: 500, strategy: 'none' })).push('a server answering 500');
  const seen = new Set<string>();
  const status = await waitFor('hc-500 Unhealthy', 30_000, async () => {
    const s = await daemon.stack('hc-500');
    if (s) seen.add(s.health);
    return s?.health === 'Unhealthy' ? s : undefined;
  }).catch((err: Error) => explain(err, 'hc-500'));
  assert.ok(!seen.has('Healthy'), `words seen: ${[...seen].join(', ')}`);
  const [web] = status.services;
  assert.deepEqual([web?.checkedBy, web?.healthy, web?.unhealthy], ['health_check', 0, 1]);
  assert.match(
    web?.containers[0]?.detail ?? '',
    /^not healthy within initializing_timeout \(5000 ms\); last probe: HTTP\/1\.\d 500 probe$/,
  );
  assert.match(status.message, /^web: Unhealthy, 0 of 1 healthy/);
  const [before] = await runningOf('hc-500');
  await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS * UNHEALTHY_THRESHOLD + INTERVAL_S * 1000));
  const [later] = await runningOf('hc-500');
  assert.equal(later?.id, before?.id, 'strategy none: the same container');
  assert.equal((await daemon.stack('hc-500'))?.health, 'Unhealthy');
  const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
  assert.match(metrics, /^corral_service_health\{stack="hc-500",service="web",status="Unhealthy"\} 1$/m);
  assert.match(metrics, /^corral_service_unhealthy_containers\{stack="hc-500",service="web"\} 1$/m);
  assert.match(metrics, /^corral_stack_health\{stack="hc-500",status="Unhealthy"\} 1$/m);
  assert.match(daemon.log, /"message":"stack hc-500 (Unknown|Initializing) → Unhealthy"/);
});

test("a service whose Docker HEALTHCHECK fails is Unhealthy, with the check's output", async () => {
  remote.write('stacks/hc-docker/stack.yml', 'template: dh\n').push('a failing Docker HEALTHCHECK');
  const status = await waitFor('hc-docker Unhealthy', 30_000, healthOf('hc-docker', 'Unhealthy')).catch((err: Error) =>
    explain(err, 'hc-docker'),
  );
  const [app] = status.services;
  assert.equal(app?.checkedBy, 'docker');
  assert.equal(app?.containers[0]?.detail, 'Docker HEALTHCHECK fails: db not ready');
});

test('strategy recreate: a container whose probe starts failing is replaced within interval × unhealthy_threshold + 2 s', async (t) => {
  remote.write('stacks/hc-recreate/stack.yml', stackFile({ strategy: 'recreate' })).push('a healthy server, strategy recreate');
  await waitFor('hc-recreate Healthy', 30_000, healthOf('hc-recreate', 'Healthy')).catch((err: Error) => explain(err, 'hc-recreate'));
  const [old] = await runningOf('hc-recreate');
  assert.ok(old);
  // The clock starts once the exec that makes the check fail has finished (on this shared machine a
  // docker exec alone can take most of a second).
  await setCode(old, 500);
  const started = Date.now();
  const budgetMs = PROBE_INTERVAL_MS * UNHEALTHY_THRESHOLD + 2000;
  const fresh = async (): Promise<Docker.ContainerInfo | undefined> =>
    (await clientOf(old.host).listContainers({ all: true, filters: { label: ['io.corral.stack=hc-recreate'] } })).find(
      (c) => c.Id !== old.id,
    );
  await waitFor('a new container in place of the failing one', budgetMs + 5000, async () => (await fresh()) !== undefined, 25).catch(
    (err: Error) => explain(err, 'hc-recreate'),
  );
  const replacedMs = Date.now() - started;
  await waitFor('the new container running', 10_000, async () => (await fresh())?.State === 'running', 25);
  const runningMs = Date.now() - started;
  t.diagnostic(
    `replaced (old one gone, new one created) ${replacedMs} ms, new one running ${runningMs} ms after the check started failing; budget ${budgetMs} ms`,
  );
  const events = await dockerEventsSince(old.host, started);
  assert.ok(
    replacedMs <= budgetMs,
    `replaced after ${replacedMs} ms (check failing from ${new Date(started).toISOString()}), budget ${budgetMs} ms\n${daemon.log.split('\n').slice(-15).join('\n')}\n${events}`,
  );
  assert.ok(!(await runningOf('hc-recreate')).some((c) => c.id === old.id), 'the old container is gone');
  const status = await waitFor('hc-recreate Healthy again', 20_000, healthOf('hc-recreate', 'Healthy'));
  assert.ok(
    status.events.some((e) => /RemoveContainer hc-recreate-web-1 .*: unhealthy: HTTP\/1\.\d 500 probe/.test(e.message)),
    JSON.stringify(status.events),
  );
});

test('strategy none: a container whose probe starts failing is reported Unhealthy, and left in place', async () => {
  remote.write('stacks/hc-none/stack.yml', stackFile({ strategy: 'none' })).push('a healthy server, strategy none');
  await waitFor('hc-none Healthy', 30_000, healthOf('hc-none', 'Healthy')).catch((err: Error) => explain(err, 'hc-none'));
  const [old] = await runningOf('hc-none');
  assert.ok(old);
  await setCode(old, 500);
  const unhealthy = await waitFor(
    'hc-none Unhealthy',
    PROBE_INTERVAL_MS * UNHEALTHY_THRESHOLD + 10_000,
    healthOf('hc-none', 'Unhealthy'),
  ).catch((err: Error) => explain(err, 'hc-none'));
  assert.match(unhealthy.services[0]?.containers[0]?.detail ?? '', /HTTP\/1\.\d 500 probe/);
  // Longer than recreate's budget, plus a full check: still the same container, still reported.
  await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS * UNHEALTHY_THRESHOLD + 2000 + INTERVAL_S * 1000));
  assert.deepEqual(
    (await runningOf('hc-none')).map((c) => c.id),
    [old.id],
  );
  assert.equal((await daemon.stack('hc-none'))?.health, 'Unhealthy');
  assert.match(daemon.log, /"message":"container hc-none-web-1 health check: healthy → unhealthy"/);
});

test('recreateOnQuorum: replaced while quorum instances are healthy, left alone below it; probes run on every host', async () => {
  remote.write('stacks/hc-quorum/stack.yml', stackFile({ scale: 3, strategy: 'recreateOnQuorum', quorum: 3 })).push('3 servers, quorum 3');
  const healthy = await waitFor('hc-quorum Healthy', 40_000, healthOf('hc-quorum', 'Healthy')).catch((err: Error) =>
    explain(err, 'hc-quorum'),
  );
  const containers = healthy.services[0]?.containers ?? [];
  assert.deepEqual(containers.map((c) => c.host).sort(), hosts.map((h) => h.name).sort(), 'one per host');
  for (const c of containers) assert.match(c.detail ?? '', /^HTTP\/1\.\d 200 probe$/, `${c.name} on ${c.host} is probed`);
  const [first] = await runningOf('hc-quorum');
  assert.ok(first);
  await setCode(first, 500);
  const below: StackStatus = await waitFor('one unhealthy', 20_000, async () => {
    const s = await daemon.stack('hc-quorum');
    return s?.services[0]?.unhealthy === 1 ? s : undefined;
  });
  assert.equal(below.health, 'Degraded');
  await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS * UNHEALTHY_THRESHOLD + INTERVAL_S * 1000));
  assert.ok(
    (await runningOf('hc-quorum')).some((c) => c.id === first.id),
    '2 healthy < quorum 3: not recreated',
  );
  remote.write('stacks/hc-quorum/stack.yml', stackFile({ scale: 3, strategy: 'recreateOnQuorum', quorum: 2 })).push('quorum 2');
  await waitFor('the unhealthy one replaced once quorum 2 is met', INTERVAL_S * 1000 + 10_000, async () =>
    (await runningOf('hc-quorum')).every((c) => c.id !== first.id),
  ).catch((err: Error) => explain(err, 'hc-quorum'));
  await waitFor('hc-quorum Healthy again', 30_000, healthOf('hc-quorum', 'Healthy'));
});

test('the bundled etcd stack is Healthy only while its members answer /health', async () => {
  remote.write('stacks/hc-etcd/stack.yml', `template: etcd\nanswers:\n  cluster_token: hc-etcd\n`).push('etcd');
  const status = await waitFor('hc-etcd Healthy', 90_000, healthOf('hc-etcd', 'Healthy')).catch((err: Error) => explain(err, 'hc-etcd'));
  assert.equal(status.services[0]?.checkedBy, 'health_check');
  assert.equal(status.services[0]?.healthy, 3);
  const members = await runningOf('hc-etcd');
  const paused = members.slice(0, 2);
  const [alone] = members.slice(2);
  await Promise.all(paused.map((m) => clientOf(m.host).getContainer(m.id).pause()));
  try {
    const lost = await waitFor('hc-etcd Unhealthy without quorum', 30_000, healthOf('hc-etcd', 'Unhealthy')).catch((err: Error) =>
      explain(err, 'hc-etcd'),
    );
    assert.equal(lost.services[0]?.healthy, 0);
    assert.match(lost.message, /HTTP\/1\.\d 503|no answer on port 2379/);
    await new Promise((r) => setTimeout(r, 2000 * 3 + INTERVAL_S * 1000));
    assert.ok(
      (await runningOf('hc-etcd')).some((m) => m.id === alone?.id),
      'the member left alone is unhealthy, but with 0 healthy < quorum 2 it is not recreated',
    );
  } finally {
    await Promise.all(paused.map((m) => clientOf(m.host).getContainer(m.id).unpause()));
  }
  await waitFor('hc-etcd Healthy again', 60_000, healthOf('hc-etcd', 'Healthy'));
  remote.remove('stacks/hc-etcd').push('etcd removed: its ports are free again');
  await waitFor('hc-etcd pruned', INTERVAL_S * 1000 + 15_000, async () => (await runningOf('hc-etcd')).length === 0);
});

test('a probe agent that cannot start leaves the health Unknown and never replaces a container', async () => {
  await daemon.stop('SIGKILL');
  await waitFor("the killed daemon's probe agents gone (their stdin closed)", 15_000, async () => {
    const agents = await Promise.all(
      hosts.map((h) => clientOf(h).listContainers({ all: true, filters: { label: ['io.corral.probe-agent'] } })),
    );
    return agents.flat().length === 0;
  });
  const badConfig = join(remote.base, 'no-agent.yml');
  const fleetConfig = readFileSync(configPath, 'utf8');
  writeFileSync(badConfig, fleetConfig.replace(/probe_image: .*/, 'probe_image: 10.99.0.2:5000/corral/no-such-image:1'));
  remote.write('stacks/hc-noagent/stack.yml', stackFile({ strategy: 'recreate' })).push('a stack probed by an agent that cannot start');
  daemon = new Daemon({ repo: remote.bare, config: badConfig, interval: INTERVAL_S, port: freePort() }).start();
  const status = await waitFor('hc-noagent Unknown, naming the probe agent', 30_000, async () => {
    const s = await daemon.stack('hc-noagent');
    return s?.health === 'Unknown' && s.services[0]?.containers[0]?.detail?.startsWith('probe agent') ? s : undefined;
  }).catch((err: Error) => explain(err, 'hc-noagent'));
  assert.match(
    status.services[0]?.containers[0]?.detail ?? '',
    /^probe agent on h\d: cannot start \(image 10\.99\.0\.2:5000\/corral\/no-such-image:1\)/,
  );
  const [before] = await runningOf('hc-noagent');
  await new Promise((r) => setTimeout(r, 6000));
  const [later] = await runningOf('hc-noagent');
  assert.equal(later?.id, before?.id, 'initializing_timeout never fires while the probe cannot run');
  assert.equal((await daemon.stack('hc-noagent'))?.health, 'Unknown');
});
