import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { FileTree } from '../../src/model/files.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { type DesiredState, type DesiredStateOptions, desiredStateSteps, loadDesiredState } from '../../src/render/desired-state.js';
import { StackRenders } from '../../src/render/stack-renders.js';
import { encryptAnswer, generateKeyPair } from '../../src/secrets/age.js';
import { stackFolders } from '../../src/stacks/request.js';

const QUESTIONS = `.catalog:
  version: VERSION
  questions:
    - variable: tag
      type: string
      default: "1"
    - variable: password
      type: password
`;

/** Template `app` (folders 0 and 1, 1.0.0 the default), template `other`, stacks `a` (on app) and `b` (on other). */
function baseFiles(): Map<string, string> {
  return new Map(
    Object.entries({
      'catalog/templates/app/config.yml': 'name: app\nversion: 1.0.0\n',
      'catalog/templates/app/0/docker-compose.yml.tpl': 'web:\n  image: app:${tag}\n  environment:\n    ENV: {{ .Environment.Name }}\n',
      'catalog/templates/app/0/rancher-compose.yml': QUESTIONS.replace('VERSION', '1.0.0'),
      'catalog/templates/app/1/docker-compose.yml': 'web:\n  image: app-two:${tag}\n',
      'catalog/templates/app/1/rancher-compose.yml': QUESTIONS.replace('VERSION', '2.0.0'),
      'catalog/templates/other/config.yml': 'name: other\n',
      'catalog/templates/other/0/docker-compose.yml': 'db:\n  image: other:1\n',
      'catalog/templates/other/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
      'stacks/a/stack.yml': 'template: app\nanswers:\n  tag: "7"\n',
      'stacks/b/stack.yml': 'template: other\n',
    }),
  );
}

