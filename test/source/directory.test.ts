import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_TEXT_BYTES, unreadReason } from '../../src/model/files.js';
import { readNoFollow } from '../../src/source/directory.js';
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

test('links are never followed: a linked file or folder inside is not part of the snapshot', async () => {
  const dir = newRepoDir('links');
  const outside = `${temp.path}/outside`;
  writeFiles(outside, { 'big/stack.yml': 'template: hello\n', 'secret.txt': 'root:x:0:0' });
  symlinkSync(`${outside}/big`, `${dir}/stacks/linked`);
  symlinkSync(`${outside}/secret.txt`, `${dir}/stacks/web/answers.txt`);
  symlinkSync('/usr', `${dir}/catalog/usr`);
  const snapshot = await (await openSource({ repo: dir })).snapshot();
  assert.deepEqual([...snapshot.files.keys()].sort(), [
    'catalog/templates/hello/catalogIcon-hello.png',
    'catalog/templates/hello/config.yml',
    'stacks/web/stack.yml',
  ]);
});

test('a linked stacks/ or catalog/ is an error (not an empty folder, which would prune every stack)', async () => {
  const dir = `${temp.path}/linked-root`;
  writeFiles(dir, { 'catalog/templates/hello/config.yml': 'name: hello\n' });
  symlinkSync('/usr', `${dir}/stacks`);
  const source = await openSource({ repo: dir });
  await assert.rejects(source.refresh(), /linked-root\/stacks is a symbolic link: corral does not follow links in the repository/);
  await assert.rejects(source.snapshot(), /is a symbolic link/);
});

test('an oversized, binary or non-UTF-8 file is listed with an unread marker that says why', async () => {
  const dir = newRepoDir('unread');
  writeFileSync(`${dir}/stacks/web/answers.txt`, Buffer.alloc(MAX_TEXT_BYTES + 1, 'a'));
  mkdirSync(`${dir}/stacks/bin`, { recursive: true });
  writeFileSync(`${dir}/stacks/bin/stack.yml`, Buffer.from([0x74, 0x00, 0x01]));
  writeFileSync(`${dir}/stacks/bin/answers.txt`, Buffer.from([0x41, 0x3d, 0xff, 0xfe]));
  const { files } = await (await openSource({ repo: dir })).snapshot();
  assert.match(
    unreadReason(files.get('stacks/web/answers.txt')) ?? '',
    /^the file is 1048577 bytes, more than the 1048576 \(1 MiB\) corral reads$/,
  );
  assert.match(unreadReason(files.get('stacks/bin/stack.yml')) ?? '', /not UTF-8 text/);
  assert.match(unreadReason(files.get('stacks/bin/answers.txt')) ?? '', /not UTF-8 text/);
  assert.equal(unreadReason(files.get('stacks/web/stack.yml')), undefined);
});

test('a file is read whole whatever size it was listed with (it may have grown or shrunk since), and never past MAX_TEXT_BYTES + 1', async () => {
  const dir = newRepoDir('sizes');
  const text = 'x'.repeat(100_000);
  writeFileSync(`${dir}/grown.txt`, text);
  writeFileSync(`${dir}/huge.txt`, Buffer.alloc(MAX_TEXT_BYTES + 10, 'a'));
  for (const listedSize of [0, 3, 99_999, 100_000, 100_001, 5_000_000])
    assert.equal(Buffer.from(await readNoFollow(`${dir}/grown.txt`, listedSize)).toString(), text, `listed as ${listedSize} bytes`);
  for (const listedSize of [0, MAX_TEXT_BYTES + 10])
    assert.equal((await readNoFollow(`${dir}/huge.txt`, listedSize)).length, MAX_TEXT_BYTES + 1, `listed as ${listedSize} bytes`);
});

test('the watcher does not walk into linked folders', async () => {
  const dir = newRepoDir('watch-links');
  const outside = `${temp.path}/watch-outside`;
  writeFiles(outside, { 'a/stack.yml': STACK });
  symlinkSync(outside, `${dir}/stacks/linked`);
  const source = (await openSource({ repo: dir, watchDebounceMs: 50 })) as DirectorySource;
  let calls = 0;
  const stop = source.watch(() => (calls += 1));
  try {
    await source.whenWatching();
    await sleep(300); // chokidar reports the link itself once, after it is ready
    const before = calls;
    writeFiles(outside, { 'a/stack.yml': 'template: other\n', 'b/stack.yml': STACK });
    await sleep(400);
    assert.equal(calls, before, 'a change behind a link is not watched');
    writeFiles(dir, { 'stacks/web/stack.yml': 'template: hello\nversion: "4"\n' });
    await sleep(400);
    assert.equal(calls, before + 1, 'the watcher itself works');
  } finally {
    stop();
  }
});
