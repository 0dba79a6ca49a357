import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredService, DesiredStack } from '../../src/model/desired.js';
import { containerName, keptName, rancherSystemLabels } from '../../src/model/naming.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { type AffinityConstraint, parseAffinityLabels, parseRequireAny } from '../../src/schedule/constraints.js';
import { scheduleStacks } from '../../src/schedule/index.js';

// ---- factories ---------------------------------------------------------------

interface ServiceOptions {
  labels?: Record<string, string>;
  scale?: number;
  global?: boolean;
  sidekicks?: string[];
}

function service(name: string, options: ServiceOptions = {}): DesiredService {
  return {
    name,
    compose: { image: 'busybox', labels: options.labels ?? {}, environment: {} },
    rancher: {},
    scale: options.scale ?? 1,
    global: options.global ?? false,
    sidekicks: options.sidekicks ?? [],
  };
}

function stack(name: string, ...services: DesiredService[]): DesiredStack {
  const byName = Object.fromEntries(services.map((s) => [s.name, s]));
  for (const primary of services) {
    for (const sidekick of primary.sidekicks) {
      const member = byName[sidekick];
      if (member) Object.assign(member, { primary: primary.name, scale: primary.scale });
    }
  }
  return {
    name,
    template: { catalog: 'library', template: name, folder: '0', version: '1.0.0' },
    variables: {},
    secretVariables: [],
    services: byName,
    volumes: {},
    ignoredKeys: [],
    warnings: [],
  };
}

function host(
  name: string,
  options: { labels?: Record<string, string>; reachable?: boolean; containers?: ObservedContainer[] } = {},
): ObservedHost {
  const containers = (options.containers ?? []).map((c) => ({ ...c, host: name }));
  return {
    name,
    address: `10.0.0.${name.length}`,
    reachable: options.reachable ?? true,
    labels: options.labels ?? {},
    containers,
    images: [],
    networks: [],
    volumes: [],
  };
}

/** A container corral created earlier for `<stack>/<service>` instance n (stopped when `state` says so). */
function existing(
  stackName: string,
  serviceName: string,
  instance: number,
  options: { primary?: string; labels?: Record<string, string>; state?: ObservedContainer['state'] } = {},
): ObservedContainer {
  const unit = options.primary ?? serviceName;
  return {
    id: `${stackName}-${serviceName}-${instance}-id`,
    name: containerName(stackName, serviceName, instance, options.primary),
    host: '',
    image: 'busybox',
    labels: { ...options.labels, ...rancherSystemLabels(stackName, serviceName, instance, options.primary) },
    state: options.state ?? 'running',
    ports: [],
    owner: { stack: stackName, service: serviceName, unit, instance, configHash: 'h' },
  };
}

/** The kept predecessor (`<name>-prev`, stopped) of instance n during an upgrade not finished yet. */
function kept(stackName: string, serviceName: string, instance: number): ObservedContainer {
  const old = existing(stackName, serviceName, instance, { state: 'exited' });
  return {
    ...old,
    id: `${old.id}-prev`,
    name: keptName(old.name),
    owner: { ...(old.owner as NonNullable<ObservedContainer['owner']>), kept: true },
  };
}

/** Placements as `service-n@host`, in output order. */
function where(placement: StackPlacement | undefined): string[] {
  assert.ok(placement, 'no placement for the stack');
  assert.deepEqual(placement.errors, []);
  return placement.instances.map((i) => `${i.service}-${i.instance}@${i.host}`);
}

function one(stacks: DesiredStack[], hosts: ObservedHost[]): StackPlacement {
  const [placement] = scheduleStacks(stacks, hosts);
  assert.ok(placement);
  return placement;
}

