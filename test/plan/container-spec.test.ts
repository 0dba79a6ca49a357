import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseDuration, parsePort, parseSize, parseVolumeMount, splitShellWords } from '../../src/plan/compose-values.js';
import { containerSpec } from '../../src/plan/container-spec.js';
import { ContainerSpecs, SpecCache } from '../../src/plan/container-specs.js';
import { changedKeys, stableJson } from '../../src/plan/hash.js';
import { IMAGE, stack } from './fixtures.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The config hash as the whole create request defines it: its stable JSON without corral's labels, with the joins. */
function wholeRequestHash(spec: ReturnType<typeof containerSpec>): string {
  const labels = Object.fromEntries(Object.entries(spec.create.Labels).filter(([key]) => !key.startsWith('io.corral.')));
  const joins = spec.shared.joins.length > 0 ? { 'corral:joins': spec.shared.joins } : {};
  return sha256(stableJson({ ...joins, ...spec.create, Labels: labels }));
}

const rich = stack('shop', {
  web: {
    image: 'nginx:1.25',
    command: 'nginx -g "daemon off;"',
    entrypoint: ['/docker-entrypoint.sh'],
    environment: { MODE: 'prod', EMPTY: '' },
    labels: { tier: 'front', 'io.rancher.container.hostname_override': 'container_name', 'io.rancher.sidekicks': 'cache' },
    ports: ['8080:80', '127.0.0.1:8443:443/tcp', '9000-9001:9000-9001/udp', '53'],
    expose: ['3000'],
    volumes: ['content:/usr/share/nginx/html:ro', '/etc/ssl:/etc/ssl', '/var/cache/nginx'],
    restart: 'on-failure:3',
    cap_add: ['NET_ADMIN'],
    cap_drop: 'ALL',
    privileged: true,
    devices: ['/dev/fuse'],
    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 },
    user: 'nginx',
    working_dir: '/srv',
    tty: true,
    stdin_open: 'true',
    extra_hosts: ['db.local:10.0.0.5'],
    dns: '1.1.1.1',
    dns_search: ['example.org'],
    healthcheck: { test: 'wget -q -O- localhost', interval: '30s', timeout: '5s', retries: 3, start_period: '1m' },
    logging: { driver: 'json-file', options: { 'max-size': '10m' } },
    mem_limit: '512m',
    cpu_shares: 512,
    cpuset: '0,1',
    cpu_quota: 50000,
    stop_signal: 'SIGQUIT',
    stop_grace_period: '1m30s',
    links: ['cache:redis'],
    sidekicks: ['cache'],
  },
  cache: { image: 'redis:7', network_mode: 'container:web', volumes_from: ['web:ro'] },
});
const unitNames = { web: 'shop-web-2', cache: 'shop-web-cache-2' };

