/** Plans on overlay hosts: the swarm's per-stack network, names across hosts, external_links, hosts outside the swarm. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { ObservedHost } from '../../src/model/observed.js';
import type { StackPlacement } from '../../src/model/placement.js';
import { formatPlan, type PlanOptions, plan } from '../../src/plan/index.js';
import { host, live, overlayOf, placement, stack, swarmHosts } from './fixtures.js';

function planText(
  desired: DesiredStack[],
  placements: StackPlacement[],
  hosts: ObservedHost[],
  options: Partial<PlanOptions> = {},
): string {
  return formatPlan(plan(desired, placements, { hosts }, { prune: true, ...options }));
}

const app = stack('app', { web: { links: ['db:database'] }, db: {} });
const appPlacement = placement('app', [
  ['db', 1, 'h3'],
  ['web', 1, 'h1'],
]);
const client = stack('client', { probe: { external_links: ['app/db:store'] } });
const clientPlacement = placement('client', [['probe', 1, 'h2']]);
const toApp = new Map([['app', 'corral-app_overlay']]);

/** The app stack running on the swarm as corral created it. */
function runningApp(extra: Record<string, Partial<ObservedHost>> = {}, networks = [overlayOf('app')]): ObservedHost[] {
  return swarmHosts(['h1', 'h2', 'h3'], networks, {
    h1: { containers: live(app, 'web', 1, 'h1', { network: 'overlay', attached: 'spec' }) },
    h3: { containers: live(app, 'db', 1, 'h3', { network: 'overlay', attached: 'spec' }) },
    ...extra,
  });
}

test('overlay hosts: one overlay network through the manager, before every container on any host', () => {
  assert.equal(
    planText([app], [appPlacement], swarmHosts(['h1', 'h2', 'h3'])),
    `stack app
  #1 h1 CreateNetwork corral-app_overlay: missing, create (the stack's overlay network, across the swarm)
  #2 h3 CreateContainer app-db-1 after #1: scale 0 → 1
  #3 h3 StartContainer app-db-1 after #2: created, start
  #4 h1 CreateContainer app-web-1 after #1: scale 0 → 1
  #5 h1 StartContainer app-web-1 after #4: created, start
`,
  );
});

test('the create request joins the overlay network with the service name, <service>.<stack> and link aliases', () => {
  const result = plan([app], [appPlacement], { hosts: swarmHosts(['h1', 'h2', 'h3']) }, { prune: true });
  const db = result.operations.find((op) => op.kind === 'CreateContainer' && op.target === 'app-db-1');
  assert.ok(db?.kind === 'CreateContainer');
  assert.equal(db.container.HostConfig['NetworkMode'], 'corral-app_overlay');
  assert.deepEqual(db.container['NetworkingConfig'], {
    EndpointsConfig: { 'corral-app_overlay': { Aliases: ['db', 'db.app', 'database'] } },
  });
  const network = result.operations.find((op) => op.kind === 'CreateNetwork');
  assert.deepEqual(network?.kind === 'CreateNetwork' && network.network, {
    Name: 'corral-app_overlay',
    Driver: 'overlay',
    Attachable: true,
    Labels: { 'io.corral.managed': 'true', 'io.corral.stack': 'app' },
  });
});

test('one link written as a string (links: db:database) gives the same alias as the list', () => {
  const written = stack('app', { web: { links: 'db:database' }, db: {} });
  const result = plan([written], [appPlacement], { hosts: swarmHosts(['h1', 'h2', 'h3']) }, { prune: true });
  const db = result.operations.find((op) => op.kind === 'CreateContainer' && op.target === 'app-db-1');
  assert.ok(db?.kind === 'CreateContainer');
  assert.deepEqual(db.container['NetworkingConfig'], {
    EndpointsConfig: { 'corral-app_overlay': { Aliases: ['db', 'db.app', 'database'] } },
  });
});

test('a converged overlay stack has no changes', () => {
  assert.equal(planText([app], [appPlacement], runningApp()), 'stack app: no changes\n');
});

