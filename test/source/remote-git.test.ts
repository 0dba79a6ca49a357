import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openSource, type Source } from '../../src/source/index.js';
import { commitFiles, git, initBareRepo, initRepo, makeTempDir } from './git-fixtures.js';
import { type GitHttpServer, startGitHttpServer } from './git-http-server.js';

const TOKEN = 'tok-3f9a7c21e5';

let temp: ReturnType<typeof makeTempDir>;
let cacheCount = 0;
before(() => {
  temp = makeTempDir('corral-remote-');
});
after(() => temp.remove());

/** A served bare repository `<name>.git` and a work repository that pushes to it. */
function servedRepo(name: string): { work: string; push(force?: boolean): void } {
  const bare = `${temp.path}/served/${name}.git`;
  const work = `${temp.path}/work-${name}`;
  initBareRepo(bare);
  initRepo(work);
  git(work, 'remote', 'add', 'origin', bare);
  return { work, push: (force = false) => void git(work, 'push', '--quiet', ...(force ? ['--force'] : []), 'origin', 'main') };
}

function newCacheDir(): string {
  cacheCount += 1;
  return `${temp.path}/cache-${cacheCount}`;
}

async function withServer<T>(token: string | undefined, run: (server: GitHttpServer) => Promise<T>): Promise<T> {
  const server = await startGitHttpServer({ projectRoot: `${temp.path}/served`, ...(token ? { token } : {}) });
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

test('an http remote is cloned into the cache, then new commits and force-pushes are fetched', async () => {
  const repo = servedRepo('follow');
  const first = commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\nversion: "1"\n', 'docs/x.md': 'outside' }, 'v1');
  repo.push();
  await withServer(undefined, async (server) => {
    const source = await openSource({ repo: server.repoUrl('follow.git'), cacheDir: newCacheDir() });
    assert.equal(source.describe(), `git ${server.repoUrl('follow.git')} (branch main)`);
    assert.deepEqual(await source.refresh(), { changed: true, revision: first });
    const snapshot1 = await source.snapshot();
    assert.deepEqual([...snapshot1.files.keys()], ['stacks/web/stack.yml']);

    const doomed = commitFiles(
      repo.work,
      { 'stacks/web/stack.yml': 'template: hello\nversion: "2"\n', 'stacks/db/stack.yml': 'template: db\n' },
      'v2',
    );
    repo.push();
    assert.deepEqual(await source.refresh(), { changed: true, revision: doomed });
    const snapshot2 = await source.snapshot();
    assert.equal(snapshot2.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "2"\n');
    assert.equal(snapshot2.files.get('stacks/db/stack.yml'), 'template: db\n');

    assert.deepEqual(await source.refresh(), { changed: false, revision: doomed });
    assert.equal((await source.snapshot()).files, snapshot2.files, 'an unchanged revision is not read again');

    git(repo.work, 'reset', '--quiet', '--hard', first);
    const rewritten = commitFiles(repo.work, { 'stacks/cache/stack.yml': 'template: redis\n' }, 'rewritten');
    repo.push(true);
    assert.deepEqual(await source.refresh(), { changed: true, revision: rewritten });
    const snapshot3 = await source.snapshot();
    assert.deepEqual([...snapshot3.files.keys()].sort(), ['stacks/cache/stack.yml', 'stacks/web/stack.yml']);
    assert.equal(snapshot3.files.get('stacks/web/stack.yml'), 'template: hello\nversion: "1"\n');
  });
});

test('a later fetch transfers only the new objects; a force-push to an unrelated history is followed', async () => {
  const repo = servedRepo('incremental');
  const bulk = randomBytes(300_000).toString('base64');
  commitFiles(repo.work, { 'catalog/templates/big/README.md': bulk }, 'v1');
  repo.push();
  const cacheDir = newCacheDir();
  const packBytes = (): number =>
    readdirSync(join(cacheDir, 'objects/pack'))
      .filter((name) => name.endsWith('.pack'))
      .reduce((sum, name) => sum + statSync(join(cacheDir, 'objects/pack', name)).size, 0);
  await withServer(undefined, async (server) => {
    const source = await openSource({ repo: server.repoUrl('incremental.git'), cacheDir });
    await source.refresh();
    const cloned = packBytes();
    assert.ok(cloned > 200_000, `the clone holds the bulk file (${cloned} bytes)`);
    const next = commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\n' }, 'v2');
    repo.push();
    assert.equal((await source.refresh()).revision, next);
    assert.ok(packBytes() - cloned < 10_000, `the second fetch brought ${packBytes() - cloned} bytes`);
    assert.equal((await source.snapshot()).files.get('catalog/templates/big/README.md'), bulk);

    git(repo.work, 'checkout', '--quiet', '--orphan', 'fresh');
    git(repo.work, 'rm', '--quiet', '-r', '--cached', '.');
    const unrelated = commitFiles(
      repo.work,
      { 'catalog/templates/big/README.md': null, 'stacks/web/stack.yml': null, 'stacks/fresh/stack.yml': 'template: new\n' },
      'unrelated',
    );
    git(repo.work, 'push', '--quiet', '--force', 'origin', 'fresh:main');
    assert.deepEqual(await source.refresh(), { changed: true, revision: unrelated });
    assert.deepEqual([...(await source.snapshot()).files.keys()], ['stacks/fresh/stack.yml']);
  });
});

test('snapshot() before any refresh fetches first', async () => {
  const repo = servedRepo('lazy');
  const head = commitFiles(repo.work, { 'catalog/templates/a/config.yml': 'name: a\n' }, 'v1');
  repo.push();
  await withServer(undefined, async (server) => {
    const source = await openSource({ repo: server.repoUrl('lazy.git'), cacheDir: newCacheDir() });
    const snapshot = await source.snapshot();
    assert.equal(snapshot.revision, head);
    assert.equal(snapshot.files.get('catalog/templates/a/config.yml'), 'name: a\n');
  });
});

test('remote gone: refresh fails naming the repository, the last good snapshot stays, and a restart serves the cache', async () => {
  const repo = servedRepo('gone');
  const head = commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\n' }, 'v1');
  repo.push();
  const cacheDir = newCacheDir();
  let url = '';
  let source: Source | undefined;
  await withServer(undefined, async (server) => {
    url = server.repoUrl('gone.git');
    source = await openSource({ repo: url, cacheDir });
    await source.refresh();
  });
  assert.ok(source);
  commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\nversion: "2"\n' }, 'v2');
  repo.push();
  await assert.rejects(source.refresh(), (err: Error) => {
    assert.equal(err.message, `fetching git ${url} (branch main) failed: connection refused (is the git server running?)`);
    return true;
  });
  assert.equal((await source.snapshot()).revision, head);

  const restarted = await openSource({ repo: url, cacheDir });
  const cached = await restarted.snapshot();
  assert.equal(cached.revision, head, 'a new process serves the revision fetched by an earlier one without the network');
  assert.equal(cached.files.get('stacks/web/stack.yml'), 'template: hello\n');
});

test('credentials: a good token fetches, a bad or missing one fails clearly, and no token appears in a message', async () => {
  const repo = servedRepo('private');
  const head = commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\n' }, 'v1');
  repo.push();
  await withServer(TOKEN, async (server) => {
    const url = server.repoUrl('private.git');
    const good = await openSource({ repo: url, cacheDir: newCacheDir(), credentials: { token: TOKEN } });
    assert.equal((await good.refresh()).revision, head);

    const inUrl = await openSource({ repo: url.replace('http://', `http://deploy:${TOKEN}@`), cacheDir: newCacheDir() });
    assert.equal(inUrl.describe(), `git ${url} (branch main)`, 'user info is stripped from the description');
    assert.equal((await inUrl.refresh()).revision, head);

    const bad = await openSource({ repo: url.replace('http://', `http://deploy:${TOKEN}x@`), cacheDir: newCacheDir() });
    await assert.rejects(bad.refresh(), (err: Error) => {
      assert.equal(err.message, `fetching git ${url} (branch main) failed: the server rejected the credentials (HTTP 401)`);
      return true;
    });
    assert.ok(!bad.describe().includes(TOKEN));

    const none = await openSource({ repo: url, cacheDir: newCacheDir() });
    await assert.rejects(none.refresh(), /failed: the server requires credentials \(HTTP 401\) and none were given$/);
  });
});

test('a server that does not answer fails the fetch after the timeout', async () => {
  const repo = servedRepo('slow');
  commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\n' }, 'v1');
  repo.push();
  await withServer(undefined, async (server) => {
    server.stall = true;
    // Long enough for the recovering fetch below: two git http-backend runs took 0.9-1.5 s at a load of 15 on 2 cores.
    const source = await openSource({ repo: server.repoUrl('slow.git'), cacheDir: newCacheDir(), fetchTimeoutMs: 4000 });
    const started = Date.now();
    await assert.rejects(source.refresh(), /slow\.git \(branch main\) failed: no answer within 4 s \(timeout\)$/);
    assert.ok(Date.now() - started < 8000);
    assert.ok(server.requestCount > 0);
    server.stall = false;
    assert.equal((await source.refresh()).changed, true, 'the next refresh works once the server answers');
  });
});

test('a missing repository or branch on the server is a clear error', async () => {
  const repo = servedRepo('branchless');
  commitFiles(repo.work, { 'stacks/web/stack.yml': 'template: hello\n' }, 'v1');
  repo.push();
  await withServer(undefined, async (server) => {
    const noRepo = await openSource({ repo: server.repoUrl('nothing-here.git'), cacheDir: newCacheDir() });
    await assert.rejects(noRepo.refresh(), /nothing-here\.git \(branch main\) failed: repository not found \(HTTP 404\)$/);
    const noBranch = await openSource({ repo: server.repoUrl('branchless.git'), branch: 'release', cacheDir: newCacheDir() });
    await assert.rejects(noBranch.refresh(), /\(branch release\) failed: the remote has no branch release$/);
  });
});
