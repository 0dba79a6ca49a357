import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { formatPlan, type PlanOptions, plan, SpecCache } from '../../src/plan/index.js';
import { host, IMAGE, live, placement, stack } from './fixtures.js';

function planText(
  desired: DesiredStack[],
  placements: StackPlacement[],
  hosts: ObservedHost[],
  options: Partial<PlanOptions> = {},
): string {
  return formatPlan(plan(desired, placements, { hosts }, { prune: true, ...options }));
}

const web = stack('web', { app: { ports: ['8080:80'] } });

test('a new stack: network, create and start; the image is present so no pull', () => {
  assert.equal(
    planText([web], [placement('web', [['app', 1, 'h1']])], [host('h1')]),
    `stack web
  #1 h1 CreateNetwork corral-web: missing, create
  #2 h1 CreateContainer web-app-1 after #1: scale 0 → 1
  #3 h1 StartContainer web-app-1 after #2: created, start
`,
  );
});

test('a converged stack has no changes', () => {
  assert.equal(
    planText(
      [web],
      [placement('web', [['app', 1, 'h1']])],
      [host('h1', { networks: ['corral-web'], containers: live(web, 'app', 1, 'h1') })],
    ),
    'stack web: no changes\n',
  );
});

test('specs kept from an earlier plan of the same stacks give the same plan, without being made again; a changed stack gets new ones', () => {
  const desired = stack('web', { app: { ports: ['8080:80'], scale: 2 }, log: { command: 'sleep 1' } });
  const placements = [
    placement('web', [
      ['app', 1, 'h1'],
      ['app', 2, 'h2'],
      ['log', 1, 'h1'],
    ]),
  ];
  const hosts = [host('h1'), host('h2')];
  const specCache = new SpecCache();
  const fresh = plan([desired], placements, { hosts }, { prune: true });
  const first = plan([desired], placements, { hosts }, { prune: true, specCache });
  const again = plan([desired], placements, { hosts }, { prune: true, specCache });
  assert.deepEqual(first, fresh);
  assert.deepEqual(again, fresh);
  const creates = (p: typeof fresh) => p.operations.flatMap((op) => (op.kind === 'CreateContainer' ? [op.container] : []));
  assert.equal(creates(again).length, 3);
  for (const [at, body] of creates(again).entries()) assert.equal(body, creates(first)[at], 'the same create body, from the cache');

  const changed = stack('web', { app: { ports: ['8080:80'], scale: 2, image: 'busybox:2' }, log: { command: 'sleep 1' } });
  const observed = {
    hosts: [host('h1', { containers: [...live(desired, 'app', 1, 'h1'), ...live(desired, 'log', 1, 'h1')] }), host('h2')],
  };
  assert.deepEqual(
    plan([changed], placements, observed, { prune: true, specCache }),
    plan([changed], placements, observed, { prune: true }),
  );
});

const net = { networks: ['corral-web'] };
const oneApp = stack('web', { app: {} });

const redisUnit = (image: string) =>
  stack('db', {
    main: { image, sidekicks: ['data', 'log'], volumes: ['data:/data'], labels: { 'io.rancher.sidekicks': 'data,log' } },
    data: { volumes_from: ['main'], command: 'sleep 1000', labels: { 'io.rancher.container.start_once': 'true' } },
    log: { network_mode: 'container:main', command: ['tail', '-f', '/dev/null'] },
  });

test('a deployment unit: volume, pull of a missing image, sidekicks after the container they share', () => {
  assert.equal(
    planText([redisUnit('redis:7')], [placement('db', [['main', 1, 'h1']])], [host('h1')]),
    `stack db
  #1 h1 CreateNetwork corral-db: missing, create
  #2 h1 CreateVolume db_data: missing, create (volumes are kept when the stack is removed)
  #3 h1 PullImage redis:7: missing on h1
  #4 h1 CreateContainer db-main-1 after #1,#2,#3: scale 0 → 1
  #5 h1 CreateContainer db-main-data-1 (unit db-main-1) after #1,#3,#4: scale 0 → 1
  #6 h1 CreateContainer db-main-log-1 (unit db-main-1) after #3,#4: scale 0 → 1
  #7 h1 StartContainer db-main-1 after #4: created, start
  #8 h1 StartContainer db-main-data-1 (unit db-main-1) after #5,#7: created, start
  #9 h1 StartContainer db-main-log-1 (unit db-main-1) after #6,#7: created, start
`,
  );
});