test('bridge hosts: linked services on two hosts are degraded, with the reason', () => {
  assert.equal(
    planText([app], [appPlacement], [host('h1'), host('h2'), host('h3')]),
    `stack app
  degraded: web on h1 cannot reach db on h3 (h1, h3 use network: bridge, which does not span hosts)
  #1 h1 CreateNetwork corral-app: missing, create
  #2 h3 CreateNetwork corral-app: missing, create
  #3 h3 CreateContainer app-db-1 after #2: scale 0 → 1
  #4 h3 StartContainer app-db-1 after #3: created, start
  #5 h1 CreateContainer app-web-1 after #1: scale 0 → 1
  #6 h1 StartContainer app-web-1 after #5: created, start
`,
  );
});

test('bridge hosts: linked services on one host are not degraded; a client reaches a target with an instance on its host', () => {
  const scaled = stack('app', { web: { links: ['db'], scale: 2 }, db: { scale: 2 } });
  const onBoth = placement('app', [
    ['db', 1, 'h1'],
    ['db', 2, 'h2'],
    ['web', 1, 'h1'],
    ['web', 2, 'h2'],
  ]);
  assert.doesNotMatch(planText([scaled], [onBoth], [host('h1'), host('h2')]), /degraded/);
});

test('switching hosts from bridge to overlay replaces the containers, then removes the bridge networks', () => {
  const bridgeApp = [...live(app, 'web', 1, 'h1', { attached: 'spec' })];
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [], {
    h1: { networks: ['corral-app'], containers: bridgeApp },
    h3: { networks: ['corral-app'], containers: live(app, 'db', 1, 'h3', { attached: 'spec' }) },
  });
  assert.equal(
    planText([app], [appPlacement], hosts),
    `stack app
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 CreateNetwork corral-app_overlay: missing, create (the stack's overlay network, across the swarm)
  #2 h3 StopContainer app-db-1: config changed: network
  #3 h3 RenameContainer app-db-1 after #2: kept until the upgrade is done, as app-db-1-prev
  #4 h3 CreateContainer app-db-1 after #1,#3: config changed: network
  #5 h3 StartContainer app-db-1 after #4: replaced, start
  #6 h3 AwaitReady app-db-1 after #5: batch 1/1 of db, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #7 h1 StopContainer app-web-1 after #6: config changed: network
  #8 h1 RenameContainer app-web-1 after #7: kept until the upgrade is done, as app-web-1-prev
  #9 h1 CreateContainer app-web-1 after #1,#6,#8: config changed: network
  #10 h1 StartContainer app-web-1 after #9: replaced, start
  #11 h1 AwaitReady app-web-1 after #10: batch 1/1 of web, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #12 h3 RemoveContainer app-db-1-prev (unit app-db-1) after #6,#11: kept during the upgrade; the upgrade is done
  #13 h1 RemoveContainer app-web-1-prev (unit app-web-1) after #6,#11: kept during the upgrade; the upgrade is done
  #14 h1 RemoveNetwork corral-app after #13: no container of the stack left on h1
  #15 h3 RemoveNetwork corral-app after #12: no container of the stack left on h3
`,
  );
});

const withClient = (options: { attached?: 'spec' | string[] } = { attached: 'spec' }) =>
  runningApp({ h2: { containers: live(client, 'probe', 1, 'h2', { network: 'overlay', externalNetworks: toApp, ...options }) } }, [
    overlayOf('app'),
    overlayOf('client'),
  ]);

test('a host outside the swarm: nothing that needs the overlay is created there, with a note; the rest goes on', () => {
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [], { h3: { swarm: { state: 'inactive', nodeId: '', nodeAddress: '', manager: false } } });
  assert.equal(
    planText([app], [appPlacement], hosts),
    `host h3: error: h3 is not in the swarm of h1 (its swarm state is inactive): nothing that needs the stacks' overlay networks is created there; join it: docker swarm join --token TOKEN 10.99.0.11:2377, TOKEN from \`docker swarm join-token -q worker\` on h1
stack app
  degraded: app-db-1: h3 is not in the swarm of h1 (its swarm state is inactive); not created
  degraded: web on h1 cannot reach db on h3 (h3 is not in the swarm)
  #1 h1 CreateNetwork corral-app_overlay: missing, create (the stack's overlay network, across the swarm)
  #2 h1 CreateContainer app-web-1 after #1: scale 0 → 1
  #3 h1 StartContainer app-web-1 after #2: created, start
`,
  );
});

