import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, parseConfig } from '../../src/config/config.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { errorsOf, FILE } from './errors.js';

test('reads unix, tcp (with TLS) and ssh hosts; address defaults from the endpoint', () => {
  const result = parseConfig(
    `
hosts:
  - name: h1
    docker: unix:///run/corral-fleet/h1/docker.sock
    address: 10.99.0.11
    labels: {zone: a, ssd: true}
  - name: h2
    docker: tcp://10.0.0.2
    tls: {ca: ca.pem, cert: cert.pem, key: key.pem}
  - name: h3
    docker: ssh://deploy@h3.example.org
  - name: h4
    docker: unix:///var/run/docker.sock
`,
    FILE,
  );
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.config?.hosts, [
    {
      name: 'h1',
      docker: { kind: 'unix', url: 'unix:///run/corral-fleet/h1/docker.sock', socketPath: '/run/corral-fleet/h1/docker.sock' },
      address: '10.99.0.11',
      labels: { zone: 'a', ssd: 'true' },
    },
    {
      name: 'h2',
      docker: { kind: 'tcp', url: 'tcp://10.0.0.2', host: '10.0.0.2', port: 2376, tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } },
      address: '10.0.0.2',
      labels: {},
    },
    {
      name: 'h3',
      docker: { kind: 'ssh', url: 'ssh://deploy@h3.example.org', host: 'h3.example.org', port: 22, username: 'deploy' },
      address: 'h3.example.org',
      labels: {},
    },
    {
      name: 'h4',
      docker: { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' },
      address: '127.0.0.1',
      labels: {},
    },
  ]);
});

test('an unknown key is refused with the file, line and key named', () => {
  assert.deepEqual(errorsOf('hosts:\n  - name: h1\n    docker: unix:///x.sock\n    lables: {a: b}\n'), [
    'corral.yml:4: error: hosts[0].lables: unknown key; accepted: name, docker, address, labels, tls, ssh, network',
  ]);
  const [poll, ...others] = errorsOf('hosts: [{name: h1, docker: "unix:///x.sock"}]\npoll: 5\n');
  assert.deepEqual(others, []);
  assert.match(poll ?? '', /^corral\.yml:2: error: unknown key "poll"; accepted: hosts, webhook(, [a-z_]+)*$/);
});

test('a bad endpoint is refused with what would be accepted', () => {
  const [message] = errorsOf('hosts:\n  - name: h1\n    docker: http://10.0.0.1:2375\n');
  assert.equal(
    message,
    'corral.yml:3: error: hosts[0].docker: unsupported scheme "http"; expected unix:///path/docker.sock, tcp://host:port or ssh://user@host',
  );
  assert.match(
    errorsOf('hosts:\n  - name: h1\n    docker: unix://relative.sock\n')[0] ?? '',
    /hosts\[0\]\.docker: "unix:\/\/relative.sock" needs an absolute socket path/,
  );
  assert.match(errorsOf('hosts:\n  - name: h1\n')[0] ?? '', /hosts\[0\]\.docker: missing/);
});

test('a duplicate host name is refused', () => {
  assert.deepEqual(errorsOf('hosts:\n  - {name: h1, docker: "unix:///a.sock"}\n  - {name: h1, docker: "unix:///b.sock"}\n'), [
    'corral.yml:3: error: hosts[1].name: duplicate host name "h1"; every host needs its own name',
  ]);
});

test('TLS files only with tcp, all three of them', () => {
  assert.match(
    errorsOf('hosts:\n  - name: h1\n    docker: unix:///a.sock\n    tls: {ca: a, cert: b, key: c}\n')[0] ?? '',
    /hosts\[0\]\.tls: only a tcp:\/\/ endpoint uses TLS files/,
  );
  assert.match(
    errorsOf('hosts:\n  - name: h1\n    docker: tcp://a:2376\n    tls: {ca: a}\n').join('\n'),
    /hosts\[0\]\.tls\.cert: expected a file path/,
  );
});

test('an empty config or one without hosts is refused', () => {
  assert.match(errorsOf('')[0] ?? '', /corral.yml: error: the config is empty/);
  assert.match(errorsOf('hosts: []\n')[0] ?? '', /hosts: expected a non-empty list/);
});