test("a primary that uses its sidekick's volumes: the sidekick is created and started first", () => {
  const unit = stack('db', {
    main: { sidekicks: ['data'], volumes_from: ['data'], labels: { 'io.rancher.sidekicks': 'data' } },
    data: { command: 'sleep 1' },
  });
  assert.equal(
    planText([unit], [placement('db', [['main', 1, 'h1']])], [host('h1')]),
    `stack db
  #1 h1 CreateNetwork corral-db: missing, create
  #2 h1 CreateContainer db-main-data-1 (unit db-main-1) after #1: scale 0 → 1
  #3 h1 CreateContainer db-main-1 after #1,#2: scale 0 → 1
  #4 h1 StartContainer db-main-data-1 (unit db-main-1) after #2: created, start
  #5 h1 StartContainer db-main-1 after #3,#4: created, start
`,
  );
});

test('a changed image replaces the container and the sidekicks that share its volumes or network, as one unit', () => {
  const changed = redisUnit('redis:7.2');
  const observed = host('h1', {
    networks: ['corral-db'],
    volumes: ['db_data'],
    images: ['redis:7', IMAGE],
    containers: live(changed, 'main', 1, 'h1', { from: redisUnit('redis:7') }),
  });
  assert.equal(
    planText([changed], [placement('db', [['main', 1, 'h1']])], [observed]),
    `stack db
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 PullImage redis:7.2: missing on h1
  #2 h1 StopContainer db-main-log-1 (unit db-main-1) after #1: db-main-1 is replaced
  #3 h1 RenameContainer db-main-log-1 (unit db-main-1) after #2: kept until the upgrade is done, as db-main-log-1-prev
  #4 h1 StopContainer db-main-data-1 (unit db-main-1) after #1: db-main-1 is replaced
  #5 h1 RenameContainer db-main-data-1 (unit db-main-1) after #4: kept until the upgrade is done, as db-main-data-1-prev
  #6 h1 StopContainer db-main-1 after #1,#3,#5: config changed: image
  #7 h1 RenameContainer db-main-1 after #6: kept until the upgrade is done, as db-main-1-prev
  #8 h1 CreateContainer db-main-1 after #1,#7: config changed: image
  #9 h1 CreateContainer db-main-data-1 (unit db-main-1) after #1,#5,#8: db-main-1 is replaced
  #10 h1 CreateContainer db-main-log-1 (unit db-main-1) after #1,#3,#8: db-main-1 is replaced
  #11 h1 StartContainer db-main-1 after #8: replaced, start
  #12 h1 StartContainer db-main-data-1 (unit db-main-1) after #9,#11: replaced, start
  #13 h1 StartContainer db-main-log-1 (unit db-main-1) after #10,#11: replaced, start
  #14 h1 AwaitReady db-main-1 after #11: batch 1/1 of main, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #15 h1 RemoveContainer db-main-log-1-prev (unit db-main-1) after #14: kept during the upgrade; the upgrade is done
  #16 h1 RemoveContainer db-main-data-1-prev (unit db-main-1) after #14: kept during the upgrade; the upgrade is done
  #17 h1 RemoveContainer db-main-1-prev (unit db-main-1) after #14: kept during the upgrade; the upgrade is done
`,
  );
});

test('pull first: no container of the stack stops, goes or is created before every new image is on every host; then one unit per batch, each gated', () => {
  const before = stack('web', { app: { image: 'app:1', scale: 2 }, extra: {} });
  const after = stack('web', { app: { image: 'app:2', scale: 2 } });
  const observed = [
    host('h1', {
      networks: ['corral-web'],
      images: ['app:1', IMAGE],
      containers: [...live(after, 'app', 1, 'h1', { from: before }), ...live(before, 'extra', 1, 'h1')],
    }),
    host('h2', { networks: ['corral-web'], images: ['app:1'], containers: live(after, 'app', 2, 'h2', { from: before }) }),
  ];
  assert.equal(
    planText(
      [after],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h2'],
        ]),
      ],
      observed,
    ),
    `stack web
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 PullImage app:2: missing on h1
  #2 h2 PullImage app:2: missing on h2
  #3 h1 StopContainer web-app-1 after #1,#2: config changed: image
  #4 h1 RenameContainer web-app-1 after #3: kept until the upgrade is done, as web-app-1-prev
  #5 h1 CreateContainer web-app-1 after #1,#2,#4: config changed: image
  #6 h1 StartContainer web-app-1 after #5: replaced, start
  #7 h1 AwaitReady web-app-1 after #6: batch 1/2 of app, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s; then 2 s before the next batch
  #8 h2 StopContainer web-app-2 after #1,#2,#7: config changed: image
  #9 h2 RenameContainer web-app-2 after #8: kept until the upgrade is done, as web-app-2-prev
  #10 h2 CreateContainer web-app-2 after #1,#2,#7,#9: config changed: image
  #11 h2 StartContainer web-app-2 after #10: replaced, start
  #12 h2 AwaitReady web-app-2 after #11: batch 2/2 of app, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #13 h1 RemoveContainer web-app-1-prev (unit web-app-1) after #7,#12: kept during the upgrade; the upgrade is done
  #14 h2 RemoveContainer web-app-2-prev (unit web-app-2) after #7,#12: kept during the upgrade; the upgrade is done
  #15 h1 StopContainer web-extra-1 after #1,#2: service removed from git
  #16 h1 RemoveContainer web-extra-1 after #15: service removed from git
`,
  );
});

