import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InterpolationProblem, interpolate } from '../../src/render/interpolate.js';

const vars = { NAME: 'web', PORT: '8080', EMPTY: '' };

test('interpolates $VAR, ${VAR}, defaults and $$ in string values only', () => {
  const problems: InterpolationProblem[] = [];
  const doc = {
    '${NAME}': {
      image: 'nginx:${NAME}',
      port: 80,
      cmd: ['echo $NAME', 'cost $$5', '${EMPTY:-fallback}', '${EMPTY-kept}', '${MISSING-dflt}'],
    },
  };
  assert.deepEqual(interpolate(doc, vars, problems), {
    '${NAME}': { image: 'nginx:web', port: 80, cmd: ['echo web', 'cost $5', 'fallback', '', 'dflt'] },
  });
  assert.deepEqual(problems, []);
});

test('an unset variable becomes "" with a problem naming the field', () => {
  const problems: InterpolationProblem[] = [];
  assert.deepEqual(interpolate({ web: { image: 'x:${TAG}' } }, vars, problems), { web: { image: 'x:' } });
  assert.deepEqual(
    problems.map((p) => [p.field, p.variable, p.kind]),
    [['web.image', 'TAG', 'unset']],
  );
});

test('${VAR:?message} reports a required variable', () => {
  const problems: InterpolationProblem[] = [];
  interpolate({ a: '${EMPTY:?set EMPTY}' }, vars, problems);
  assert.equal(problems[0]?.kind, 'required');
  assert.match(problems[0]?.message ?? '', /set EMPTY/);
});

test('an answer with newlines and YAML stays one string: no structure is added', () => {
  const problems: InterpolationProblem[] = [];
  const hostile = { EVIL: 'x\n  privileged: true\nother: {a: 1}' };
  const result = interpolate({ web: { image: '${EVIL}', environment: { A: '$EVIL' } } }, hostile, problems);
  assert.deepEqual(result, { web: { image: hostile.EVIL, environment: { A: hostile.EVIL } } });
  assert.equal(Object.keys((result as { web: object }).web).length, 2);
});
