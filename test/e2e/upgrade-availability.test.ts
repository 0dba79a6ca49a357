/**
 * Upgrades that keep the app up, under `corral run` on the fleet, sampled from outside as a user
 * would see them: the bundled hello-web at scale 2 on two hosts, upgraded 1.0.0 → 1.1.0 with a new
 * title and reverted, answers on at least one published port at every 50 ms sample; the bundled
 * etcd, upgraded 3.4.0 → 3.4.1 one member at a time, has at least 2 of 3 members healthy at every
 * 100 ms sample. The bump and the revert are both in `corral history` (from the state directory
 * and from the daemon), and so is a bump to an image that does not exist (RolledBack, the same
 * containers serving) and its revert (nothing changed); each upgrade step is an event of the stack.
 *
 * etcd's leader is one of the members replaced, so every rolling upgrade moves the leadership at
 * least once: stopped (SIGTERM) as the leader, etcd 3.4 hands it to another member and logs the
 * handover ("starts leadership transfer" … "finished leadership transfer"). While it moves, no
 * member can answer /health true (it needs a leader and a quorum read): a member between leaders
 * answers false at once, and a quorum read forwarded to the handing-over leader is dropped and
 * answers false after its 1 s timeout, though two members run and keep the quorum. So a sample
 * sent while a handover logged by a stopped member was in progress says nothing about the members'
 * health, only that 2 of 3 still take the connection (a handover explains a false or late answer,
 * never a member that is not listening); every other sample must find 2 of 3 members healthy. Quorum lost by the upgrade (a
 * member stopped before its predecessor rejoined) lasts until a member rejoins and is not a logged
 * handover: the samples around it fail the test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import type { HistoryEntry } from '../../src/model/history.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import { Daemon, freePort, GitRemote, ROOT, waitFor } from './daemon-harness.js';
import { ensureFleet, REGISTRY } from './fleet.js';
import { cleanup, clientOf, fleetHosts } from './sync-repo.js';

const WEB = 'ua-web';
const ETCD = 'ua-etcd';
const stacks = [WEB, ETCD];
let hosts: HostConfig[];
let remote: GitRemote;
let daemon: Daemon;
let stateDir: string;

before(async () => {
  const configPath = (await ensureFleet()).configPath;
  hosts = await fleetHosts();
  await cleanup(hosts, stacks);
  stateDir = mkdtempSync(join(tmpdir(), 'corral-upgrade-state-'));
  remote = new GitRemote()
    .copy(join(ROOT, 'catalog', 'templates', 'hello-web'), 'catalog/templates/hello-web')
    .copy(join(ROOT, 'catalog', 'templates', 'etcd'), 'catalog/templates/etcd');
  remote.push('the bundled hello-web and etcd');
  daemon = new Daemon({ repo: remote.bare, config: configPath, interval: 2, port: freePort(), args: ['--state-dir', stateDir] }).start();
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, stacks);
  remote?.destroy();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/**
 * GET over a fresh connection: the status code and body; `timedOut` when the server took the
 * request but did not answer in time; undefined when the connection was refused or reset.
 */
function get(url: string, timeoutMs: number): Promise<{ code: number; body: string; timedOut?: true } | undefined> {
  return new Promise((resolve) => {
    let timedOut = false;
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ code: response.statusCode ?? 0, body }));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => {
      timedOut = true;
      request.destroy();
    });
    request.on('error', () => resolve(timedOut ? { code: 0, body: '', timedOut } : undefined));
  });
}

/**
 * Starts a sample every `everyMs` until stopped, whether or not the ones before have answered
 * (a request to a container being stopped may hang up to its 1 s timeout): each counts how many
 * of `urls` answer as `answers` says. Start it right after the push that starts the upgrade, not
 * before: git runs synchronously, and a sample in flight while it blocks this process would see
 * its timeout fire before the answer that came meanwhile is read ("no answer" from every URL).
 */