test('a sidekick changed alone is replaced alone', () => {
  const before = redisUnit('redis:7');
  const after = structuredClone(before);
  after.services['log']!.compose['command'] = ['sleep', '5'];
  const observed = host('h1', {
    networks: ['corral-db'],
    volumes: ['db_data'],
    images: ['redis:7', IMAGE],
    containers: live(after, 'main', 1, 'h1', { from: before }),
  });
  assert.equal(
    planText([after], [placement('db', [['main', 1, 'h1']])], [observed]),
    `stack db
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 StopContainer db-main-log-1 (unit db-main-1): config changed: command
  #2 h1 RenameContainer db-main-log-1 (unit db-main-1) after #1: kept until the upgrade is done, as db-main-log-1-prev
  #3 h1 CreateContainer db-main-log-1 (unit db-main-1) after #2: config changed: command
  #4 h1 StartContainer db-main-log-1 (unit db-main-1) after #3: replaced, start
  #5 h1 AwaitReady db-main-log-1 (unit db-main-1) after #4: batch 1/1 of main, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #6 h1 RemoveContainer db-main-log-1-prev (unit db-main-1) after #5: kept during the upgrade; the upgrade is done
`,
  );
});

test('exited containers restart, except start_once ones that exited 0; created ones start', () => {
  const once = { labels: { 'io.rancher.container.start_once': 'true' } };
  const desired = stack('web', { app: {}, fresh: {}, job: once, once });
  const containers = [
    ...live(desired, 'app', 1, 'h1', { state: 'exited', exitCode: 137 }),
    ...live(desired, 'fresh', 1, 'h1', { state: 'created' }),
    ...live(desired, 'job', 1, 'h1', { state: 'exited', exitCode: 2 }),
    ...live(desired, 'once', 1, 'h1', { state: 'exited', exitCode: 0 }),
  ];
  assert.equal(
    planText(
      [desired],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['fresh', 1, 'h1'],
          ['job', 1, 'h1'],
          ['once', 1, 'h1'],
        ]),
      ],
      [host('h1', { ...net, containers })],
    ),
    `stack web
  #1 h1 StartContainer web-app-1: exited (137), restart
  #2 h1 StartContainer web-fresh-1: created, start
  #3 h1 StartContainer web-job-1: exited (2), restart
`,
  );
});

test('scale up creates the instances the scheduler numbered, on their hosts', () => {
  const scaled = stack('web', { app: { scale: 3 } });
  const hosts = [host('h1', { ...net, containers: live(oneApp, 'app', 1, 'h1') }), host('h2')];
  assert.equal(
    planText(
      [scaled],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h2'],
          ['app', 3, 'h1'],
        ]),
      ],
      hosts,
    ),
    `stack web
  #1 h2 CreateNetwork corral-web: missing, create
  #2 h2 CreateContainer web-app-2 after #1: scale 1 → 3
  #3 h2 StartContainer web-app-2 after #2: created, start
  #4 h1 CreateContainer web-app-3: scale 1 → 3
  #5 h1 StartContainer web-app-3 after #4: created, start
`,
  );
});

