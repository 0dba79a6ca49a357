import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { containerSpec, serviceSpec } from '../../src/plan/container-spec.js';
import { checkStackPolicy, DEFAULT_POLICY, normalizedReference, type Policy } from '../../src/policy/index.js';
import { loadDesiredState } from '../../src/render/index.js';
import { stack } from '../plan/fixtures.js';

const CATALOG_CONFIG = 'name: t\nversion: 1.0.0\n';
const QUESTIONS =
  '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: path\n      type: string\n    - variable: scale\n      type: int\n';

/** A repository with template `t` (docker-compose text as given) and stack `s` answering it. */
function repo(compose: string, answers = '', extra: Record<string, string> = {}): Map<string, string> {
  return new Map(
    Object.entries({
      'catalog/templates/t/config.yml': CATALOG_CONFIG,
      'catalog/templates/t/0/docker-compose.yml': compose,
      'catalog/templates/t/0/rancher-compose.yml': `${QUESTIONS}web:\n  scale: \${scale}\n`,
      'stacks/s/stack.yml': `template: t\nanswers:\n  scale: "1"\n${answers}`,
      ...extra,
    }),
  );
}

function policy(overrides: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, ...overrides };
}

/** The stack's errors as `file:line: error: message`, or [] when it renders. */
function errorsOf(compose: string, options: { answers?: string; policy?: Policy; extra?: Record<string, string> } = {}): string[] {
  const state = loadDesiredState(repo(compose, options.answers, options.extra), { policy: options.policy ?? DEFAULT_POLICY });
  const failed = state.failed.find((f) => f.stack === 's');
  if (!failed) {
    assert.ok(state.stacks.some((s) => s.name === 's'));
    return [];
  }
  return failed.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

const web = (keys: string) => `web:\n  image: busybox\n${keys}`;

test('without a policy section, privileged is refused at the stack file, naming the service, the key and the grant', () => {
  assert.deepEqual(errorsOf(web('  privileged: true\n')), [
    'stacks/s/stack.yml:1: error: service "web": privileged: true: a privileged container needs the grant "privileged", which the policy does not give (policy.allow, or policy.templates["library:t"].allow)',
  ]);
  assert.deepEqual(errorsOf(web('  privileged: true\n'), { policy: policy({ allow: ['privileged'] }) }), []);
  assert.deepEqual(errorsOf(web('  privileged: false\n')), []);
});

test('each host namespace needs its own grant; private modes need none', () => {
  const cases: [string, string][] = [
    ['  network_mode: host\n', 'host_network'],
    ['  net: host\n', 'host_network'],
    ['  pid: host\n', 'host_pid'],
    ['  ipc: host\n', 'host_ipc'],
    ['  uts: host\n', 'host_uts'],
    ['  userns_mode: host\n', 'host_userns'],
  ];
  for (const [keys, grant] of cases) {
    const [message] = errorsOf(web(keys));
    assert.match(message ?? '', new RegExp(`needs the grant "${grant}"`), keys);
    assert.deepEqual(errorsOf(web(keys), { policy: policy({ allow: [grant as Policy['allow'][number]] }) }), [], keys);
  }
  assert.deepEqual(errorsOf(web('  ipc: shareable\n  network_mode: none\n')), []);
});

test('capabilities, devices, security options, cgroup parent and sysctls each need their grant', () => {
  const cases: [string, string][] = [
    ['  cap_add: [SYS_ADMIN]\n', 'capabilities'],
    ['  devices: ["/dev/sda:/dev/sda"]\n', 'devices'],
    ['  security_opt: ["seccomp:unconfined"]\n', 'security_opt'],
    ['  cgroup_parent: /system.slice\n', 'cgroup_parent'],
    ['  sysctls: {net.core.somaxconn: "1024"}\n', 'sysctls'],
  ];
  for (const [keys, grant] of cases) {
    assert.match(errorsOf(web(keys)).join('\n'), new RegExp(`needs the grant "${grant}"`), keys);
    assert.deepEqual(errorsOf(web(keys), { policy: policy({ allow: [grant as Policy['allow'][number]] }) }), [], keys);
  }
  assert.deepEqual(errorsOf(web('  cap_drop: [ALL]\n  security_opt: [no-new-privileges]\n')), [], 'taking power away needs no grant');
});

test('bind mounts: only under an allowed prefix, after cleaning; the root and the Docker socket are refused', () => {
  const allowed = policy({ bindMounts: ['/srv/app'] });
  assert.deepEqual(errorsOf(web('  volumes: ["/srv/app/data:/data"]\n'), { policy: allowed }), []);
  assert.deepEqual(errorsOf(web('  volumes: ["/srv/app:/data"]\n'), { policy: allowed }), []);
  const refused = ['/:/host', '/var/run/docker.sock:/var/run/docker.sock', '/srv/apple:/data', '/srv/app/../../etc:/data'];
  for (const mount of refused) {
    const [message = ''] = errorsOf(web(`  volumes: ["${mount}"]\n`), { policy: allowed });
    assert.match(
      message,
      /volumes: bind mount of the host path \/\S* is not under policy.bind_mounts \(allowed prefixes: \/srv\/app\)/,
      mount,
    );
  }
  assert.match(errorsOf(web('  volumes: ["/srv/app/../../etc:/data"]\n'), { policy: allowed }).join(), /host path \/etc is not under/);
  assert.match(errorsOf(web('  volumes: ["/srv/app:/data"]\n')).join(), /the policy allows no host paths/);
  assert.deepEqual(errorsOf(web('  volumes: ["/:/host"]\n'), { policy: policy({ bindMounts: ['/'] }) }), [], 'a prefix of / grants it');
});

test('a bind path from an answer is reported at the answer, cleaned', () => {
  const errors = errorsOf(web('  volumes: ["${path}:/data"]\n'), {
    answers: '  path: /srv/app/../../etc\n',
    policy: policy({ bindMounts: ['/srv/app'] }),
  });
  assert.equal(errors.length, 1);
  assert.match(
    errors[0] ?? '',
    /^stacks\/s\/stack.yml:4: error: service "web": volumes: bind mount of the host path \/etc .*\(from answers.path\)$/,
  );
});

test('long-syntax binds and local volumes that bind a host path are checked the same way', () => {
  const longBind = 'version: "2"\nservices:\n  web:\n    image: busybox\n    volumes:\n      - {type: bind, source: /etc, target: /data}\n';
  assert.match(errorsOf(longBind).join(), /host path \/etc is not under policy.bind_mounts/);
  const disguised =
    'version: "2"\nservices:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /etc}\n';
  assert.match(errorsOf(disguised).join(), /host path \/etc is not under policy.bind_mounts/);
  const device =
    'version: "2"\nservices:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    driver_opts: {type: ext4, device: /dev/sda1}\n';
  assert.match(errorsOf(device).join(), /mounting "\/dev\/sda1" .* needs the grant "devices"/);
  const tmpfs =
    'version: "2"\nservices:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    driver_opts: {type: tmpfs, device: tmpfs}\n';
  assert.deepEqual(errorsOf(tmpfs), []);
});

test('external volumes need external_volumes; the stack own named volumes need nothing', () => {
  const external =
    'version: "2"\nservices:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    external: {name: other_data}\n';
  assert.match(
    errorsOf(external).join(),
    /the volume "other_data", which this stack does not own \(external\) needs the grant "external_volumes"/,
  );
  assert.deepEqual(errorsOf(external, { policy: policy({ allow: ['external_volumes'] }) }), []);
  assert.deepEqual(errorsOf(web('  volumes: ["data:/data", "/cache"]\n')), []);
});

test('volumes_from and network_mode container: only within the deployment unit, unless shared_namespaces is granted', () => {
  const unit =
    'web:\n  image: busybox\n  labels:\n    io.rancher.sidekicks: logs\nlogs:\n  image: busybox\n  volumes_from: [web]\n  network_mode: container:web\n';
  assert.deepEqual(errorsOf(unit), []);
  const outside = web('  volumes_from: [other-db-1]\n  pid: container:other-db-1\n');
  const errors = errorsOf(outside).join('\n');
  assert.match(
    errors,
    /volumes_from: the volumes of "other-db-1", a container outside this deployment unit needs the grant "shared_namespaces"/,
  );
  assert.match(
    errors,
    /pid: container:other-db-1: the namespace of a container outside this deployment unit needs the grant "shared_namespaces"/,
  );
  assert.match(errorsOf(web('  network_mode: container:other-db-1\n')).join(), /network_mode: container:other-db-1/);
  assert.deepEqual(errorsOf(outside, { policy: policy({ allow: ['shared_namespaces'] }) }), []);
});

test('registries: an empty list allows any; otherwise the image registry (and path prefix) must be listed', () => {
  assert.deepEqual(errorsOf(web('')), []);
  const local = policy({ registries: ['10.99.0.2:5000'] });
  assert.match(
    errorsOf(web(''), { policy: local }).join(),
    /image "busybox" comes from docker.io, which is not in policy.registries \(10.99.0.2:5000\)/,
  );
  assert.deepEqual(errorsOf('web:\n  image: 10.99.0.2:5000/corral/busybox:1\n', { policy: local }), []);
  const team = policy({ registries: ['registry.example.com/team'] });
  assert.deepEqual(errorsOf('web:\n  image: registry.example.com/team/app:1\n', { policy: team }), []);
  assert.equal(errorsOf('web:\n  image: registry.example.com/teamx/app:1\n', { policy: team }).length, 1);
  assert.deepEqual(errorsOf(web(''), { policy: policy({ registries: ['docker.io/library'] }) }), []);
});

test('normalizedReference follows Docker: docker.io/library for bare names, tags and digests dropped', () => {
  assert.equal(normalizedReference('busybox'), 'docker.io/library/busybox');
  assert.equal(normalizedReference('pingcap/pd:v4.0.16'), 'docker.io/pingcap/pd');
  assert.equal(normalizedReference('10.99.0.2:5000/corral/etcd:3.4'), '10.99.0.2:5000/corral/etcd');
  assert.equal(normalizedReference('localhost/x@sha256:abc'), 'localhost/x');
  assert.equal(normalizedReference('Registry.Example.com/a/b'), 'registry.example.com/a/b');
});

test('scale above max_scale is refused at the answer that asked for it; global services are not counted', () => {
  const big = loadDesiredState(new Map([...repo(web('')), ['stacks/s/stack.yml', 'template: t\nanswers:\n  scale: "200000"\n']]), {
    policy: DEFAULT_POLICY,
  });
  assert.deepEqual(big.failed[0]?.diagnostics.map(formatDiagnostic), [
    'stacks/s/stack.yml:3: error: service "web": scale: scale 200000 is above the policy\'s max_scale 20 (from answers.scale)',
  ]);
  const atMax = loadDesiredState(new Map([...repo(web('')), ['stacks/s/stack.yml', 'template: t\nanswers:\n  scale: "5"\n']]), {
    policy: policy({ maxScale: 5 }),
  });
  assert.equal(atMax.failed.length, 0);
  const global = web('  labels:\n    io.rancher.scheduler.global: "true"\n');
  assert.deepEqual(errorsOf(global, { answers: '  path: x\n', policy: policy({ maxScale: 1 }) }), []);
});

test("a template's grants apply to its stacks only, never to another template's", () => {
  const grants = policy({ templates: { 'library:t': { allow: ['host_network'], bindMounts: ['/srv/t'] } } });
  assert.deepEqual(errorsOf(web('  network_mode: host\n  volumes: ["/srv/t/x:/x"]\n'), { policy: grants }), []);
  const other = loadDesiredState(
    new Map([
      ...repo(web('  network_mode: host\n')),
      ['catalog/templates/u/config.yml', 'name: u\n'],
      ['catalog/templates/u/0/docker-compose.yml', web('  network_mode: host\n')],
      ['catalog/templates/u/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
      ['stacks/other/stack.yml', 'template: u\n'],
    ]),
    { policy: grants },
  );
  assert.deepEqual(
    other.stacks.map((s) => s.name),
    ['s'],
  );
  assert.match(other.failed[0]?.diagnostics.map(formatDiagnostic).join() ?? '', /^stacks\/other\/stack.yml:1: .*"host_network".*library:u/);
});

test('a stack that breaks the policy fails alone: the others still render', () => {
  const state = loadDesiredState(
    new Map([...repo(web('  privileged: true\n')), ['stacks/fine/stack.yml', 'template: hello\n'], ...helloTemplate()]),
    { policy: DEFAULT_POLICY },
  );
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['fine'],
  );
  assert.deepEqual(
    state.failed.map((f) => f.stack),
    ['s'],
  );
});

test('a password answer in a refused value is masked in the message', () => {
  const compose = 'web:\n  image: busybox\n  volumes: ["/srv/${pw}:/data"]\n';
  const state = loadDesiredState(
    new Map([
      ...repo(compose),
      [
        'catalog/templates/t/0/rancher-compose.yml',
        '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: pw\n      type: password\n    - variable: scale\n      type: int\n',
      ],
      ['stacks/s/stack.yml', 'template: t\nanswers:\n  pw: hunter2-secret\n'],
    ]),
    { policy: policy({ plaintextSecrets: 'allow' }) },
  );
  const text = state.failed[0]?.diagnostics.map(formatDiagnostic).join('\n') ?? '';
  assert.match(text, /host path \/srv\/\*+ is not under/);
  assert.doesNotMatch(text, /hunter2-secret/);
});

function helloTemplate(): [string, string][] {
  return [
    ['catalog/templates/hello/config.yml', 'name: hello\n'],
    ['catalog/templates/hello/0/docker-compose.yml', 'web:\n  image: busybox\n'],
    ['catalog/templates/hello/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
  ];
}

test("what the policy checks is each container's create request: its service's HostConfig is the request's, field for field", () => {
  const s = stack(
    's',
    {
      web: {
        privileged: true,
        cap_add: ['NET_ADMIN'],
        security_opt: ['seccomp=unconfined', 'no-new-privileges'],
        devices: ['/dev/fuse'],
        volumes: ['/srv/data:/data', 'cache:/cache', 'outside:/outside'],
        pid: 'host',
        sysctls: { 'net.core.somaxconn': '1024' },
        sidekicks: ['log'],
      },
      log: { volumes_from: ['web'], network_mode: 'container:web' },
    },
    { outside: { external: true } },
  );
  const unitNames = { web: 's-web-1', log: 's-web-log-1' };
  for (const service of ['web', 'log']) {
    const ctx = { stack: s, service: s.services[service]!, instance: 1, unitNames, linkAliases: [] };
    assert.deepEqual(serviceSpec(ctx).host, containerSpec(ctx).create.HostConfig, service);
  }
  const found = checkStackPolicy(s, policy()).map((v) => `${v.service} ${v.key} ${v.rule} ${v.value}`);
  assert.deepEqual(found, [
    'web privileged privileged true',
    'web cap_add capabilities NET_ADMIN',
    'web security_opt security_opt seccomp=unconfined',
    'web devices devices /dev/fuse',
    'web volumes bind_mounts /srv/data',
    'web volumes external_volumes outside',
    'web pid host_pid host',
    'web sysctls sysctls net.core.somaxconn',
  ]);
});

test("violations come unit by unit: a primary's scale, then its unit's requests, then the next primary's", () => {
  const twoUnits = stack('s', {
    a: { scale: 9, privileged: true, sidekicks: ['a-log'], labels: { 'io.rancher.sidekicks': 'a-log' } },
    'a-log': { pid: 'host' },
    b: { scale: 9, cap_add: ['NET_ADMIN'] },
  });
  const found = checkStackPolicy(twoUnits, policy({ maxScale: 5 })).map((v) => `${v.service} ${v.key} ${v.rule}`);
  assert.deepEqual(found, [
    'a scale max_scale',
    'a privileged privileged',
    'a-log pid host_pid',
    'b scale max_scale',
    'b cap_add capabilities',
  ]);
});
