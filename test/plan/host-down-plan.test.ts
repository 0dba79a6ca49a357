/**
 * A host that goes down, stays down past host_down_grace and comes back, through the pure
 * stages together: what the state directory knows + the observation + the clock → schedule →
 * plan, as golden plan text for each step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { KnownHosts } from '../../src/model/known-hosts.js';
import type { ObservedHost } from '../../src/model/observed.js';
import { formatPlan, plan } from '../../src/plan/index.js';
import { scheduleStacks } from '../../src/schedule/index.js';
import { host, live, stack } from './fixtures.js';

const GRACE_MS = 5 * 60_000;
const LAST_SEEN = '2026-11-30T10:00:00.000Z';
const after = (minutes: number) => new Date(Date.parse(LAST_SEEN) + minutes * 60_000);
const net = { networks: ['corral-web'] };
const spread = {
  'io.rancher.scheduler.affinity:container_label_ne': 'io.rancher.stack_service.name=$${stack_name}/$${service_name}',
};
const web = stack('web', { app: { scale: 2, labels: spread } });
const fresh = stack('fresh', { app: {} });
const down: ObservedHost = { ...host('h2'), reachable: false, error: 'connect ENOENT /run/h2.sock' };

/** h2 was last read at LAST_SEEN holding web-app-2; `replaced`: what was moved off it meanwhile. */
const known = (replaced = {}): KnownHosts => ({ h2: { lastSeen: LAST_SEEN, units: { web: { app: [2] } }, replaced } });

function planText(desired: DesiredStack[], hosts: ObservedHost[], knownHosts: KnownHosts, now: Date): string {
  const placements = scheduleStacks(desired, hosts, { known: knownHosts, now, hostDownGraceMs: GRACE_MS });
  return formatPlan(plan(desired, placements, { hosts }, { prune: true }));
}

test('h2 down within the grace: web-app-2 waits for it, and a new stack is created on the others at once', () => {
  const hosts = [host('h1', { ...net, containers: live(web, 'app', 1, 'h1') }), down, host('h3')];
  assert.equal(
    planText([web, fresh], hosts, known(), after(2)),
    `stack fresh
  #1 h3 CreateNetwork corral-fresh: missing, create
  #2 h3 CreateContainer fresh-app-1 after #1: scale 0 → 1
  #3 h3 StartContainer fresh-app-1 after #2: created, start
stack web
  degraded: web-app-2: host h2 is unreachable (connect ENOENT /run/h2.sock), last seen ${LAST_SEEN}; left as is, rescheduled on another host in 3m unless it is back
`,
  );
});

test('h2 down and never read before: nothing is known of it, so web-app-2 is created on h3 at once', () => {
  const hosts = [host('h1', { ...net, containers: live(web, 'app', 1, 'h1') }), down, host('h3')];
  assert.equal(
    planText([web], hosts, {}, after(2)),
    `stack web
  #1 h3 CreateNetwork corral-web: missing, create
  #2 h3 CreateContainer web-app-2 after #1: scale 1 → 2
  #3 h3 StartContainer web-app-2 after #2: created, start
`,
  );
});

test('h2 down longer than the grace: web-app-2 is rescheduled on h3, the host the spread rule allows', () => {
  const hosts = [host('h1', { ...net, containers: live(web, 'app', 1, 'h1') }), down, host('h3')];
  assert.equal(
    planText([web], hosts, known(), after(6)),
    `stack web
  info: web-app-2: rescheduled on h3: h2 has been unreachable since ${LAST_SEEN}, longer than host_down_grace
  #1 h3 CreateNetwork corral-web: missing, create
  #2 h3 CreateContainer web-app-2 after #1: rescheduled from h2 (unreachable since ${LAST_SEEN})
  #3 h3 StartContainer web-app-2 after #2: created, start
`,
  );
});

test('h2 back: its copy of web-app-2 goes, the one on h3 that kept serving stays', () => {
  const hosts = [
    host('h1', { ...net, containers: live(web, 'app', 1, 'h1') }),
    host('h2', { ...net, containers: live(web, 'app', 2, 'h2') }),
    host('h3', { ...net, containers: live(web, 'app', 2, 'h3') }),
  ];
  assert.equal(
    planText([web], hosts, known({ web: { app: [2] } }), after(30)),
    `stack web
  #1 h2 StopContainer web-app-2: extra copy: the one on h3 kept running while h2 was unreachable
  #2 h2 RemoveContainer web-app-2 after #1: extra copy: the one on h3 kept running while h2 was unreachable
  #3 h2 RemoveNetwork corral-web after #2: no container of the stack left on h2
`,
  );
});