const AFFINITY = 'io.rancher.scheduler.affinity:';
// As rendered: the compose file's `$${...}` has already become `${...}`.
const SELF_NE = { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=${stack_name}/${service_name}' };
const threeHosts = () => [host('h1'), host('h2'), host('h3')];

// ---- parsing the labels ------------------------------------------------------

const macros = { stackName: 'S', serviceName: 'Web', stackServices: ['web', 'db'] };
const parse = (labels: Record<string, string>) => parseAffinityLabels(labels, macros);
const brief = (c: AffinityConstraint) => `${c.kind}|${c.op}|${c.key ?? ''}|${c.value}`;

const kindsAndSuffixes: [string, string, string][] = [
  ['host_label', 'zone=a', 'host_label|must|zone|a'],
  ['host_label_ne', 'zone=a', 'host_label|must_not|zone|a'],
  ['host_label_soft', 'zone=a', 'host_label|prefer|zone|a'],
  ['host_label_soft_ne', 'zone=a', 'host_label|prefer_not|zone|a'],
  ['container_label', 'app=db', 'container_label|must|app|db'],
  ['container_label_ne', 'app=db', 'container_label|must_not|app|db'],
  ['container_label_soft', 'app=db', 'container_label|prefer|app|db'],
  ['container_label_soft_ne', 'app=db', 'container_label|prefer_not|app|db'],
  ['container', 'other-db-1', 'container|must||other-db-1'],
  ['container_ne', 'other-db-1', 'container|must_not||other-db-1'],
  ['container_soft', 'other-db-1', 'container|prefer||other-db-1'],
  ['container_soft_ne', 'other-db-1', 'container|prefer_not||other-db-1'],
];
for (const [rule, value, expected] of kindsAndSuffixes) {
  test(`parse: affinity:${rule} ${value}`, () => {
    const parsed = parse({ [`${AFFINITY}${rule}`]: value });
    assert.deepEqual(parsed.constraints.map(brief), [expected]);
    assert.deepEqual(parsed.warnings, []);
  });
}

test('parse: an unknown kind or suffix is a warning and no rule', () => {
  const parsed = parse({
    [`${AFFINITY}not_host_label`]: 'lb=0',
    [`${AFFINITY}host_label_hard`]: 'a=b',
    'io.rancher.scheduler.global': 'true',
  });
  assert.deepEqual(parsed.constraints, []);
  assert.equal(parsed.warnings.length, 2);
  assert.match(
    parsed.warnings[0] ?? '',
    /not_host_label is not a scheduling rule and is ignored; accepted: .*<host_label\|container_label\|container>\[_ne\|_soft\|_soft_ne\]/,
  );
});

test('parse: comma items are separate rules; blanks skipped, items trimmed, keys and values lowercased', () => {
  const parsed = parse({ [`IO.Rancher.Scheduler.Affinity:Host_Label`]: 'Zone=A, disk=SSD,,' });
  assert.deepEqual(parsed.constraints.map(brief), ['host_label|must|zone|a', 'host_label|must|disk|ssd']);
});

test('parse: ${stack_name} and ${service_name} expand; the short stack_service.name form gets the stack', () => {
  const parsed = parse({
    [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=${stack_name}/${service_name}',
    [`${AFFINITY}container_label`]: 'io.rancher.stack_service.name=db,io.rancher.stack_service.name=other',
  });
  assert.deepEqual(
    parsed.constraints.map((c) => c.text),
    [
      'container_label_ne io.rancher.stack_service.name=s/web (must not)',
      'container_label io.rancher.stack_service.name=s/db (must)',
      'container_label io.rancher.stack_service.name=other (must)',
    ],
  );
});

test('parse: a host_label item without = warns and, as in Cattle, matches no host label', () => {
  const parsed = parse({ [`${AFFINITY}host_label`]: 'ssd' });
  assert.deepEqual(parsed.constraints.map(brief), ['host_label|must||ssd']);
  assert.match(parsed.warnings[0] ?? '', /"ssd" is not key=value; .* no host passes/);
  const placement = one(
    [stack('s', service('web', { labels: { [`${AFFINITY}host_label`]: 'ssd' } }))],
    [host('h1', { labels: { ssd: '' } })],
  );
  assert.match(placement.errors[0] ?? '', /no host satisfies host_label ssd \(must\)/);
});

test('parse: require_any takes k=v and bare keys, lowercased', () => {
  const items = parseRequireAny(new Map([['io.rancher.scheduler.require_any', 'io.rancher.container.system, tier=db']]));
  assert.deepEqual(items, [{ key: 'io.rancher.container.system' }, { key: 'tier', value: 'db' }]);
});

// ---- allocation --------------------------------------------------------------

test('allocate: fewest containers first, ties in host name order, unreachable hosts never', () => {
  const hosts = [host('h3'), host('h1', { containers: [existing('other', 'x', 1)] }), host('h0', { reachable: false }), host('h2')];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 3 }))], hosts)), ['web-1@h2', 'web-2@h3', 'web-3@h1']);
});

