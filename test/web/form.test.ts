import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuestions } from '../../src/catalog/questions.js';
import { readStackRequest } from '../../src/stacks/request.js';
import { answersFrom, buildForm, type FormField, parseFormBody, stackFileText } from '../../src/web/form.js';
import { PASSWORD } from './fixtures.js';

const questions = parseQuestions(
  [
    { variable: 'title', label: 'Title', description: 'Shown on top', type: 'string', required: true, default: 'Hi', max_length: 20 },
    { variable: 'replicas', type: 'int', min: 1, max: 5, default: 1 },
    { variable: 'ratio', type: 'float', min: 0, max: 1, group: 'Tuning' },
    { variable: 'mode', type: 'enum', options: ['fast', 'safe'], default: 'safe', required: true },
    { variable: 'color', type: 'enum', options: ['red', 'blue'] },
    { variable: 'debug', type: 'boolean', default: false },
    { variable: 'pw', type: 'password', required: true, default: 'changeme' },
    { variable: 'motd', type: 'multiline', group: 'Tuning' },
    { variable: 'db', type: 'service' },
    { variable: 'day', type: 'date' },
    { variable: 'at', type: 'host' },
    { variable: 'key', type: 'secret' },
    { variable: 'cert', type: 'certificate' },
  ],
  'rancher-compose.yml',
).questions;

function fields(submitted?: Map<string, string[]>, errors?: Map<string, string>): Map<string, FormField> {
  const groups = buildForm({
    questions,
    services: ['db/mysql', 'db/redis'],
    ...(submitted ? { submitted } : {}),
    ...(errors ? { errors } : {}),
  });
  return new Map(groups.flatMap((g) => g.fields).map((f) => [f.variable, f]));
}

test('each question type gets its control: text, number with bounds, select, checkbox, masked, textarea, date', () => {
  const byVariable = fields();
  const kinds = Object.fromEntries([...byVariable].map(([v, f]) => [v, f.kind]));
  assert.deepEqual(kinds, {
    title: 'text',
    replicas: 'number',
    ratio: 'number',
    mode: 'select',
    color: 'select',
    debug: 'checkbox',
    pw: 'password',
    motd: 'textarea',
    db: 'select',
    day: 'date',
    at: 'text',
    key: 'password',
    cert: 'textarea',
  });
  assert.deepEqual([byVariable.get('replicas')?.min, byVariable.get('replicas')?.max, byVariable.get('replicas')?.step], [1, 5, '1']);
  assert.equal(byVariable.get('ratio')?.step, 'any');
  assert.deepEqual(byVariable.get('title')?.rules, ['max_length 20']);
  assert.equal(byVariable.get('title')?.label, 'Title');
  assert.equal(byVariable.get('title')?.description, 'Shown on top');
  assert.equal(byVariable.get('title')?.required, true);
});

test('selects: enum options (with "(none)" when optional), services of existing stacks', () => {
  const byVariable = fields();
  assert.deepEqual(
    byVariable.get('mode')?.options.map((o) => o.value),
    ['fast', 'safe'],
  );
  assert.equal(byVariable.get('mode')?.value, 'safe');
  assert.deepEqual(
    byVariable.get('color')?.options.map((o) => o.value),
    ['', 'red', 'blue'],
  );
  assert.deepEqual(
    byVariable.get('db')?.options.map((o) => o.value),
    ['', 'db/mysql', 'db/redis'],
  );
});

test('defaults fill the form, except for secrets, which are never sent to the browser', () => {
  const byVariable = fields();
  assert.equal(byVariable.get('title')?.value, 'Hi');
  assert.equal(byVariable.get('replicas')?.value, '1');
  assert.equal(byVariable.get('debug')?.value, 'false');
  assert.equal(byVariable.get('pw')?.value, '');
  assert.equal(byVariable.get('pw')?.secret, true);
});

test('groups: questions without a group first, then each group in the order it first appears', () => {
  const groups = buildForm({ questions, services: [] });
  assert.deepEqual(
    groups.map((g) => [g.name ?? '', g.fields.map((f) => f.variable)]),
    [
      ['', ['title', 'replicas', 'mode', 'color', 'debug', 'pw', 'db', 'day', 'at', 'key', 'cert']],
      ['Tuning', ['ratio', 'motd']],
    ],
  );
});

test('after an error the submitted values come back with the error beside them; secrets must be typed again', () => {
  const submitted = parseFormBody(`answer.title=Shop&answer.replicas=9&answer.pw=${PASSWORD}&answer.debug=false&answer.debug=true`);
  const byVariable = fields(submitted, new Map([['replicas', '"9" is above the maximum 5']]));
  assert.equal(byVariable.get('title')?.value, 'Shop');
  assert.equal(byVariable.get('replicas')?.value, '9');
  assert.equal(byVariable.get('replicas')?.error, '"9" is above the maximum 5');
  assert.equal(byVariable.get('debug')?.value, 'true');
  assert.equal(byVariable.get('pw')?.value, '');
  assert.equal(byVariable.get('pw')?.retype, true);
  assert.ok(!JSON.stringify([...byVariable.values()]).includes(PASSWORD));
});

test('answers: only what differs from the default is written; an unticked box is "false"; an empty secret takes the default', () => {
  const submitted = parseFormBody(
    'answer.title=Hi&answer.replicas=3&answer.mode=safe&answer.color=&answer.debug=false&answer.pw=&answer.motd=a%0D%0Ab&answer.unknown=x',
  );
  assert.deepEqual(answersFrom(questions, submitted), { replicas: '3', motd: 'a\nb' });
  const cleared = parseFormBody('answer.title=&answer.debug=false&answer.debug=true');
  assert.deepEqual(answersFrom(questions, cleared), { title: '', debug: 'true' });
});

test('stack.yml reads back as the same request: numbers, booleans and multi-line text stay strings', () => {
  const answers = { port: '8080', debug: 'true', title: 'a: b # c', motd: 'line 1\nline 2\n', empty: '' };
  const text = stackFileText({ template: 'other:shop', version: '2.0.0', answers });
  const result = readStackRequest(new Map([['stacks/s1/stack.yml', text]]), 's1');
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.request?.catalog, 'other');
  assert.equal(result.request?.template, 'shop');
  assert.equal(result.request?.version, '2.0.0');
  assert.deepEqual(result.request?.answers, answers);
  assert.match(text, /^# Requested in the corral app store\.\ntemplate: other:shop\nversion: 2\.0\.0\nanswers:\n {2}port: "8080"\n/);
});

test('a stack without answers has no answers key', () => {
  assert.equal(
    stackFileText({ template: 'plain', version: '0.1.0', answers: {} }),
    '# Requested in the corral app store.\ntemplate: plain\nversion: 0.1.0\n',
  );
});
