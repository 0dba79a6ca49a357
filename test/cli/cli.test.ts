import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { OBSERVE_TIMEOUT_MS } from '../../src/observe/index.js';
import { encryptAnswer, generateKeyPair } from '../../src/secrets/age.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corral = join(root, 'bin', 'corral');

function run(args: string[], cwd = root, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [corral, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cli-'));
  cpSync(join(root, 'catalog'), join(dir, 'catalog'), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** What the README grants the bundled templates. */
const BUNDLED_POLICY = `hosts:
  - name: local
    docker: unix:///var/run/docker.sock
policy:
  registries: [10.99.0.2:5000, docker.io/pingcap]
  max_scale: 20
  templates:
    etcd: {allow: [host_network]}
    tidb: {allow: [host_network]}
`;

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/);

test('corral validate passes on the repository itself', () => {
  const { code, stdout, stderr } = run(['validate']);
  assert.equal(code, 0, stdout + stderr);
  assert.match(stdout, /1 of 1 stacks valid; 0 errors/);
});

test('corral validate reports each bad input as path:line: message and exits 1, without a stack trace', () => {
  const repo = tempRepo({
    'stacks/good/stack.yml': 'template: hello-web\n',
    'stacks/bad-answer/stack.yml': 'template: hello-web\nanswers:\n  scale: 0\n  public_port: http\n',
    'stacks/missing/stack.yml': 'template: no-such-template\n',
    'stacks/escape/stack.yml': 'template: ../../etc/passwd\n',
    'stacks/old/stack.yml': 'template: hello-web\nversion: 0.1.0\n',
    'stacks/yaml/stack.yml': 'template: hello-web\nanswers: {scale: 1\n',
    'stacks/Not_A_Label/stack.yml': 'template: hello-web\n',
    'stacks/need/stack.yml': 'template: tidb\nanswers:\n  tikv_scale: ""\n',
  });
  try {
    const { code, stdout, stderr } = run(['validate', '--repo', repo]);
    assert.equal(code, 1);
    noStackTrace(stdout + stderr);
    const lines = stdout.trim().split('\n');
    const expect = [
      /^stacks\/bad-answer\/stack.yml:3: error: .*scale.*minimum 1/,
      /^stacks\/bad-answer\/stack.yml:4: error: .*public_port.*/,
      /^stacks\/missing\/stack.yml: error: unknown template "no-such-template" in catalog "library"; available: etcd, hello-web, mariadb, redis, tidb/,
      /^stacks\/escape\/stack.yml:1: error: template "..\/..\/etc\/passwd" is not a template name/,
      /^stacks\/old\/stack.yml: error: template "hello-web" has no version "0.1.0"; available: 1.0.0 \(folder 0\), 1.1.0 \(folder 1\)/,
      /^stacks\/yaml\/stack.yml:\d+: error: YAML syntax error/,
      /^stacks\/Not_A_Label: error: stack name "Not_A_Label" is not a DNS label/,
      /^stacks\/need\/stack.yml:3: error: .*tikv_scale/,
    ];
    for (const pattern of expect)
      assert.ok(
        lines.some((l) => pattern.test(l)),
        `${pattern}\n${stdout}`,
      );
    assert.match(lines.at(-1) ?? '', /^1 of 8 stacks valid; \d+ errors/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('corral render prints the rendered stack as JSON or YAML with passwords masked', async () => {
  const keys = await generateKeyPair();
  const repo = tempRepo({
    'catalog/templates/secret/config.yml': 'name: secret\n',
    'catalog/templates/secret/0/docker-compose.yml': 'db:\n  image: redis\n  environment:\n    PASSWORD: ${pw}\n',
    'catalog/templates/secret/0/rancher-compose.yml':
      '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: pw\n      type: password\n      required: true\n',
    'stacks/s/stack.yml': `template: secret\nanswers:\n  pw: ${await encryptAnswer('s3cr3t-value', [keys.recipient])}\n`,
    'identity.txt': `${keys.identity}\n`,
  });
  try {
    const json = run(['render', 's', '--repo', repo, '--format', 'json'], root, { CORRAL_AGE_IDENTITY: join(repo, 'identity.txt') });
    assert.equal(json.code, 0, json.stderr);
    const stack = JSON.parse(json.stdout);
    assert.equal(stack.services.db.compose.image, 'redis');
    assert.equal(stack.services.db.compose.environment.PASSWORD, '********');
    const yaml = run(['render', 's', '--repo', repo], root, { CORRAL_AGE_IDENTITY: join(repo, 'identity.txt') });
    assert.match(yaml.stdout, /image: redis/);
    assert.ok(!(json.stdout + yaml.stdout).includes('s3cr3t-value'));
    const unknown = run(['render', 'nope', '--repo', repo]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no stack "nope"/);
    noStackTrace(unknown.stderr);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('the bundled templates render with their defaults', () => {
  const repo = tempRepo({
    'stacks/t0/stack.yml': 'template: tidb\nversion: "0"\n',
    'stacks/t1/stack.yml': 'template: tidb\nanswers:\n  host_label: disk=ssd\n  tikv_scale: 2\n',
    'stacks/e0/stack.yml': 'template: etcd\nversion: "0"\n',
    'stacks/e1/stack.yml': 'template: etcd\nanswers:\n  host_label: zone=a\n',
    'stacks/h0/stack.yml': 'template: hello-web\nversion: "0"\n',
    'corral.yml': BUNDLED_POLICY,
  });
  const config = join(repo, 'corral.yml');
  try {
    const refused = run(['validate', '--repo', repo]);
    assert.equal(refused.code, 1, 'without --config, host networking is not granted');
    assert.match(refused.stdout, /^stacks\/e0\/stack.yml:1: error: service "etcd": network_mode: .*"host_network"/m);
    const { code, stdout } = run(['validate', '--repo', repo, '--config', config, '--format', 'json']);
    assert.equal(code, 0, stdout);
    const tidb = JSON.parse(run(['render', 't1', '--repo', repo, '--config', config, '--format', 'json']).stdout);
    assert.equal(tidb.services.tikv.scale, 2);
    assert.equal(tidb.services.tidb.compose.image, 'pingcap/tidb:v4.0.16');
    assert.deepEqual(tidb.services.tidb.compose.command, ['--store=tikv', '--path=10.99.0.11:2379,10.99.0.12:2379,10.99.0.13:2379']);
    assert.equal(tidb.services.pd.compose.labels['io.rancher.scheduler.affinity:host_label'], 'disk=ssd');
    assert.deepEqual(tidb.services.pd.compose.volumes, ['pd-data:/data']);
    const etcd = JSON.parse(run(['render', 'e1', '--repo', repo, '--config', config, '--format', 'json']).stdout);
    assert.equal(etcd.services.etcd.scale, 3);
    assert.equal(etcd.services.etcd.compose.network_mode, 'host');
    assert.match(etcd.services.etcd.compose.command[0], /--initial-cluster-token "e1-\$CLUSTER_TOKEN"/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

/** The first YAML block of the README's "Policy" section: what it says the bundled templates need. */
function readmePolicy(): unknown {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Policy\n'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md: a yaml block in "## Policy"');
  return parse(block);
}

/** The policy block scripts/fleet writes into the fleet's corral.yml, with its registry filled in. */
function fleetScriptPolicy(): unknown {
  const script = readFileSync(join(root, 'scripts', 'fleet'), 'utf8');
  const registryIp = /^REGISTRY_IP=(\S+)$/m.exec(script)?.[1];
  const registry = /^REGISTRY="\$REGISTRY_IP(:\d+)"$/m.exec(script)?.[1];
  const heredoc = /^policy_yaml\(\) \{\n {2}cat <<EOF\n([\s\S]*?)\nEOF\n\}$/m.exec(script)?.[1];
  assert.ok(registryIp && registry && heredoc, 'scripts/fleet: REGISTRY and policy_yaml() as expected');
  return parse(heredoc.replaceAll('$REGISTRY', `${registryIp}${registry}`));
}

/** Stack requests for the bundled templates whose questions have no defaults (passwords), encrypted for `recipient`. */
async function databaseRequests(recipient: string): Promise<Record<string, string>> {
  const secret = (value: string) => encryptAnswer(value, [recipient]);
  const mariadb = async (version: string, extra = '') =>
    `template: mariadb\nversion: "${version}"\nanswers:\n  root_password: ${await secret('root-password-1')}\n  user_password: ${await secret('user-password-1')}\n${extra}`;
  return {
    '.corral/recipients.txt': `${recipient}\n`,
    'stacks/mariadb-0/stack.yml': await mariadb('0'),
    'stacks/mariadb-1/stack.yml': await mariadb('1', '  max_connections: 300\n  public_port: 13306\n'),
    'stacks/redis-0/stack.yml': `template: redis\nversion: "0"\nanswers:\n  password: ${await secret('redis "pw"')}\n  memory_mb: 64\n`,
    'stacks/redis-open/stack.yml': 'template: redis\nanswers: {}\n',
  };
}

test('the bundled mariadb and redis templates render from requests with encrypted passwords', async () => {
  const keys = await generateKeyPair();
  const repo = tempRepo({
    ...(await databaseRequests(keys.recipient)),
    'identity.txt': `${keys.identity}\n`,
    'corral.yml': BUNDLED_POLICY,
  });
  const withKey = { CORRAL_AGE_IDENTITY: join(repo, 'identity.txt') };
  const render = (stack: string) => {
    const result = run(['render', stack, '--repo', repo, '--config', join(repo, 'corral.yml'), '--format', 'json'], root, withKey);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!/root-password-1|user-password-1|redis "pw"/.test(result.stdout), 'a password in render output');
    return JSON.parse(result.stdout);
  };
  try {
    const validate = run(['validate', '--repo', repo, '--config', join(repo, 'corral.yml')], root, withKey);
    assert.equal(validate.code, 0, validate.stdout);
    const first = render('mariadb-0').services.mariadb.compose;
    assert.deepEqual(first.environment, {
      MARIADB_ROOT_PASSWORD: '********',
      MARIADB_DATABASE: 'app',
      MARIADB_USER: 'app',
      MARIADB_PASSWORD: '********',
    });
    assert.deepEqual(
      [first.ports, first.volumes, first.healthcheck.test],
      [['3306:3306/tcp'], ['data:/var/lib/mysql'], ['CMD', 'healthcheck.sh']],
    );
    assert.equal(first.command, undefined, '1.0.0 runs the image with its defaults');
    const second = render('mariadb-1').services.mariadb.compose;
    assert.deepEqual(second.command, ['mariadbd', '--max-connections=300', '--innodb-buffer-pool-size=128M']);
    assert.deepEqual(second.ports, ['13306:3306/tcp']);
    const redis = render('redis-0').services.redis.compose;
    assert.deepEqual(
      [redis.mem_limit, redis.environment, redis.volumes],
      ['64m', { REDIS_PASSWORD: '********', MEMORY_MB: '64', MAXMEMORY_POLICY: 'noeviction' }, ['data:/data']],
    );
    assert.equal(render('redis-open').services.redis.compose.environment.REDIS_PASSWORD, '', 'no password: an empty one');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test("the README's policy and the fleet's corral.yml grant the bundled templates what they need, and no more", async () => {
  const policy = readmePolicy() as { policy: { registries: string[]; templates: Record<string, { allow: string[] }> } };
  assert.deepEqual(fleetScriptPolicy(), policy, 'scripts/fleet writes the policy the README shows');
  assert.deepEqual(parse(BUNDLED_POLICY).policy, policy.policy, 'the other CLI tests use it too');
  assert.deepEqual(Object.keys(policy.policy).sort(), ['max_scale', 'registries', 'templates'], 'no grant for every stack, no bind mount');
  // Every version of every bundled template, with its defaults.
  const stacks: Record<string, string> = {};
  for (const template of ['hello-web', 'etcd', 'tidb'])
    for (const version of ['0', '1']) stacks[`stacks/${template}-${version}/stack.yml`] = `template: ${template}\nversion: "${version}"\n`;
  const repo = tempRepo({ ...stacks, ...(await databaseRequests((await generateKeyPair()).recipient)) });
  const hosts = 'hosts:\n  - {name: local, docker: unix:///var/run/docker.sock}\n';
  const validate = (withPolicy: unknown) => {
    const config = join(repo, 'corral.yml');
    writeFileSync(config, `${hosts}${stringify(withPolicy)}`);
    return run(['validate', '--repo', repo, '--config', config]);
  };
  try {
    const granted = validate(policy);
    assert.equal(granted.code, 0, granted.stdout + granted.stderr);
    // Taking away any one grant refuses a bundled template: none of them is more than needed.
    const { registries, templates } = policy.policy;
    for (const registry of registries) {
      const fewer = validate({ policy: { ...policy.policy, registries: registries.filter((r) => r !== registry) } });
      assert.equal(fewer.code, 1, `without registry ${registry}`);
      assert.match(fewer.stdout, /error: service "[a-z]+": image: .*registr/, fewer.stdout);
    }
    for (const [template, grants] of Object.entries(templates))
      for (const grant of grants.allow) {
        const others = { ...templates, [template]: { allow: grants.allow.filter((g) => g !== grant) } };
        const fewer = validate({ policy: { ...policy.policy, templates: others } });
        assert.equal(fewer.code, 1, `without ${template}: ${grant}`);
        assert.match(fewer.stdout, new RegExp(`^stacks/${template}-0/stack.yml:1: error: .*"${grant}"`, 'm'), fewer.stdout);
      }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('corral catalog list and show describe templates, versions and questions', () => {
  const list = run(['catalog', 'list']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^hello-web\s+1\.1\.0\s+1\.0\.0, 1\.1\.0\s+Hello web$/m);
  const show = run(['catalog', 'show', 'tidb', '--version', '3.0.20', '--format', 'json']);
  const detail = JSON.parse(show.stdout);
  assert.equal(detail.folder, '0');
  const scale = detail.questions.find((q: { variable: string }) => q.variable === 'tikv_scale');
  assert.equal(scale.type, 'int');
  assert.equal(scale.min, 1);
  const text = run(['catalog', 'show', 'tidb']);
  assert.match(text.stdout, /^release\s+enum\s+yes\s+v4\.0\.16\s+one of v4\.0\.15\|v4\.0\.16$/m);
  const missing = run(['catalog', 'show', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /unknown template "nope"/);
});

test('a --repo that is not the folder of a repository (a bare git repository, a folder without catalog/ or stacks/) is refused, not read as empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cli-'));
  try {
    const bare = join(dir, 'catalog.git');
    const init = spawnSync('git', ['init', '-q', '--bare', bare], { encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    for (const command of [['validate'], ['render', 'web'], ['plan'], ['sync', '--once']]) {
      const fromBare = run([...command, '--repo', bare]);
      assert.equal(fromBare.code, 1, `${command.join(' ')}: ${fromBare.stdout}${fromBare.stderr}`);
      assert.match(
        fromBare.stderr,
        /^corral: --repo .*catalog\.git: a git directory, not the folder of a checkout; .*git clone .*corral run --repo/m,
      );
      assert.equal(fromBare.stdout, '');
    }
    const config = join(dir, 'corral.yml');
    writeFileSync(
      config,
      `hosts:\n  - name: local\n    docker: unix:///var/run/docker.sock\ncatalogs:\n  - name: team\n    directory: ${join(root, 'catalog')}\n`,
    );
    for (const command of [['validate'], ['plan']]) {
      const empty = run([...command, '--repo', dir, '--config', config]);
      assert.equal(empty.code, 1, `${command.join(' ')}: ${empty.stdout}${empty.stderr}`);
      assert.match(empty.stderr, /^corral: --repo .*: no catalog\/ or stacks\/ folder; --repo names the folder of the GitOps repository/m);
    }
    const catalogsOnly = run(['catalog', 'list', '--repo', dir, '--config', config]);
    assert.equal(catalogsOnly.code, 0, catalogsOnly.stderr);
    assert.match(catalogsOnly.stdout, /^team:tidb\s/m, "catalog list reads the config's catalogs from any folder");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the config's catalogs and --catalog: validate, render and catalog list read them as the daemon does", () => {
  const repo = tempRepo({
    'stacks/tooling/stack.yml': 'template: team:tool\n',
    'team/templates/tool/config.yml': 'name: Tool\nversion: 1.0.0\n',
    'team/templates/tool/0/docker-compose.yml': 'tool:\n  image: team/tool:1\n',
    'team/templates/tool/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
    'corral.yml': 'hosts:\n  - {name: h1, docker: unix:///var/run/docker.sock}\ncatalogs:\n  - name: team\n    directory: team\n',
  });
  try {
    const config = join(repo, 'corral.yml');
    const withConfig = run(['validate', '--repo', repo, '--config', config]);
    assert.equal(withConfig.code, 0, withConfig.stdout + withConfig.stderr);
    assert.match(withConfig.stdout, /1 of 1 stacks valid; 0 errors/);
    const without = run(['validate', '--repo', repo]);
    assert.equal(without.code, 1);
    assert.match(without.stdout, /^stacks\/tooling\/stack.yml: error: unknown catalog "team"; configured catalogs: library$/m);
    const flag = run(['validate', '--repo', repo, '--catalog', `team=${join(repo, 'team')}`]);
    assert.equal(flag.code, 0, flag.stdout + flag.stderr);
    const rendered = JSON.parse(run(['render', 'tooling', '--repo', repo, '--config', config, '--format', 'json']).stdout);
    assert.equal(rendered.services.tool.compose.image, 'team/tool:1');
    assert.match(run(['catalog', 'list', '--repo', repo, '--config', config]).stdout, /^team:tool\s+1\.0\.0\s+1\.0\.0\s+Tool$/m);
    const clash = run(['validate', '--repo', repo, '--config', config, '--catalog', `team=${repo}`]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /^corral: --catalog team=.*: the config already names a catalog "team"$/m);
    const missing = run(['validate', '--repo', repo, '--catalog', 'x=/no/such/dir']);
    assert.match(missing.stderr, /^corral: catalog x \/no\/such\/dir: no such directory$/m);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('every command has --help', () => {
  for (const args of [
    ['--help'],
    ['validate', '--help'],
    ['render', '--help'],
    ['history', '--help'],
    ['catalog', 'check', '--help'],
    ['catalog', 'show', '--help'],
    ['secret', 'keygen', '--help'],
    ['secret', 'encrypt', '--help'],
  ]) {
    const { code, stdout } = run(args);
    assert.equal(code, 0, args.join(' '));
    assert.match(stdout, /Options:/);
  }
});

test('a wrong call is reported once, with a hint and no stack trace', () => {
  for (const args of [[], ['frobnicate'], ['render'], ['validate', '--repo', '/no/such/dir']]) {
    const { code, stdout, stderr } = run(args);
    assert.equal(code, 1, args.join(' '));
    assert.equal(stdout, '');
    assert.equal(stderr.match(/^corral: /gm)?.length, 1, stderr);
    assert.match(stderr, /Run 'corral --help' for usage\.\n$/);
    noStackTrace(stderr);
  }
});

test('plan and sync that fail to read the repository end at once, without waiting for a host that does not answer', async () => {
  // A host that accepts the connection and never answers: its observation would time out after OBSERVE_TIMEOUT_MS.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  // A host that refuses the connection at once: the same command's time with nothing to wait for.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const dir = mkdtempSync(join(tmpdir(), 'corral-cli-'));
  const configFor = (name: string, port: number) => {
    const config = join(dir, `${name}.yml`);
    writeFileSync(config, `hosts:\n  - name: ${name}\n    docker: tcp://127.0.0.1:${port}\n`);
    return config;
  };
  const silentConfig = configFor('silent', (silent.address() as AddressInfo).port);
  const refusingConfig = configFor('refusing', closedPort);
  const timed = (command: string[], config: string) => {
    const started = performance.now();
    const result = run([...command, '--repo', join(dir, 'missing'), '--config', config, '--state-dir', dir]);
    return { ...result, elapsedMs: performance.now() - started };
  };
  try {
    for (const command of [['plan'], ['sync', '--once']]) {
      // Compared with the same command against a refusing host, run just before, so that a loaded
      // machine's slower start-up weighs on both: waiting for the silent host would add its timeout.
      const baseline = timed(command, refusingConfig);
      const { code, stderr, elapsedMs } = timed(command, silentConfig);
      assert.equal(baseline.code, 1, `${command.join(' ')} (refusing host): ${baseline.stderr}`);
      assert.equal(code, 1, command.join(' '));
      assert.match(stderr, /--repo .*missing: no such directory/);
      const waitedMs = elapsedMs - baseline.elapsedMs;
      assert.ok(
        waitedMs < OBSERVE_TIMEOUT_MS / 2,
        `${command.join(' ')} took ${Math.round(elapsedMs)} ms with a silent host, ${Math.round(baseline.elapsedMs)} ms with a refusing one`,
      );
    }
  } finally {
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
