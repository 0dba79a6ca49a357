import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RequestsConfig } from '../../src/config/requests.js';
import { PublishError } from '../../src/web/app.js';
import { mergeRequestLink, RequestBranchPublisher } from '../../src/web/request-branch.js';
import { commitFiles, git, initBareRepo, initRepo, makeTempDir } from '../source/git-fixtures.js';
import { type GitHttpServer, startGitHttpServer } from '../source/git-http-server.js';

const TOKEN = 'push-tok-8c1e44';
let temp: ReturnType<typeof makeTempDir>;
let server: GitHttpServer;
let bare: string;
let base: string;
let caches = 0;

before(async () => {
  temp = makeTempDir('corral-requests-');
  bare = `${temp.path}/served/gitops.git`;
  initBareRepo(bare);
  git(bare, 'config', 'http.receivepack', 'true');
  const work = `${temp.path}/work`;
  initRepo(work);
  base = commitFiles(work, { 'stacks/db/stack.yml': 'template: plain\n', 'catalog/templates/plain/config.yml': 'name: Plain\n' }, 'base');
  git(work, 'push', '--quiet', bare, 'main');
  server = await startGitHttpServer({ projectRoot: `${temp.path}/served`, token: TOKEN });
});
after(async () => {
  await server.close();
  temp.remove();
});

function publisher(overrides: Partial<RequestsConfig> = {}, token: string | null = TOKEN): RequestBranchPublisher {
  caches += 1;
  const config: RequestsConfig = { remote: server.repoUrl('gitops.git'), branch: 'main', provider: 'gitlab', tokenEnv: 'X', ...overrides };
  return new RequestBranchPublisher({
    config,
    ...(token ? { token } : {}),
    gitdir: `${temp.path}/cache-${caches}`,
    now: () => new Date('2024-05-01T12:00:00Z'),
  });
}

const request = (stackName: string) => ({
  stackName,
  path: `stacks/${stackName}/stack.yml`,
  text: 'template: plain\nversion: 0.1.0\n',
  author: { name: 'Ana Lima', email: 'ana@example.com' },
  message: `Request stack ${stackName}\n`,
});

test('a request becomes one commit on request/<name>, on top of the base branch, by its author', async () => {
  const result = await publisher().publish(request('team-a'));
  assert.equal(result.branch, 'request/team-a');
  assert.equal(git(bare, 'rev-parse', 'refs/heads/request/team-a'), result.commit);
  assert.equal(git(bare, 'rev-parse', `${result.commit}^`), base);
  assert.equal(git(bare, 'show', `${result.commit}:stacks/team-a/stack.yml`), 'template: plain\nversion: 0.1.0');
  assert.equal(git(bare, 'show', `${result.commit}:stacks/db/stack.yml`), 'template: plain', 'the base tree is kept');
  assert.equal(
    git(bare, 'log', '-1', '--format=%an <%ae>|%cn|%s', result.commit),
    'Ana Lima <ana@example.com>|corral app store|Request stack team-a',
  );
  assert.equal(git(bare, 'rev-parse', 'refs/heads/main'), base, 'the base branch does not move');
  assert.equal(
    result.mergeRequestUrl,
    `${server.repoUrl('gitops')}/-/merge_requests/new?merge_request%5Bsource_branch%5D=request%2Fteam-a&merge_request%5Btarget_branch%5D=main`,
  );
});

test('never forced: a request branch that exists, or a stack folder on the base branch, is refused next to the name', async () => {
  await assert.rejects(publisher().publish(request('team-a')), (err: PublishError) => {
    assert.ok(err instanceof PublishError);
    assert.equal(err.field, 'stack');
    assert.match(err.message, /the branch request\/team-a exists already on the remote/);
    return true;
  });
  await assert.rejects(publisher().publish(request('db')), (err: PublishError) => {
    assert.equal(err.field, 'stack');
    assert.match(err.message, /stacks\/db exists already on the base branch/);
    return true;
  });
  assert.equal(git(bare, 'branch', '--list', 'request/db'), '');
});

test('a wrong or missing token is explained, and the token never appears in the message', async () => {
  await assert.rejects(publisher({}, 'wrong-token-1234').publish(request('team-b')), (err: Error) => {
    assert.match(err.message, /the remote rejected the token \(HTTP 401\)/);
    assert.ok(!err.message.includes('wrong-token-1234'));
    return true;
  });
  await assert.rejects(publisher({}, null).publish(request('team-b')), /needs a token \(HTTP 401\) and none is set/);
  await assert.rejects(publisher({ branch: 'develop' }).publish(request('team-b')), /the remote has no branch develop/);
});

test('the same publisher sends later requests on the same cache', async () => {
  const shared = publisher();
  const first = await shared.publish(request('team-c'));
  const second = await shared.publish(request('team-d'));
  assert.equal(git(bare, 'rev-parse', `${second.commit}^`), base);
  assert.notEqual(first.commit, second.commit);
});

test('merge request links for GitLab and GitHub; none for other servers', () => {
  assert.equal(
    mergeRequestLink('gitlab', 'https://gitlab.example.com/ops/gitops.git', 'request/x', 'main'),
    'https://gitlab.example.com/ops/gitops/-/merge_requests/new?merge_request%5Bsource_branch%5D=request%2Fx&merge_request%5Btarget_branch%5D=main',
  );
  assert.equal(
    mergeRequestLink('github', 'https://github.com/acme/gitops.git', 'request/x', 'main'),
    'https://github.com/acme/gitops/compare/main...request%2Fx?expand=1',
  );
  assert.equal(mergeRequestLink('other', 'https://git.example.com/gitops.git', 'request/x', 'main'), undefined);
});