test("every compose key maps to Docker's create API; labels carry Rancher's and corral's", () => {
  const spec = containerSpec({ stack: rich, service: rich.services['web']!, instance: 2, unitNames, linkAliases: ['www'] });
  assert.deepEqual(spec.shared.warnings, []);
  const { Labels, ...rest } = spec.create;
  assert.deepEqual(rest, {
    name: 'shop-web-2',
    Image: 'nginx:1.25',
    Cmd: ['nginx', '-g', 'daemon off;'],
    Entrypoint: ['/docker-entrypoint.sh'],
    Env: ['MODE=prod', 'EMPTY='],
    Hostname: 'shop-web-2',
    ExposedPorts: { '80/tcp': {}, '443/tcp': {}, '9000/udp': {}, '9001/udp': {}, '53/tcp': {}, '3000/tcp': {} },
    Volumes: { '/var/cache/nginx': {} },
    User: 'nginx',
    WorkingDir: '/srv',
    Tty: true,
    OpenStdin: true,
    Healthcheck: { Test: ['CMD-SHELL', 'wget -q -O- localhost'], Interval: 30e9, Timeout: 5e9, StartPeriod: 60e9, Retries: 3 },
    StopSignal: 'SIGQUIT',
    StopTimeout: 90,
    HostConfig: {
      PortBindings: {
        '80/tcp': [{ HostIp: '', HostPort: '8080' }],
        '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '8443' }],
        '9000/udp': [{ HostIp: '', HostPort: '9000' }],
        '9001/udp': [{ HostIp: '', HostPort: '9001' }],
        '53/tcp': [{ HostIp: '', HostPort: '' }],
      },
      Binds: ['shop_content:/usr/share/nginx/html:ro', '/etc/ssl:/etc/ssl'],
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['ALL'],
      Privileged: true,
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 2048 },
        { Name: 'nproc', Soft: 512, Hard: 512 },
      ],
      ExtraHosts: ['db.local:10.0.0.5'],
      Dns: ['1.1.1.1'],
      DnsSearch: ['example.org'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
      Memory: 512 * 1024 * 1024,
      CpuShares: 512,
      CpusetCpus: '0,1',
      CpuQuota: 50000,
      NetworkMode: 'corral-shop',
    },
    NetworkingConfig: { EndpointsConfig: { 'corral-shop': { Aliases: ['web', 'web.shop', 'www'] } } },
  });
  assert.equal(Labels['tier'], 'front');
  assert.equal(Labels['io.rancher.stack.name'], 'shop');
  assert.equal(Labels['io.rancher.stack_service.name'], 'shop/web');
  assert.equal(Labels['io.rancher.service.deployment.unit'], 'shop-web-2');
  assert.equal(Labels['io.rancher.service.launch.config'], 'io.rancher.service.primary.launch.config');
  assert.deepEqual(
    [Labels['io.corral.stack'], Labels['io.corral.service'], Labels['io.corral.unit'], Labels['io.corral.instance']],
    ['shop', 'web', 'web', '2'],
  );
  assert.equal(Labels['io.corral.config-hash'], spec.hash);
  assert.equal(Labels['io.corral.template'], 'library/demo');
  assert.deepEqual(spec.shared.volumes, [
    { Name: 'shop_content', Driver: 'local', DriverOpts: {}, Labels: { 'io.corral.managed': 'true', 'io.corral.stack': 'shop' } },
  ]);
});

test("a sidekick shares the unit's own containers: network_mode container: and volumes_from resolve to this instance", () => {
  const spec = containerSpec({ stack: rich, service: rich.services['cache']!, instance: 2, unitNames, linkAliases: [] });
  assert.equal(spec.create.HostConfig['NetworkMode'], 'container:shop-web-2');
  assert.deepEqual(spec.create.HostConfig['VolumesFrom'], ['shop-web-2:ro']);
  assert.deepEqual(spec.shared.references, ['web']);
  assert.equal(spec.shared.network, undefined);
  assert.equal(spec.create['NetworkingConfig'], undefined);
  assert.equal(spec.create.Labels['io.rancher.service.launch.config'], 'cache');
  assert.equal(spec.create.Labels['io.corral.unit'], 'web');
});

test('v1 net: host and the default restart policy; start_once containers are not restarted by Docker', () => {
  const s = stack('x', { a: { net: 'host', ports: ['80:80'] }, b: { labels: { 'io.rancher.container.start_once': 'true' } } });
  const a = containerSpec({ stack: s, service: s.services['a']!, instance: 1, unitNames: { a: 'x-a-1' }, linkAliases: [] });
  assert.equal(a.create.HostConfig['NetworkMode'], 'host');
  assert.equal(a.create.HostConfig['PortBindings'], undefined);
  assert.match(a.shared.warnings.join('\n'), /ports: a container on the host network/);
  assert.deepEqual(a.create.HostConfig['RestartPolicy'], { Name: 'unless-stopped', MaximumRetryCount: 0 });
  const b = containerSpec({ stack: s, service: s.services['b']!, instance: 1, unitNames: { b: 'x-b-1' }, linkAliases: [] });
  assert.deepEqual(b.create.HostConfig['RestartPolicy'], { Name: '', MaximumRetryCount: 0 });
  assert.equal(b.shared.startOnce, true);
});

test('external volumes keep their name; declared drivers are used', () => {
  const s = stack(
    'x',
    { a: { volumes: ['shared:/s', 'data:/d'] } },
    { shared: { external: true }, data: { driver: 'local', driver_opts: { type: 'tmpfs', device: 'tmpfs' } } },
  );
  const spec = containerSpec({ stack: s, service: s.services['a']!, instance: 1, unitNames: { a: 'x-a-1' }, linkAliases: [] });
  assert.deepEqual(spec.create.HostConfig['Binds'], ['shared:/s', 'x_data:/d']);
  assert.deepEqual(
    spec.shared.volumes.map((v) => [v.Name, v.DriverOpts]),
    [['x_data', { type: 'tmpfs', device: 'tmpfs' }]],
  );
});