const hostLabelCases: { name: string; labels: Record<string, string>; expected: string }[] = [
  { name: 'host_label must', labels: { [`${AFFINITY}host_label`]: 'zone=b' }, expected: 'web-1@h2' },
  { name: 'host_label must, compared lowercased', labels: { [`${AFFINITY}host_label`]: 'ZONE=B' }, expected: 'web-1@h2' },
  { name: 'host_label must not', labels: { [`${AFFINITY}host_label_ne`]: 'zone=a' }, expected: 'web-1@h2' },
  { name: 'host_label two items: AND', labels: { [`${AFFINITY}host_label`]: 'zone=b,disk=ssd' }, expected: 'web-1@h3' },
  { name: 'host_label soft, satisfiable', labels: { [`${AFFINITY}host_label_soft`]: 'disk=ssd' }, expected: 'web-1@h3' },
  { name: 'host_label soft, unsatisfiable: dropped', labels: { [`${AFFINITY}host_label_soft`]: 'zone=z' }, expected: 'web-1@h1' },
  { name: 'host_label soft_ne', labels: { [`${AFFINITY}host_label_soft_ne`]: 'zone=a' }, expected: 'web-1@h2' },
];
for (const { name, labels, expected } of hostLabelCases) {
  test(`allocate: ${name}`, () => {
    const hosts = [
      host('h1', { labels: { zone: 'a' } }),
      host('h2', { labels: { Zone: 'B' } }),
      host('h3', { labels: { zone: 'b', disk: 'ssd' } }),
    ];
    assert.deepEqual(where(one([stack('s', service('web', { labels }))], hosts)), [expected]);
  });
}

test('allocate: container_label_ne on itself spreads instances; one more than hosts fails the stack', () => {
  assert.deepEqual(where(one([stack('s', service('tikv', { scale: 3, labels: SELF_NE }))], threeHosts())), [
    'tikv-1@h1',
    'tikv-2@h2',
    'tikv-3@h3',
  ]);
  const failed = one(
    [stack('s', service('tikv', { scale: 4, labels: { ...SELF_NE, [`${AFFINITY}host_label`]: 'zone=x' } }))],
    threeHosts().map((h) => ({ ...h, labels: { zone: 'x' } })),
  );
  assert.deepEqual(failed.instances, []);
  assert.deepEqual(failed.errors, [
    'service tikv: no host satisfies container_label_ne io.rancher.stack_service.name=s/tikv (must not) (instance 4; closest host: h1)',
  ]);
});

test('allocate: container_label must joins containers already there, stopped ones included', () => {
  const hosts = [host('h1'), host('h2', { containers: [existing('data', 'db', 1, { labels: { tier: 'db' }, state: 'exited' })] })];
  const labels = { [`${AFFINITY}container_label`]: 'tier=db' };
  assert.deepEqual(where(one([stack('s', service('web', { labels }))], hosts)), ['web-1@h2']);
});

test('allocate: container (name) must and must not', () => {
  const hosts = [host('h1', { containers: [existing('data', 'db', 1)] }), host('h2')];
  assert.deepEqual(where(one([stack('s', service('web', { labels: { [`${AFFINITY}container`]: 'Data-DB-1' } }))], hosts)), ['web-1@h1']);
  assert.deepEqual(where(one([stack('s', service('web', { scale: 2, labels: { [`${AFFINITY}container_ne`]: 'data-db-1' } }))], hosts)), [
    'web-1@h2',
    'web-2@h2',
  ]);
});