function sampler(urls: string[], everyMs: number, answers: (reply: { code: number; body: string }) => boolean) {
  const samples: Sample[] = [];
  const inFlight: Promise<void>[] = [];
  const sample = async () => {
    const started = Date.now();
    const replies = await Promise.all(urls.map((url) => get(url, 1000)));
    const up = replies.filter((reply) => reply !== undefined && !reply.timedOut && answers(reply)).length;
    const running = replies.filter((reply) => reply !== undefined).length;
    const heard = replies.map((reply) => {
      if (!reply) return 'refused or reset';
      return reply.timedOut ? 'no answer in time' : `${reply.code} ${reply.body.trim().slice(0, 40)}`;
    });
    samples.push({ at: started, up, running, tookMs: Date.now() - started, heard });
  };
  const timer = setInterval(() => inFlight.push(sample()), everyMs);
  inFlight.push(sample());
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

interface Sample {
  /** When it was sent (ms since the epoch). */
  at: number;
  /** How many of the URLs answered as asked. */
  up: number;
  /** How many took the connection (answered anything, or held the request past its timeout). */
  running: number;
  tookMs: number;
  /** Each URL's answer: `200 {"health":"true"}`, `no answer`. */
  heard: string[];
}

/** `n samples over s s, fewest up m (at time), longest sample ms` for messages and diagnostics. */
function describe(samples: Sample[]): string {
  const fewest = samples.reduce((low, s) => (s.up < low.up ? s : low), samples[0] ?? { at: 0, up: -1, running: -1, tookMs: 0, heard: [] });
  const span = ((samples.at(-1)?.at ?? 0) - (samples[0]?.at ?? 0)) / 1000;
  const longest = Math.max(...samples.map((s) => s.tookMs));
  const low = samples.filter((s) => s.up === fewest.up).length;
  return `${samples.length} samples over ${span.toFixed(1)} s; fewest up ${fewest.up} (${low} samples, first at ${new Date(fewest.at).toISOString()}: ${fewest.heard.join(' | ')}, in ${fewest.tookMs} ms); longest sample ${longest} ms`;
}

/** A leadership handover an etcd member logged as it stopped: from its start to its end (ms since the epoch). */
interface Handover {
  from: number;
  to: number;
  /** The member's own words, for diagnostics. */
  logged: string;
}

/**
 * Follows the logs of the etcd members running now (`name` prefix) until each stops, and collects
 * the leadership handovers they log (etcd 3.4, stopped as the leader: "starts leadership transfer",
 * then "finished leadership transfer"). A handover that never finished is not one.
 */
async function followHandovers(hosts: HostConfig[], name: string): Promise<{ stop(): Handover[] }> {
  const streams: NodeJS.ReadableStream[] = [];
  const texts: string[] = [];
  const since = Math.floor(Date.now() / 1000);
  for (const host of hosts) {
    const docker = clientOf(host);
    const running = await docker.listContainers({ filters: { name: [name] } });
    for (const info of running) {
      const stream = await docker.getContainer(info.Id).logs({ follow: true, stdout: true, stderr: true, timestamps: true, since });
      const index = texts.push('') - 1;
      stream.on('data', (chunk: Buffer) => {
        texts[index] += chunk.toString('utf8');
      });
      stream.on('error', () => undefined);
      streams.push(stream);
    }
  }
  assert.equal(streams.length, 3, `3 running members to follow, found ${streams.length}`);
  const at = (line: string | undefined) => Date.parse(line?.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/)?.[0] ?? '');
  return {
    stop() {
      for (const stream of streams) (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return texts.flatMap((text) => {
        const lines = text.split('\n');
        const started = lines.find((line) => line.includes('starts leadership transfer'));
        const finished = lines.find((line) => line.includes('finished leadership transfer'));
        if (!started || !finished) return [];
        const logged = finished.slice(finished.indexOf('etcdserver:')).trim();
        return [{ from: at(started), to: at(finished), logged }];
      });
    },
  };
}

async function explain(err: Error, name: string): Promise<never> {
  throw new Error(`${err.message}\nstatus: ${JSON.stringify(await daemon.stack(name), null, 1)}\nlog: ${daemon.log.slice(-5000)}`);
}

/** The stack once the pass that applied `version` has ended, Synced and Healthy with `healthy` containers. */
function settledOn(name: string, version: string, entries: number, healthy: number) {
  return async (): Promise<StackStatus | undefined> => {
    const status = await daemon.stack(name);
    const history = status?.history ?? [];
    const done = history.length === entries && history.at(-1)?.version === version;
    return done && status?.sync === 'Synced' && status.health === 'Healthy' && status.services[0]?.healthy === healthy ? status : undefined;
  };
}

function corralHistory(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), 'history', ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('hello-web at scale 2 on two hosts: a new title (1.0.0 → 1.1.0), then its revert; one instance always answers; both are in corral history', async (t) => {
  const port = freePort();
  const stackFile = (version: string, title?: string) =>
    `template: hello-web\nversion: ${version}\nanswers:\n  scale: 2\n  public_port: ${port}\n${title ? `  title: ${title}\n` : ''}`;
  const first = remote.write(`stacks/${WEB}/stack.yml`, stackFile('1.0.0')).push('hello-web 1.0.0 at scale 2');
  const running = await waitFor('hello-web Healthy', 60_000, settledOn(WEB, '1.0.0', 1, 2)).catch((err: Error) => explain(err, WEB));
  const addresses = [...new Set(running.endpoints.map((e) => e.address))];
  assert.equal(addresses.length, 2, `two hosts: ${JSON.stringify(running.endpoints)}`);
  const urls = addresses.map((address) => `http://${address}:${port}/`);
  const answering = (reply: { code: number; body: string }) => reply.code === 200 && / from ua-web-web-\d/.test(reply.body);
  const title = `bonjour${Math.random().toString(36).slice(2, 6)}`;

  const bump = remote.write(`stacks/${WEB}/stack.yml`, stackFile('1.1.0', title)).push(`hello-web 1.1.0 titled ${title}`);
  const upgrade = sampler(urls, 50, answering);
  const upgraded = await waitFor('hello-web 1.1.0 Synced and Healthy', 120_000, settledOn(WEB, '1.1.0', 2, 2)).catch((err: Error) =>
    explain(err, WEB),
  );
  const served = await Promise.all(urls.map((url) => get(url, 2000)));
  const upSamples = await upgrade.stop();
  t.diagnostic(`upgrade: ${describe(upSamples)}`);
  assert.ok(upSamples.length > 40, describe(upSamples));
  assert.ok(Math.min(...upSamples.map((s) => s.up)) >= 1, `an instance answered at every sample: ${describe(upSamples)}`);
  for (const reply of served) assert.match(reply?.body ?? '', new RegExp(`^${title} from ua-web-web-\\d`), 'the new title is served');
  const steps = upgraded.events.map((e) => e.message);
  for (const step of [
    /^upgrade of web: batch 1\/2 started: ua-web-web-1 on h\d$/,
    /^upgrade of web: batch 2\/2 passed its gate/,
    /^upgrade of web done: 2 batches$/,
  ])
    assert.ok(
      steps.some((m) => step.test(m)),
      `${step} in ${JSON.stringify(steps)}`,
    );
  assert.match(daemon.log, /"message":"upgrade of web: batch 1\/2 started: ua-web-web-1 on h\d"/);

  const reverted = remote.revert();
  const revert = sampler(urls, 50, answering);
  await waitFor('hello-web back on 1.0.0', 120_000, settledOn(WEB, '1.0.0', 3, 2)).catch((err: Error) => explain(err, WEB));
  const back = await Promise.all(urls.map((url) => get(url, 2000)));
  const revertSamples = await revert.stop();
  t.diagnostic(`revert: ${describe(revertSamples)}`);
  assert.ok(Math.min(...revertSamples.map((s) => s.up)) >= 1, `an instance answered at every sample: ${describe(revertSamples)}`);
  for (const reply of back) assert.match(reply?.body ?? '', /^hello from ua-web-web-\d/);

  const listed = corralHistory(WEB, '--state-dir', stateDir, '--format', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  const entries = JSON.parse(listed.stdout) as HistoryEntry[];
  assert.deepEqual(
    entries.map((e) => [e.version, e.commit, e.result]),
    [
      ['1.0.0', first, 'Synced'],
      ['1.1.0', bump, 'Synced'],
      ['1.0.0', reverted, 'Synced'],
    ],
  );
  assert.equal(entries[0]?.cause, '2 containers: 2 created (scale 0 → 2)');
  for (const entry of entries.slice(1)) assert.match(entry.cause, /^2 containers: 2 replaced \(config changed: /);
  const table = corralHistory(WEB, '--state-dir', stateDir);
  assert.equal(table.stdout.trim().split('\n').length, 4, table.stdout);
  assert.match(table.stdout, new RegExp(`1\\.1\\.0 +${bump.slice(0, 12)} +Synced +2 containers: 2 replaced`));
  t.diagnostic(`corral history ${WEB}:\n${table.stdout}`);
  const fromDaemon = corralHistory(WEB, '--server', daemon.url, '--format', 'json');
  assert.deepEqual(JSON.parse(fromDaemon.stdout), entries);
});

test('hello-web bumped to an image that does not exist: RolledBack in corral history with the pull error, the same containers serving; its revert changes nothing', async () => {
  const before = await daemon.stack(WEB);
  const seen = before?.history?.length ?? 0;
  assert.ok(seen > 0, 'runs after the test above, on its stack');
  const containers = before?.services[0]?.containers.map((c) => `${c.name} ${c.startedAt}`).sort();
  const port = before?.endpoints[0]?.port;
  const missing = `${REGISTRY}/corral/does-not-exist:1`;
  const bad = remote
    .write(
      `stacks/${WEB}/stack.yml`,
      `template: hello-web\nversion: 1.0.0\nanswers:\n  scale: 2\n  public_port: ${port}\n  image: ${missing}\n`,
    )
    .push('hello-web on an image that does not exist');
  const rolledBack = await waitFor('the bad image RolledBack in the history', 60_000, async () => {
    const status = await daemon.stack(WEB);
    return status?.history?.length === seen + 1 && status.sync === 'RolledBack' ? status : undefined;
  }).catch((err: Error) => explain(err, WEB));
  const entry = rolledBack.history?.at(-1);
  assert.deepEqual([entry?.version, entry?.commit, entry?.result], ['1.0.0', bad, 'RolledBack']);
  assert.match(entry?.cause ?? '', new RegExp(`PullImage ${missing.replace(/[.]/g, '\\.')} on h\\d`));
  assert.deepEqual(
    rolledBack.services[0]?.containers.map((c) => `${c.name} ${c.startedAt}`).sort(),
    containers,
    'the same containers, never restarted',
  );
  const revert = remote.revert();
  const reverted = await waitFor('the revert in the history', 60_000, async () => {
    const status = await daemon.stack(WEB);
    return status?.history?.length === seen + 2 && status.sync === 'Synced' ? status : undefined;
  }).catch((err: Error) => explain(err, WEB));
  assert.deepEqual(
    [reverted.history?.at(-1)?.commit, reverted.history?.at(-1)?.result, reverted.history?.at(-1)?.cause],
    [revert, 'Synced', 'no container changed'],
  );
  assert.deepEqual(reverted.services[0]?.containers.map((c) => `${c.name} ${c.startedAt}`).sort(), containers);
});

test('the bundled etcd upgraded 3.4.0 → 3.4.1 one member at a time: at least 2 of 3 members healthy at every 100 ms sample', async (t) => {
  const stackFile = (version: string) => `template: etcd\nversion: ${version}\nanswers:\n  cluster_token: ua-etcd\n`;
  remote.write(`stacks/${ETCD}/stack.yml`, stackFile('3.4.0')).push('etcd 3.4.0');
  const running = await waitFor('etcd Healthy', 120_000, settledOn(ETCD, '3.4.0', 1, 3)).catch((err: Error) => explain(err, ETCD));
  const before = running.services[0]?.containers.map((c) => c.name) ?? [];
  const urls = hosts.map((h) => `http://${h.address}:2379/health`);
  assert.equal(urls.length, 3);
  const healthy = (reply: { code: number; body: string }) => reply.code === 200 && /"health":\s*"true"/.test(reply.body);
  const handovers = await followHandovers(hosts, `${ETCD}-etcd-`);
  remote.write(`stacks/${ETCD}/stack.yml`, stackFile('3.4.1')).push('etcd 3.4.1');
  const members = sampler(urls, 100, healthy);
  const upgraded = await waitFor('etcd 3.4.1 Synced and Healthy', 240_000, settledOn(ETCD, '3.4.1', 2, 3)).catch((err: Error) =>
    explain(err, ETCD),
  );
  const samples = await members.stop();
  const moved = handovers.stop();
  const duringHandover = (s: Sample) => moved.some((h) => s.at <= h.to && s.at + s.tookMs >= h.from);
  const judged = samples.filter((s) => !duringHandover(s));
  const setAside = samples.filter(duringHandover);
  t.diagnostic(`etcd upgrade: ${describe(samples)}`);
  t.diagnostic(`leadership handovers: ${moved.map((h) => `${new Date(h.from).toISOString()} ${h.logged}`).join('; ') || 'none'}`);
  t.diagnostic(
    `samples in flight during one, set aside: ${setAside.map((s) => `${new Date(s.at).toISOString()} ${s.up} up, ${s.running} running (${s.heard.join(' | ')})`).join('; ') || 'none'}`,
  );
  assert.ok(Math.min(...judged.map((s) => s.up)) >= 2, `2 of 3 members healthy at every sample: ${describe(judged)}`);
  // A handover explains a member's false or late /health, never a member that does not take the connection.
  const outDuringHandover = setAside.filter((s) => s.running < 2);
  assert.deepEqual(outDuringHandover, [], 'during a handover, 2 of 3 members still take the connection');
  assert.ok(moved.length <= 3, `at most one handover per member stopped: ${JSON.stringify(moved)}`);
  for (const handover of moved) assert.ok(handover.to - handover.from < 1000, `a handover, not an election: ${JSON.stringify(handover)}`);
  assert.ok(samples.length > 100, describe(samples));
  assert.deepEqual(upgraded.services[0]?.containers.map((c) => c.name).sort(), [...before].sort());
  const entry = upgraded.history?.at(-1);
  assert.match(entry?.cause ?? '', /^3 containers: 3 replaced \(config changed: /);
  const steps = upgraded.events.map((e) => e.message);
  for (const n of [1, 2, 3])
    assert.ok(
      steps.some((m) => m.startsWith(`upgrade of etcd: batch ${n}/3 passed its gate`)),
      JSON.stringify(steps),
    );
});
