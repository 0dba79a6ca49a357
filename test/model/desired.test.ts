import assert from 'node:assert/strict';
import test from 'node:test';
import { type DesiredService, linkTargets, serviceNamed, unitServices } from '../../src/model/desired.js';
import { desiredStack } from '../fixtures/desired.js';

const service = (name: string, sidekicks: string[] = []): DesiredService => ({
  name,
  compose: { image: 'nginx:1.25', labels: {}, environment: {} },
  rancher: {},
  scale: 1,
  global: false,
  sidekicks,
});

test('serviceNamed finds a stack service by a name from outside the record, and no Object member', () => {
  const stack = desiredStack('shop', [service('web'), service('db')]);
  assert.equal(serviceNamed(stack, 'web')?.name, 'web');
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'ghost'])
    assert.equal(serviceNamed(stack, name), undefined, `${name} is no service of the stack`);
});

test("unitServices gives the primary and the sidekicks the stack has, and no Object member for a sidekick label's name", () => {
  const web = service('web', ['log', 'toString', 'constructor']);
  const stack = desiredStack('shop', [web, service('log')]);
  assert.deepEqual(
    unitServices(stack, web).map((s) => s.name),
    ['web', 'log'],
  );
});

test("linkTargets names the stack's own services a service links to, once each, without aliases or other stacks' services", () => {
  const linking = (links: unknown): DesiredService => ({
    ...service('web'),
    compose: { labels: {}, environment: {}, links } as DesiredService['compose'],
  });
  assert.deepEqual(linkTargets(linking(['db:database', 'cache', 'db', 'other/api', 'other/api:api'])), ['db', 'cache']);
  assert.deepEqual(linkTargets(linking('db')), ['db']);
  assert.deepEqual(linkTargets(linking(undefined)), []);
});
