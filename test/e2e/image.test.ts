/**
 * corral's image, built by the fleet's host h1 from a fresh clone of this repository (its
 * checked-out commit) on the fleet's Node.js 20 base, then run from it as a container on h1 that
 * manages all three hosts over TLS (the fleet's corral-tls.yml, certificates mounted read-only),
 * follows a copy of the demo repository (the bundled catalog and stacks/demo-web, on a port and
 * with a name of its own) and serves the API.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type GitRemote, ROOT, waitFor } from './daemon-harness.js';
import { ensureFleet, type FleetHost } from './fleet.js';
import {
  buildContext,
  buildImage,
  type CorralContainer,
  demoRemote,
  docker,
  IMAGE_UID,
  imageFacts,
  removeDir,
  removeQuietly,
  runCorral,
  tlsConfigDir,
} from './image-harness.js';
import { cleanup, fleetHosts } from './sync-repo.js';

const TAG = `corral-test:${process.pid}`;
const STACK = `img${process.pid % 10000}-web`;
const PORT = 20000 + (process.pid % 10000);
let h1: FleetHost;
let context: string | undefined;
let configDir: string | undefined;
let remote: GitRemote | undefined;
let corral: CorralContainer | undefined;

before(async () => {
  const fleet = await ensureFleet();
  h1 = fleet.hosts[0] as FleetHost;
  context = buildContext();
  const tookMs = await buildImage(h1.docker, TAG, context);
  process.stderr.write(`image ${TAG} built on ${h1.name} in ${tookMs} ms\n`);
});

after(async () => {
  if (corral) await removeQuietly(h1.docker, ['rm', '--force', corral.id]);
  await removeQuietly(h1.docker, ['rmi', TAG]);
  await cleanup(await fleetHosts(), [STACK]);
  remote?.destroy();
  removeDir(context);
  removeDir(configDir);
});

test('the image: corral run as entrypoint, a health check, a user of its own, and only what runs', async () => {
  const facts = await imageFacts(h1.docker, TAG);
  process.stderr.write(`image ${TAG}: ${(facts.size / 1e6).toFixed(1)} MB\n`);
  assert.deepEqual(facts.entrypoint, ['node', '/app/bin/corral', 'run']);
  assert.equal(facts.user, `${IMAGE_UID}:${IMAGE_UID}`);
  assert.deepEqual(facts.healthcheck, ['CMD', 'node', '/app/docker/healthcheck.mjs']);
  const probe = [
    'const fs = require("node:fs");',
    'const has = (p) => fs.existsSync(p);',
    'console.log(JSON.stringify({',
    '  cli: has("/app/dist/bundle/corral.cjs") && has("/app/dist/bundle/corral.cjs.cache"), unbundled: has("/app/dist/src"), catalog: has("/app/catalog/templates/hello-web/config.yml"),',
    '  dockerode: has("/app/node_modules/dockerode"), typescript: has("/app/node_modules/typescript"),',
    '  biome: has("/app/node_modules/@biomejs"), tsNative: has("/app/node_modules/@typescript"),',
    '  sources: has("/app/src"), tests: has("/app/dist/test"),',
    '  uid: process.getuid(), home: fs.statSync(process.cwd()).uid, cwd: process.cwd() }));',
  ].join('\n');
  const seen = JSON.parse(await docker(h1.docker, ['run', '--rm', '--entrypoint', 'node', TAG, '-e', probe]));
  assert.deepEqual(seen, {
    cli: true,
    unbundled: false,
    catalog: true,
    dockerode: true,
    typescript: false,
    biome: false,
    tsNative: false,
    sources: false,
    tests: false,
    uid: IMAGE_UID,
    home: IMAGE_UID,
    cwd: '/var/lib/corral',
  });
  const help = await docker(h1.docker, ['run', '--rm', TAG, '--help']);
  assert.match(help, /--replica-name/);
});

test('corral from the image manages all three hosts over TLS: the demo stack converges, one container a host, and the API serves it', async () => {
  configDir = tlsConfigDir();
  remote = demoRemote(STACK, demoStack());
  corral = await runCorral(h1.docker, {
    name: `corral-test-${process.pid}`,
    image: TAG,
    address: h1.address,
    configDir,
    repo: remote.bare,
  });

  await waitFor('the API answers', 30_000, async () => (await fetch(`${corral?.url}/healthz`)).ok);
  const status = await waitFor('the demo stack Synced and Healthy', 120_000, async () => {
    const response = await fetch(`${corral?.url}/api/v1/stacks/${STACK}`);
    const body = response.ok
      ? ((await response.json()) as { sync: string; health: string; endpoints: { host: string; address: string; port: number }[] })
      : undefined;
    return body?.sync === 'Synced' && body.health === 'Healthy' ? body : undefined;
  });
  assert.deepEqual(status.endpoints.map((e) => e.host).sort(), ['h1', 'h2', 'h3']);
  for (const endpoint of status.endpoints) {
    const page = await (await fetch(`http://${endpoint.address}:${endpoint.port}/`)).text();
    assert.match(page, new RegExp(`^from the image from ${STACK}-web-\\d`));
  }
  const health = await waitFor('Docker reports the container healthy', 60_000, async () => {
    const state = JSON.parse(await docker(h1.docker, ['inspect', '--format', '{{json .State.Health}}', corral?.id ?? ''])) as {
      Status: string;
    };
    return state.Status === 'healthy' ? state : undefined;
  });
  assert.equal(health.Status, 'healthy');
  const logs = await docker(h1.docker, ['logs', corral.id]);
  assert.match(logs, /"message":"corral is running"/);
  assert.match(logs, /tcp:\/\/10\.99\.0\.11:2376|"hosts":\["h1","h2","h3"\]/);
  assert.doesNotMatch(logs, /BEGIN (EC |RSA )?PRIVATE KEY/);
});

/** The repository's demo stack (stacks/demo-web), on a port of this run, one container a host, with a title of its own. */
function demoStack(): string {
  const demo = readFileSync(`${ROOT}/stacks/demo-web/stack.yml`, 'utf8');
  const changed = demo
    .replace(/^( +scale:).*$/m, '$1 3')
    .replace(/^( +public_port:).*$/m, `$1 ${PORT}`)
    .replace(/^( +title:).*$/m, '$1 from the image');
  assert.notEqual(changed, demo, 'stacks/demo-web/stack.yml has scale, public_port and title answers');
  return changed;
}