test('a host outside the swarm keeps its containers as they are; a host-network service is still created there', () => {
  const mixed = stack('mixed', { agent: { network_mode: 'host' }, db: {} });
  const left = { swarm: { state: 'inactive', nodeId: '', nodeAddress: '', manager: false } };
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [overlayOf('mixed')], {
    h3: { ...left, containers: live(mixed, 'db', 1, 'h3', { network: 'overlay', attached: [] }) },
  });
  const mixedPlacement = placement('mixed', [
    ['agent', 1, 'h3'],
    ['db', 1, 'h3'],
  ]);
  assert.equal(
    planText([mixed], [mixedPlacement], hosts).replace(/^host .*\n/m, ''),
    `stack mixed
  degraded: mixed-db-1: h3 is not in the swarm of h1 (its swarm state is inactive); left as is
  #1 h3 CreateContainer mixed-agent-1: scale 0 → 1
  #2 h3 StartContainer mixed-agent-1 after #1: created, start
`,
  );
});

test('a host in another swarm, or one the manager sees as down, is named with the reason', () => {
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [], {
    h3: { swarm: { state: 'active', nodeId: 'stranger', nodeAddress: '10.9.9.9', manager: true } },
  });
  const manager = hosts[0];
  const nodes = manager?.swarm?.nodes;
  assert.ok(nodes?.[1]);
  nodes[1].state = 'down';
  const text = formatPlan(plan([], [], { hosts }, { prune: true }));
  assert.match(text, /^host h2: error: h2 is not in the swarm of h1 \(h1 sees its node as down\)/m);
  assert.match(text, /^host h3: error: h3 is not in the swarm of h1 \(it is node stranger of another swarm\)/m);
});

test('the manager is the one whose swarm has the most overlay hosts; a node left behind is reported', () => {
  const hosts = swarmHosts(['h1', 'h2', 'h3']);
  // h3 formed a swarm of its own, with itself as the only node; h1 still lists an old node of h3.
  const h3 = hosts[2];
  assert.ok(h3);
  h3.swarm = {
    state: 'active',
    nodeId: 'node-h3-new',
    nodeAddress: '10.99.0.13',
    manager: true,
    nodes: [{ id: 'node-h3-new', hostname: 'h3', state: 'ready', address: '10.99.0.13', manager: true }],
    networks: [],
  };
  hosts[0]?.swarm?.nodes?.push({ id: 'node-old', hostname: 'h3', state: 'down', address: '10.99.0.13', manager: false });
  assert.equal(
    formatPlan(plan([app], [appPlacement], { hosts }, { prune: true }))
      .split('\n')
      .filter((line) => line.startsWith('host '))
      .join('\n'),
    [
      "host h3: error: h3 is not in the swarm of h1 (it is node node-h3-new of another swarm): nothing that needs the stacks' overlay networks is created there; join it: docker swarm join --token TOKEN 10.99.0.11:2377, TOKEN from `docker swarm join-token -q worker` on h1",
      'host h1: warning: the swarm lists node node-old (h3) as down: an overlay network it used cannot be removed until it is removed (docker node rm node-old)',
    ].join('\n'),
  );
});

