import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readStackRequests } from '../../src/stacks/request.js';

const read = (files: Record<string, string>) => readStackRequests(new Map(Object.entries(files)));

test('reads template, version and answers; scalars stay the strings written', () => {
  const [result] = read({
    'stacks/team-a/stack.yml': 'template: tidb\nversion: 1.0\nanswers:\n  tikv_scale: 3\n  debug: false\n  ratio: 0.10\n',
  });
  assert.deepEqual(result?.diagnostics, []);
  assert.equal(result?.request?.template, 'tidb');
  assert.equal(result?.request?.catalog, undefined);
  assert.equal(result?.request?.version, '1.0');
  assert.deepEqual(result?.request?.answers, { tikv_scale: '3', debug: 'false', ratio: '0.10' });
  assert.deepEqual(result?.request?.answerLocations['debug'], { file: 'stacks/team-a/stack.yml', line: 5 });
});

test('<catalog>:<template> and infra templates are addressed by reference', () => {
  const results = read({
    'stacks/a/stack.yml': 'template: community:consul\n',
    'stacks/b/stack.yml': 'template: infra*bind9\n',
  });
  assert.equal(results[0]?.request?.catalog, 'community');
  assert.equal(results[0]?.request?.template, 'consul');
  assert.equal(results[1]?.request?.template, 'infra*bind9');
});

test('answers.txt: KEY=value lines split on the first "=", comments and blanks skipped', () => {
  const [result] = read({
    'stacks/a/stack.yml': 'template: web\n',
    'stacks/a/answers.txt': '# comment\n\nURL=http://x/?a=b\nEMPTY=\n',
  });
  assert.deepEqual(result?.request?.answers, { URL: 'http://x/?a=b', EMPTY: '' });
  assert.deepEqual(result?.request?.answerLocations['URL'], { file: 'stacks/a/answers.txt', line: 3 });
});

test('a variable answered in stack.yml and answers.txt is an error naming both places', () => {
  const [result] = read({
    'stacks/a/stack.yml': 'template: web\nanswers:\n  port: 80\n',
    'stacks/a/answers.txt': 'port=81\n',
  });
  assert.equal(result?.request, undefined);
  assert.deepEqual(
    result?.diagnostics.map((d) => [d.file, d.line, d.message]),
    [['stacks/a/answers.txt', 1, 'port is answered twice (also at stacks/a/stack.yml:3): keep one answer']],
  );
});

test('a malformed answers.txt line is an error with its line, and its text is never repeated (it may be a password)', () => {
  const [result] = read({
    'stacks/a/stack.yml': 'template: web\n',
    'stacks/a/answers.txt': 'OK=1\ncorrect-horse-battery\n9db pass=tr0ub4dor&3\n',
  });
  assert.deepEqual(
    result?.diagnostics.map((d) => d.line),
    [2, 3],
  );
  assert.match(result?.diagnostics[0]?.message ?? '', /expected KEY=value .*there is no '='/);
  assert.match(result?.diagnostics[1]?.message ?? '', /the text before '=' is not a variable name/);
  const shown = JSON.stringify(result?.diagnostics);
  assert.ok(!shown.includes('correct-horse') && !shown.includes('tr0ub4dor') && !shown.includes('9db pass'), shown);
});

test('stack folder names must be lowercase DNS labels of 1 to 63 characters', () => {
  const long = 'a'.repeat(64);
  const results = read({
    'stacks/Team_A/stack.yml': 'template: web\n',
    'stacks/-x/stack.yml': 'template: web\n',
    [`stacks/${long}/stack.yml`]: 'template: web\n',
    [`stacks/${'b'.repeat(63)}/stack.yml`]: 'template: web\n',
  });
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  for (const bad of ['Team_A', '-x', long]) {
    assert.match(byName[bad]?.diagnostics[0]?.message ?? '', /is not a DNS label/, bad);
    assert.equal(byName[bad]?.diagnostics[0]?.file, `stacks/${bad}`);
  }
  assert.ok(byName['b'.repeat(63)]?.request);
});

test('a template reference that tries to leave the catalog is refused', () => {
  for (const template of ['../etc', 'a/../../b', '/abs', 'x/y', '..']) {
    const [result] = read({ 'stacks/a/stack.yml': `template: "${template}"\n` });
    assert.equal(result?.request, undefined, template);
    assert.match(result?.diagnostics[0]?.message ?? '', /is not a template name \(no paths or '\.\.'\)/, template);
    assert.equal(result?.diagnostics[0]?.field, 'template');
    assert.equal(result?.diagnostics[0]?.line, 1);
  }
});

test('missing stack.yml, missing template, YAML errors and nested answers are errors naming file and field', () => {
  const results = read({
    'stacks/nofile/answers.txt': 'A=1\n',
    'stacks/notemplate/stack.yml': 'version: 1\n',
    'stacks/broken/stack.yml': 'template: web\nanswers: [unclosed\n',
    'stacks/nested/stack.yml': 'template: web\nanswers:\n  a:\n    b: c\n',
  });
  const byName = Object.fromEntries(results.map((r) => [r.name, r.diagnostics[0]]));
  assert.match(byName['nofile']?.message ?? '', /no stack.yml/);
  assert.match(byName['notemplate']?.message ?? '', /template is required/);
  assert.equal(byName['broken']?.file, 'stacks/broken/stack.yml');
  assert.match(byName['broken']?.message ?? '', /YAML syntax error/);
  assert.ok((byName['broken']?.line ?? 0) >= 2);
  assert.equal(byName['nested']?.field, 'answers.a');
  assert.equal(byName['nested']?.line, 3);
});

test('an unknown key in stack.yml is an error (a reviewer could think it does something)', () => {
  const [result] = read({ 'stacks/a/stack.yml': 'template: web\nanwsers: {}\n' });
  assert.equal(result?.request, undefined);
  assert.equal(result?.diagnostics[0]?.severity, 'error');
  assert.match(result?.diagnostics[0]?.message ?? '', /^unknown key "anwsers"; a stack request has only template, version and answers$/);
});

test('answers named like Object members (constructor, __proto__, toString) are ordinary answers, in stack.yml and answers.txt alike', () => {
  const [result] = read({
    'stacks/a/stack.yml': 'template: web\nanswers:\n  __proto__: a\n  valueOf: b\n',
    'stacks/a/answers.txt': 'constructor=1\ntoString=2\nfile=3\n',
  });
  assert.deepEqual(result?.diagnostics, []);
  assert.deepEqual(Object.entries(result?.request?.answers ?? {}), [
    ['__proto__', 'a'],
    ['valueOf', 'b'],
    ['constructor', '1'],
    ['toString', '2'],
    ['file', '3'],
  ]);
  assert.deepEqual(result?.request?.answerLocations['constructor'], { file: 'stacks/a/answers.txt', line: 1 });
  assert.deepEqual(Object.getOwnPropertyDescriptor(result?.request?.answerLocations ?? {}, '__proto__')?.value, {
    file: 'stacks/a/stack.yml',
    line: 3,
  });
});

test('a variable named constructor answered in stack.yml and answers.txt is answered twice, naming both places', () => {
  const [result] = read({
    'stacks/a/stack.yml': 'template: web\nanswers:\n  constructor: 80\n',
    'stacks/a/answers.txt': 'constructor=81\n',
  });
  assert.deepEqual(
    result?.diagnostics.map((d) => [d.file, d.line, d.message]),
    [['stacks/a/answers.txt', 1, 'constructor is answered twice (also at stacks/a/stack.yml:3): keep one answer']],
  );
});