test('allocate: when no host passes, the first soft rule the closest host fails is dropped first', () => {
  // h1 fails only a=1, h2 fails only b=1: h1 is closest (earlier), so a=1 is dropped and h1 wins.
  const labels = { [`${AFFINITY}host_label_soft`]: 'a=1,b=1' };
  const hosts = [host('h1', { labels: { b: '1' } }), host('h2', { labels: { a: '1' } })];
  assert.deepEqual(where(one([stack('s', service('web', { labels }))], hosts)), ['web-1@h1']);
  // A soft rule is dropped only as far as needed: the hard rule still holds.
  const mixed = { [`${AFFINITY}host_label`]: 'zone=b', [`${AFFINITY}host_label_soft`]: 'disk=ssd' };
  assert.deepEqual(
    where(
      one(
        [stack('s', service('web', { labels: mixed }))],
        [host('h1', { labels: { disk: 'ssd' } }), host('h2', { labels: { zone: 'b' } })],
      ),
    ),
    ['web-1@h2'],
  );
});

test('allocate: the error lists every hard rule the closest host fails, not the soft ones', () => {
  const labels = {
    [`${AFFINITY}host_label`]: 'zone=x',
    [`${AFFINITY}host_label_soft`]: 'disk=ssd',
    [`${AFFINITY}container_label_ne`]: 'app=db',
  };
  const placement = one(
    [stack('s', service('web', { labels }))],
    [host('h1', { containers: [existing('d', 'db', 1, { labels: { app: 'db' } })] })],
  );
  assert.deepEqual(placement.errors, [
    'service web: no host satisfies host_label zone=x (must), container_label_ne app=db (must not) (instance 1; closest host: h1)',
  ]);
});

test('allocate: no reachable host is an error naming the service', () => {
  const placement = one([stack('s', service('web'))], [host('h1', { reachable: false })]);
  assert.deepEqual(placement.errors, ['service web: no reachable host to place instance 1 on']);
});

// ---- across units and stacks -------------------------------------------------

test('stacks: tentative placements of earlier stacks count for later ones', () => {
  const first = stack('a', service('db', { scale: 2 }));
  const second = stack(
    'b',
    service('web', { labels: { [`${AFFINITY}container_label`]: 'io.rancher.stack_service.name=a/db' } }),
    service('cache'),
  );
  const [a, b] = scheduleStacks([first, second], threeHosts());
  assert.deepEqual(where(a), ['db-1@h1', 'db-2@h2']);
  assert.deepEqual(where(b), ['cache-1@h3', 'web-1@h1']);
});

test('stacks: a failing stack fails alone and places nothing', () => {
  const broken = stack('a', service('db'), service('web', { labels: { [`${AFFINITY}host_label`]: 'zone=none' } }));
  const fine = stack('b', service('web'));
  const [a, b] = scheduleStacks([broken, fine], [host('h1'), host('h2')]);
  assert.deepEqual(a?.instances, []);
  assert.deepEqual(a?.errors, ['service web: no host satisfies host_label zone=none (must) (instance 1; closest host: h2)']);
  // db of stack a was tentatively on h1, but a failed: for stack b h1 is still empty.
  assert.deepEqual(where(b), ['web-1@h1']);
});

test('stacks: unknown affinity labels reach the placement as warnings', () => {
  const placement = one([stack('s', service('lb', { labels: { [`${AFFINITY}not_host_label`]: 'lb=0' } }))], [host('h1')]);
  assert.deepEqual(where(placement), ['lb-1@h1']);
  assert.match(placement.warnings[0] ?? '', /^service lb: label io\.rancher\.scheduler\.affinity:not_host_label is not a scheduling rule/);
});

test('stacks: output is sorted by service then instance, and the same input gives the same output', () => {
  const input = () => [stack('s', service('zk', { scale: 3 }), service('api', { scale: 2 }))];
  const placement = one(input(), threeHosts());
  assert.deepEqual(where(placement), ['api-1@h1', 'api-2@h2', 'zk-1@h3', 'zk-2@h1', 'zk-3@h2']);
  assert.deepEqual(one(input(), threeHosts()), placement);
});

// ---- global services ---------------------------------------------------------