test('without a config: one host "local" from DOCKER_HOST or the default socket', () => {
  assert.deepEqual(defaultConfig(undefined).hosts, [
    {
      name: 'local',
      docker: { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' },
      address: '127.0.0.1',
      labels: {},
    },
  ]);
  assert.equal(defaultConfig('tcp://192.168.1.5:2375').hosts[0]?.address, '192.168.1.5');
});

test('webhook.secret_env names the environment variable of the webhook secret; anything else is refused', () => {
  const hosts = 'hosts:\n  - name: h1\n    docker: unix:///run/docker.sock\n';
  const ok = parseConfig(`${hosts}webhook:\n  secret_env: MY_SECRET\n`, 'corral.yml');
  assert.equal(ok.config?.webhookSecretEnv, 'MY_SECRET');
  const inline = parseConfig(`${hosts}webhook:\n  secret: hunter2\n`, 'corral.yml');
  assert.equal(inline.config, undefined);
  assert.match(inline.diagnostics.map((d) => d.message).join('\n'), /webhook\.secret: unknown key; accepted: secret_env/);
  assert.ok(!inline.diagnostics.some((d) => d.message.includes('hunter2')));
});

test('catalogs: each a name and either a git url (branch default main) or a directory', () => {
  const result = parseConfig(
    `
hosts:
  - {name: h1, docker: unix:///var/run/docker.sock}
catalogs:
  - name: community
    url: https://git.example.com/mirror/community-catalog.git
    branch: master
  - name: partner
    url: file:///srv/git/partner-catalog.git
  - name: team
    directory: ../team-catalog
`,
    FILE,
  );
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.config?.catalogs, [
    { name: 'community', url: 'https://git.example.com/mirror/community-catalog.git', branch: 'master' },
    { name: 'partner', url: 'file:///srv/git/partner-catalog.git', branch: 'main' },
    { name: 'team', directory: '../team-catalog' },
  ]);
  assert.deepEqual(parseConfig('hosts:\n  - {name: h1, docker: unix:///var/run/docker.sock}\n', FILE).config?.catalogs, []);
});

test('catalogs: a bad entry is refused naming the entry, the key and what is accepted', () => {
  const hosts = 'hosts:\n  - {name: h1, docker: unix:///var/run/docker.sock}\n';
  assert.deepEqual(errorsOf(`${hosts}catalogs: community\n`), [
    'corral.yml:3: error: catalogs: expected a list of catalogs, each with name and either url or directory',
  ]);
  assert.deepEqual(
    errorsOf(
      `${hosts}catalogs:\n  - name: library\n    directory: x\n  - name: Two Words\n    directory: x\n  - name: both\n    directory: x\n    url: https://g/x.git\n  - name: none\n  - name: ssh\n    url: git@github.com:x/y.git\n  - name: secret\n    url: https://user:tok@g/x.git\n  - name: dir\n    directory: x\n    branch: main\n  - name: typo\n    urll: https://g/x.git\n`,
    ),
    [
      'corral.yml:4: error: catalogs[0].name: "library" is the repository\'s own catalog/ folder; choose another name',
      "corral.yml:6: error: catalogs[1].name: expected a lowercase name of letters, digits, '.', '_' and '-', got \"Two Words\"",
      'corral.yml:10: error: catalogs[2].url: give either url (a git repository) or directory (a folder), not both or neither',
      'corral.yml:11: error: catalogs[3].url: give either url (a git repository) or directory (a folder), not both or neither',
      'corral.yml:13: error: catalogs[4].url: "git@github.com:x/y.git" is not a git address; expected an http(s):// or file:// URL, e.g. https://git.example.com/ops/catalog.git',
      'corral.yml:15: error: catalogs[5].url: credentials do not belong in the URL (the config is not a secret store)',
      'corral.yml:18: error: catalogs[6].branch: only a git catalog (url) has a branch',
      'corral.yml:20: error: catalogs[7].urll: unknown key; accepted: name, directory, url, branch',
      'corral.yml:19: error: catalogs[7].url: give either url (a git repository) or directory (a folder), not both or neither',
    ],
  );
  assert.deepEqual(errorsOf(`${hosts}catalogs:\n  - {name: a, directory: x}\n  - {name: a, url: 'https://g/a.git'}\n`), [
    'corral.yml:5: error: catalogs[1].name: "a" is named twice; every catalog needs its own name',
  ]);
});

test('policy: absent means the default (no grants, no bind mounts, any registry, max_scale 20)', () => {
  const result = parseConfig('hosts:\n  - name: h1\n    docker: unix:///x.sock\n', FILE);
  assert.deepEqual(result.config?.policy, DEFAULT_POLICY);
  assert.deepEqual(DEFAULT_POLICY, { allow: [], bindMounts: [], registries: [], maxScale: 20, templates: {}, plaintextSecrets: 'deny' });
});