test('no reachable manager: nothing that needs the overlay is created or replaced anywhere', () => {
  const solo = stack('solo', { db: { image: 'redis:7.2' } });
  const before = stack('solo', { db: { image: 'redis:7' } });
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [overlayOf('solo')], {
    h1: { reachable: false, error: 'connect ENOENT' },
    h3: { containers: live(solo, 'db', 1, 'h3', { from: before, network: 'overlay', attached: 'spec' }) },
  });
  const text = planText([solo], [placement('solo', [['db', 1, 'h3']])], hosts);
  assert.match(text, /^host h3: error: h3 is in a swarm, but no manager of it is among the reachable configured hosts/m);
  assert.match(text, /degraded: solo-db-1: h3 is in a swarm, but no manager of it is among the reachable configured hosts; left as is/);
  assert.doesNotMatch(text, /#\d/);
});

test("external_links: the container joins the other stack's network after it is created, before it starts", () => {
  assert.equal(
    planText([app, client], [appPlacement, clientPlacement], swarmHosts(['h1', 'h2', 'h3'])),
    `stack app
  #1 h1 CreateNetwork corral-app_overlay: missing, create (the stack's overlay network, across the swarm)
  #2 h3 CreateContainer app-db-1 after #1: scale 0 → 1
  #3 h3 StartContainer app-db-1 after #2: created, start
  #4 h1 CreateContainer app-web-1 after #1: scale 0 → 1
  #5 h1 StartContainer app-web-1 after #4: created, start
stack client
  #6 h1 CreateNetwork corral-client_overlay: missing, create (the stack's overlay network, across the swarm)
  #7 h2 CreateContainer client-probe-1 after #6: scale 0 → 1
  #8 h2 ConnectNetwork client-probe-1 to corral-app_overlay after #1,#7: external_links to stack app
  #9 h2 StartContainer client-probe-1 after #7,#8: created, start
`,
  );
  const result = plan([app, client], [appPlacement, clientPlacement], { hosts: swarmHosts(['h1', 'h2', 'h3']) }, { prune: true });
  const connect = result.operations.find((op) => op.kind === 'ConnectNetwork');
  assert.deepEqual(connect?.kind === 'ConnectNetwork' && connect.endpoint, { Links: ['db.app:store'] });
});

test("external_links, planned alone (a daemon lane): the container creates the linked stack's missing network itself", () => {
  assert.equal(
    planText([app, client], [appPlacement, clientPlacement], swarmHosts(['h1', 'h2', 'h3']), { only: ['client'] }),
    `stack client
  #1 h1 CreateNetwork corral-client_overlay: missing, create (the stack's overlay network, across the swarm)
  #2 h1 CreateNetwork corral-app_overlay: network of stack app, for external_links
  #3 h2 CreateContainer client-probe-1 after #1: scale 0 → 1
  #4 h2 ConnectNetwork client-probe-1 to corral-app_overlay after #2,#3: external_links to stack app
  #5 h2 StartContainer client-probe-1 after #3,#4: created, start
`,
  );
});

test("external_links on bridge hosts: the container joins the other stack's bridge on its host, and is degraded when the target is elsewhere", () => {
  assert.equal(
    planText([app, client], [appPlacement, clientPlacement], [host('h1'), host('h2'), host('h3')], { only: ['client'] }),
    `stack client
  degraded: probe on h2 cannot reach app/db on h3 (h2, h3 use network: bridge, which does not span hosts)
  #1 h2 CreateNetwork corral-client: missing, create
  #2 h2 CreateNetwork corral-app: network of stack app, for external_links
  #3 h2 CreateContainer client-probe-1 after #1: scale 0 → 1
  #4 h2 ConnectNetwork client-probe-1 to corral-app after #2,#3: external_links to stack app
  #5 h2 StartContainer client-probe-1 after #3,#4: created, start
`,
  );
});

test('converged stacks linked by external_links have no changes', () => {
  assert.equal(planText([app, client], [appPlacement, clientPlacement], withClient()), 'stack app: no changes\nstack client: no changes\n');
});