test('global: one instance on every reachable host passing host_label rules; soft counts as hard; container rules ignored', () => {
  const labels = {
    'io.rancher.scheduler.global': 'true',
    [`${AFFINITY}host_label`]: 'agent=yes',
    [`${AFFINITY}host_label_soft_ne`]: 'gpu=yes',
    ...SELF_NE,
  };
  const hosts = [
    host('h1', { labels: { agent: 'yes' } }),
    host('h2', { labels: { agent: 'yes', gpu: 'yes' } }),
    host('h3'),
    host('h4', { labels: { agent: 'yes' }, reachable: false }),
    host('h5', { labels: { agent: 'yes' } }),
  ];
  assert.deepEqual(where(one([stack('s', service('agent', { global: true, labels }))], hosts)), ['agent-1@h1', 'agent-2@h5']);
});

test('global: numbers stay with their host, a new host gets the lowest free number, a host that lost its label is dropped, an unreachable one kept', () => {
  const labels = { [`${AFFINITY}host_label`]: 'agent=yes' };
  const hosts = [
    host('h1', { labels: { agent: 'yes' }, containers: [existing('s', 'agent', 3)] }),
    host('h2', { containers: [existing('s', 'agent', 1)] }),
    host('h3', { labels: { agent: 'yes' } }),
    host('h4', { reachable: false, containers: [existing('s', 'agent', 2)] }),
  ];
  assert.deepEqual(where(one([stack('s', service('agent', { global: true, labels }))], hosts)), ['agent-1@h3', 'agent-2@h4', 'agent-3@h1']);
});

test('global: with no eligible host, no instance and a warning', () => {
  const placement = one([stack('s', service('agent', { global: true, labels: { [`${AFFINITY}host_label`]: 'agent=yes' } }))], [host('h1')]);
  assert.deepEqual(where(placement), []);
  assert.match(placement.warnings[0] ?? '', /service agent: global, but no reachable host is eligible/);
});

test('global: placed before the other units of the stack, so their container rules see it', () => {
  const lb = service('lb', { global: true, labels: { [`${AFFINITY}host_label`]: 'edge=yes' } });
  const app = service('app', { labels: { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=lb' } });
  const placement = one(
    [stack('s', app, lb)],
    [host('h1', { labels: { edge: 'yes' } }), host('h2', { containers: [existing('x', 'y', 1)] })],
  );
  assert.deepEqual(where(placement), ['app-1@h2', 'lb-1@h1']);
});

// ---- sidekicks ---------------------------------------------------------------

test('sidekicks: the unit is placed as one, with the affinity rules of every member', () => {
  const web = service('web', { scale: 2, sidekicks: ['log'], labels: SELF_NE });
  const log = service('log', { labels: { [`${AFFINITY}host_label`]: 'disk=ssd' } });
  const hosts = [host('h1'), host('h2', { labels: { disk: 'ssd' } }), host('h3', { labels: { disk: 'ssd' } })];
  assert.deepEqual(where(one([stack('s', web, log)], hosts)), ['web-1@h2', 'web-2@h3']);
});

test('sidekicks: every container of a unit counts for the next units (fewest containers first)', () => {
  const web = service('web', { sidekicks: ['log', 'metrics'] });
  const [first, second] = scheduleStacks(
    [stack('a', web, service('log'), service('metrics')), stack('b', service('api', { scale: 3 }))],
    [host('h1'), host('h2')],
  );
  assert.deepEqual(where(first), ['web-1@h1']);
  assert.deepEqual(where(second), ['api-1@h2', 'api-2@h2', 'api-3@h2']);
});

// ---- require_any -------------------------------------------------------------

const requireAnyCases: { name: string; requireAny: string; web: Record<string, string>; log: Record<string, string>; expected: string }[] =
  [
    { name: 'a unit without the label is kept off', requireAny: 'tier=db', web: {}, log: {}, expected: 'web-1@h2' },
    { name: 'k=v carried by the primary', requireAny: 'tier=db', web: { Tier: 'DB' }, log: {}, expected: 'web-1@h1' },
    { name: 'k=v carried by a sidekick is enough', requireAny: 'tier=db', web: {}, log: { tier: 'db' }, expected: 'web-1@h1' },
    {
      name: 'bare key: the label is present',
      requireAny: 'io.rancher.container.system, tier=db',
      web: { 'io.rancher.container.system': 'x' },
      log: {},
      expected: 'web-1@h1',
    },
    { name: 'k=v with another value does not count', requireAny: 'tier=db', web: { tier: 'web' }, log: {}, expected: 'web-1@h2' },
  ];
for (const { name, requireAny, web, log, expected } of requireAnyCases) {
  test(`require_any: ${name}`, () => {
    const hosts = [
      host('h1', { labels: { 'io.rancher.scheduler.require_any': requireAny } }),
      host('h2', { containers: [existing('x', 'y', 1)] }),
    ];
    const s = stack('s', service('web', { sidekicks: ['log'], labels: web }), service('log', { labels: log }));
    assert.deepEqual(where(one([s], hosts)), [expected]);
  });
}

test('require_any: applies to global services too', () => {
  const hosts = [host('h1', { labels: { 'io.rancher.scheduler.require_any': 'tier=db' } }), host('h2')];
  assert.deepEqual(where(one([stack('s', service('agent', { global: true }))], hosts)), ['agent-1@h2']);
});

// ---- scale and stable placement ----------------------------------------------

test('scale up keeps existing instances where they are and adds the lowest free numbers', () => {
  const hosts = [host('h1', { containers: [existing('s', 'web', 2)] }), host('h2'), host('h3', { containers: [existing('s', 'web', 4)] })];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 4 }))], hosts)), ['web-1@h2', 'web-2@h1', 'web-3@h1', 'web-4@h3']);
});

