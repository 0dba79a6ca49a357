import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TEXT_BYTES, unreadText } from '../../src/model/files.js';
import { answer, errors, load, rendered } from './one-template.js';

test('a tab before # in a printed answer cannot comment out the rest of the line', () => {
  const state = load('web:\n  image: busybox\n  command: run --flag {{ .Values.arg }} --readonly\n', answer('arg', 'a\t#'));
  assert.equal(rendered(state).services['web']?.compose['command'], 'run --flag a\t# --readonly');
});

test('a tab after : in a printed answer cannot make a mapping', () => {
  const state = load('web:\n  image: busybox\n  command: {{ .Values.arg }}\n', answer('arg', 'privileged:\ttrue'));
  const web = rendered(state).services['web'];
  assert.equal(web?.compose['command'], 'privileged:\ttrue');
  assert.equal(web?.compose['privileged'], undefined);
});

test('a printed path with .. and a tab-comment cannot turn a read-only bind into a read-write bind of /etc', () => {
  const state = load(
    'web:\n  image: busybox\n  volumes:\n    - /srv/appdata/{{ .Values.name }}:/data:ro\n',
    answer('name', '../../../etc:/data\t#'),
  );
  // The answer stays one string; the volume entry it makes cannot be read, so the policy refuses it (never dropped, never /etc).
  assert.deepEqual(errors(state), [
    'stacks/s/stack.yml:1: error: service "web": volumes: "/srv/appdata/../../../etc:/data\\t#:/data:ro": expected [source:]target[:mode]: a mount that cannot be read is refused, not dropped',
  ]);
});

test('YAML 1.1 line breaks (NEL, LS, PS), a BOM and leading indicators in answers stay inside one string', () => {
  for (const value of [
    'x\u0085privileged: true',
    'x\u2028privileged: true',
    'x\u2029y',
    '\uFEFFx',
    '- a',
    '? a',
    '--- a',
    '*alias',
    '&anchor x',
  ]) {
    const state = load('web:\n  image: busybox\n  command: {{ .Values.arg }}\n  labels:\n    - {{ .Values.arg }}\n', answer('arg', value));
    const web = rendered(state).services['web'];
    assert.equal(web?.compose['command'], value, JSON.stringify(value));
    assert.deepEqual(Object.keys(web?.compose ?? {}).sort(), ['command', 'environment', 'image', 'labels'], JSON.stringify(value));
  }
});

test('a quote or backslash in an answer printed inside a quoted scalar cannot close it or swallow the next line', () => {
  const compose = 'web:\n  image: busybox\n  command: "run {{ .Values.arg }}"\n  read_only: true\n';
  for (const value of ['x\\', 'x"', "x'", 'x", "privileged": "true']) {
    const web = rendered(load(compose, answer('arg', value))).services['web'];
    assert.equal(web?.compose['command'], `run ${value}`, JSON.stringify(value));
    assert.equal(web?.compose['read_only'], true, JSON.stringify(value));
    assert.equal(web?.compose['privileged'], undefined);
  }
});

test('a printed answer is never interpolated again: $ and ${other} stay literal', () => {
  const state = load(
    'web:\n  image: busybox\n  command: {{ .Values.arg }}\n  environment:\n    A: ${arg}\n    B: "${other}"\n',
    answer('arg', 'pa$$word ${other} $other'),
  );
  const web = rendered(state).services['web'];
  assert.equal(web?.compose['command'], 'pa$$word ${other} $other');
  assert.equal(web?.compose.environment['A'], 'pa$$word ${other} $other', 'an interpolated answer is not scanned again either');
  assert.equal(web?.compose.environment['B'], 'OTHER', "the template's own references are interpolated");
});

test('an answer no question declares is an error at its line, naming the declared ones', () => {
  const state = load('web:\n  image: busybox\n', 'template: t\nanswers:\n  arg: x\n  PASSWORD_OVERRIDE: y\n');
  assert.deepEqual(errors(state), [
    'stacks/s/stack.yml:4: error: answers.PASSWORD_OVERRIDE: no question of this template version declares "PASSWORD_OVERRIDE"; declared: arg, name, other',
  ]);
});

test('a duplicate key or an unknown key in stack.yml is an error, not a warning', () => {
  const dup = load('web:\n  image: busybox\n', 'template: t\nanswers:\n  arg: a\n  arg: b\ntemplate: other\n');
  assert.deepEqual(errors(dup), [
    'stacks/s/stack.yml:4: error: duplicate key "answers.arg": write each key once',
    'stacks/s/stack.yml:5: error: duplicate key "template": write each key once',
  ]);
  const unknown = load('web:\n  image: busybox\n', 'template: t\nprivileged: true\n');
  assert.deepEqual(errors(unknown), [
    'stacks/s/stack.yml:2: error: unknown key "privileged"; a stack request has only template, version and answers',
  ]);
});

test('an oversized or binary stack.yml or answers.txt is an error with the reason, not an empty request', () => {
  const big = load('web:\n  image: busybox\n', unreadText('oversized', MAX_TEXT_BYTES + 5));
  assert.deepEqual(errors(big), [
    `stacks/s/stack.yml: error: the file is ${MAX_TEXT_BYTES + 5} bytes, more than the ${MAX_TEXT_BYTES} (1 MiB) corral reads; a stack request is a small UTF-8 text file`,
  ]);
  const binary = load('web:\n  image: busybox\n', 'template: t\n', { 'stacks/s/answers.txt': unreadText('binary', 12) });
  assert.deepEqual(errors(binary), [
    'stacks/s/answers.txt: error: the file is not UTF-8 text (binary content or a NUL byte); a stack request is a small UTF-8 text file',
  ]);
});