test("pruning both stacks: the linked stack's network goes after the linking container, which is on it", () => {
  assert.equal(
    planText([], [], withClient()),
    `stack app
  #1 h3 StopContainer app-db-1: stack removed from git
  #2 h3 RemoveContainer app-db-1 after #1: stack removed from git
  #3 h1 StopContainer app-web-1: stack removed from git
  #4 h1 RemoveContainer app-web-1 after #3: stack removed from git
  #7 h1 RemoveNetwork corral-app_overlay after #2,#4,#6: stack removed from git
stack client
  #5 h2 StopContainer client-probe-1: stack removed from git
  #6 h2 RemoveContainer client-probe-1 after #5: stack removed from git
  #8 h1 RemoveNetwork corral-client_overlay after #6: stack removed from git
`,
  );
});

test('a linked stack pruned alone: the linking container is replaced without the join and degraded; the network goes after it', () => {
  assert.equal(
    planText([client], [clientPlacement], withClient()),
    `stack app
  #1 h3 StopContainer app-db-1: stack removed from git
  #2 h3 RemoveContainer app-db-1 after #1: stack removed from git
  #3 h1 StopContainer app-web-1: stack removed from git
  #4 h1 RemoveContainer app-web-1 after #3: stack removed from git
  #11 h1 RemoveNetwork corral-app_overlay after #2,#4,#10: stack removed from git
stack client
  degraded: probe cannot reach app/db: stack app is not deployed
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #5 h2 StopContainer client-probe-1: config changed: external_links
  #6 h2 RenameContainer client-probe-1 after #5: kept until the upgrade is done, as client-probe-1-prev
  #7 h2 CreateContainer client-probe-1 after #6: config changed: external_links
  #8 h2 StartContainer client-probe-1 after #7: replaced, start
  #9 h2 AwaitReady client-probe-1 after #8: batch 1/1 of probe, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #10 h2 RemoveContainer client-probe-1-prev (unit client-probe-1) after #9: kept during the upgrade; the upgrade is done
`,
  );
});

test("a pruned stack's network stays while a container of a stack not planned now still uses it", () => {
  assert.equal(
    planText([client], [clientPlacement], withClient(), { only: ['app'] }),
    `stack app
  info: network corral-app_overlay kept: client-probe-1 on h2 of another stack still uses it (external_links)
  #1 h3 StopContainer app-db-1: stack removed from git
  #2 h3 RemoveContainer app-db-1 after #1: stack removed from git
  #3 h1 StopContainer app-web-1: stack removed from git
  #4 h1 RemoveContainer app-web-1 after #3: stack removed from git
`,
  );
});

test('a kept container that lost a network (its host left the swarm and came back) is connected again, with its aliases', () => {
  const lost = withClient();
  const h3 = lost[2];
  assert.ok(h3);
  h3.containers = live(app, 'db', 1, 'h3', { network: 'overlay', attached: [] });
  const h2 = lost[1];
  assert.ok(h2);
  h2.containers = live(client, 'probe', 1, 'h2', { network: 'overlay', externalNetworks: toApp, attached: ['corral-client_overlay'] });
  const result = plan([app, client], [appPlacement, clientPlacement], { hosts: lost }, { prune: true });
  assert.equal(
    formatPlan(result),
    `stack app
  #1 h3 ConnectNetwork app-db-1 to corral-app_overlay: not attached to corral-app_overlay, connect
stack client
  #2 h2 ConnectNetwork client-probe-1 to corral-app_overlay: not attached to corral-app_overlay (external_links to stack app), connect
`,
  );
  assert.deepEqual(
    result.operations.map((op) => op.kind === 'ConnectNetwork' && op.endpoint),
    [{ Aliases: ['db', 'db.app', 'database'] }, { Links: ['db.app:store'] }],
  );
});

test("the swarm's address pool: too small for the stacks, or covering a host's address, is a warning", () => {
  const hosts = swarmHosts(['h1', 'h2']);
  const manager = hosts[0];
  assert.ok(manager?.swarm);
  manager.swarm.addressPool = { subnets: ['10.99.0.0/23'], prefixLength: 24 };
  const three = ['a', 'b', 'c'].map((name) => stack(name, { db: {} }));
  const lines = formatPlan(plan(three, [], { hosts }, { prune: true }))
    .split('\n')
    .filter((line) => line.startsWith('host '));
  assert.deepEqual(lines, [
    "host h1: warning: the swarm's overlay address pool 10.99.0.0/23 holds 2 networks of /24; corral's stacks need up to 3 (docker swarm init --default-addr-pool with a larger pool)",
    "host h1: warning: h1's address 10.99.0.11 is inside the swarm's overlay address pool 10.99.0.0/23: containers on an overlay network may not reach it",
    "host h2: warning: h2's address 10.99.0.12 is inside the swarm's overlay address pool 10.99.0.0/23: containers on an overlay network may not reach it",
  ]);
});