test('scale: numbers found out of order are kept lowest first, and the gaps filled lowest first', () => {
  const hosts = [host('h1', { containers: [existing('s', 'web', 5)] }), host('h2', { containers: [existing('s', 'web', 2)] }), host('h3')];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 1 }))], hosts)), ['web-2@h2']);
  assert.deepEqual(where(one([stack('s', service('web', { scale: 4 }))], hosts)), ['web-1@h3', 'web-2@h2', 'web-3@h1', 'web-5@h1']);
});

test('remembered per stack: the same stack objects scheduled again follow the fleet of each call', () => {
  const s = stack('s', service('db', { scale: 2, labels: SELF_NE }));
  assert.deepEqual(where(one([s], threeHosts())), ['db-1@h1', 'db-2@h2']);
  const busy = [host('h1', { containers: [existing('o', 'x', 1)] }), host('h2'), host('h3')];
  assert.deepEqual(where(one([s], busy)), ['db-1@h2', 'db-2@h3']);
  assert.deepEqual(where(one([s], [host('h1', { containers: [existing('s', 'db', 2)] }), host('h2')])), ['db-1@h2', 'db-2@h1']);
});

test("remembered per stack: one stack's parsed rules never serve another's services of the same name and labels", () => {
  const a = stack('a', service('db', { scale: 2, labels: SELF_NE }));
  const b = stack('b', service('db', { scale: 2, labels: SELF_NE }));
  // Each stack's db avoids its own db only: b's fit beside a's on two hosts.
  const [pa, pb] = scheduleStacks([a, b], [host('h1'), host('h2')]);
  assert.deepEqual(where(pa), ['db-1@h1', 'db-2@h2']);
  assert.deepEqual(where(pb), ['db-1@h1', 'db-2@h2']);
});

test('scale down drops the highest numbers first', () => {
  const hosts = [
    host('h1', { containers: [existing('s', 'web', 1), existing('s', 'web', 4)] }),
    host('h2', { containers: [existing('s', 'web', 2), existing('s', 'web', 5)] }),
  ];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 2 }))], hosts)), ['web-1@h1', 'web-2@h2']);
});

test('stable: a running instance is not moved although another host is now emptier', () => {
  const hosts = [host('h1', { containers: [existing('s', 'web', 1), existing('o', 'x', 1)] }), host('h2', { labels: { fast: 'yes' } })];
  assert.deepEqual(where(one([stack('s', service('web', { labels: { [`${AFFINITY}host_label_soft`]: 'fast=yes' } }))], hosts)), [
    'web-1@h1',
  ]);
});

test('stable: an instance on an unreachable host stays there and is not duplicated', () => {
  const hosts = [host('h1', { reachable: false, containers: [existing('s', 'web', 1, { state: 'exited' })] }), host('h2')];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 2 }))], hosts)), ['web-1@h1', 'web-2@h2']);
});