test('string maps for Docker: an option written without a value is "", not "null"; list items split on the first "="', () => {
  const s = stack('x', {
    a: {
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': 3, compress: null } },
      sysctls: ['net.core.somaxconn=1024', 'kernel.msgmnb=65536', 'net.ipv4.conf.all.arp_filter=a=b'],
      tmpfs: ['/run:size=64m', '/tmp'],
    },
    b: { log_opt: { tag: null }, sysctls: { 'net.core.somaxconn': 1024, 'kernel.shmmax': null } },
  });
  const specOf = (name: string) =>
    containerSpec({ stack: s, service: s.services[name]!, instance: 1, unitNames: { [name]: `x-${name}-1` }, linkAliases: [] }).create
      .HostConfig;
  const a = specOf('a');
  assert.deepEqual(a['LogConfig'], { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3', compress: '' } });
  assert.deepEqual(a['Sysctls'], { 'net.core.somaxconn': '1024', 'kernel.msgmnb': '65536', 'net.ipv4.conf.all.arp_filter': 'a=b' });
  assert.deepEqual(a['Tmpfs'], { '/run': 'size=64m', '/tmp': '' });
  const b = specOf('b');
  assert.deepEqual(b['LogConfig'], { Type: '', Config: { tag: '' } });
  assert.deepEqual(b['Sysctls'], { 'net.core.somaxconn': '1024', 'kernel.shmmax': '' });
});

test('the config hash leaves out scale and keys with no effect on the container; it changes with any applied key', () => {
  const hashOf = (input: Parameters<typeof stack>[1]) => {
    const s = stack('x', input);
    return containerSpec({ stack: s, service: s.services['a']!, instance: 1, unitNames: { a: 'x-a-1' }, linkAliases: [] });
  };
  const base = hashOf({ a: { command: 'run' } });
  assert.equal(hashOf({ a: { command: 'run', scale: 7 } }).hash, base.hash);
  assert.equal(hashOf({ a: { command: 'run', depends_on: ['b'], build: '.', container_name: 'n' } }).hash, base.hash);
  assert.notEqual(hashOf({ a: { command: 'run --fast' } }).hash, base.hash);
  assert.notEqual(hashOf({ a: { command: 'run', environment: { A: '1' } } }).hash, base.hash);
  assert.notEqual(hashOf({ a: { command: 'run', labels: { x: 'y' } } }).hash, base.hash);
  assert.deepEqual(Object.keys(base.shared.keyHashes), ['aliases', 'command', 'environment', 'image', 'labels']);
});

test("the config hash is the SHA-256 of the create request without corral's own labels: revision and template version leave it alone", () => {
  const s = stack('x', { a: { command: 'run' } });
  const specOf = (revision?: string, version = '1.0') => {
    const changed = { ...s, template: { ...s.template, version }, ...(revision ? { revision } : {}) };
    return containerSpec({ stack: changed, service: s.services['a']!, instance: 1, unitNames: { a: 'x-a-1' }, linkAliases: [] });
  };
  const spec = specOf();
  const corralLabels = Object.keys(spec.create.Labels).filter((key) => key.startsWith('io.corral.'));
  const labels = Object.fromEntries(Object.entries(spec.create.Labels).filter(([key]) => !key.startsWith('io.corral.')));
  assert.equal(spec.hash, sha256(stableJson({ ...spec.create, Labels: labels })));
  assert.ok(corralLabels.includes('io.corral.config-hash') && corralLabels.includes('io.corral.stack'));
  assert.equal(specOf('0123abc', '2.0').hash, spec.hash);
  assert.equal(specOf('0123abc', '2.0').create.Labels['io.corral.revision'], '0123abc');
});

test("the config hash is the whole request's for every instance: a hostname of its own, the name as hostname, joins", () => {
  const s = stack('shop', {
    own: { command: 'run', hostname: 'fixed' },
    named: { command: 'run', hostname: 'ignored', labels: { 'io.rancher.container.hostname_override': 'container_name' } },
    linked: { command: 'run', external_links: ['db/main:database'] },
  });
  const specs = new ContainerSpecs();
  const ctx = (service: string, instance: number, hostname?: string) => {
    const changed = hostname ? { ...s.services[service]!, compose: { ...s.services[service]!.compose, hostname } } : s.services[service]!;
    return {
      stack: s,
      service: changed,
      instance,
      unitNames: { [service]: `shop-${service}-${instance}` },
      linkAliases: [],
      externalNetworks: new Map([['db', 'corral-db']]),
    };
  };
  for (const service of ['own', 'named', 'linked'])
    for (const instance of [1, 2, 3]) {
      const spec = specs.spec(ctx(service, instance));
      assert.equal(spec.hash, wholeRequestHash(spec), `${service}-${instance}`);
    }
  assert.equal(specs.spec(ctx('own', 1)).create['Hostname'], 'fixed');
  assert.equal(specs.spec(ctx('named', 2)).create['Hostname'], 'shop-named-2');
  assert.notEqual(containerSpec(ctx('own', 1, 'other')).hash, specs.spec(ctx('own', 1)).hash);
  assert.equal(containerSpec(ctx('named', 1, 'other')).hash, specs.spec(ctx('named', 1)).hash);
});

test('a top-level volume declaration that changes the mount changes the hash, and the cause names the volume', () => {
  const hashOf = (declared: Record<string, unknown>) => {
    const s = stack('x', { a: { volumes: ['data:/data'] } }, { data: declared });
    return containerSpec({ stack: s, service: s.services['a']!, instance: 1, unitNames: { a: 'x-a-1' }, linkAliases: [] });
  };
  const local = hashOf({});
  const external = hashOf({ external: true });
  assert.deepEqual(local.create.HostConfig['Binds'], ['x_data:/data']);
  assert.deepEqual(external.create.HostConfig['Binds'], ['data:/data']);
  assert.notEqual(external.hash, local.hash);
  assert.deepEqual(changedKeys(local.shared.keyHashes, external.shared.keyHashes), ['volume data']);
  assert.equal(hashOf({ external: { name: 'shared' } }).create.HostConfig['Binds']?.toString(), 'shared:/data');
});

test('compose value syntaxes', () => {
  assert.deepEqual(splitShellWords(`sh -c 'echo "a b"' \\$HOME`), { value: ['sh', '-c', 'echo "a b"', '$HOME'] });
  assert.ok('problem' in splitShellWords('echo "open'));
  assert.deepEqual(parseDuration('1m30s'), { value: 90e9 });
  assert.deepEqual(parseDuration('250ms'), { value: 250e6 });
  assert.ok('problem' in parseDuration('soon'));
  assert.deepEqual(parseSize('1g'), { value: 1024 ** 3 });
  assert.deepEqual(parseSize(1048576), { value: 1048576 });
  assert.ok('problem' in parseSize('lots'));
  assert.deepEqual(parsePort({ target: 80, published: 8080, protocol: 'udp' }), {
    value: [{ containerPort: '80/udp', hostIp: '', hostPort: '8080' }],
  });
  assert.deepEqual(parsePort('80-81'), {
    value: [
      { containerPort: '80/tcp', hostIp: '', hostPort: '' },
      { containerPort: '81/tcp', hostIp: '', hostPort: '' },
    ],
  });
  assert.ok('problem' in parsePort('8000:80-81'));
  assert.ok('problem' in parsePort('1-3:1-2'));
  assert.ok('problem' in parsePort('80/icmp'));
  assert.deepEqual(parseVolumeMount('/data'), { value: { kind: 'anonymous', target: '/data' } });
  assert.ok('problem' in parseVolumeMount('./conf:/etc/conf'));
  assert.deepEqual(parseVolumeMount({ type: 'bind', source: '/a', target: '/b', read_only: true }), {
    value: { kind: 'bind', source: '/a', target: '/b', mode: 'ro' },
  });
});

test('specs of one plan: an instance of a service without unit references is the first one with its own name and labels', () => {
  const s = stack('shop', {
    web: { ports: ['80'], command: 'run', labels: { 'io.rancher.container.hostname_override': 'container_name' } },
    data: { volumes_from: ['web'] },
  });
  const specs = new ContainerSpecs();
  const ctx = (service: string, instance: number) => ({
    stack: s,
    service: s.services[service]!,
    instance,
    unitNames: { [service]: `shop-${service}-${instance}`, web: `shop-web-${instance}` },
    linkAliases: ['www'],
  });
  for (const [service, instance] of [
    ['web', 1],
    ['web', 3],
    ['data', 1],
    ['data', 2],
  ] as const) {
    const [planned, alone] = [specs.spec(ctx(service, instance)), containerSpec(ctx(service, instance))];
    assert.deepEqual(planned, alone, `${service}-${instance}`);
    assert.deepEqual(planned.create, alone.create, `${service}-${instance}`);
    assert.deepEqual(planned.shared.keyHashes, alone.shared.keyHashes, `${service}-${instance}`);
    assert.equal(planned.hash, wholeRequestHash(planned), `${service}-${instance}`);
  }
  const rich1 = containerSpec({ stack: rich, service: rich.services['web']!, instance: 1, unitNames, linkAliases: ['www'] });
  assert.equal(rich1.hash, wholeRequestHash(rich1));
  const third = specs.spec(ctx('web', 3));
  assert.equal(third.create.name, 'shop-web-3');
  assert.equal(third.create['Hostname'], 'shop-web-3');
  assert.equal(third.create.Labels['io.corral.instance'], '3');
});

test('on an overlay host the container joins the stack overlay network; the hash says so, and a bridge hash is unchanged', () => {
  const s = stack('shop', { a: { command: 'run' } });
  const specOf = (ctx: Partial<Parameters<typeof containerSpec>[0]>) =>
    containerSpec({ stack: s, service: s.services['a']!, instance: 1, unitNames: { a: 'shop-a-1' }, linkAliases: ['api'], ...ctx });
  const bridge = specOf({});
  const overlay = specOf({ networkDriver: 'overlay' });
  assert.equal(specOf({ networkDriver: 'bridge' }).hash, bridge.hash);
  assert.equal(bridge.create.HostConfig['NetworkMode'], 'corral-shop');
  assert.equal(overlay.create.HostConfig['NetworkMode'], 'corral-shop_overlay');
  assert.deepEqual(overlay.create['NetworkingConfig'], { EndpointsConfig: { 'corral-shop_overlay': { Aliases: ['a', 'a.shop', 'api'] } } });
  assert.deepEqual([overlay.shared.network, overlay.shared.networkDriver], ['corral-shop_overlay', 'overlay']);
  assert.deepEqual(changedKeys(bridge.shared.keyHashes, overlay.shared.keyHashes), ['network']);
});

test('external_links: one join per linked stack that is in the repository, a Docker link per alias, all in the hash', () => {
  const s = stack('shop', {
    a: { external_links: ['db/main:database', 'db/cache', 'bad link'], links: ['other/api:api', 'b'] },
    b: {},
    h: { network_mode: 'host', external_links: ['db/main'] },
  });
  const specOf = (service: string, externalNetworks: Map<string, string>) =>
    containerSpec({
      stack: s,
      service: s.services[service]!,
      instance: 1,
      unitNames: { [service]: `shop-${service}-1` },
      linkAliases: [],
      externalNetworks,
    });
  const both = specOf(
    'a',
    new Map([
      ['db', 'corral-db_overlay'],
      ['other', 'corral-other_overlay'],
    ]),
  );
  assert.deepEqual(both.shared.joins, [
    { network: 'corral-db_overlay', stack: 'db', links: ['main.db:database', 'cache.db:cache'] },
    { network: 'corral-other_overlay', stack: 'other', links: ['api.other:api'] },
  ]);
  assert.deepEqual(both.shared.warnings, [
    'external_links: bad link: expected <stack>/<service> or <stack>/<service>:<alias>; not applied',
  ]);
  const dbOnly = specOf('a', new Map([['db', 'corral-db_overlay']]));
  assert.deepEqual(
    dbOnly.shared.joins.map((j) => j.stack),
    ['db'],
  );
  assert.deepEqual(changedKeys(dbOnly.shared.keyHashes, both.shared.keyHashes), ['external_links']);
  assert.equal(both.hash, wholeRequestHash(both));
  assert.notEqual(both.hash, dbOnly.hash);
  const onHost = specOf('h', new Map([['db', 'corral-db_overlay']]));
  assert.deepEqual(onHost.shared.joins, []);
  assert.deepEqual(onHost.shared.warnings, ['external_links: shop-h-1 is not on the stack network (network_mode host); not applied']);
});

test('specs of one plan: instances on hosts of another networking get their own spec', () => {
  const s = stack('shop', { web: { command: 'run', external_links: ['db/main:database'] } });
  const specs = new ContainerSpecs();
  const ctx = (instance: number, networkDriver: 'bridge' | 'overlay', externalNetworks: Map<string, string>) => ({
    stack: s,
    service: s.services['web']!,
    instance,
    unitNames: { web: `shop-web-${instance}` },
    linkAliases: [],
    networkDriver,
    externalNetworks,
  });
  const cases = [
    ctx(1, 'bridge', new Map()),
    ctx(2, 'overlay', new Map([['db', 'corral-db_overlay']])),
    ctx(3, 'overlay', new Map()),
    ctx(4, 'overlay', new Map([['db', 'corral-db_overlay']])),
  ];
  for (const c of cases) assert.deepEqual(specs.spec(c), containerSpec(c), `instance ${c.instance}`);
  assert.deepEqual(
    cases.map((c) => [specs.spec(c).shared.network, specs.spec(c).shared.joins.length]),
    [
      ['corral-shop', 0],
      ['corral-shop_overlay', 1],
      ['corral-shop_overlay', 0],
      ['corral-shop_overlay', 1],
    ],
  );
});

/** Freezes the value and everything it holds, so that a write into it throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

test('specs of one plan: the instances of a service share their request but write nothing shared; each request has its own name, hostname and labels', () => {
  const s = stack('shop', {
    web: {
      ports: ['80'],
      command: 'run',
      volumes: ['data:/data'],
      labels: { tier: 'front', 'io.rancher.container.hostname_override': 'container_name' },
    },
  });
  const specs = new ContainerSpecs();
  const ctx = (instance: number) => ({
    stack: s,
    service: s.services['web']!,
    instance,
    unitNames: { web: `shop-web-${instance}` },
    linkAliases: ['www'],
  });
  const first = specs.spec(ctx(1));
  // Everything the first request holds, and what every instance's request is made from.
  deepFreeze(first.create);
  deepFreeze(first.shared);
  deepFreeze(first.shared.requestTemplate);
  deepFreeze(first.shared.labelsTemplate);
  const others = specs.planning(s, () => [2, 3].map((instance) => specs.spec(ctx(instance))));
  for (const [i, spec] of [first, ...others].entries()) {
    const instance = i + 1;
    const alone = containerSpec(ctx(instance));
    assert.deepEqual(spec.create, alone.create, `instance ${instance}`);
    assert.equal(spec.create.name, `shop-web-${instance}`);
    assert.equal(spec.create['Hostname'], `shop-web-${instance}`);
    assert.equal(spec.create.Labels['io.rancher.service.deployment.unit'], `shop-web-${instance}`);
    assert.equal(spec.create.Labels['io.corral.instance'], String(instance));
    assert.equal(spec.create.Labels['io.corral.config-hash'], spec.hash);
    assert.equal(spec.hash, wholeRequestHash(spec), `instance ${instance}`);
    assert.equal(spec.hash, alone.hash, `instance ${instance}`);
  }
  assert.equal(new Set([first, ...others].map((spec) => spec.hash)).size, 3);
  // Shared, as the header of container-specs.ts says: the nested parts, not the top level or the labels.
  assert.equal(others[0]?.create.HostConfig, first.create.HostConfig);
  assert.notEqual(others[0]?.create.Labels, first.create.Labels);
  assert.notEqual(others[0]?.create, first.create);
});

test('a config hash made when first read, after its stack was planned and another stack was, is the hash of the whole request', () => {
  const shop = stack('shop', {
    web: { ports: ['80'], command: 'run', labels: { 'io.rancher.container.hostname_override': 'container_name' } },
    db: { image: 'postgres:16', volumes: ['data:/var/lib/postgresql/data'] },
  });
  const other = stack('other', { web: { command: 'serve' } });
  const specs = new ContainerSpecs();
  const ctx = (s: typeof shop, service: string, instance: number) => ({
    stack: s,
    service: s.services[service]!,
    instance,
    unitNames: { [service]: `${s.name}-${service}-${instance}` },
    linkAliases: [],
  });
  const planned = specs.planning(shop, () => [1, 2].flatMap((i) => [specs.spec(ctx(shop, 'web', i)), specs.spec(ctx(shop, 'db', i))]));
  const otherSpec = specs.planning(other, () => specs.spec(ctx(other, 'web', 1)));
  // Read only now, in the reverse order, the create requests first (their label reads the hash).
  for (const spec of [...planned].reverse()) {
    const alone = containerSpec(ctx(shop, spec.shared.service.name, spec.instance));
    assert.equal(spec.create.Labels['io.corral.config-hash'], alone.hash, spec.name);
    assert.equal(spec.hash, alone.hash, spec.name);
    assert.equal(spec.hash, wholeRequestHash(spec), spec.name);
    assert.ok(spec.create.Labels['io.corral.config-keys']?.includes('command=') || spec.shared.service.name === 'db', spec.name);
  }
  assert.equal(otherSpec.hash, containerSpec(ctx(other, 'web', 1)).hash);
  assert.equal(new Set(planned.map((spec) => spec.hash)).size, 4);
  // A hash read twice is the same string.
  assert.equal(planned[0]?.hash, planned[0]?.hash);
});

test("without a spec cache a stack's specs are kept while it is planned; with one, from plan to plan", () => {
  const s = stack('shop', { web: { command: 'run' } });
  const ctx = (instance: number) => ({
    stack: s,
    service: s.services['web']!,
    instance,
    unitNames: { web: `shop-web-${instance}` },
    linkAliases: [],
  });
  const fresh = new ContainerSpecs();
  const [first, again] = fresh.planning(s, () => [fresh.spec(ctx(1)), fresh.spec(ctx(1))]);
  assert.equal(again, first);
  const later = fresh.planning(s, () => fresh.spec(ctx(1)));
  assert.notEqual(later, first);
  assert.equal(later.hash, first.hash);
  assert.deepEqual(later.create, first.create);
  const cache = new SpecCache();
  const before = new ContainerSpecs(cache);
  const cached = before.planning(s, () => before.spec(ctx(2)));
  const after = new ContainerSpecs(cache);
  assert.equal(
    after.planning(s, () => after.spec(ctx(2))),
    cached,
  );
});

test('the per-key hash inputs: the compose keys applied, resolved values over them, then aliases, overlay network, host names and joins', () => {
  const s = stack(
    'shop',
    {
      web: { command: 'run', volumes: ['data:/data'], links: ['other/api'], x_unknown: 'no', labels: { 'io.rancher.sidekicks': 'log' } },
      log: { volumes_from: ['web'], network_mode: 'service:web' },
    },
    { data: { driver: 'local' } },
  );
  const specOf = (service: string) =>
    containerSpec({
      stack: s,
      service: s.services[service]!,
      instance: 2,
      unitNames: { web: 'shop-web-2', log: 'shop-web-log-2' },
      linkAliases: [],
      networkDriver: 'overlay',
      externalNetworks: new Map([['other', 'corral-other_overlay']]),
      hostNames: ['cache:10.0.0.9'],
    });
  const web = specOf('web');
  assert.deepEqual(web.shared.keyInputs, {
    image: IMAGE,
    command: 'run',
    volumes: ['data:/data'],
    links: ['other/api'],
    labels: { 'io.rancher.sidekicks': 'log' },
    environment: {},
    'volume data': { driver: 'local' },
    aliases: ['web', 'web.shop'],
    network: 'overlay',
    host_names: ['cache:10.0.0.9'],
    external_links: [{ network: 'corral-other_overlay', stack: 'other', links: ['api.other:api'] }],
  });
  const log = specOf('log');
  assert.deepEqual(log.shared.keyInputs, {
    image: IMAGE,
    volumes_from: ['shop-web-2'],
    network_mode: 'container:shop-web-2',
    labels: {},
    environment: {},
  });
  assert.deepEqual(Object.keys(log.shared.keyHashes), ['environment', 'image', 'labels', 'network_mode', 'volumes_from']);
});

test('parsePort and parseVolumeMount give the same result for a text again, and for the same value written as a number', () => {
  assert.deepEqual(parsePort('8080:80'), parsePort('8080:80'));
  assert.deepEqual(parsePort(8080), parsePort('8080'));
  assert.deepEqual(parsePort('80/xdp'), { problem: '"80/xdp": the protocol must be tcp, udp or sctp' });
  assert.deepEqual(parsePort('80/xdp'), { problem: '"80/xdp": the protocol must be tcp, udp or sctp' });
  assert.deepEqual(parseVolumeMount('data:/data:ro'), { value: { kind: 'named', source: 'data', target: '/data', mode: 'ro' } });
  assert.deepEqual(parseVolumeMount('data:/data:ro'), { value: { kind: 'named', source: 'data', target: '/data', mode: 'ro' } });
});
