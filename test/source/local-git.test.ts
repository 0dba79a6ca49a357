import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { LocalGitSource, openSource } from '../../src/source/index.js';
import { commitFiles, git, initBareRepo, initRepo, makeTempDir, writeFiles } from './git-fixtures.js';

let temp: ReturnType<typeof makeTempDir>;
before(() => {
  temp = makeTempDir();
});
after(() => temp.remove());

const V1 = {
  'catalog/templates/hello/config.yml': 'name: hello\n',
  'stacks/web/stack.yml': 'template: hello\nversion: "1"\n',
  'docs/notes.md': 'outside',
};

test('a work-tree repository is read in place at the branch head; uncommitted changes are not seen', async () => {
  const dir = `${temp.path}/worktree`;
  initRepo(dir);
  const head = commitFiles(dir, V1, 'v1');
  writeFiles(dir, { 'stacks/web/stack.yml': 'uncommitted\n', 'stacks/new/stack.yml': 'untracked\n' });
  const source = await openSource({ repo: dir });
  assert.match(source.describe(), /^git repository .*worktree \(branch main\)$/);
  const snapshot = await source.snapshot();
  assert.equal(snapshot.revision, head);
  assert.deepEqual([...snapshot.files.keys()].sort(), ['catalog/templates/hello/config.yml', 'stacks/web/stack.yml']);
  assert.equal(snapshot.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "1"\n');
});

test('a new commit is seen after refresh, not before; an unchanged revision returns the cached files', async () => {
  const dir = `${temp.path}/commits`;
  initRepo(dir);
  const first = commitFiles(dir, V1, 'v1');
  const source = await openSource({ repo: dir });
  assert.deepEqual(await source.refresh(), { changed: true, revision: first });
  const before = await source.snapshot();
  const second = commitFiles(
    dir,
    { 'stacks/web/stack.yml': 'template: hello\nversion: "2"\n', 'catalog/templates/hello/config.yml': null },
    'v2',
  );
  assert.equal((await source.snapshot()).revision, first, 'the revision moves only on refresh');
  assert.deepEqual(await source.refresh(), { changed: true, revision: second });
  const after = await source.snapshot();
  assert.equal(after.revision, second);
  assert.equal(after.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "2"\n');
  assert.equal(after.files.has('catalog/templates/hello/config.yml'), false);
  assert.equal(before.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "1"\n', 'an earlier snapshot is not changed');
  assert.deepEqual(await source.refresh(), { changed: false, revision: second });
  assert.equal((await source.snapshot()).files, after.files);
});

test('a bare repository (by path and by file:// URL) follows a force-push', async () => {
  const bare = `${temp.path}/forced.git`;
  const work = `${temp.path}/forced-work`;
  initBareRepo(bare);
  initRepo(work);
  git(work, 'remote', 'add', 'origin', bare);
  const first = commitFiles(work, V1, 'v1');
  const doomed = commitFiles(work, { 'stacks/doomed/stack.yml': 'template: hello\n' }, 'doomed');
  git(work, 'push', '--quiet', 'origin', 'main');
  for (const repo of [bare, pathToFileURL(bare).href]) {
    const source = await openSource({ repo });
    assert.equal((await source.refresh()).revision, doomed);
    assert.ok((await source.snapshot()).files.has('stacks/doomed/stack.yml'));
  }
  const source = await openSource({ repo: bare });
  await source.refresh();
  git(work, 'reset', '--quiet', '--hard', first);
  const rewritten = commitFiles(work, { 'stacks/other/stack.yml': 'template: hello\n' }, 'rewritten');
  git(work, 'push', '--quiet', '--force', 'origin', 'main');
  assert.deepEqual(await source.refresh(), { changed: true, revision: rewritten });
  const snapshot = await source.snapshot();
  assert.equal(snapshot.files.has('stacks/doomed/stack.yml'), false);
  assert.ok(snapshot.files.has('stacks/other/stack.yml'));
});

test('watch reports commits to the repository once per burst, not work-tree edits', async () => {
  const dir = `${temp.path}/watched`;
  initRepo(dir);
  commitFiles(dir, V1, 'v1');
  const source = await openSource({ repo: dir, watchDebounceMs: 150 });
  assert.ok(source instanceof LocalGitSource);
  let calls = 0;
  const stop = source.watch(() => (calls += 1));
  try {
    await source.whenWatching();
    writeFiles(dir, { 'stacks/web/stack.yml': 'edited, not committed\n' });
    await sleep(500);
    assert.equal(calls, 0, 'a work-tree edit is not a new revision');
    commitFiles(dir, { 'stacks/a/stack.yml': 'template: a\n' }, 'a');
    const head = commitFiles(dir, { 'stacks/b/stack.yml': 'template: b\n' }, 'b');
    await sleep(600);
    assert.equal(calls, 1);
    assert.deepEqual(await source.refresh(), { changed: true, revision: head });
  } finally {
    stop();
  }
});

test('another branch can be followed; a missing branch is an error that lists the branches', async () => {
  const dir = `${temp.path}/branches`;
  initRepo(dir, 'master');
  commitFiles(dir, V1, 'v1');
  git(dir, 'checkout', '--quiet', '-b', 'staging');
  const staging = commitFiles(dir, { 'stacks/staged/stack.yml': 'template: hello\n' }, 'staged');
  const source = await openSource({ repo: dir, branch: 'staging' });
  const snapshot = await source.snapshot();
  assert.equal(snapshot.revision, staging);
  assert.ok(snapshot.files.has('stacks/staged/stack.yml'));
  const missing = await openSource({ repo: dir });
  await assert.rejects(missing.refresh(), /branches \(branch main\): branch main not found; its branches are: master, staging$/);
});

test('unsupported addresses are refused with the accepted forms', async () => {
  await assert.rejects(
    openSource({ repo: 'git@example.invalid:team/repo.git' }),
    /unsupported address; use an http\(s\):\/\/ URL, a file:\/\/ URL or a local path/,
  );
  await assert.rejects(
    openSource({ repo: 'ssh://user:secret@example.invalid/repo.git' }),
    (err: Error) => !err.message.includes('secret') && /unsupported address/.test(err.message),
  );
});
