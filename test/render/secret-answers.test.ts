import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { DesiredStateSource } from '../../src/desired/index.js';
import type { DesiredStack } from '../../src/model/desired.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import type { FileTree } from '../../src/model/files.js';
import { DEFAULT_POLICY, type Policy } from '../../src/policy/index.js';
import { type DesiredState, loadDesiredState } from '../../src/render/index.js';
import { encryptAnswer, generateKeyPair, type KeyPair } from '../../src/secrets/age.js';
import type { Source } from '../../src/source/types.js';

const PASSWORD = 'Tr0ub4dor-and-3';
const QUESTIONS = `.catalog:
  version: 1.0.0
  questions:
    - variable: db_password
      type: password
      required: true
      min_length: 8
      valid_chars: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-
    - variable: api_key
      type: secret
    - variable: tls
      type: certificate
    - variable: image_tag
      type: string
      default: "1"
`;

function repo(stacks: Record<string, string>): Map<string, string> {
  return new Map(
    Object.entries({
      'catalog/templates/db/config.yml': 'name: db\nversion: 1.0.0\n',
      'catalog/templates/db/0/docker-compose.yml':
        'db:\n  image: redis:${image_tag}\n  environment:\n    PASSWORD: ${db_password}\n    KEY: ${api_key}\n',
      'catalog/templates/db/0/rancher-compose.yml': QUESTIONS,
      'catalog/templates/leaky/config.yml': 'name: leaky\nversion: 1.0.0\n',
      'catalog/templates/leaky/0/docker-compose.yml.tpl': 'db:\n  image: redis\n{{ range .Values.db_password }}{{ end }}',
      'catalog/templates/leaky/0/rancher-compose.yml': QUESTIONS,
      ...Object.fromEntries(Object.entries(stacks).map(([name, text]) => [`stacks/${name}/stack.yml`, text])),
    }),
  );
}

/** The desired state of these files as the commands and the daemon read it, answers opened with these identities. */
async function readDecrypting(files: FileTree, identities: string[], policy?: Policy): Promise<DesiredState> {
  const repo: Source = { describe: () => 'test files', refresh: async () => ({ changed: false }), snapshot: async () => ({ files }) };
  const source = await DesiredStateSource.open({ repo, identities, ...(policy ? { policy } : {}) });
  return (await source.read()).state;
}

let keys: KeyPair;
let otherKeys: KeyPair;
let encrypted: string;

before(async () => {
  keys = await generateKeyPair();
  otherKeys = await generateKeyPair();
  encrypted = await encryptAnswer(PASSWORD, [keys.recipient]);
});

function stackOf(state: DesiredState, name: string): DesiredStack {
  const stack = state.stacks.find((s) => s.name === name);
  assert.ok(stack, JSON.stringify(state.failed, null, 2));
  return stack;
}

function errorsOf(state: DesiredState, name: string): string[] {
  return (state.failed.find((f) => f.stack === name)?.diagnostics ?? []).filter((d) => d.severity === 'error').map(formatDiagnostic);
}

test('an encrypted password answer reaches the rendered stack as its value, with the identity', async () => {
  const state = await readDecrypting(repo({ s: `template: db\nanswers:\n  db_password: ${encrypted}\n` }), [keys.identity]);
  const stack = stackOf(state, 's');
  assert.equal(stack.services['db']?.compose.environment['PASSWORD'], PASSWORD);
  assert.equal(stack.variables['db_password'], PASSWORD);
  assert.deepEqual(stack.secretVariables, ['db_password', 'api_key', 'tls']);
});

test('answers.txt may hold encrypted answers too', async () => {
  const files = repo({ s: 'template: db\n' });
  files.set('stacks/s/answers.txt', `db_password=${encrypted}\n`);
  const state = await readDecrypting(files, [keys.identity]);
  assert.equal(stackOf(state, 's').services['db']?.compose.environment['PASSWORD'], PASSWORD);
});

test('the decrypted value is checked against every constraint, and the message does not show it', async () => {
  const short = await encryptAnswer('abc', [keys.recipient]);
  const odd = await encryptAnswer('has spaces in it', [keys.recipient]);
  const state = await readDecrypting(
    repo({ short: `template: db\nanswers:\n  db_password: ${short}\n`, odd: `template: db\nanswers:\n  db_password: ${odd}\n` }),
    [keys.identity],
  );
  assert.match(
    errorsOf(state, 'short')[0] ?? '',
    /^stacks\/short\/stack.yml:3: error: answers.db_password: the password \(value hidden\) is shorter than min_length 8/,
  );
  assert.match(errorsOf(state, 'odd')[0] ?? '', /contains a character outside valid_chars/);
  assert.ok(!JSON.stringify(state.failed).includes('has spaces'));
});

