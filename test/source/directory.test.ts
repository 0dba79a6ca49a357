import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectorySource, openSource } from '../../src/source/index.js';
import { makeTempDir, writeFiles } from './git-fixtures.js';

const STACK = 'template: hello\nversion: "1"\n';

let temp: ReturnType<typeof makeTempDir>;
before(() => {
  temp = makeTempDir();
});
after(() => temp.remove());

function newRepoDir(name: string): string {
  const dir = `${temp.path}/${name}`;
  writeFiles(dir, {
    'catalog/templates/hello/config.yml': 'name: hello\n',
    'catalog/templates/hello/catalogIcon-hello.png': '\u0000PNG',
    'stacks/web/stack.yml': STACK,
    'README.md': 'not part of a snapshot',
    'dist/out.js': 'not part of a snapshot',
    'stacks/node_modules/x/index.js': 'skipped',
  });
  return dir;
}

test('a plain directory snapshot holds catalog/** and stacks/** only, icons listed empty, no revision', async () => {
  const source = await openSource({ repo: newRepoDir('plain') });
  assert.ok(source instanceof DirectorySource);
  const snapshot = await source.snapshot();
  assert.equal(snapshot.revision, undefined);
  assert.deepEqual([...snapshot.files.keys()].sort(), [
    'catalog/templates/hello/catalogIcon-hello.png',
    'catalog/templates/hello/config.yml',
    'stacks/web/stack.yml',
  ]);
  assert.equal(snapshot.files.get('catalog/templates/hello/catalogIcon-hello.png'), '');
  assert.equal(snapshot.files.get('stacks/web/stack.yml'), STACK);
  assert.match(source.describe(), /^directory \//);
});

test('an unchanged directory gives the same snapshot object; edits, additions and deletions are seen', async () => {
  const dir = newRepoDir('edits');
  const source = await openSource({ repo: dir });
  const first = await source.snapshot();
  assert.equal(await source.snapshot(), first);
  writeFiles(dir, {
    'stacks/web/stack.yml': 'template: hello\nversion: "2"\n',
    'stacks/db/stack.yml': 'template: db\n',
    'catalog/templates/hello/config.yml': null,
  });
  const second = await source.snapshot();
  assert.notEqual(second, first);
  assert.equal(second.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "2"\n');
  assert.equal(second.files.get('stacks/db/stack.yml'), 'template: db\n');
  assert.equal(second.files.has('catalog/templates/hello/config.yml'), false);
});

test('refresh reports a change only when catalog/ or stacks/ changed since the last refresh', async () => {
  const dir = newRepoDir('refresh');
  const source = await openSource({ repo: dir });
  assert.deepEqual(await source.refresh(), { changed: true });
  assert.deepEqual(await source.refresh(), { changed: false });
  writeFiles(dir, { 'README.md': 'edited outside the snapshot' });
  assert.deepEqual(await source.refresh(), { changed: false });
  writeFiles(dir, { 'stacks/web/stack.yml': 'template: hello\nversion: "3"\n' });
  assert.deepEqual(await source.refresh(), { changed: true });
});

test('watch reports a burst of changes once after the debounce, ignores other folders, and stops when asked', async () => {
  const dir = newRepoDir('watch');
  const source = (await openSource({ repo: dir, watchDebounceMs: 150 })) as DirectorySource;
  let calls = 0;
  const stop = source.watch(() => (calls += 1));
  try {
    await source.whenWatching();
    for (let i = 0; i < 5; i += 1) {
      writeFiles(dir, { [`stacks/s${i}/stack.yml`]: STACK });
      await sleep(20);
    }
    assert.equal(calls, 0, 'nothing is reported before the burst has been quiet for the debounce time');
    await sleep(600);
    assert.equal(calls, 1);
    writeFiles(dir, { 'dist/other.js': 'x', 'README.md': 'y', 'stacks/node_modules/y/index.js': 'z' });
    await sleep(600);
    assert.equal(calls, 1, 'changes outside catalog/ and stacks/ are ignored');
  } finally {
    stop();
  }
  writeFiles(dir, { 'stacks/web/stack.yml': 'template: hello\nversion: "9"\n' });
  await sleep(600);
  assert.equal(calls, 1, 'no report after stop');
});

test('a missing directory is a clear error', async () => {
  await assert.rejects(openSource({ repo: `${temp.path}/does-not-exist` }), /repository .*does-not-exist: no such directory/);
});