const tidb = stack('tidb', { tidb: { links: ['pd:placement'] }, pd: { network_mode: 'host' }, tikv: { net: 'host' } });
const tidbPlacement = placement('tidb', [
  ['pd', 1, 'h1'],
  ['pd', 2, 'h3'],
  ['tikv', 1, 'h2'],
  ['tidb', 1, 'h2'],
]);
const tidbNames = [
  'pd:10.99.0.11',
  'pd:10.99.0.13',
  'pd.tidb:10.99.0.11',
  'pd.tidb:10.99.0.13',
  'placement:10.99.0.11',
  'placement:10.99.0.13',
  'tikv:10.99.0.12',
  'tikv.tidb:10.99.0.12',
];

test("host-network services are named in /etc/hosts of the stack's other containers: service name, <service>.<stack>, link alias, at each host's address", () => {
  const result = plan([tidb], [tidbPlacement], { hosts: [host('h1'), host('h2'), host('h3')] }, { prune: true });
  const createOf = (name: string) => {
    const op = result.operations.find((o) => o.kind === 'CreateContainer' && o.target === name);
    assert.ok(op?.kind === 'CreateContainer', name);
    return op.container;
  };
  assert.deepEqual(createOf('tidb-tidb-1').HostConfig['ExtraHosts'], tidbNames);
  // The host-network containers themselves keep the host's own /etc/hosts.
  assert.equal(createOf('tidb-pd-1').HostConfig['ExtraHosts'], undefined);
  assert.equal(createOf('tidb-tikv-1').HostConfig['ExtraHosts'], undefined);
  // Reached at a host's address from any host: no warning, not degraded.
  assert.doesNotMatch(formatPlan(result), /warning|degraded/);
});

test('a converged stack with host-network services has no changes; the service moving to another host replaces the containers naming it', () => {
  const running = [
    host('h1', { containers: live(tidb, 'pd', 1, 'h1') }),
    host('h2', {
      networks: ['corral-tidb'],
      containers: [...live(tidb, 'tikv', 1, 'h2'), ...live(tidb, 'tidb', 1, 'h2', { hostNames: tidbNames })],
    }),
    host('h3', { containers: live(tidb, 'pd', 2, 'h3') }),
  ];
  assert.equal(planText([tidb], [tidbPlacement], running), 'stack tidb: no changes\n');
  const moved = placement('tidb', [
    ['pd', 1, 'h1'],
    ['pd', 2, 'h3'],
    ['tikv', 1, 'h1'],
    ['tidb', 1, 'h2'],
  ]);
  assert.equal(
    planText([tidb], [moved], running),
    `stack tidb
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  #1 h1 CreateContainer tidb-tikv-1: placed on h1 now (was on h2)
  #2 h1 StartContainer tidb-tikv-1 after #1: created, start
  #3 h2 StopContainer tidb-tidb-1: config changed: host_names
  #4 h2 RenameContainer tidb-tidb-1 after #3: kept until the upgrade is done, as tidb-tidb-1-prev
  #5 h2 CreateContainer tidb-tidb-1 after #4: config changed: host_names
  #6 h2 StartContainer tidb-tidb-1 after #5: replaced, start
  #7 h2 AwaitReady tidb-tidb-1 after #6: batch 1/1 of tidb, gate: healthy by Docker's HEALTHCHECK or 5 s running without a restart, within 60 s
  #8 h2 RemoveContainer tidb-tidb-1-prev (unit tidb-tidb-1) after #7: kept during the upgrade; the upgrade is done
  #9 h2 StopContainer tidb-tikv-1: placed on h1 now
  #10 h2 RemoveContainer tidb-tikv-1 after #9: placed on h1 now
`,
  );
});