test('scale down removes the highest numbers first; a stopped container needs no stop', () => {
  const hosts = [
    host('h1', { ...net, containers: [...live(oneApp, 'app', 1, 'h1'), ...live(oneApp, 'app', 3, 'h1'), ...live(oneApp, 'app', 5, 'h1')] }),
    host('h2', {
      ...net,
      containers: [...live(oneApp, 'app', 2, 'h2'), ...live(oneApp, 'app', 4, 'h2', { state: 'exited', exitCode: 0 })],
    }),
  ];
  assert.equal(
    planText(
      [oneApp],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h2'],
        ]),
      ],
      hosts,
    ),
    `stack web
  #1 h1 StopContainer web-app-5: scale 5 → 2
  #2 h1 RemoveContainer web-app-5 after #1: scale 5 → 2
  #3 h2 RemoveContainer web-app-4: scale 5 → 2
  #4 h1 StopContainer web-app-3: scale 5 → 2
  #5 h1 RemoveContainer web-app-3 after #4: scale 5 → 2
`,
  );
});

test('a container removed by hand is recreated; the scale does not change', () => {
  const scaled = stack('web', { app: { scale: 3 } });
  const hosts = [host('h1', { ...net, containers: [...live(scaled, 'app', 1, 'h1'), ...live(scaled, 'app', 3, 'h1')] })];
  assert.equal(
    planText(
      [scaled],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h1'],
          ['app', 3, 'h1'],
        ]),
      ],
      hosts,
    ),
    `stack web
  #1 h1 CreateContainer web-app-2: missing, create
  #2 h1 StartContainer web-app-2 after #1: created, start
`,
  );
});

test('pull_image: always pulls before every create, even when the image is present', () => {
  const always = stack('web', { app: { labels: { 'io.rancher.container.pull_image': 'always' } } });
  const hosts = [host('h1', { ...net, containers: live(always, 'app', 1, 'h1') }), host('h2')];
  assert.equal(
    planText(
      [always],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h2'],
        ]),
      ],
      hosts,
    ),
    `stack web
  #1 h2 CreateNetwork corral-web: missing, create
  #2 h2 PullImage 10.99.0.2:5000/corral/busybox:1: pull_image: always
  #3 h2 CreateContainer web-app-2 after #1,#2: scale 1 → 2
  #4 h2 StartContainer web-app-2 after #3: created, start
`,
  );
});

test('a stack removed from git is pruned: containers, then its network; volumes are kept', () => {
  const unit = redisUnit('redis:7');
  assert.equal(
    planText([], [], [host('h1', { networks: ['corral-db'], volumes: ['db_data'], containers: live(unit, 'main', 1, 'h1') })]),
    `stack db
  info: volumes kept (corral never removes volumes): db_data on h1
  #1 h1 StopContainer db-main-1: stack removed from git
  #2 h1 RemoveContainer db-main-1 after #1: stack removed from git
  #3 h1 StopContainer db-main-data-1: stack removed from git
  #4 h1 RemoveContainer db-main-data-1 after #3: stack removed from git
  #5 h1 StopContainer db-main-log-1: stack removed from git
  #6 h1 RemoveContainer db-main-log-1 after #5: stack removed from git
  #7 h1 RemoveNetwork corral-db after #2,#4,#6: stack removed from git
`,
  );
});

test('nothing is pruned from an incompletely read desired state', () => {
  const hosts = [host('h1', { ...net, containers: live(oneApp, 'app', 1, 'h1') })];
  assert.equal(
    planText([], [], hosts, { prune: false }),
    `stack web
  warning: not in the desired state, which was read incompletely: not pruned
`,
  );
});

test('a service removed from git is removed from its stack', () => {
  const withOld = stack('web', { app: {}, old: {} });
  const hosts = [host('h1', { ...net, containers: [...live(withOld, 'app', 1, 'h1'), ...live(withOld, 'old', 1, 'h1')] })];
  assert.equal(
    planText([oneApp], [placement('web', [['app', 1, 'h1']])], hosts),
    `stack web
  #1 h1 StopContainer web-old-1: service removed from git
  #2 h1 RemoveContainer web-old-1 after #1: service removed from git
`,
  );
});

test('an instance the scheduler moved is created on its new host, then removed from the old one with its unused network', () => {
  const hosts = [host('h1', { ...net, containers: live(oneApp, 'app', 1, 'h1') }), host('h2')];
  assert.equal(
    planText([oneApp], [placement('web', [['app', 1, 'h2']])], hosts),
    `stack web
  #1 h2 CreateNetwork corral-web: missing, create
  #2 h2 CreateContainer web-app-1 after #1: placed on h2 now (was on h1)
  #3 h2 StartContainer web-app-1 after #2: created, start
  #4 h1 StopContainer web-app-1: placed on h2 now
  #5 h1 RemoveContainer web-app-1 after #4: placed on h2 now
  #6 h1 RemoveNetwork corral-web after #5: no container of the stack left on h1
`,
  );
});

