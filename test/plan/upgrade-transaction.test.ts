/**
 * The upgrade as a transaction in the plan: replaced containers are kept (renamed `<name>-prev`)
 * until every gate passed, then removed; start_first; a rollback restores the kept containers; an
 * upgrade interrupted at any step is recognised from the hosts' containers and finished or undone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import { parseOwnership } from '../../src/observe/containers.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import type { PlanOptions } from '../../src/plan/plan.js';
import { desiredStackKey } from '../../src/plan/stack-key.js';
import type { RollbackRecord } from '../../src/plan/types.js';
import { host, IMAGE, live, placement, stack } from './fixtures.js';

function web(tag: string, options: { startFirst?: boolean; ports?: string[] } = {}): DesiredStack {
  const upgrade = { batchSize: 1, intervalMs: 1000, startFirst: options.startFirst ?? false, minReadyMs: 2000 };
  const s = stack('web', { app: { image: `app:${tag}`, scale: 2, upgrade, ...(options.ports ? { ports: options.ports } : {}) } });
  s.template = { ...s.template, version: tag };
  s.revision = `rev${tag}`;
  return s;
}

const where: [string, number, string][] = [
  ['app', 1, 'h1'],
  ['app', 2, 'h1'],
];

function planText(desired: DesiredStack, containers: ObservedContainer[], options: Partial<PlanOptions> = {}): string {
  const observed = host('h1', { networks: ['corral-web'], images: ['app:1', 'app:2', 'app:3', IMAGE], containers });
  return formatPlan(plan([desired], [placement('web', where)], { hosts: [observed] }, { prune: true, ...options }));
}

function rolledBack(
  desired: DesiredStack,
  cause = 'AwaitReady web-app-1 on h1: web-app-1 not ready within 60 s: exited (3)',
): Map<string, RollbackRecord> {
  const record = {
    key: desiredStackKey(desired),
    template: 'demo',
    version: desired.template.version,
    revision: desired.revision ?? '',
    cause,
    time: '2026-11-29T23:00:00.000Z',
  };
  return new Map([['web', record]]);
}

test('a kept container is recognised by its name: <unit container name>-prev, with the labels it was created with', () => {
  const [kept] = live(web('1'), 'app', 1, 'h1', { kept: true });
  assert.equal(kept?.name, 'web-app-1-prev');
  assert.equal(kept?.owner?.kept, true);
  assert.equal(parseOwnership(kept?.labels ?? {}, 'web-app-1')?.kept, undefined);
  assert.equal(parseOwnership(kept?.labels ?? {}, 'web-app-1-old')?.kept, undefined);
});

test('an upgrade keeps each replaced container stopped under <name>-prev, and removes them all once every gate passed', () => {
  const containers = [...live(web('2'), 'app', 1, 'h1', { from: web('1') }), ...live(web('2'), 'app', 2, 'h1', { from: web('1') })];
  assert.equal(
    planText(web('2'), containers),
    `stack web
  info: upgrade to demo 2: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 StopContainer web-app-1: config changed: image
  #2 h1 RenameContainer web-app-1 after #1: kept until the upgrade is done, as web-app-1-prev
  #3 h1 CreateContainer web-app-1 after #2: config changed: image
  #4 h1 StartContainer web-app-1 after #3: replaced, start
  #5 h1 AwaitReady web-app-1 after #4: batch 1/2 of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s; then 1 s before the next batch
  #6 h1 StopContainer web-app-2 after #5: config changed: image
  #7 h1 RenameContainer web-app-2 after #6: kept until the upgrade is done, as web-app-2-prev
  #8 h1 CreateContainer web-app-2 after #5,#7: config changed: image
  #9 h1 StartContainer web-app-2 after #8: replaced, start
  #10 h1 AwaitReady web-app-2 after #9: batch 2/2 of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s
  #11 h1 RemoveContainer web-app-1-prev (unit web-app-1) after #5,#10: kept during the upgrade; the upgrade is done
  #12 h1 RemoveContainer web-app-2-prev (unit web-app-2) after #5,#10: kept during the upgrade; the upgrade is done
`,
  );
});

test("the upgrade's pulls, stops, renames, creates, starts and gates are marked as the upgrade's; the removal of the kept ones is not", () => {
  const containers = [...live(web('2'), 'app', 1, 'h1', { from: web('1') }), ...live(web('2'), 'app', 2, 'h1', { from: web('1') })];
  const observed = host('h1', { networks: ['corral-web'], images: ['app:1', IMAGE], containers });
  const planned = plan([web('2')], [placement('web', where)], { hosts: [observed] }, { prune: true });
  const marked = planned.operations.map((op) => `${op.kind}${op.upgrade ? '*' : ''}`);
  assert.deepEqual(marked, [
    'PullImage*',
    ...['StopContainer*', 'RenameContainer*', 'CreateContainer*', 'StartContainer*', 'AwaitReady*'],
    ...['StopContainer*', 'RenameContainer*', 'CreateContainer*', 'StartContainer*', 'AwaitReady*'],
    'RemoveContainer',
    'RemoveContainer',
  ]);
  assert.deepEqual(planned.stacks[0]?.upgrade, { key: desiredStackKey(web('2')), template: 'demo', version: '2', revision: 'rev2' });
});

test('start_first: the old container is renamed and left running; it stops once its successor passed the gate', () => {
  const containers = [
    ...live(web('2', { startFirst: true }), 'app', 1, 'h1', { from: web('1') }),
    ...live(web('2', { startFirst: true }), 'app', 2, 'h1', { from: web('1') }),
  ];
  assert.equal(
    planText(web('2', { startFirst: true }), containers),
    `stack web
  info: upgrade to demo 2: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 RenameContainer web-app-1: start_first: kept running until its successor passed its gate, as web-app-1-prev
  #2 h1 CreateContainer web-app-1 after #1: config changed: image
  #3 h1 StartContainer web-app-1 after #2: replaced, start
  #4 h1 AwaitReady web-app-1 after #3: batch 1/2 of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s; then 1 s before the next batch
  #5 h1 StopContainer web-app-1-prev (unit web-app-1) after #1,#4: start_first: its successor passed the gate
  #6 h1 RenameContainer web-app-2 after #4: start_first: kept running until its successor passed its gate, as web-app-2-prev
  #7 h1 CreateContainer web-app-2 after #4,#6: config changed: image
  #8 h1 StartContainer web-app-2 after #7: replaced, start
  #9 h1 AwaitReady web-app-2 after #8: batch 2/2 of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s
  #10 h1 StopContainer web-app-2-prev (unit web-app-2) after #6,#9: start_first: its successor passed the gate
  #11 h1 RemoveContainer web-app-1-prev (unit web-app-1) after #4,#5,#9,#10: kept during the upgrade; the upgrade is done
  #12 h1 RemoveContainer web-app-2-prev (unit web-app-2) after #4,#5,#9,#10: kept during the upgrade; the upgrade is done
`,
  );
});

test('start_first: a unit whose new container would publish a host port its old one holds stops first, and the plan says so', () => {
  const desired = web('2', { startFirst: true, ports: ['8080:80'] });
  const held = { ports: [{ privatePort: 80, publicPort: 8080, protocol: 'tcp' as const }] };
  const containers = [
    ...live(desired, 'app', 1, 'h1', { from: web('1', { ports: ['8080:80'] }), ...held }),
    ...live(desired, 'app', 2, 'h1', { from: web('1', { ports: ['8080:80'] }), state: 'exited' }),
  ];
  const text = planText(desired, containers);
  assert.match(text, /info: web-app-1: start_first not possible, the old web-app-1 holds host port 8080: stops first/);
  assert.match(
    text,
    /#1 h1 StopContainer web-app-1: config changed: image\n {2}#2 h1 RenameContainer web-app-1 after #1: kept until the upgrade is done/,
  );
  // The stopped web-app-2 holds no port: it is renamed without a stop, and started first.
  assert.match(text, /RenameContainer web-app-2 after #\d+: start_first: kept running until its successor passed its gate/);
});

test('an upgrade interrupted after its first batch goes on: the new web-app-1 is gated again, then web-app-2 is upgraded; both kept ones go at the end', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1'),
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1') }),
  ];
  assert.equal(
    planText(web('2'), containers),
    `stack web
  info: an upgrade is in progress or was interrupted (kept predecessor: web-app-1-prev): web-app-1 already runs the new configuration; gated again
  info: upgrade to demo 2: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 AwaitReady web-app-1: unfinished upgrade of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s
  #2 h1 StopContainer web-app-2 after #1: config changed: image
  #3 h1 RenameContainer web-app-2 after #2: kept until the upgrade is done, as web-app-2-prev
  #4 h1 CreateContainer web-app-2 after #1,#3: config changed: image
  #5 h1 StartContainer web-app-2 after #4: replaced, start
  #6 h1 AwaitReady web-app-2 after #5: batch 1/1 of app, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s
  #7 h1 RemoveContainer web-app-2-prev (unit web-app-2) after #1,#6: kept during the upgrade; the upgrade is done
  #8 h1 RemoveContainer web-app-1-prev after #1,#6: kept during the upgrade; the upgrade is done
`,
  );
});

test('an upgrade interrupted between the rename and the create: the new container is created, the kept one stays until the end', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1') }),
  ];
  const text = planText(web('2'), containers);
  assert.match(
    text,
    /#1 h1 CreateContainer web-app-1: missing, create\n {2}#2 h1 StartContainer web-app-1 after #1: created, start\n {2}#3 h1 AwaitReady web-app-1 after #2: batch 1\/2 of app/,
  );
  assert.match(text, /RemoveContainer web-app-1-prev after #3,#\d+: kept during the upgrade; the upgrade is done\n$/);
  assert.doesNotMatch(text, /RemoveContainer web-app-1 |StopContainer web-app-1-prev/);
});

test('corral plan beside a daemon in the middle of an upgrade: the kept predecessors say an upgrade is in progress or was interrupted, not which', () => {
  // What the hosts show while a daemon upgrades web-app-3 (start_first: its old container still runs as web-app-3-prev),
  // and what they would show had it been killed right then: the same containers.
  const s = stack('web', {
    app: { image: 'app:2', scale: 3, upgrade: { batchSize: 1, intervalMs: 1000, startFirst: true, minReadyMs: 2000 } },
  });
  const old = stack('web', { app: { image: 'app:1', scale: 3 } });
  const containers = [
    ...live(s, 'app', 1, 'h1'),
    ...live(s, 'app', 1, 'h1', { from: old, kept: true, state: 'exited' }),
    ...live(s, 'app', 2, 'h1'),
    ...live(s, 'app', 2, 'h1', { from: old, kept: true, state: 'exited' }),
    ...live(s, 'app', 3, 'h1', { from: old, kept: true }),
  ];
  const observed = host('h1', { networks: ['corral-web'], images: ['app:1', 'app:2', IMAGE], containers });
  const where3: [string, number, string][] = [1, 2, 3].map((n) => ['app', n, 'h1']);
  const planned = plan([s], [placement('web', where3)], { hosts: [observed] }, { prune: true });
  const notes = planned.stacks[0]?.notes.map((n) => `${n.level}: ${n.message}`) ?? [];
  assert.deepEqual(notes.slice(0, 1), [
    'info: an upgrade is in progress or was interrupted (kept predecessors: web-app-1-prev, web-app-2-prev): web-app-1, web-app-2 already run the new configuration; gated again',
  ]);
  const text = formatPlan(planned);
  assert.doesNotMatch(text, /resum|an interrupted upgrade/);
  assert.match(text, /AwaitReady web-app-1: unfinished upgrade of app, gate:/);
});

test('every gate passed but the kept containers were not removed yet: gated again, then removed', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1'),
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('2'), 'app', 2, 'h1'),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1'), kept: true, state: 'exited' }),
  ];
  const text = planText(web('2'), containers);
  assert.match(text, /#1 h1 AwaitReady web-app-1: unfinished upgrade of app/);
  assert.match(text, /#2 h1 AwaitReady web-app-2: unfinished upgrade of app/);
  assert.match(
    text,
    /#3 h1 RemoveContainer web-app-1-prev after #1,#2: kept during the upgrade; the upgrade is done\n {2}#4 h1 RemoveContainer web-app-2-prev after #1,#2/,
  );
});

test('a new commit during an upgrade: the half-way container is removed, not kept; the container that ran before the upgrade stays kept', () => {
  const containers = [
    ...live(web('3'), 'app', 1, 'h1', { from: web('2') }),
    ...live(web('3'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('3'), 'app', 2, 'h1', { from: web('1') }),
  ];
  const text = planText(web('3'), containers);
  assert.match(
    text,
    /#1 h1 StopContainer web-app-1: config changed: image\n {2}#2 h1 RemoveContainer web-app-1 after #1: config changed: image\n {2}#3 h1 CreateContainer web-app-1 after #2/,
  );
  assert.match(text, /RenameContainer web-app-2 after #\d+: kept until the upgrade is done, as web-app-2-prev/);
  assert.match(text, /RemoveContainer web-app-1-prev after #\d+,#\d+: kept during the upgrade; the upgrade is done/);
});

test('a rolled-back desired state: the kept containers come back (the same containers), the rest keeps the old version; nothing is upgraded', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1', { state: 'restarting' }),
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1') }),
  ];
  const observed = host('h1', { networks: ['corral-web'], images: ['app:1', 'app:2', IMAGE], containers });
  const planned = plan([web('2')], [placement('web', where)], { hosts: [observed] }, { prune: true, rolledBack: rolledBack(web('2')) });
  assert.equal(
    formatPlan(planned),
    `stack web
  warning: upgrade to demo 2 (revision rev2) was rolled back at 2026-11-29T23:00:00.000Z: AwaitReady web-app-1 on h1: web-app-1 not ready within 60 s: exited (3); not tried again until a new commit changes the stack
  #1 h1 StopContainer web-app-1: roll back: web-app-1-prev was kept, web-app-1 again
  #2 h1 RemoveContainer web-app-1 after #1: roll back: web-app-1-prev was kept, web-app-1 again
  #3 h1 RenameContainer web-app-1-prev (unit web-app-1) after #2: roll back: web-app-1-prev was kept, web-app-1 again
  #4 h1 StartContainer web-app-1 after #3: roll back: web-app-1-prev was kept, web-app-1 again
`,
  );
  const restored = planned.operations.filter((op) => op.kind === 'RenameContainer' || op.kind === 'StartContainer');
  assert.deepEqual(
    restored.map((op) => ('containerId' in op ? op.containerId : undefined)),
    [containers[1]?.id, containers[1]?.id],
  );
  assert.equal(planned.stacks[0]?.upgrade, undefined);
  assert.equal(planned.stacks[0]?.rolledBack?.version, '2');
});

test('once rolled back, the rolled-back desired state plans nothing but a restart of a stopped old container; another desired state is tried', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1', { from: web('1') }),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1'), state: 'exited' }),
  ];
  const text = planText(web('2'), containers, { rolledBack: rolledBack(web('2')) });
  assert.match(text, /^stack web\n {2}warning: upgrade to demo 2 \(revision rev2\) was rolled back/);
  assert.match(text, /#1 h1 StartContainer web-app-2: stopped, start \(the version that ran before the rolled-back upgrade\)\n$/);
  const fix = planText(web('3'), containers, { rolledBack: rolledBack(web('2')) });
  assert.match(fix, /info: upgrade to demo 3/);
  assert.doesNotMatch(fix, /rolled back/);
  const revert = planText(web('1'), [...live(web('1'), 'app', 1, 'h1'), ...live(web('1'), 'app', 2, 'h1')], {
    rolledBack: rolledBack(web('2')),
  });
  assert.equal(revert, 'stack web: no changes\n');
});

test('a revert during an upgrade: the kept container is the desired one again and comes back; no rollback record is needed', () => {
  const containers = [
    ...live(web('1'), 'app', 1, 'h1', { from: web('2') }),
    ...live(web('1'), 'app', 1, 'h1', { kept: true, state: 'exited' }),
    ...live(web('1'), 'app', 2, 'h1'),
  ];
  assert.equal(
    planText(web('1'), containers),
    `stack web
  #1 h1 StopContainer web-app-1: the upgrade is reverted: web-app-1-prev was kept, web-app-1 again
  #2 h1 RemoveContainer web-app-1 after #1: the upgrade is reverted: web-app-1-prev was kept, web-app-1 again
  #3 h1 RenameContainer web-app-1-prev (unit web-app-1) after #2: the upgrade is reverted: web-app-1-prev was kept, web-app-1 again
  #4 h1 StartContainer web-app-1 after #3: the upgrade is reverted: web-app-1-prev was kept, web-app-1 again
`,
  );
});

test('a rollback interrupted after the new container was removed: the kept one is renamed back and started', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
    ...live(web('2'), 'app', 2, 'h1', { from: web('1') }),
  ];
  const text = planText(web('2'), containers, { rolledBack: rolledBack(web('2')) });
  assert.match(
    text,
    /#1 h1 RenameContainer web-app-1-prev \(unit web-app-1\): roll back: web-app-1-prev was kept, web-app-1 again\n {2}#2 h1 StartContainer web-app-1 after #1: roll back/,
  );
});

test('a stack removed from git takes its kept containers with it', () => {
  const containers = [
    ...live(web('2'), 'app', 1, 'h1'),
    ...live(web('2'), 'app', 1, 'h1', { from: web('1'), kept: true, state: 'exited' }),
  ];
  const observed = host('h1', { networks: ['corral-web'], containers });
  const text = formatPlan(plan([], [], { hosts: [observed] }, { prune: true }));
  assert.match(text, /RemoveContainer web-app-1-prev: stack removed from git/);
});