/** A read as DesiredStateSource makes it: with the renders of the reads before. */
function readWith(renders: StackRenders, files: FileTree, options: DesiredStateOptions = {}): DesiredState {
  const steps = desiredStateSteps(files, options, renders);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function stackOf(state: DesiredState, name: string): DesiredStack {
  const stack = state.stacks.find((s) => s.name === name);
  assert.ok(stack, JSON.stringify(state.failed, null, 2));
  return stack;
}

const firstService = (state: DesiredState, name: string) => Object.values(stackOf(state, name).services)[0];
const imageOf = (state: DesiredState, name: string) => firstService(state, name)?.compose.image;

/**
 * Reads `before` then `after` with the same renders: the second read equals a fresh read of
 * `after`, and stack `b`, whose inputs did not change, is the object the first read gave.
 */
function readTwice(
  before: FileTree,
  after: FileTree,
  options: { before?: DesiredStateOptions; after?: DesiredStateOptions } = {},
): { first: DesiredState; second: DesiredState } {
  const renders = new StackRenders();
  const first = readWith(renders, before, options.before);
  const second = readWith(renders, after, options.after);
  assert.deepStrictEqual(second, loadDesiredState(after, options.after));
  return { first, second };
}

function changed(change: (files: Map<string, string>) => void): Map<string, string> {
  const files = baseFiles();
  change(files);
  return files;
}

test('a read that changes nothing renders nothing again: the same stacks, equal to a fresh read', () => {
  const renders = new StackRenders();
  const first = readWith(renders, baseFiles(), { revision: 'r1' });
  const second = readWith(renders, baseFiles(), { revision: 'r1' });
  assert.deepStrictEqual(second, loadDesiredState(baseFiles(), { revision: 'r1' }));
  assert.equal(stackOf(second, 'a'), stackOf(first, 'a'));
  assert.equal(second.stackDiagnostics['a'], first.stackDiagnostics['a']);
  assert.equal(second.catalogs[0], first.catalogs[0], 'an unchanged catalog is not loaded again');
});

test('a new revision that changes nothing else gives every stack the new revision, sharing the rest', () => {
  const renders = new StackRenders();
  const first = readWith(renders, baseFiles(), { revision: 'r1' });
  const second = readWith(renders, baseFiles(), { revision: 'r2' });
  assert.deepStrictEqual(second, loadDesiredState(baseFiles(), { revision: 'r2' }));
  assert.equal(stackOf(second, 'a').revision, 'r2');
  assert.equal(stackOf(second, 'a').services, stackOf(first, 'a').services);
  assert.equal(stackOf(first, 'a').revision, 'r1', 'the stack of the first read is not changed');
  assert.deepStrictEqual(Object.keys(stackOf(second, 'a')), Object.keys(stackOf(first, 'a')));
  const third = readWith(renders, baseFiles(), { revision: 'r2' });
  assert.equal(stackOf(third, 'a'), stackOf(second, 'a'), 'the copy at r2 is kept for the next read of r2');
});

test('stack.yml: a changed request is rendered again, the other stacks are kept', () => {
  const { first, second } = readTwice(
    baseFiles(),
    changed((files) => files.set('stacks/a/stack.yml', 'template: app\nanswers:\n  tag: "8"\n')),
  );
  assert.equal(imageOf(second, 'a'), 'app:8');
  assert.equal(stackOf(second, 'b'), stackOf(first, 'b'));
});

test('answers.txt: an answer written there is rendered, and one taken away too', () => {
  const unanswered = changed((files) => files.set('stacks/a/stack.yml', 'template: app\n'));
  const withAnswers = changed((files) => {
    files.set('stacks/a/stack.yml', 'template: app\n');
    files.set('stacks/a/answers.txt', 'tag=9\n');
  });
  assert.equal(imageOf(readTwice(unanswered, withAnswers).second, 'a'), 'app:9');
  assert.equal(imageOf(readTwice(withAnswers, unanswered).second, 'a'), 'app:1');
});

test('the template version: its docker-compose file', () => {
  const { first, second } = readTwice(
    baseFiles(),
    changed((files) => files.set('catalog/templates/app/0/docker-compose.yml.tpl', 'web:\n  image: app-new:${tag}\n')),
  );
  assert.equal(imageOf(second, 'a'), 'app-new:7');
  assert.equal(stackOf(second, 'b'), stackOf(first, 'b'));
});

test('the template version: its rancher-compose file (a question default and a service setting)', () => {
  const files = changed((tree) => {
    tree.set('stacks/a/stack.yml', 'template: app\n');
    tree.set(
      'catalog/templates/app/0/rancher-compose.yml',
      `${QUESTIONS.replace('VERSION', '1.0.0').replace('"1"', '"5"')}web:\n  scale: 3\n`,
    );
  });
  const { second } = readTwice(
    changed((tree) => tree.set('stacks/a/stack.yml', 'template: app\n')),
    files,
  );
  assert.equal(imageOf(second, 'a'), 'app:5');
  assert.equal(firstService(second, 'a')?.scale, 3);
});

test("the template's config.yml: a new default version", () => {
  const unpinned = (files: Map<string, string>) => files.set('stacks/a/stack.yml', 'template: app\n');
  const { second } = readTwice(
    changed(unpinned),
    changed((files) => {
      unpinned(files);
      files.set('catalog/templates/app/config.yml', 'name: app\nversion: 2.0.0\n');
    }),
  );
  assert.equal(stackOf(second, 'a').template.version, '2.0.0');
  assert.equal(imageOf(second, 'a'), 'app-two:1');
});

test('the requested version, and a version folder taken away', () => {
  const pinned = changed((files) => files.set('stacks/a/stack.yml', 'template: app\nversion: 2.0.0\n'));
  assert.equal(imageOf(readTwice(baseFiles(), pinned).second, 'a'), 'app-two:1');
  const { second } = readTwice(
    pinned,
    changed((files) => {
      files.set('stacks/a/stack.yml', 'template: app\nversion: 2.0.0\n');
      files.delete('catalog/templates/app/1/docker-compose.yml');
      files.delete('catalog/templates/app/1/rancher-compose.yml');
    }),
  );
  assert.match(second.failed.find((f) => f.stack === 'a')?.diagnostics[0]?.message ?? '', /has no version "2.0.0"/);
});

test('a template taken away fails its stacks; brought back, they render again', () => {
  const without = changed((files) => {
    for (const path of [...files.keys()]) if (path.startsWith('catalog/templates/app/')) files.delete(path);
  });
  assert.match(readTwice(baseFiles(), without).second.failed[0]?.diagnostics[0]?.message ?? '', /unknown template "app"/);
  assert.equal(imageOf(readTwice(without, baseFiles()).second, 'a'), 'app:7');
});

test('a catalog beside the repository: its template changes, and it becomes unreadable', () => {
  const catalog = (image: string) => ({
    files: new Map([
      ['templates/tool/config.yml', 'name: tool\n'],
      ['templates/tool/0/docker-compose.yml', `tool:\n  image: ${image}\n`],
      ['templates/tool/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
    ]),
    displayRoot: 'catalog:team',
  });
  const files = changed((tree) => tree.set('stacks/c/stack.yml', 'template: team:tool\n'));
  const { first, second } = readTwice(files, files, {
    before: { extraCatalogs: { team: catalog('tool:1') } },
    after: { extraCatalogs: { team: catalog('tool:2') } },
  });
  assert.equal(imageOf(second, 'c'), 'tool:2');
  assert.equal(stackOf(second, 'a'), stackOf(first, 'a'));
  const unreadable = readTwice(files, files, {
    before: { extraCatalogs: { team: catalog('tool:1') } },
    after: { unavailableCatalogs: { team: 'fetch failed' } },
  }).second;
  assert.match(unreadable.failed.find((f) => f.stack === 'c')?.diagnostics[0]?.message ?? '', /cannot be read: fetch failed/);
});

test('the policy: a stricter one fails a stack it allowed', () => {
  const files = changed((tree) => tree.set('catalog/templates/other/0/docker-compose.yml', 'db:\n  image: other:1\n  privileged: true\n'));
  const { first, second } = readTwice(files, files, {
    before: { policy: { ...DEFAULT_POLICY, allow: ['privileged'] } },
    after: { policy: DEFAULT_POLICY },
  });
  assert.ok(stackOf(first, 'b'));
  assert.match(second.failed.find((f) => f.stack === 'b')?.diagnostics[0]?.message ?? '', /privileged/);
});

test('the environment name and the plaintext-secrets policy', () => {
  const { second } = readTwice(baseFiles(), baseFiles(), { before: {}, after: { environmentName: 'prod' } });
  assert.equal(firstService(second, 'a')?.compose.environment['ENV'], 'prod');
  const plain = changed((files) => files.set('stacks/a/stack.yml', 'template: app\nanswers:\n  password: hunter22\n'));
  const allowed = readTwice(plain, plain, { before: {}, after: { plaintextSecrets: 'allow' } }).second;
  assert.equal(stackOf(allowed, 'a').variables['password'], 'hunter22');
});

let encrypted: string;
before(async () => {
  const keys = await generateKeyPair();
  encrypted = await encryptAnswer('s3cret-value', [keys.recipient]);
});

test('an encrypted answer: what it opened to, and whether it can be opened at all', () => {
  const files = changed((tree) => tree.set('stacks/a/stack.yml', `template: app\nanswers:\n  password: ${encrypted}\n`));
  const opened = (value: string) => ({ mode: 'decrypted' as const, answers: new Map([[encrypted, { value }]]) });
  const { second } = readTwice(files, files, { before: { secrets: opened('first') }, after: { secrets: opened('second') } });
  assert.equal(stackOf(second, 'a').variables['password'], 'second');
  const unopened = readTwice(files, files, { before: { secrets: opened('first') }, after: { secrets: { mode: 'none' } } }).second;
  assert.match(unopened.failed[0]?.diagnostics[0]?.message ?? '', /no identity was given/);
  const unchecked = readTwice(files, files, { before: { secrets: { mode: 'none' } }, after: { secrets: { mode: 'unchecked' } } }).second;
  assert.ok(stackOf(unchecked, 'a'));
});

test('a stack folder taken away is gone from the next read; one added is rendered', () => {
  const { second } = readTwice(
    baseFiles(),
    changed((files) => {
      files.delete('stacks/b/stack.yml');
      files.set('stacks/c/stack.yml', 'template: other\n');
    }),
  );
  assert.deepStrictEqual(
    second.stacks.map((s) => s.name),
    ['a', 'c'],
  );
});

test('a failed stack stays failed while its inputs do not change, with the same message', () => {
  const broken = changed((files) => files.set('stacks/a/stack.yml', 'template: app\nanswers:\n  tag: [1\n'));
  const { first, second } = readTwice(broken, broken);
  assert.deepStrictEqual(second.failed, first.failed);
  assert.equal(second.failed.length, 1);
});

test('the stacks are the folders stackFolders finds: a file directly under stacks/ is none', () => {
  const files = changed((tree) => {
    tree.set('stacks/README.md', 'the stacks\n');
    tree.set('stacks/c/notes.txt', 'no stack.yml here\n');
  });
  const state = loadDesiredState(files);
  assert.deepStrictEqual([...state.stacks.map((s) => s.name), ...state.failed.map((f) => f.stack)].sort(), stackFolders(files));
  assert.deepStrictEqual(
    state.failed.map((f) => f.stack),
    ['c'],
  );
});
