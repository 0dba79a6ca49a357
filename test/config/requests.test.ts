import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/config.js';

const HOSTS = 'hosts:\n  - name: h1\n    docker: unix:///var/run/docker.sock\n';

function parse(requests: string) {
  return parseConfig(`${HOSTS}requests:\n${requests}`, 'corral.yml');
}

test('requests: the writable remote with its defaults; the provider is told by the host name', () => {
  const result = parse('  remote: https://gitlab.example.com/ops/gitops.git\n');
  assert.deepEqual(result.config?.requests, {
    remote: 'https://gitlab.example.com/ops/gitops.git',
    branch: 'main',
    provider: 'gitlab',
    tokenEnv: 'CORRAL_REQUESTS_TOKEN',
  });
  assert.equal(parse('  remote: https://github.com/acme/gitops.git\n').config?.requests?.provider, 'github');
  assert.equal(parse('  remote: https://git.example.com/gitops.git\n').config?.requests?.provider, 'other');
  const full = parse(
    '  remote: https://git.example.com/gitops.git\n  branch: release\n  provider: gitlab\n  token_env: PUSH_TOKEN\n  username: oauth2\n  user_header: X-Forwarded-User\n  email_header: X-Forwarded-Email\n',
  );
  assert.deepEqual(full.config?.requests, {
    remote: 'https://git.example.com/gitops.git',
    branch: 'release',
    provider: 'gitlab',
    tokenEnv: 'PUSH_TOKEN',
    username: 'oauth2',
    userHeader: 'x-forwarded-user',
    emailHeader: 'x-forwarded-email',
  });
  assert.equal(parseConfig(HOSTS, 'corral.yml').config?.requests, undefined);
});

test('requests: every mistake names the key and what is accepted', () => {
  const messages = (text: string) => parse(text).diagnostics.map((d) => `${d.line ?? '-'} ${d.message}`);
  assert.deepEqual(messages('  remote: https://user:secret@git.example.com/x.git\n'), [
    '5 requests.remote: credentials do not belong in the URL: put the token in the variable named by token_env',
  ]);
  assert.deepEqual(messages('  remote: ssh://git@git.example.com/x.git\n'), [
    '5 requests.remote: ssh: is not supported; expected the http(s) URL of the GitOps repository, e.g. https://gitlab.example.com/ops/gitops.git',
  ]);
  assert.deepEqual(
    messages('  remote: https://git.example.com/x.git\n  provider: bitbucket\n  token_env: 1X\n  user_header: "X Bad"\n  colour: red\n'),
    [
      '9 requests.colour: unknown key; accepted: remote, branch, provider, token_env, username, user_header, email_header',
      '6 requests.provider: "bitbucket" is not one of gitlab, github, other',
      '7 requests.token_env: "1X" is not an environment variable name (e.g. GITOPS_PUSH_TOKEN)',
      '8 requests.user_header: "X Bad" is not an HTTP header name (e.g. X-Forwarded-User)',
    ],
  );
  assert.match(messages('  branch: main\n')[0] ?? '', /requests\.remote: expected the http\(s\) URL/);
  assert.equal(parse('  remote: https://git.example.com/x.git\n').config?.requests?.remote, 'https://git.example.com/x.git');
});