test('an unschedulable stack is not touched; others still converge', () => {
  const old = stack('web', { app: { image: 'old:1' } });
  const hosts = [host('h1', { ...net, containers: live(old, 'app', 1, 'h1') })];
  const api = stack('api', { app: {} });
  const placements = [
    placement('web', [], ['service app: no host satisfies io.rancher.scheduler.affinity:host_label=zone=z']),
    placement('api', [['app', 1, 'h1']]),
  ];
  assert.equal(
    planText([oneApp, api], placements, hosts),
    `stack api
  #1 h1 CreateNetwork corral-api: missing, create
  #2 h1 CreateContainer api-app-1 after #1: scale 0 → 1
  #3 h1 StartContainer api-app-1 after #2: created, start
stack web
  error: not scheduled: service app: no host satisfies io.rancher.scheduler.affinity:host_label=zone=z
  error: nothing of the stack is changed
`,
  );
});

test('a stack that failed to render is neither changed nor pruned', () => {
  const hosts = [host('h1', { ...net, containers: live(stack('web', { app: { image: 'old:1' } }), 'app', 1, 'h1') })];
  assert.equal(
    planText([], [], hosts, { failedStacks: ['web'] }),
    `stack web
  error: the stack failed to render; nothing of it is changed
`,
  );
});

test('an unreachable host: its instances are left as is; what the scheduler placed on reachable hosts is created', () => {
  const scaled = stack('web', { app: { scale: 3 } });
  const hosts = [
    host('h1', { ...net, containers: live(scaled, 'app', 1, 'h1') }),
    host('h2', { reachable: false, error: 'connect ENOENT /run/h2.sock' }),
  ];
  assert.equal(
    planText(
      [scaled],
      [
        placement('web', [
          ['app', 1, 'h1'],
          ['app', 2, 'h2'],
          ['app', 3, 'h1'],
        ]),
      ],
      hosts,
    ),
    `stack web
  degraded: web-app-2: host h2 is unreachable (connect ENOENT /run/h2.sock); left as is
  #1 h1 CreateContainer web-app-3: scale 1 → 3
  #2 h1 StartContainer web-app-3 after #1: created, start
`,
  );
});

test('a brand-new stack is created on the reachable hosts while another host is unreachable', () => {
  const hosts = [host('h1'), host('h2', { reachable: false, error: 'connect ECONNREFUSED' })];
  assert.equal(
    planText([oneApp], [placement('web', [['app', 1, 'h1']])], hosts),
    `stack web
  #1 h1 CreateNetwork corral-web: missing, create
  #2 h1 CreateContainer web-app-1 after #1: scale 0 → 1
  #3 h1 StartContainer web-app-1 after #2: created, start
`,
  );
});

test('an instance held on a host down within host_down_grace says when it was last seen and when it moves', () => {
  const scaled = stack('web', { app: { scale: 2 }, agent: { labels: { 'io.rancher.scheduler.global': 'true' } } });
  const hosts = [
    host('h1', { ...net, containers: [...live(scaled, 'app', 1, 'h1'), ...live(scaled, 'agent', 1, 'h1')] }),
    host('h2', { reachable: false, error: 'connect ENOENT /run/h2.sock' }),
  ];
  const placed = placement('web', [
    ['agent', 1, 'h1'],
    ['agent', 2, 'h2'],
    ['app', 1, 'h1'],
    ['app', 2, 'h2'],
  ]);
  placed.held = [
    { service: 'agent', instance: 2, host: 'h2', lastSeen: '2026-11-30T10:00:00.000Z' },
    { service: 'app', instance: 2, host: 'h2', lastSeen: '2026-11-30T10:00:00.000Z', rescheduleInMs: 200_000 },
  ];
  assert.equal(
    planText([scaled], [placed], hosts),
    `stack web
  degraded: web-agent-2: host h2 is unreachable (connect ENOENT /run/h2.sock), last seen 2026-11-30T10:00:00.000Z; left as is until it is back (a global unit stays with its host)
  degraded: web-app-2: host h2 is unreachable (connect ENOENT /run/h2.sock), last seen 2026-11-30T10:00:00.000Z; left as is, rescheduled on another host in 3m20s unless it is back
`,
  );
});