test('a wrong identity or a corrupt payload fails that stack alone, with a clear message', async () => {
  const corrupt = encrypted.replace(/.{6}\]$/, 'AAAAAA]');
  const state = await readDecrypting(
    repo({
      good: 'template: db\nanswers:\n  db_password: plain-but-allowed\n',
      foreign: `template: db\nanswers:\n  db_password: ${await encryptAnswer(PASSWORD, [otherKeys.recipient])}\n`,
      corrupt: `template: db\nanswers:\n  db_password: ${corrupt}\n`,
      garbled: 'template: db\nanswers:\n  db_password: ENC[age,!!!]\n',
    }),
    [keys.identity],
    { ...DEFAULT_POLICY, plaintextSecrets: 'allow' },
  );
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['good'],
  );
  assert.match(
    errorsOf(state, 'foreign')[0] ?? '',
    /^stacks\/foreign\/stack.yml:3: error: answers.db_password: cannot be decrypted with the daemon's identity/,
  );
  assert.match(
    errorsOf(state, 'corrupt')[0] ?? '',
    /^stacks\/corrupt\/stack.yml:3: error: answers.db_password: the encrypted answer is corrupt/,
  );
  assert.match(errorsOf(state, 'garbled')[0] ?? '', /answers.db_password: the encrypted answer is malformed: .*not base64/);
});

test('without an identity: plan, sync and the daemon fail the stack; validate checks what it can and names the rest', async () => {
  const empty = await encryptAnswer('', [keys.recipient]);
  const files = repo({
    s: `template: db\nanswers:\n  db_password: ${encrypted}\n`,
    e: `template: db\nanswers:\n  db_password: ${empty}\n`,
  });
  const none = loadDesiredState(files);
  assert.match(
    errorsOf(none, 's')[0] ?? '',
    /answers.db_password: the answer is encrypted and no identity was given to decrypt it: set CORRAL_AGE_IDENTITY/,
  );

  const unchecked = loadDesiredState(files, { secrets: { mode: 'unchecked' } });
  const stack = stackOf(unchecked, 's');
  assert.notEqual(stack.variables['db_password'], PASSWORD);
  const warnings = unchecked.stackDiagnostics['s']?.map(formatDiagnostic) ?? [];
  assert.ok(
    warnings.includes(
      'stacks/s/stack.yml:3: warning: answers.db_password: encrypted: checked that it is a well-formed age file and not empty; ' +
        'not checked without CORRAL_AGE_IDENTITY: min_length 8, valid_chars "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", ' +
        "whether the daemon's identity opens it",
    ),
    warnings.join('\n'),
  );
  assert.match(
    errorsOf(unchecked, 'e')[0] ?? '',
    /answers.db_password: required, but the answer is empty/,
    'an encrypted empty value is seen without the key',
  );
});

test('a plaintext password or secret answer is an error unless the policy allows it; certificates may stay plain', () => {
  const files = repo({
    pw: 'template: db\nanswers:\n  db_password: hunter2-hunter2\n',
    key: 'template: db\nanswers:\n  db_password: ""\n  api_key: sk-live-1234\n',
    cert: 'template: db\nanswers:\n  db_password: ""\n  tls: "-----BEGIN CERTIFICATE-----"\n',
  });
  const denied = loadDesiredState(files, { secrets: { mode: 'unchecked' } });
  assert.match(
    errorsOf(denied, 'pw')[0] ?? '',
    /^stacks\/pw\/stack.yml:3: error: answers.db_password: a password answer must be encrypted: run `corral secret encrypt`.*plaintext_secrets: allow.*change it$/,
  );
  assert.match(errorsOf(denied, 'key')[0] ?? '', /^stacks\/key\/stack.yml:4: error: answers.api_key: a secret answer must be encrypted/);
  assert.ok(!JSON.stringify(denied.failed).includes('hunter2') && !JSON.stringify(denied.failed).includes('sk-live'));
  assert.match(
    errorsOf(denied, 'cert')[0] ?? '',
    /db_password: required, but the answer is empty/,
    'only the empty required password is wrong there',
  );
  const allowed = loadDesiredState(files, { plaintextSecrets: 'allow' });
  assert.equal(stackOf(allowed, 'pw').services['db']?.compose.environment['PASSWORD'], 'hunter2-hunter2');
});

test('only secret questions take encrypted answers: every other answer must stay readable for review', async () => {
  const state = await readDecrypting(
    repo({
      tag: `template: db\nanswers:\n  db_password: ${encrypted}\n  image_tag: ${await encryptAnswer('latest', [keys.recipient])}\n`,
      extra: `template: db\nanswers:\n  db_password: ${encrypted}\n  undeclared: ${encrypted}\n`,
    }),
    [keys.identity],
  );
  assert.match(
    errorsOf(state, 'tag')[0] ?? '',
    /answers.image_tag: only password, secret and certificate answers may be encrypted, and this is a string question/,
  );
  assert.match(errorsOf(state, 'extra')[0] ?? '', /answers.undeclared: only .* may be encrypted, and this is no question of the template/);
});

test('a template that prints a decrypted secret into an error message gets it masked', async () => {
  const state = await readDecrypting(repo({ leak: `template: leaky\nanswers:\n  db_password: ${encrypted}\n` }), [keys.identity]);
  const shown = JSON.stringify(state.failed);
  assert.ok(
    state.failed.some((f) => f.stack === 'leak'),
    'range over the password fails the stack',
  );
  assert.ok(!shown.includes(PASSWORD), shown);
  assert.match(shown, /\*{8}/);
});