test("a service's own extra_hosts win over a host-network service's name; external_links name another stack's host-network service", () => {
  const own = stack('own', { web: { extra_hosts: ['pd:192.0.2.1'], external_links: ['tidb/tikv:kv'] }, pd: { net: 'host' } });
  const result = plan(
    [own, tidb],
    [
      placement('own', [
        ['pd', 1, 'h1'],
        ['web', 1, 'h2'],
      ]),
      tidbPlacement,
    ],
    { hosts: [host('h1'), host('h2'), host('h3')] },
    { prune: true, only: ['own'] },
  );
  const web = result.operations.find((o) => o.kind === 'CreateContainer' && o.target === 'own-web-1');
  assert.ok(web?.kind === 'CreateContainer');
  assert.deepEqual(web.container.HostConfig['ExtraHosts'], ['pd:192.0.2.1', 'pd.own:10.99.0.11', 'kv:10.99.0.12', 'tikv.tidb:10.99.0.12']);
  assert.doesNotMatch(formatPlan(result), /degraded/);
});

test('a host-network service on a host whose address is a name or loopback: no entry, a warning saying which address to set', () => {
  const text = planText(
    [tidb],
    [tidbPlacement],
    [host('h1', { address: '127.0.0.1' }), host('h2', { address: 'kv.example.org' }), host('h3')],
  );
  assert.match(
    text,
    /warning: pd is on the host network of h1, whose address "127.0.0.1" is a loopback address: its name does not resolve there; set the host's address: to an IP address containers reach it at/,
  );
  assert.match(text, /warning: tikv is on the host network of h2, whose address "kv.example.org" is not an IP address/);
});

test('a link to a service on no network, or on the default bridge, is a warning: its name does not resolve', () => {
  const text = planText(
    [stack('iso', { web: { links: ['batch'] }, batch: { network_mode: 'none' } })],
    [
      placement('iso', [
        ['batch', 1, 'h1'],
        ['web', 1, 'h1'],
      ]),
    ],
    [host('h1')],
  );
  assert.match(text, /warning: web links to batch, which is not on the stack network \(network_mode none\): its name does not resolve/);
});

test('start_first on an overlay network: Docker renames no running container there, so the unit stops first, and the plan says so', () => {
  const upgrade = { batchSize: 1, intervalMs: 1000, startFirst: true, minReadyMs: 2000 };
  const before = stack('app', { db: { image: 'redis:1', upgrade } });
  const after = stack('app', { db: { image: 'redis:2', upgrade } });
  const running = live(after, 'db', 1, 'h3', { from: before, network: 'overlay', attached: 'spec' });
  const hosts = swarmHosts(['h1', 'h2', 'h3'], [overlayOf('app')], { h3: { containers: running } });
  assert.equal(
    planText([after], [placement('app', [['db', 1, 'h3']])], hosts),
    `stack app
  info: upgrade to demo 1.0: replaced containers are kept until every gate passed; any failure rolls the stack back
  info: app-db-1: start_first not possible, the old app-db-1 is on the overlay network corral-app_overlay, where Docker renames no running container: stops first
  #1 h3 PullImage redis:2: missing on h3
  #2 h3 StopContainer app-db-1 after #1: config changed: image
  #3 h3 RenameContainer app-db-1 after #2: kept until the upgrade is done, as app-db-1-prev
  #4 h3 CreateContainer app-db-1 after #1,#3: config changed: image
  #5 h3 StartContainer app-db-1 after #4: replaced, start
  #6 h3 AwaitReady app-db-1 after #5: batch 1/1 of db, gate: healthy by Docker's HEALTHCHECK or 2 s running without a restart, within 60 s
  #7 h3 RemoveContainer app-db-1-prev (unit app-db-1) after #6: kept during the upgrade; the upgrade is done
`,
  );
});