test('an instance rescheduled off a host down for longer than host_down_grace is created elsewhere and reported', () => {
  const scaled = stack('web', { app: { scale: 2 } });
  const hosts = [
    host('h1', { ...net, containers: live(scaled, 'app', 1, 'h1') }),
    host('h2', { reachable: false, error: 'connect ENOENT /run/h2.sock' }),
    host('h3'),
  ];
  const placed = placement('web', [
    ['app', 1, 'h1'],
    ['app', 2, 'h3'],
  ]);
  placed.rescheduled = [{ service: 'app', instance: 2, host: 'h3', from: 'h2', lastSeen: '2026-11-30T10:00:00.000Z' }];
  assert.equal(
    planText([scaled], [placed], hosts),
    `stack web
  info: web-app-2: rescheduled on h3: h2 has been unreachable since 2026-11-30T10:00:00.000Z, longer than host_down_grace
  #1 h3 CreateNetwork corral-web: missing, create
  #2 h3 CreateContainer web-app-2 after #1: rescheduled from h2 (unreachable since 2026-11-30T10:00:00.000Z)
  #3 h3 StartContainer web-app-2 after #2: created, start
`,
  );
});

test('when a host is back, its copy of a rescheduled instance goes; the copy that kept running stays', () => {
  const scaled = stack('web', { app: { scale: 2 } });
  const hosts = [
    host('h1', { ...net, containers: live(scaled, 'app', 1, 'h1') }),
    host('h2', { ...net, containers: live(scaled, 'app', 2, 'h2') }),
    host('h3', { ...net, containers: live(scaled, 'app', 2, 'h3') }),
  ];
  const placed = placement('web', [
    ['app', 1, 'h1'],
    ['app', 2, 'h3'],
  ]);
  placed.replaced = [{ service: 'app', instance: 2, host: 'h2', keptOn: 'h3' }];
  assert.equal(
    planText([scaled], [placed], hosts),
    `stack web
  #1 h2 StopContainer web-app-2: extra copy: the one on h3 kept running while h2 was unreachable
  #2 h2 RemoveContainer web-app-2 after #1: extra copy: the one on h3 kept running while h2 was unreachable
  #3 h2 RemoveNetwork corral-web after #2: no container of the stack left on h2
`,
  );
});

test('keys corral cannot apply are reported, not dropped silently; a link to a stack that is not deployed degrades the stack', () => {
  const odd = stack('web', {
    app: {
      build: '.',
      container_name: 'x',
      frobnicate: 1,
      environment: { A: '1', FROM_SHELL: null },
      ports: ['99999'],
      links: ['other/db'],
    },
  });
  assert.equal(
    planText([odd], [placement('web', [['app', 1, 'h1']])], [host('h1', net)]),
    `stack web
  warning: service app: build: corral does not build images; use a pushed image; ignored
  warning: service app: container_name: corral names containers <stack>-<service>-<n>; ignored
  warning: service app: frobnicate: not supported by corral; ignored
  warning: service app: ports: "99999" is not a port mapping; expected [[ip:]host_port:]container_port[/protocol], ports or equal-length ranges; not applied
  warning: service app: environment: FROM_SHELL has no value (compose would take it from the shell); not set
  degraded: app cannot reach other/db: stack other is not deployed
  #1 h1 CreateContainer web-app-1: scale 0 → 1
  #2 h1 StartContainer web-app-1 after #1: created, start
`,
  );
});

test('only the named stacks are planned', () => {
  const placements = [placement('web', [['app', 1, 'h1']]), placement('api', [['app', 1, 'h1']])];
  assert.equal(
    planText([oneApp, stack('api', { app: {} })], placements, [host('h1')], { only: ['api'] }),
    `stack api
  #1 h1 CreateNetwork corral-api: missing, create
  #2 h1 CreateContainer api-app-1 after #1: scale 0 → 1
  #3 h1 StartContainer api-app-1 after #2: created, start
`,
  );
});

test("a container without corral's ownership label is not in the plan", () => {
  const [foreign] = live(oneApp, 'app', 1, 'h1');
  const { owner: _owner, ...unowned } = foreign!;
  assert.equal(planText([], [], [host('h1', { containers: [unowned] })]), '');
});
