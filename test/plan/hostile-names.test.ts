/** Names a template author writes that are also Object.prototype members, from render through schedule and plan. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObservedHost } from '../../src/model/observed.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { loadDesiredState } from '../../src/render/index.js';
import { scheduleStacks } from '../../src/schedule/index.js';
import { host as fixtureHost, placement, stack } from './fixtures.js';

const COMPOSE = `web:
  image: nginx
  volumes:
    - valueOf:/data
  environment:
    GREETING: \${toString}
  links:
    - toString
    - constructor:hasOwnProperty
constructor:
  image: nginx
  volumes_from:
    - valueOf
toString:
  image: nginx
`;

function render(compose: string) {
  return loadDesiredState(
    new Map([
      ['catalog/templates/names/config.yml', 'name: names\n'],
      ['catalog/templates/names/0/docker-compose.yml', compose],
      ['catalog/templates/names/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
      ['stacks/n/stack.yml', 'template: names\n'],
    ]),
    { policy: { ...DEFAULT_POLICY, allow: ['shared_namespaces'] } },
  );
}

const host: ObservedHost = {
  name: 'h1',
  address: '10.0.0.1',
  reachable: true,
  labels: {},
  containers: [],
  images: [],
  networks: [],
  volumes: [],
};

test('services, links, link aliases, volumes, volumes_from and variables named like Object members (toString, valueOf, …) are names like any other, and the stack is planned', () => {
  const state = render(COMPOSE);
  assert.deepEqual(state.failed, []);
  assert.ok(
    state.stacks[0]?.warnings.some((d) => d.message.includes('toString') && d.message.includes('not set')),
    JSON.stringify(state.stacks[0]?.warnings),
  );
  const [stack] = state.stacks;
  assert.ok(stack);
  assert.deepEqual(Object.keys(stack.services), ['web', 'constructor', 'toString']);
  const planned = plan(state.stacks, scheduleStacks(state.stacks, [host]), { hosts: [host] }, { prune: true });
  const creates = planned.operations.filter((op) => op.kind === 'CreateContainer').map((op) => op.target);
  assert.deepEqual(creates.sort(), ['n-constructor-1', 'n-toString-1', 'n-web-1']);
  const constructorCreate = planned.operations.find((op) => op.kind === 'CreateContainer' && op.target === 'n-constructor-1');
  assert.ok(constructorCreate?.kind === 'CreateContainer');
  assert.deepEqual(constructorCreate.container.HostConfig?.VolumesFrom, ['valueOf']);
  assert.deepEqual(constructorCreate.container.NetworkingConfig, {
    EndpointsConfig: { 'corral-n': { Aliases: ['constructor', 'constructor.n', 'hasOwnProperty'] } },
  });
  const webCreate = planned.operations.find((op) => op.kind === 'CreateContainer' && op.target === 'n-web-1');
  assert.ok(webCreate?.kind === 'CreateContainer');
  assert.deepEqual(webCreate.container.HostConfig?.Binds, ['n_valueOf:/data']);
  assert.deepEqual(webCreate.container.Env, ['GREETING=']);
  assert.match(webCreate.configHash, /^[0-9a-f]{64}$/);
});

test('a unit placed for a service named like an Object member that the stack lacks is an error note, and links to such names are not followed; the rest is planned', () => {
  const desired = stack('s', { web: { links: ['hasOwnProperty', 'valueOf:alias', 'constructor:alias'] } });
  const placements = [
    placement('s', [
      ['constructor', 1, 'h1'],
      ['toString', 1, 'h1'],
      ['web', 1, 'h1'],
    ]),
  ];
  assert.equal(
    formatPlan(plan([desired], placements, { hosts: [fixtureHost('h1')] }, { prune: true })),
    `stack s
  error: s-constructor-1: placed on unknown host "h1" or for an unknown service; left as is
  error: s-toString-1: placed on unknown host "h1" or for an unknown service; left as is
  #1 h1 CreateNetwork corral-s: missing, create
  #2 h1 CreateContainer s-web-1 after #1: scale 0 → 1
  #3 h1 StartContainer s-web-1 after #2: created, start
`,
  );
});
