import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseQuestions,
  placeholderAnswer,
  QUESTION_TYPES,
  type Question,
  type QuestionType,
  resolveVariables,
  secretVariableNames,
  validateAnswers,
} from '../../src/catalog/questions.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';

const FILE = 'catalog/templates/tidb/0/rancher-compose.yml';
const STACK = 'stacks/team-a/stack.yml';

function question(overrides: Partial<Question> & { variable?: string } = {}): Question {
  return { variable: 'v', label: 'V', description: '', type: 'string', required: false, options: [], ...overrides };
}

function parsedOne(raw: Record<string, unknown>): { question: Question; diagnostics: Diagnostic[] } {
  const { questions, diagnostics } = parseQuestions([raw], FILE);
  assert.equal(questions.length, 1);
  return { question: questions[0] as Question, diagnostics };
}

const messages = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.severity}: ${d.message}`);
const errorsFor = (q: Question, answer: string) =>
  validateAnswers([q], { [q.variable]: answer }, STACK).filter((d) => d.severity === 'error');

// ---------------------------------------------------------------- parsing

test('YAML scalars become the strings they stand for', () => {
  const { question: q, diagnostics } = parsedOne({
    variable: 'port',
    label: 'Port',
    type: 'enum',
    required: 'true',
    default: 8080,
    options: [8080, 9090, true],
  });
  assert.deepEqual(diagnostics, []);
  assert.equal(q.default, '8080');
  assert.deepEqual(q.options, ['8080', '9090', 'true']);
  assert.equal(q.required, true);
  assert.equal(parsedOne({ variable: 'b', type: 'boolean', default: false }).question.default, 'false');
  assert.equal(parsedOne({ variable: 'f', type: 'float', default: 0.5 }).question.default, '0.5');
  assert.equal(parsedOne({ variable: 'n', default: null }).question.default, undefined);
});

test('numeric constraints are read from numbers and numeric strings', () => {
  const { question: q, diagnostics } = parsedOne({
    variable: 'scale',
    type: 'int',
    min: '1',
    max: 10,
    min_length: '1',
    max_length: 3,
    valid_chars: 123,
    invalid_chars: '-',
  });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual([q.min, q.max, q.minLength, q.maxLength, q.validChars, q.invalidChars], [1, 10, 1, 3, '123', '-']);
});

test('missing label, description, type and required take their neutral values', () => {
  const { question: q, diagnostics } = parsedOne({ variable: 'x' });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(q, { variable: 'x', label: 'x', description: '', type: 'string', required: false, options: [] });
  assert.equal(parsedOne({ variable: 'g', group: 'Advanced', type: ' Int ' }).question.group, 'Advanced');
  assert.equal(parsedOne({ variable: 'y', required: 'yes' }).question.required, true);
  assert.equal(parsedOne({ variable: 'y', required: false }).question.required, false);
});

test('every accepted type parses to itself', () => {
  for (const type of QUESTION_TYPES) {
    const raw = type === 'enum' ? { variable: 'x', type, options: ['a'] } : { variable: 'x', type };
    const { question: q, diagnostics } = parsedOne(raw);
    assert.equal(q.type, type);
    assert.deepEqual(diagnostics, []);
  }
});

test('an unknown type is treated as string, with a warning naming the file, the variable and the accepted types', () => {
  const { question: q, diagnostics } = parsedOne({ variable: 'mode', type: 'integer' });
  assert.equal(q.type, 'string');
  assert.equal(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.equal(d?.severity, 'warning');
  assert.equal(d?.file, FILE);
  assert.equal(d?.field, 'questions.0.type');
  assert.match(
    d?.message ?? '',
    /question "mode": unknown type "integer", treated as string; accepted types: string, int, float, boolean, enum, password, multiline, service, certificate, date, secret, host/,
  );
});

test('an unknown key warns with the key and the accepted keys', () => {
  const { question: q, diagnostics } = parsedOne({ variable: 'x', descrition: 'typo' });
  assert.equal(q.description, '');
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.field]),
    [['warning', 'questions.0.descrition']],
  );
  assert.match(
    diagnostics[0]?.message ?? '',
    /unknown key "descrition" ignored; known keys: variable, label, description, type, required, default, options, min, max, min_length, max_length, valid_chars, invalid_chars, group/,
  );
});

test('a missing variable, a non-map question or a non-list questions value is an error', () => {
  const missing = parseQuestions([{ label: 'no name', type: 'string' }, { variable: 'ok' }], FILE);
  assert.deepEqual(
    missing.questions.map((q) => q.variable),
    ['ok'],
  );
  assert.deepEqual(
    missing.diagnostics.map((d) => [d.severity, d.field]),
    [['error', 'questions.0.variable']],
  );
  assert.match(missing.diagnostics[0]?.message ?? '', /questions\[0\] has no variable/);

  const scalar = parseQuestions(['just text'], FILE);
  assert.deepEqual(messages(scalar.diagnostics), [
    'error: questions[0] must be a map with variable, label, type, ...; got string "just text"',
  ]);

  const notList = parseQuestions({ variable: 'x' }, FILE);
  assert.deepEqual(notList.questions, []);
  assert.deepEqual(
    notList.diagnostics.map((d) => [d.severity, d.field]),
    [['error', 'questions']],
  );

  assert.deepEqual(parseQuestions(undefined, FILE), { questions: [], diagnostics: [] });
  assert.deepEqual(parseQuestions(null, FILE), { questions: [], diagnostics: [] });
});

test('a repeated variable warns; the later definition wins at the position of the first', () => {
  const { questions, diagnostics } = parseQuestions(
    [{ variable: 'a', default: 'first' }, { variable: 'b' }, { variable: 'a', default: 'second' }],
    FILE,
  );
  assert.deepEqual(
    questions.map((q) => [q.variable, q.default]),
    [
      ['a', 'second'],
      ['b', undefined],
    ],
  );
  assert.deepEqual(messages(diagnostics), ['warning: question "a" at questions[2] repeats questions[0]; the later definition is used']);
  assert.equal(diagnostics[0]?.field, 'questions.2.variable');
});

test('enum: a default outside the options warns; no options means string; options elsewhere are dropped', () => {
  const outside = parsedOne({ variable: 'size', type: 'enum', options: ['s', 'm'], default: 'xl' });
  assert.deepEqual(messages(outside.diagnostics), ['warning: question "size": default "xl" is not one of the options: s, m']);
  assert.equal(outside.question.default, 'xl');

  const none = parsedOne({ variable: 'size', type: 'enum' });
  assert.equal(none.question.type, 'string');
  assert.deepEqual(
    none.diagnostics.map((d) => [d.severity, d.field]),
    [['warning', 'questions.0.options']],
  );

  const stray = parsedOne({ variable: 'name', type: 'string', options: ['a'] });
  assert.deepEqual(stray.question.options, []);
  assert.match(stray.diagnostics[0]?.message ?? '', /options are only used by enum questions, not string; ignored/);
});

test('broken constraints: non-numbers are errors, misplaced or contradictory ones warn', () => {
  const notNumber = parsedOne({ variable: 'n', type: 'int', min: 'one', min_length: -1 });
  assert.deepEqual(
    notNumber.diagnostics.map((d) => [d.severity, d.field]),
    [
      ['error', 'questions.0.min'],
      ['error', 'questions.0.min_length'],
    ],
  );
  assert.equal(notNumber.question.min, undefined);

  const onString = parsedOne({ variable: 's', type: 'string', max: 3 });
  assert.equal(onString.question.max, undefined);
  assert.match(onString.diagnostics[0]?.message ?? '', /min\/max apply only to int and float questions, not string; ignored/);

  const crossed = parsedOne({ variable: 'n', type: 'int', min: 5, max: 1, min_length: 4, max_length: 2 });
  assert.deepEqual(
    crossed.diagnostics.map((d) => [d.severity, d.field]),
    [
      ['warning', 'questions.0.min'],
      ['warning', 'questions.0.min_length'],
    ],
  );

  const nested = parsedOne({ variable: 'x', default: { a: 1 }, required: 'maybe' });
  assert.deepEqual(messages(nested.diagnostics), [
    'warning: question "x": default must be a single value, not a map; ignored',
    'warning: question "x": required "maybe" is not true or false; treated as false',
  ]);
});

// ---------------------------------------------------------------- validation

test('the message names the variable, the broken rule, the value and what is accepted', () => {
  const tikv = question({ variable: 'tikv_scale', type: 'int', min: 1 });
  const [d, ...rest] = validateAnswers([tikv], { tikv_scale: '0' }, STACK);
  assert.deepEqual(rest, []);
  assert.deepEqual(d, {
    severity: 'error',
    file: STACK,
    field: 'answers.tikv_scale',
    message: 'answers.tikv_scale: "0" is below the minimum 1 (int, min 1)',
  });
});

test('required: a missing answer without default, or an empty answer, is an error', () => {
  const required = question({ variable: 'db', required: true });
  assert.deepEqual(messages(validateAnswers([required], {}, STACK)), [
    'error: answers.db: required, but no answer was given and the question has no default (string, required)',
  ]);
  assert.equal(validateAnswers([{ ...required, default: '' }], {}, STACK).length, 1);
  assert.deepEqual(validateAnswers([{ ...required, default: 'mysql' }], {}, STACK), []);
  assert.deepEqual(messages(validateAnswers([{ ...required, default: 'mysql' }], { db: '' }, STACK)), [
    'error: answers.db: required, but the answer is empty (string, required)',
  ]);
  assert.deepEqual(validateAnswers([{ ...required, required: false }], {}, STACK), []);
  assert.deepEqual(errorsFor(required, 'x'), []);
});

test('an unanswered or empty optional question is not checked further, and defaults are never validated', () => {
  const odd = question({ variable: 'n', type: 'int', min: 10, default: 'not a number' });
  assert.deepEqual(validateAnswers([odd], {}, STACK), []);
  assert.deepEqual(validateAnswers([odd], { n: '' }, STACK), []);
});

interface TypeCase {
  q: Partial<Question>;
  valid: string[];
  invalid: [string, RegExp][];
}

const TYPE_CASES: Record<QuestionType, TypeCase> = {
  string: { q: {}, valid: ['anything at all', 'ü'], invalid: [] },
  multiline: { q: {}, valid: ['line 1\nline 2'], invalid: [] },
  password: { q: {}, valid: ['s3cr3t!'], invalid: [] },
  secret: { q: {}, valid: ['db-password'], invalid: [] },
  certificate: { q: {}, valid: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'], invalid: [] },
  int: {
    q: {},
    valid: ['0', '42', '-7', '+3', '007', '123456789012'],
    invalid: [
      ['1.5', /"1\.5" is not an int \(an optional sign and digits, e\.g\. 3\)/],
      ['abc', /not an int/],
      [' 1', /not an int/],
      ['1e3', /not an int/],
      ['-', /not an int/],
    ],
  },
  float: {
    q: {},
    valid: ['0', '1.5', '-0.25', '.5', '5.', '1e3', '+2.5E-3'],
    invalid: [
      ['1,5', /"1,5" is not a float \(a decimal number such as 0\.5, -2 or 1e3\)/],
      ['NaN', /not a float/],
      ['Infinity', /not a float/],
      ['0x10', /not a float/],
      ['.', /not a float/],
    ],
  },
  boolean: {
    q: {},
    valid: ['true', 'false'],
    invalid: [
      ['True', /"True" is not a boolean \(exactly "true" or "false"\)/],
      ['yes', /not a boolean/],
      ['1', /not a boolean/],
    ],
  },
  enum: {
    q: { options: ['small', 'large'] },
    valid: ['small', 'large'],
    invalid: [
      ['Small', /"Small" is not one of the options: small, large \(enum\)/],
      ['medium', /not one of the options/],
    ],
  },
  service: {
    q: {},
    valid: ['es/elasticsearch-clients', 'kafka-zk/zk', 'a/b', '0db/web1'],
    invalid: [
      ['zk', /"zk" is not <stack>\/<service> \(two lowercase DNS labels/],
      ['Kafka/zk', /not <stack>\/<service>/],
      ['a/b/c', /not <stack>\/<service>/],
      ['a/', /not <stack>\/<service>/],
      ['-a/b', /not <stack>\/<service>/],
      ['a/b_c', /not <stack>\/<service>/],
      [`a/${'x'.repeat(64)}`, /not <stack>\/<service>/],
    ],
  },
  date: {
    q: {},
    valid: ['2024-01-31', '2024-02-29', '1999-12-31'],
    invalid: [
      ['2023-02-29', /"2023-02-29" is not a date \(an existing ISO 8601 calendar date YYYY-MM-DD/],
      ['2024-13-01', /not a date/],
      ['24-01-01', /not a date/],
      ['2024-01-31T10:00:00Z', /not a date/],
      ['31/01/2024', /not a date/],
    ],
  },
  host: {
    q: {},
    valid: [
      'db',
      'db.example.com',
      'db.example.com.',
      'xn--bcher-kva.example',
      '10.0.0.5',
      '255.255.255.255',
      'fd00::1',
      '::1',
      '2001:db8:0:0:0:0:0:1',
      '::ffff:10.0.0.1',
      'Host-1.Example.COM',
    ],
    invalid: [
      ['256.1.1.1', /"256\.1\.1\.1" is not a host name or IP address \(e\.g\. db\.example\.com, 10\.0\.0\.5 or fd00::1\)/],
      ['1.2.3', /not a host name/],
      ['-db.example.com', /not a host name/],
      ['db_1.example', /not a host name/],
      ['a..b', /not a host name/],
      ['http://db', /not a host name/],
      ['db:5432', /not a host name/],
      ['1:2:3:4:5:6:7:8:9', /not a host name/],
      [`${'a'.repeat(64)}.com`, /not a host name/],
    ],
  },
};

for (const type of QUESTION_TYPES) {
  test(`type ${type}: valid answers pass, invalid ones fail with the rule`, () => {
    const { q, valid, invalid } = TYPE_CASES[type];
    const typed = question({ variable: 'x', type, ...q });
    for (const value of valid)
      assert.deepEqual(validateAnswers([typed], { x: value }, STACK), [], `${type} should accept ${JSON.stringify(value)}`);
    for (const [value, expected] of invalid) {
      const found = errorsFor(typed, value);
      assert.equal(found.length, 1, `${type} should reject ${JSON.stringify(value)}`);
      assert.match(found[0]?.message ?? '', expected);
      assert.equal(found[0]?.field, 'answers.x');
    }
  });
}

test('int and float: min and max are inclusive bounds', () => {
  const int = question({ variable: 'n', type: 'int', min: 1, max: 10 });
  for (const ok of ['1', '10', '5', '+10']) assert.deepEqual(errorsFor(int, ok), [], ok);
  assert.match(errorsFor(int, '0')[0]?.message ?? '', /^answers\.n: "0" is below the minimum 1 \(int, min 1, max 10\)$/);
  assert.match(errorsFor(int, '11')[0]?.message ?? '', /^answers\.n: "11" is above the maximum 10 \(int, min 1, max 10\)$/);
  const float = question({ variable: 'r', type: 'float', min: 0.5, max: 1.5 });
  for (const ok of ['0.5', '1.5', '1']) assert.deepEqual(errorsFor(float, ok), [], ok);
  assert.match(errorsFor(float, '0.49')[0]?.message ?? '', /"0\.49" is below the minimum 0\.5 \(float, min 0\.5, max 1\.5\)/);
  assert.match(errorsFor(float, '2e0')[0]?.message ?? '', /"2e0" is above the maximum 1\.5/);
});

test('min_length and max_length count characters, not UTF-16 units', () => {
  const name = question({ variable: 'name', minLength: 2, maxLength: 3 });
  for (const ok of ['ab', 'abc', '😀😀😀']) assert.deepEqual(errorsFor(name, ok), [], ok);
  assert.deepEqual(messages(errorsFor(name, 'a')), [
    'error: answers.name: "a" is 1 characters long, fewer than min_length 2 (string, min_length 2, max_length 3)',
  ]);
  assert.match(errorsFor(name, 'abcd')[0]?.message ?? '', /"abcd" is 4 characters long, more than max_length 3/);
  assert.match(errorsFor(name, '😀😀😀😀')[0]?.message ?? '', /is 4 characters long/);
});

test('valid_chars: every character must be in the set; invalid_chars: none may be', () => {
  const valid = question({ variable: 'id', validChars: 'abc123' });
  assert.deepEqual(errorsFor(valid, 'cab321'), []);
  assert.deepEqual(messages(errorsFor(valid, 'abd')), [
    'error: answers.id: "abd" contains "d", which is not in valid_chars (string, valid_chars "abc123")',
  ]);
  const invalid = question({ variable: 'path', invalidChars: "$'" });
  assert.deepEqual(errorsFor(invalid, '/data'), []);
  assert.deepEqual(messages(errorsFor(invalid, '/da$ta')), [
    'error: answers.path: "/da$ta" contains "$", which invalid_chars forbids (string, invalid_chars "$\'")',
  ]);
});

test('long values are shortened in messages', () => {
  const long = 'x'.repeat(500);
  const [d] = errorsFor(question({ variable: 'n', type: 'int' }), long);
  assert.ok((d?.message.length ?? 0) < 200);
  assert.match(d?.message ?? '', /"x+\.\.\." is not an int/);
});

test('password, secret and certificate values are never echoed', () => {
  const value = 'hunter2$';
  for (const type of ['password', 'secret', 'certificate'] as const) {
    const constrained = [{ minLength: 20 }, { maxLength: 3 }, { validChars: 'abc' }, { invalidChars: '$' }];
    for (const constraint of constrained) {
      const [d, ...rest] = errorsFor(question({ variable: 'pw', type, ...constraint }), value);
      assert.deepEqual(rest, []);
      assert.ok(d, `${type} ${JSON.stringify(constraint)} should fail`);
      assert.ok(!d.message.includes('hunter'), d.message);
      assert.doesNotMatch(d.message, /contains "|characters long/, 'names neither an offending character nor the length');
      assert.match(d.message, new RegExp(`^answers\\.pw: the ${type} \\(value hidden\\)`));
    }
  }
  assert.deepEqual(secretVariableNames(QUESTION_TYPES.map((type) => question({ variable: type, type }))), [
    'password',
    'certificate',
    'secret',
  ]);
});

test('an answer that no question declares is an error, without its value', () => {
  const diagnostics = validateAnswers([question({ variable: 'known' })], { known: 'a', EXTRA: 'top-secret' }, STACK);
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.field]),
    [['error', 'answers.EXTRA']],
  );
  assert.ok(!diagnostics[0]?.message.includes('top-secret'));
  assert.match(diagnostics[0]?.message ?? '', /no question of this template version declares "EXTRA"; declared: known$/);
});

test('variables named like Object.prototype members are plain variables', () => {
  const q = question({ variable: 'constructor', required: true });
  assert.equal(validateAnswers([q], {}, STACK).length, 1);
  const answers = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
  const resolved = resolveVariables([question({ variable: 'toString', default: 'd' })], answers);
  assert.deepEqual(Object.entries(resolved), [
    ['__proto__', 'x'],
    ['toString', 'd'],
  ]);
});

// ---------------------------------------------------------------- variables and placeholders

test('resolveVariables: answers (even empty ones), then defaults for unanswered questions, then "" for the rest', () => {
  const questions = [
    question({ variable: 'answered', default: 'd1' }),
    question({ variable: 'cleared', default: 'd2' }),
    question({ variable: 'unanswered', default: 'd3' }),
    question({ variable: 'nodefault' }),
  ];
  assert.deepEqual(resolveVariables(questions, { answered: 'a', cleared: '', extra: 'e' }), {
    answered: 'a',
    cleared: '',
    extra: 'e',
    unanswered: 'd3',
    nodefault: '',
  });
});

test('placeholders satisfy validateAnswers for every type and constraint', () => {
  const variants: Partial<Question>[] = [
    {},
    { min: 5 },
    { max: -3 },
    { min: 2.5, max: 7.5 },
    { minLength: 30 },
    { maxLength: 2 },
    { validChars: '01' },
    { invalidChars: 'aeiouprlcdh-' },
    { validChars: 'XYZ', minLength: 4, maxLength: 6 },
  ];
  for (const type of QUESTION_TYPES) {
    for (const variant of variants) {
      const q = question({ variable: 'x', type, required: true, ...(type === 'enum' ? { options: ['first', 'second'] } : {}), ...variant });
      const applies = ['int', 'float'].includes(type) || !('min' in variant || 'max' in variant);
      const textual = !['int', 'float', 'boolean', 'enum', 'service', 'date', 'host'].includes(type);
      if (!applies || (!textual && Object.keys(variant).some((k) => !['min', 'max'].includes(k)))) continue;
      const answer = placeholderAnswer(q);
      assert.deepEqual(validateAnswers([q], { x: answer }, STACK), [], `${type} ${JSON.stringify(variant)} → ${JSON.stringify(answer)}`);
    }
  }
  assert.equal(placeholderAnswer(question({ type: 'enum', options: ['b', 'a'] })), 'b');
  assert.equal(placeholderAnswer(question({ type: 'int', min: 5 })), '5');
});