test('policy: grants, cleaned bind prefixes, registries, max_scale and per-template grants', () => {
  const result = parseConfig(
    `
hosts:
  - name: h1
    docker: unix:///x.sock
policy:
  allow: [sysctls]
  bind_mounts: [/srv/corral/, /srv/a/../b]
  registries: [10.99.0.2:5000, Registry.Example.com/team/]
  max_scale: 50
  templates:
    etcd: {allow: [host_network]}
    community:tidb: {allow: [host_network], bind_mounts: [/data/tidb]}
  plaintext_secrets: allow
`,
    FILE,
  );
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.config?.policy, {
    allow: ['sysctls'],
    bindMounts: ['/srv/corral', '/srv/b'],
    registries: ['10.99.0.2:5000', 'registry.example.com/team'],
    maxScale: 50,
    templates: {
      'library:etcd': { allow: ['host_network'], bindMounts: [] },
      'community:tidb': { allow: ['host_network'], bindMounts: ['/data/tidb'] },
    },
    plaintextSecrets: 'allow',
  });
});

test('policy: every mistake names the key, the line and what is accepted', () => {
  const errors = errorsOf(`hosts:
  - name: h1
    docker: unix:///x.sock
policy:
  allow: [privileged, root]
  bind_mounts: [relative/path]
  registries: ["https://x"]
  max_scale: 0
  templates:
    "../x": {allow: []}
    etcd: {allow: [host_network], registries: []}
  plaintext: true
  plaintext_secrets: yes
`);
  const expected = [
    /^corral.yml:5: error: policy.allow\[1\]: unknown grant "root"; accepted: privileged, capabilities, host_network/,
    /^corral.yml:6: error: policy.bind_mounts\[0\]: expected an absolute host path such as \/srv\/corral, got "relative\/path"/,
    /^corral.yml:7: error: policy.registries\[0\]: expected a registry host\[:port\]/,
    /^corral.yml:8: error: policy.max_scale: expected a whole number ≥ 1, got 0/,
    /^corral.yml:10: error: policy.templates.\.\.\/x: expected a template id/,
    /^corral.yml:11: error: policy.templates.etcd.registries: unknown key; accepted: allow, bind_mounts/,
    /^corral.yml:12: error: policy.plaintext: unknown key; accepted: allow, bind_mounts, registries, max_scale, templates, plaintext_secrets/,
    /^corral.yml:13: error: policy.plaintext_secrets: expected allow or deny, got "yes"/,
  ];
  for (const pattern of expected)
    assert.ok(
      errors.some((e) => pattern.test(e)),
      `${pattern}\n${errors.join('\n')}`,
    );
});

test('host_down_grace: a duration or a number of seconds; 5 minutes when absent; anything else names the field', () => {
  const grace = (line: string) => {
    const result = parseConfig(`hosts:\n  - name: h1\n    docker: unix:///run/h1.sock\n${line}`, 'corral.yml');
    return result.config ? result.config.hostDownGraceMs : result.diagnostics.map((d) => d.message).join('; ');
  };
  assert.equal(grace(''), 300_000);
  assert.equal(grace('host_down_grace: 90s\n'), 90_000);
  assert.equal(grace('host_down_grace: 1h30m\n'), 5_400_000);
  assert.equal(grace('host_down_grace: 250ms\n'), 250);
  assert.equal(grace('host_down_grace: 45\n'), 45_000);
  assert.equal(grace('host_down_grace: 0\n'), 0);
  assert.match(
    String(grace('host_down_grace: soon\n')),
    /host_down_grace: "soon" is not a duration; expected a duration such as 30s, 5m or 1h30m/,
  );
  assert.match(String(grace('host_down_grace: -5\n')), /host_down_grace: -5 is not a duration/);
});

test('health.probe_image names the probe agent image; it defaults to busybox; a bad value is refused with the field', () => {
  const hosts = 'hosts:\n  - name: h1\n    docker: unix:///run/docker.sock\n';
  assert.equal(parseConfig(hosts, FILE).config?.health, undefined);
  assert.deepEqual(parseConfig(`${hosts}health:\n  probe_image: 10.99.0.2:5000/corral/busybox:1\n`, FILE).config?.health, {
    probeImage: '10.99.0.2:5000/corral/busybox:1',
  });
  assert.deepEqual(parseConfig(`${hosts}health: {}\n`, FILE).config?.health, { probeImage: 'busybox:1.36' });
  assert.deepEqual(errorsOf(`${hosts}health:\n  probe_image: "not an image!"\n`), [
    'corral.yml:4: error: health.probe_image: "not an image!" is not an image reference; expected `health: {probe_image: IMAGE}` (an image with busybox sh, nsenter, nc and timeout)',
  ]);
  assert.deepEqual(errorsOf(`${hosts}health:\n  probe: x\n`), ['corral.yml:4: error: health.probe: unknown key; accepted: probe_image']);
});
