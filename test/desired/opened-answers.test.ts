import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { DesiredStateSource } from '../../src/desired/index.js';
import { OpenedAnswers } from '../../src/desired/opened-answers.js';
import type { FileTree } from '../../src/model/files.js';
import { encryptAnswer, generateKeyPair, type KeyPair } from '../../src/secrets/age.js';
import type { RepoSnapshot, Source } from '../../src/source/types.js';

const QUESTIONS = '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: password\n      type: password\n';

function files(stacks: Record<string, string>): FileTree {
  return new Map(
    Object.entries({
      'catalog/templates/db/config.yml': 'name: db\n',
      'catalog/templates/db/0/docker-compose.yml': 'db:\n  image: redis\n  environment:\n    PASSWORD: ${password}\n',
      'catalog/templates/db/0/rancher-compose.yml': QUESTIONS,
      ...Object.fromEntries(Object.entries(stacks).map(([name, text]) => [`stacks/${name}/stack.yml`, text])),
    }),
  );
}

const request = (answer: string) => `template: db\nanswers:\n  password: ${answer}\n`;

let keys: KeyPair;
const ciphertexts: Record<string, string> = {};
before(async () => {
  keys = await generateKeyPair();
  for (const value of ['first-secret', 'second-secret', 'third-secret']) ciphertexts[value] = await encryptAnswer(value, [keys.recipient]);
});

class Commits implements Source {
  constructor(public current: RepoSnapshot) {}
  describe = () => 'test commits';
  refresh = async () => ({ changed: true });
  snapshot = async () => this.current;
}

async function freshRead(snapshot: RepoSnapshot) {
  const source = await DesiredStateSource.open({ repo: new Commits(snapshot), identities: [keys.identity] });
  return (await source.read()).state;
}

test('a new revision opens the answers of the stacks it changed; the others keep what they opened, equal to a fresh read', async () => {
  const repo = new Commits({
    revision: 'r1',
    files: files({ a: request(ciphertexts['first-secret'] ?? ''), b: request(ciphertexts['second-secret'] ?? '') }),
  });
  const source = await DesiredStateSource.open({ repo, identities: [keys.identity] });
  const first = (await source.read()).state;
  repo.current = {
    revision: 'r2',
    files: files({ a: request(ciphertexts['third-secret'] ?? ''), b: request(ciphertexts['second-secret'] ?? '') }),
  };
  const second = (await source.read()).state;
  assert.deepStrictEqual(second, await freshRead(repo.current));
  assert.equal(second.stacks[0]?.variables['password'], 'third-secret');
  assert.equal(second.stacks[1]?.variables['password'], 'second-secret');
  assert.equal(second.stacks[1]?.services, first.stacks[1]?.services, 'stack b is not rendered again');
});

test('the opened answers are those of the whole tree: an answer moved to another stack, or written twice, is opened', async () => {
  const answers = new OpenedAnswers([keys.identity]);
  const shared = ciphertexts['first-secret'] ?? '';
  const opened = await answers.open(files({ a: request(shared), b: request(shared) }));
  assert.equal(opened.mode === 'decrypted' && opened.answers.size, 1);
  const moved = await answers.open(files({ b: request(shared), c: `template: db\n`, d: request(ciphertexts['second-secret'] ?? '') }));
  assert.ok(moved.mode === 'decrypted');
  assert.deepStrictEqual(
    [...moved.answers.values()].map((decrypted) => ('value' in decrypted ? decrypted.value : decrypted.problem)).sort(),
    ['first-secret', 'second-secret'],
  );
  const gone = await answers.open(files({ c: 'template: db\n' }));
  assert.ok(gone.mode === 'decrypted');
  assert.equal(gone.answers.size, 0, 'an answer no stack writes any more is not kept');
});
