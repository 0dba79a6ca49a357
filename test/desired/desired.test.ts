import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CatalogConfig } from '../../src/config/catalogs.js';
import { DesiredStateSource } from '../../src/desired/index.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { DirectorySource } from '../../src/source/directory.js';
import { commitFiles, git, initBareRepo, initRepo, makeTempDir, writeFiles } from '../source/git-fixtures.js';
import { startGitHttpServer } from '../source/git-http-server.js';

/** A catalog folder (templates/ at its root) with one template whose image names the catalog. */
function catalogFiles(template: string, image: string): Record<string, string> {
  return {
    [`templates/${template}/config.yml`]: `name: ${template}\nversion: 1.0.0\n`,
    [`templates/${template}/0/docker-compose.yml`]: `${template}:\n  image: ${image}\n`,
    [`templates/${template}/0/rancher-compose.yml`]: '.catalog:\n  version: 1.0.0\n',
    'README.md': 'a catalog',
  };
}

let temp: ReturnType<typeof makeTempDir>;
before(() => {
  temp = makeTempDir('corral-desired-');
});
after(() => temp.remove());

function repoWithStacks(name: string, stacks: Record<string, string>): string {
  const dir = join(temp.path, name);
  writeFiles(dir, {
    ...Object.fromEntries(Object.entries(catalogFiles('own', 'own:1')).map(([path, text]) => [`catalog/${path}`, text])),
    ...Object.fromEntries(Object.entries(stacks).map(([stack, text]) => [`stacks/${stack}/stack.yml`, text])),
  });
  return dir;
}

async function read(repo: string, catalogs: CatalogConfig[]) {
  const source = await DesiredStateSource.open({ repo: new DirectorySource(repo), catalogs, git: { cacheRoot: join(temp.path, 'cache') } });
  await source.refresh();
  return { source, ...(await source.read()) };
}

const imageOf = (state: { stacks: { name: string; services: Record<string, { compose: Record<string, unknown> }> }[] }, stack: string) =>
  Object.values(state.stacks.find((s) => s.name === stack)?.services ?? {})[0]?.compose['image'];

test('stacks use templates of the repository, of a catalog folder and of git catalogs (local and http)', async () => {
  const folder = join(temp.path, 'team-catalog');
  writeFiles(folder, catalogFiles('tool', 'team/tool:1'));
  const local = join(temp.path, 'partner-work');
  initRepo(local);
  commitFiles(local, catalogFiles('db', 'partner/db:1'));
  const servedBare = join(temp.path, 'served', 'community.git');
  initBareRepo(servedBare);
  const work = join(temp.path, 'community-work');
  initRepo(work);
  commitFiles(work, catalogFiles('web', 'community/web:1'));
  git(work, 'remote', 'add', 'origin', servedBare);
  git(work, 'push', '--quiet', 'origin', 'main');
  const server = await startGitHttpServer({ projectRoot: join(temp.path, 'served') });
  try {
    const repo = repoWithStacks('repo-all', {
      a: 'template: own\n',
      b: 'template: team:tool\n',
      c: 'template: partner:db\n',
      d: 'template: community:web\n',
    });
    const { state } = await read(repo, [
      { name: 'team', directory: folder },
      { name: 'partner', url: pathToFileURL(local).href, branch: 'main' },
      { name: 'community', url: server.repoUrl('community.git'), branch: 'main' },
    ]);
    assert.deepEqual(state.failed, []);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((stack) => imageOf(state, stack)),
      ['own:1', 'team/tool:1', 'partner/db:1', 'community/web:1'],
    );
    assert.deepEqual(
      state.catalogs.map((c) => c.name),
      ['library', 'team', 'partner', 'community'],
    );
    assert.deepEqual(
      state.catalogDiagnostics.filter((d) => d.severity === 'error'),
      [],
    );
  } finally {
    await server.close();
  }
});

test('a catalog never read fails only the stacks that use it, saying why; one that fails later keeps its last good files', async () => {
  const folder = join(temp.path, 'flaky-catalog');
  writeFiles(folder, catalogFiles('tool', 'team/tool:1'));
  const repo = repoWithStacks('repo-flaky', { mine: 'template: own\n', theirs: 'template: team:tool\n', gone: 'template: nowhere:x\n' });
  const missing = join(temp.path, 'no-such-catalog');
  const first = await read(repo, [
    { name: 'team', directory: folder },
    { name: 'nowhere', directory: missing },
  ]);
  assert.deepEqual(
    first.state.stacks.map((s) => s.name),
    ['mine', 'theirs'],
  );
  assert.deepEqual(
    first.state.failed.map((f) => [f.stack, f.diagnostics.map(formatDiagnostic)]),
    [['gone', [`stacks/gone/stack.yml: error: catalog "nowhere" cannot be read: ${missing}: no such directory`]]],
  );
  assert.deepEqual(first.state.catalogDiagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [
    `${missing}: error: catalog "nowhere" cannot be read: ${missing}: no such directory`,
  ]);

  renameSync(folder, `${folder}.away`);
  assert.equal((await first.source.refresh()).changed, true, 'a catalog that starts failing is a change');
  const later = await first.source.read();
  assert.equal(imageOf(later.state, 'theirs'), 'team/tool:1', 'the last good files of the catalog are still served');
  assert.match(
    later.state.catalogDiagnostics.map(formatDiagnostic).join('\n'),
    /catalog "team" cannot be read: .*flaky-catalog: no such directory/,
  );
  assert.equal((await first.source.refresh()).changed, false, 'the same failure again is no change');
  renameSync(`${folder}.away`, folder);
  assert.equal((await first.source.refresh()).changed, true, 'recovering is a change');
  assert.deepEqual(
    (await first.source.read()).state.catalogDiagnostics.filter((d) => d.file === folder),
    [],
  );
});

test('a new commit in a git catalog is a change; the stacks using it render the new version', async () => {
  const work = join(temp.path, 'moving-catalog');
  initRepo(work);
  commitFiles(work, catalogFiles('web', 'moving/web:1'));
  const repo = repoWithStacks('repo-moving', { w: 'template: moving:web\n' });
  const { source, state } = await read(repo, [{ name: 'moving', url: pathToFileURL(work).href, branch: 'main' }]);
  assert.equal(imageOf(state, 'w'), 'moving/web:1');
  assert.equal((await source.refresh()).changed, false);
  commitFiles(work, { 'templates/web/0/docker-compose.yml': 'web:\n  image: moving/web:2\n' });
  assert.equal((await source.refresh()).changed, true);
  assert.equal(imageOf((await source.read()).state, 'w'), 'moving/web:2');
});
