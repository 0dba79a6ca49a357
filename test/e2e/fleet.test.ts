/**
 * The test fleet itself (issue 3, "Done when"): host labels from `docker info`, a real etcd
 * from the registry on h1's own address, a published port on h2 reached from the root
 * namespace, no way out of the machine, and a warm `scripts/fleet up` within 10 s.
 * Every container made here is removed, whatever the outcome.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureFleet, type FleetHost, type FleetInfo } from './fleet.js';

const run = promisify(execFile);
const FLEET_SCRIPT = fileURLToPath(new URL('../../../scripts/fleet', import.meta.url));
const TEST_LABEL = 'corral.e2e=fleet-test';
const runId = Math.random().toString(36).slice(2, 7);

let fleet: FleetInfo;
const made: Array<{ host: FleetHost; id: string }> = [];

async function docker(host: FleetHost, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', host.docker, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** `docker run -d` on a host; the container is recorded for removal in after(). */
async function runDetached(host: FleetHost, ...args: string[]): Promise<string> {
  const id = await docker(host, 'run', '-d', '--label', TEST_LABEL, ...args);
  made.push({ host, id });
  return id;
}

function hostNamed(name: string): FleetHost {
  const host = fleet.hosts.find((candidate) => candidate.name === name);
  assert.ok(host, `the fleet has no host ${name}`);
  return host;
}

/** One HTTP request from the root namespace; resolves with status and body. */
function http(method: string, url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, timeout: 2000, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 2 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Retries an HTTP request until it answers 200, for up to `seconds`. */
async function httpUntilOk(method: string, url: string, body: string | undefined, seconds: number): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const answer = await http(method, url, body);
      if (answer.status === 200) return answer.body;
      last = `HTTP ${answer.status}: ${answer.body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${method} ${url} did not answer 200 within ${seconds} s (last: ${last})`);
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

before(async () => {
  fleet = await ensureFleet();
});

after(async () => {
  await Promise.all(made.map(({ host, id }) => docker(host, 'rm', '-f', '-v', id)));
  for (const host of fleet?.hosts ?? []) {
    assert.equal(
      await docker(host, 'ps', '-aq', '--filter', `label=${TEST_LABEL}`, '--filter', `name=${runId}`),
      '',
      `containers left on ${host.name}`,
    );
  }
});

test('corral.yml lists every host with its socket, address and labels', () => {
  assert.ok(fleet.hosts.length >= 3, `expected at least 3 hosts, got ${fleet.hosts.length}`);
  assert.deepEqual(
    fleet.hosts.slice(0, 3).map((host) => [host.name, host.address, host.docker, host.labels]),
    [
      ['h1', '10.99.0.11', `unix://${fleet.hosts[0]?.socket}`, { zone: 'a', disk: 'ssd' }],
      ['h2', '10.99.0.12', `unix://${fleet.hosts[1]?.socket}`, { zone: 'b', disk: 'ssd' }],
      ['h3', '10.99.0.13', `unix://${fleet.hosts[2]?.socket}`, { zone: 'c', disk: 'hdd', edge: 'true' }],
    ],
  );
});

test("each host's dockerd reports that host's labels, its own name and its own daemon ID", async () => {
  const infos = await Promise.all(
    fleet.hosts.map(
      async (host) => JSON.parse(await docker(host, 'info', '--format', '{{json .}}')) as { Labels: string[]; Name: string; ID: string },
    ),
  );
  for (const [index, host] of fleet.hosts.entries()) {
    const info = infos[index];
    assert.ok(info);
    assert.deepEqual(
      info.Labels.slice().sort(),
      Object.entries(host.labels)
        .map(([key, value]) => `${key}=${value}`)
        .sort(),
      host.name,
    );
    assert.equal(info.Name, host.name);
  }
  assert.equal(new Set(infos.map((info) => info.ID)).size, fleet.hosts.length, 'daemon IDs must differ');
  assert.deepEqual((infos[1]?.Labels ?? []).slice().sort(), ['disk=ssd', 'zone=b']);
});

test('an etcd from the registry, with host networking on h1, answers at 10.99.0.11:2379', async () => {
  const h1 = hostNamed('h1');
  const peer = `http://${h1.address}:2380`;
  const client = `http://${h1.address}:2379`;
  await runDetached(
    h1,
    '--name',
    `fleet-etcd-${runId}`,
    '--network',
    'host',
    '--pull',
    'always',
    fleet.images.etcd,
    'etcd',
    '--name',
    'e2e',
    '--data-dir',
    `/tmp/etcd-${runId}`,
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `e2e=${peer}`,
  );

  const version = JSON.parse(await httpUntilOk('GET', `${client}/version`, undefined, 20)) as { etcdserver: string };
  assert.match(version.etcdserver, /^3\.4\./);
  await httpUntilOk('POST', `${client}/v3/kv/put`, JSON.stringify({ key: base64('fleet'), value: base64(runId) }), 5);
  const range = JSON.parse(await httpUntilOk('POST', `${client}/v3/kv/range`, JSON.stringify({ key: base64('fleet') }), 5)) as {
    kvs?: Array<{ value: string }>;
  };
  assert.equal(Buffer.from(range.kvs?.[0]?.value ?? '', 'base64').toString(), runId);
});

test('a busybox httpd with a published port on h2 answers at 10.99.0.12:PORT from the root namespace', async () => {
  const h2 = hostNamed('h2');
  const page = `hello from h2 ${runId}`;
  const id = await runDetached(
    h2,
    '--name',
    `fleet-httpd-${runId}`,
    '-p',
    '80',
    fleet.images.busybox,
    'sh',
    '-c',
    `mkdir /www && echo "${page}" > /www/index.html && exec httpd -f -p 80 -h /www`,
  );
  const published = await docker(h2, 'port', id, '80/tcp');
  const port = /:(\d+)$/m.exec(published)?.[1];
  assert.ok(port, `no published port in '${published}'`);

  const body = await httpUntilOk('GET', `http://${h2.address}:${port}/index.html`, undefined, 10);
  assert.equal(body.trim(), page);
});

test('a container reaches other fleet hosts but nothing beyond the machine', async () => {
  const h3 = hostNamed('h3');
  const { stdout } = await run('ip', ['-n', 'corral-h3', 'route', 'show', 'default']);
  assert.equal(stdout.trim(), '', 'the host namespace must have no default route');
  const id = await runDetached(h3, '--name', `fleet-probe-${runId}`, fleet.images.busybox, 'sleep', '60');
  const outside = await docker(h3, 'exec', id, 'sh', '-c', 'nc -w 2 198.51.100.1 80 </dev/null 2>&1; echo "exit=$?"');
  assert.match(outside, /Network is unreachable[\s\S]*exit=1/);
  const registry = await docker(h3, 'exec', id, 'sh', '-c', `nc -w 2 ${fleet.registry.replace(':', ' ')} </dev/null; echo "exit=$?"`);
  assert.match(registry, /exit=0/);
});

test('a second scripts/fleet up finds everything running within 10 s', async () => {
  const started = Date.now();
  await run(FLEET_SCRIPT, ['up'], { timeout: 60_000 });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds <= 10, `warm up took ${seconds} s`);
});