test('stable: an instance whose host no longer passes a hard host_label rule is placed again with its number', () => {
  const labels = { [`${AFFINITY}host_label`]: 'zone=a' };
  const hosts = [host('h1', { labels: { zone: 'b' }, containers: [existing('s', 'web', 2)] }), host('h2', { labels: { zone: 'a' } })];
  assert.deepEqual(where(one([stack('s', service('web', { scale: 1, labels }))], hosts)), ['web-2@h2']);
  assert.deepEqual(where(one([stack('s', service('web', { scale: 2, labels }))], hosts)), ['web-1@h2', 'web-2@h2']);
});

test('stable: a sidekick left over from an instance keeps that instance on its host', () => {
  const hosts = [host('h1', { containers: [existing('s', 'log', 1, { primary: 'web' })] }), host('h2')];
  const s = stack('s', service('web', { sidekicks: ['log'] }), service('log'));
  assert.deepEqual(where(one([s], hosts)), ['web-1@h1']);
});

// ---- indexed allocation: the same answers as trying every host ----------------

const manyHosts = (count: number, labelsOf: (i: number) => Record<string, string> = () => ({})) =>
  Array.from({ length: count }, (_, i) => host(`h${String(i).padStart(2, '0')}`, { labels: labelsOf(i) }));

test('indexed: a hard host rule few hosts match picks the emptiest of them, ties in name order', () => {
  const hosts = manyHosts(20, (i): Record<string, string> => (i % 10 === 3 ? { gpu: 'yes' } : {}));
  hosts[3] = host('h03', { labels: { gpu: 'yes' }, containers: [existing('o', 'x', 1)] });
  const labels = { [`${AFFINITY}host_label`]: 'gpu=yes' };
  assert.deepEqual(where(one([stack('s', service('ml', { scale: 3, labels }))], hosts)), ['ml-1@h13', 'ml-2@h03', 'ml-3@h13']);
});

test('indexed: a hard host rule most hosts match walks the hosts in order', () => {
  const hosts = manyHosts(20, (i): Record<string, string> => (i < 2 ? {} : { pool: 'main' }));
  const labels = { [`${AFFINITY}host_label`]: 'pool=main' };
  assert.deepEqual(where(one([stack('s', service('web', { scale: 2, labels }))], hosts)), ['web-1@h02', 'web-2@h03']);
});

test('indexed: a soft affinity to containers not yet placed is dropped; the emptiest host wins', () => {
  // cache is placed before db (name order), so no host has db yet: every host fails the soft rule alike.
  const cache = service('cache', { labels: { [`${AFFINITY}container_label_soft`]: 'io.rancher.stack_service.name=${stack_name}/db' } });
  const hosts = manyHosts(12);
  hosts[0] = host('h00', { containers: [existing('o', 'x', 1)] });
  assert.deepEqual(where(one([stack('s', cache, service('db'))], hosts)), ['cache-1@h01', 'db-1@h02']);
});

test('indexed: when no host passes, an untouched host can be closest, and its first failing soft rule is dropped', () => {
  // Two soft rules: prefer tier=db containers (on h05 only), prefer not zone=a (h05 has zone=a).
  // h05 fails one rule, every other host fails one too; the first in order (h00) is closest,
  // so the first soft rule it fails (tier=db) is dropped and h00 wins.
  const hosts = manyHosts(10);
  hosts[5] = host('h05', { labels: { zone: 'a' }, containers: [existing('d', 'db', 1, { labels: { tier: 'db' } })] });
  const labels = { [`${AFFINITY}container_label_soft`]: 'tier=db', [`${AFFINITY}host_label_soft_ne`]: 'zone=a' };
  assert.deepEqual(where(one([stack('s', service('web', { labels }))], hosts)), ['web-1@h00']);
});

