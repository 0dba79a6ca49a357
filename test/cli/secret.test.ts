import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corral = join(root, 'bin', 'corral');
const PASSWORD = 'Pa55-w0rd-for-the-db';

/** A stack of the bundled catalog plus a template with a constrained password question. */
const TEMPLATE = {
  'catalog/templates/vault/config.yml': 'name: vault\nversion: 1.0.0\n',
  'catalog/templates/vault/0/docker-compose.yml': 'db:\n  image: redis\n  environment:\n    PASSWORD: ${pw}\n',
  'catalog/templates/vault/0/rancher-compose.yml':
    '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: pw\n      type: password\n      required: true\n      min_length: 12\n',
};

function corralRun(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const result = spawnSync(process.execPath, [corral, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORRAL_AGE_IDENTITY: '', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, all: result.stdout + result.stderr };
}

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/);

let dir: string;
let repo: string;
let identityFile: string;
let recipient: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-secret-'));
  repo = join(dir, 'repo');
  cpSync(join(root, 'catalog'), join(repo, 'catalog'), { recursive: true });
  write(repo, TEMPLATE);
  identityFile = join(dir, 'identity.txt');
  const keygen = corralRun(['secret', 'keygen', '--output', identityFile]);
  assert.equal(keygen.code, 0, keygen.all);
  recipient = /^public key: (age1[0-9a-z]+)$/m.exec(keygen.stderr)?.[1] ?? '';
  assert.ok(recipient, keygen.stderr);
  write(repo, { '.corral/recipients.txt': `# the daemon on prod\n${recipient}\n` });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('corral secret keygen prints an identity file with its public key, or writes a new 0600 file and never overwrites one', () => {
  const printed = corralRun(['secret', 'keygen']);
  assert.equal(printed.code, 0);
  assert.match(printed.stdout, /^# created: \S+\n# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
  assert.match(printed.stderr, /Add the public key to \.corral\/recipients\.txt/);
  assert.equal(statSync(identityFile).mode & 0o777, 0o600);
  assert.match(readFileSync(identityFile, 'utf8'), new RegExp(`# public key: ${recipient}\\nAGE-SECRET-KEY-1`));
  const again = corralRun(['secret', 'keygen', '-o', identityFile]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /the file exists; corral never overwrites a key/);
});

test('encrypt → validate without the key → validate and render with it: the value never shows', () => {
  const encrypted = corralRun(['secret', 'encrypt', '--repo', repo], { input: `${PASSWORD}\n` });
  assert.equal(encrypted.code, 0, encrypted.all);
  assert.match(encrypted.stdout, /^ENC\[age,[A-Za-z0-9+/=]+\]\n$/);
  write(repo, { 'stacks/app/stack.yml': `template: vault\nanswers:\n  pw: ${encrypted.stdout.trim()}\n` });

  const unchecked = corralRun(['validate', '--repo', repo]);
  assert.equal(unchecked.code, 0, unchecked.all);
  assert.match(
    unchecked.stdout,
    /stacks\/app\/stack.yml:3: warning: answers.pw: encrypted: checked that it is a well-formed age file and not empty; not checked without CORRAL_AGE_IDENTITY: min_length 12, whether the daemon's identity opens it/,
  );

  const checked = corralRun(['validate', '--repo', repo, '--format', 'json'], { env: { CORRAL_AGE_IDENTITY: identityFile } });
  assert.equal(checked.code, 0, checked.all);
  assert.doesNotMatch(checked.stdout, /not checked without/);

  const rendered = corralRun(['render', 'app', '--repo', repo, '--format', 'json'], { env: { CORRAL_AGE_IDENTITY: identityFile } });
  assert.equal(rendered.code, 0, rendered.all);
  assert.equal(JSON.parse(rendered.stdout).services.db.compose.environment.PASSWORD, '********');
  for (const output of [encrypted, unchecked, checked, rendered]) assert.ok(!output.all.includes(PASSWORD), output.all);
});

test('a decrypted value that breaks a constraint, and an answer for another key, fail their stack alone', () => {
  const short = corralRun(['secret', 'encrypt', '--repo', repo], { input: 'short-pw' });
  const other = corralRun(['secret', 'keygen']).stdout.match(/public key: (age1\S+)/)?.[1] ?? '';
  const foreign = corralRun(['secret', 'encrypt', '-r', other], { input: PASSWORD });
  const scratch = join(dir, 'constraints');
  cpSync(repo, scratch, { recursive: true });
  write(scratch, {
    'stacks/short/stack.yml': `template: vault\nanswers:\n  pw: ${short.stdout.trim()}\n`,
    'stacks/foreign/stack.yml': `template: vault\nanswers:\n  pw: ${foreign.stdout.trim()}\n`,
  });
  const result = corralRun(['validate', '--repo', scratch], { env: { CORRAL_AGE_IDENTITY: identityFile } });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /stacks\/short\/stack.yml:3: error: answers.pw: the password \(value hidden\) is shorter than min_length 12/);
  assert.match(result.stdout, /stacks\/foreign\/stack.yml:3: error: answers.pw: cannot be decrypted with the daemon's identity/);
  assert.match(result.stdout, /^1 of 3 stacks valid; 2 errors/m);
  assert.ok(!result.all.includes('short-pw'));
});

test('a plaintext password answer fails validate without echoing it; so does a malformed answers.txt line', () => {
  const scratch = join(dir, 'plain');
  cpSync(repo, scratch, { recursive: true });
  write(scratch, {
    'stacks/plain/stack.yml': `template: vault\nanswers:\n  pw: ${PASSWORD}\n`,
    'stacks/typo/stack.yml': 'template: hello-web\n',
    'stacks/typo/answers.txt': `scale=1\n${PASSWORD}\n`,
  });
  const result = corralRun(['validate', '--repo', scratch]);
  assert.equal(result.code, 1);
  assert.match(
    result.stdout,
    /stacks\/plain\/stack.yml:3: error: answers.pw: a password answer must be encrypted: run `corral secret encrypt`/,
  );
  assert.match(result.stdout, /stacks\/typo\/answers.txt:2: error: expected KEY=value/);
  assert.ok(!result.all.includes(PASSWORD), result.all);
});

test('policy plaintext_secrets: allow (and only it) lets validate, render and plan accept a plaintext password answer', () => {
  const scratch = join(dir, 'plaintext-allowed');
  cpSync(repo, scratch, { recursive: true });
  write(scratch, { 'stacks/plain/stack.yml': `template: vault\nanswers:\n  pw: ${PASSWORD}\n` });
  const hosts = 'hosts:\n  - {name: local, docker: "unix:///nonexistent/docker.sock"}\n';
  const configs = {
    none: undefined,
    deny: `${hosts}policy:\n  plaintext_secrets: deny\n`,
    allow: `${hosts}policy:\n  plaintext_secrets: allow\n`,
  };
  for (const [name, text] of Object.entries(configs)) {
    const config = join(dir, `corral-${name}.yml`);
    if (text !== undefined) writeFileSync(config, text);
    const withConfig = text === undefined ? [] : ['--config', config];
    const validate = corralRun(['validate', '--repo', scratch, ...withConfig]);
    assert.ok(!validate.all.includes(PASSWORD), validate.all);
    noStackTrace(validate.all);
    if (name !== 'allow') {
      assert.equal(validate.code, 1, `${name}: ${validate.all}`);
      assert.match(validate.stdout, /stacks\/plain\/stack.yml:3: error: answers.pw: a password answer must be encrypted/);
      continue;
    }
    assert.equal(validate.code, 0, validate.all);
    const render = corralRun(['render', 'plain', '--repo', scratch, ...withConfig, '--format', 'json']);
    assert.equal(render.code, 0, render.all);
    assert.equal(JSON.parse(render.stdout).services.db.compose.environment.PASSWORD, '********', 'allowed, and still masked');
    // plan reads the same policy: the stack is planned (its host is unreachable), not refused.
    const plan = corralRun(['plan', '--repo', scratch, ...withConfig]);
    assert.doesNotMatch(plan.all, /must be encrypted/);
    assert.match(plan.all, /host local unreachable/);
    assert.ok(!plan.all.includes(PASSWORD), plan.all);
  }
});

test('key problems are one clear line each: no recipients, a broken recipients file, an unreadable or wrong identity file', () => {
  const bare = join(dir, 'bare');
  mkdirSync(bare);
  const noRecipients = corralRun(['secret', 'encrypt', '--repo', bare], { input: 'x' });
  assert.equal(noRecipients.code, 1);
  assert.match(noRecipients.stderr, /no .*\.corral\/recipients\.txt: list the daemon's public key there/);

  const empty = corralRun(['secret', 'encrypt', '--repo', repo], { input: '\n' });
  assert.match(empty.stderr, /nothing to encrypt: give the value on stdin/);

  const broken = join(dir, 'broken');
  cpSync(repo, broken, { recursive: true });
  write(broken, { '.corral/recipients.txt': `${recipient}\nage1-not-a-key\n` });
  const validated = corralRun(['validate', '--repo', broken]);
  assert.equal(validated.code, 1);
  assert.match(validated.stdout, /^\.corral\/recipients\.txt:2: error: "age1-not-a-key" is not an age recipient/m);

  const missing = corralRun(['validate', '--repo', repo], { env: { CORRAL_AGE_IDENTITY: join(dir, 'nope.txt') } });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^corral: CORRAL_AGE_IDENTITY=.*nope\.txt: cannot read the age identity file \(ENOENT\)/);
  write(dir, { 'wrong.txt': `${PASSWORD}\n` });
  const wrong = corralRun(['plan', '--repo', repo], { env: { CORRAL_AGE_IDENTITY: join(dir, 'wrong.txt') } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /wrong\.txt:1: error: not an age identity .*; the line is not shown/);
  for (const output of [noRecipients, validated, missing, wrong]) {
    noStackTrace(output.all);
    assert.ok(!output.all.includes(PASSWORD));
  }
});
