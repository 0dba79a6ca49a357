import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { loadDesiredState } from '../../src/render/index.js';
import { parseFormBody } from '../../src/web/form.js';
import { checkRequest, type RequestContext } from '../../src/web/request.js';
import { PASSWORD, repoFiles } from './fixtures.js';

const state = loadDesiredState(repoFiles());
const template = state.catalogs[0]?.templates.find((t) => t.id === 'shop');
const version = template?.versions.find((v) => v.folder === '2');

function context(overrides: Partial<RequestContext> = {}): RequestContext {
  if (!template || !version) throw new Error('fixture template missing');
  return {
    catalogs: state.catalogs,
    template,
    version,
    existingStacks: new Set(['db']),
    authorRequired: true,
    secretsSealed: true,
    ...overrides,
  };
}

const GOOD = `stack=team-shop&author_name=Ana&author_email=ana%40example.com&answer.title=My+shop&answer.replicas=2&answer.mode=safe&answer.debug=false&answer.admin_password=${PASSWORD}&answer.port=8081`;

test('good answers give stacks/<name>/stack.yml with only the answers that differ from the defaults', () => {
  const checked = checkRequest(context(), parseFormBody(GOOD));
  assert.deepEqual([...checked.metaErrors, ...checked.answerErrors, ...checked.otherErrors], []);
  assert.equal(checked.ok, true);
  assert.equal(checked.file.path, 'stacks/team-shop/stack.yml');
  assert.deepEqual(checked.answers, { replicas: '2', admin_password: PASSWORD, port: '8081' });
  assert.deepEqual(checked.author, { name: 'Ana', email: 'ana@example.com' });
  assert.match(checked.file.text, /^template: shop\nversion: 2\.0\.0\n/m);
});

test('each broken rule is reported next to its question, with the validator message of corral validate', () => {
  const body = GOOD.replace('answer.replicas=2', 'answer.replicas=9')
    .replace('answer.mode=safe', 'answer.mode=turbo')
    .replace(`answer.admin_password=${PASSWORD}`, 'answer.admin_password=Sh0rt%21')
    .concat('&answer.opens=2023-02-29&answer.database=Not+A+Service&answer.ratio=abc');
  const checked = checkRequest(context(), parseFormBody(body));
  assert.equal(checked.ok, false);
  assert.deepEqual(Object.fromEntries(checked.answerErrors), {
    replicas: '"9" is above the maximum 5 (int, required, min 1, max 5)',
    mode: '"turbo" is not one of the options: fast, safe (enum, required)',
    admin_password: 'the password (value hidden) is shorter than min_length 8 (password, required, min_length 8)',
    opens: '"2023-02-29" is not a date (an existing ISO 8601 calendar date YYYY-MM-DD, e.g. 2024-01-31) (date)',
    database:
      '"Not A Service" is not <stack>/<service> (two lowercase DNS labels: a-z, 0-9 and inner "-", at most 63 characters each, e.g. "db/mysql") (service)',
    ratio: '"abc" is not a float (a decimal number such as 0.5, -2 or 1e3) (float, min 0, max 1)',
  });
  assert.ok(![...checked.answerErrors.values()].some((m) => m.includes('Sh0rt')), 'a password is never quoted');
});

test('a required question left empty is an error; so is a missing required secret', () => {
  const checked = checkRequest(
    context(),
    parseFormBody(GOOD.replace('answer.title=My+shop', 'answer.title=').replace(`&answer.admin_password=${PASSWORD}`, '')),
  );
  assert.match(checked.answerErrors.get('title') ?? '', /^required, but the answer is empty/);
  assert.match(checked.answerErrors.get('admin_password') ?? '', /^required, but no answer was given/);
});

test('the stack name must be a new DNS label; the author needs a name and an e-mail address', () => {
  const bad = checkRequest(
    context(),
    parseFormBody(GOOD.replace('stack=team-shop', 'stack=Team_Shop').replace('author_email=ana%40example.com', 'author_email=nope')),
  );
  assert.match(bad.metaErrors.get('stack') ?? '', /"Team_Shop" is not a stack name/);
  assert.match(bad.metaErrors.get('author_email') ?? '', /"nope" is not an e-mail address/);
  assert.equal(bad.answerErrors.size, 0, 'the answers are still checked, and are fine');
  const taken = checkRequest(context(), parseFormBody(GOOD.replace('stack=team-shop', 'stack=db')));
  assert.equal(taken.metaErrors.get('stack'), 'a stack named "db" exists already: choose another name');
  const anonymous = checkRequest(context(), parseFormBody(GOOD.replace('author_name=Ana&', '')));
  assert.match(anonymous.metaErrors.get('author_name') ?? '', /^required/);
});

test('a proxy-named author replaces the form fields; without a writable remote no author is needed', () => {
  const body = parseFormBody(GOOD.replace('author_name=Ana&author_email=ana%40example.com&', ''));
  const proxied = checkRequest(context({ proxyAuthor: { name: 'bob', email: 'bob@corp.example' } }), body);
  assert.deepEqual(proxied.author, { name: 'bob', email: 'bob@corp.example' });
  assert.equal(proxied.ok, true);
  const local = checkRequest(context({ authorRequired: false }), body);
  assert.equal(local.ok, true);
  assert.equal(local.author, undefined);
});

test('a template that does not render with these answers is an error of the request as a whole', () => {
  const broken = repoFiles();
  broken.set('catalog/templates/shop/2/docker-compose.yml.tpl', 'shop:\n  image: {{ .Values.title | nosuchfunction }}\n');
  const brokenState = loadDesiredState(broken);
  const brokenTemplate = brokenState.catalogs[0]?.templates.find((t) => t.id === 'shop');
  const brokenVersion = brokenTemplate?.versions.find((v) => v.folder === '2');
  assert.ok(brokenTemplate && brokenVersion);
  const checked = checkRequest(
    context({ catalogs: brokenState.catalogs, template: brokenTemplate, version: brokenVersion }),
    parseFormBody(GOOD),
  );
  assert.equal(checked.ok, false);
  assert.equal(checked.otherErrors.length, 1);
  assert.match(checked.otherErrors[0] ?? '', /docker-compose\.yml\.tpl/);
});

test('without recipients to encrypt for, a password answer is refused next to its field: it would be plain text in git', () => {
  const checked = checkRequest(context({ secretsSealed: false }), parseFormBody(GOOD));
  assert.equal(checked.ok, false);
  assert.deepEqual([...checked.answerErrors.keys()], ['admin_password']);
  assert.match(
    checked.answerErrors.get('admin_password') ?? '',
    /this repository lists no recipients to encrypt them for \(\.corral\/recipients\.txt\)/,
  );
  assert.ok(!(checked.answerErrors.get('admin_password') ?? '').includes(PASSWORD));
});

test("the operators' policy is checked too: what the daemon would refuse is refused in the form", () => {
  const tight = { ...DEFAULT_POLICY, maxScale: 1 };
  const refused = checkRequest(context({ policy: tight }), parseFormBody(GOOD));
  assert.equal(refused.ok, false);
  const messages = [...refused.metaErrors.values(), ...refused.answerErrors.values(), ...refused.otherErrors];
  assert.ok(
    messages.some((m) => /scale 2 is above the policy's max_scale 1/.test(m)),
    messages.join('\n'),
  );
  assert.equal(checkRequest(context({ policy: { ...DEFAULT_POLICY, maxScale: 2 } }), parseFormBody(GOOD)).ok, true);
});