test('indexed: when no host passes, a touched host is closest when it fails fewer rules than the untouched ones', () => {
  // h07 holds tier=db and has no zone=a: it passes the soft tier=db rule, fails the hard zone=b rule
  // like everyone; no host passes, h07 fails only the hard rule, the others fail both -> error names h07.
  const hosts = manyHosts(10);
  hosts[7] = host('h07', { containers: [existing('d', 'db', 1, { labels: { tier: 'db' } })] });
  const labels = { [`${AFFINITY}host_label`]: 'zone=b', [`${AFFINITY}container_label_soft`]: 'tier=db' };
  const placement = one([stack('s', service('web', { labels }))], hosts);
  assert.deepEqual(placement.errors, ['service web: no host satisfies host_label zone=b (must) (instance 1; closest host: h07)']);
});

test('indexed: a unit that fails takes its tentative containers back before the next unit of its stack is tried', () => {
  // a's 2 instances fit (h1, h2), the 3rd does not (h3, emptiest, is closest); b then sees h1 and
  // h2 empty again: its closest host is h1 (first by name), not h3 (the only empty one otherwise).
  const a = service('a', { scale: 3, labels: { ...SELF_NE, [`${AFFINITY}host_label_ne`]: 'zone=c' } });
  const b = service('b', { labels: { [`${AFFINITY}host_label`]: 'zone=none' } });
  const hosts = [host('h1'), host('h2'), host('h3', { labels: { zone: 'c' } })];
  const placement = one([stack('s', a, b)], hosts);
  assert.deepEqual(placement.errors, [
    'service a: no host satisfies host_label_ne zone=c (must not) (instance 3; closest host: h3)',
    'service b: no host satisfies host_label zone=none (must) (instance 1; closest host: h1)',
  ]);
});

test('indexed: global units look only at the hosts with their required label, in name order', () => {
  const hosts = manyHosts(30, (i) => (i >= 20 && i < 25 ? { rack: 'r2' } : { rack: 'r0' }));
  hosts[22] = { ...host('h22', { labels: { rack: 'r2' } }), reachable: false };
  const labels = { 'io.rancher.scheduler.global': 'true', [`${AFFINITY}host_label`]: 'rack=r2' };
  assert.deepEqual(where(one([stack('s', service('agent', { global: true, labels }))], hosts)), [
    'agent-1@h20',
    'agent-2@h21',
    'agent-3@h23',
    'agent-4@h24',
  ]);
});

// ---- kept predecessors of an upgrade not finished yet ---------------------------

const NOT_WITH_WEB = { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=web/web' };

test('kept: a kept predecessor beside its successor does not make its host look fuller (fewest containers first)', () => {
  const hosts = [
    host('h1', { containers: [existing('web', 'web', 1), kept('web', 'web', 1)] }),
    host('h2', { containers: [existing('web', 'web', 2)] }),
  ];
  const [web, other] = scheduleStacks([stack('web', service('web', { scale: 2 })), stack('other', service('x'))], hosts);
  assert.deepEqual(where(web), ['web-1@h1', 'web-2@h2']);
  // One container each: the tie goes to h1 by name.
  assert.deepEqual(where(other), ['x-1@h1']);
});

test('kept: a kept predecessor whose successor runs elsewhere counts for no container_label rule, and holds no instance', () => {
  const hosts = [host('h1', { containers: [kept('web', 'web', 1)] }), host('h2', { containers: [existing('web', 'web', 1)] })];
  const [web, db] = scheduleStacks([stack('web', service('web')), stack('db', service('db', { labels: NOT_WITH_WEB }))], hosts);
  assert.deepEqual(where(web), ['web-1@h2']);
  assert.deepEqual(where(db), ['db-1@h1']);
  const spread = one([stack('web', service('web', { scale: 2, labels: SELF_NE }))], hosts);
  assert.deepEqual(where(spread), ['web-1@h2', 'web-2@h1']);
});

test('kept: a kept predecessor whose successor is not created yet keeps its instance on its host, which counts for the rules', () => {
  const hosts = [host('h1', { containers: [existing('web', 'web', 1)] }), host('h2', { containers: [kept('web', 'web', 2)] }), host('h3')];
  const [web, db] = scheduleStacks(
    [stack('web', service('web', { scale: 2, labels: SELF_NE })), stack('db', service('db', { labels: NOT_WITH_WEB }))],
    hosts,
  );
  assert.deepEqual(where(web), ['web-1@h1', 'web-2@h2']);
  assert.deepEqual(where(db), ['db-1@h3']);
});
