import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { loadDesiredState } from '../../src/render/index.js';
import { answer, errors, load, OTHER_TEMPLATE_AND_STACK, rendered } from './one-template.js';

test('a printf width above a million prints as Go does (%!(NOVERB)), without building the padding', () => {
  const state = load('web:\n  image: busybox\n  command: {{ printf "%999999999d" 1 }}\n', 'template: t\n');
  assert.equal(rendered(state).services['web']?.compose['command'], '%!(NOVERB)%!(EXTRA int=1)');
});

test('template execution has a budget: nested until, squaring strings and endless printing fail the stack alone', () => {
  const cases: [string, RegExp][] = [
    [
      '{{ range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}',
      /execution budget exceeded: the template ran more than 50000 steps/,
    ],
    [
      '{{ $x := "ab" }}{{ range until 40 }}{{ $x = replace "" $x $x }}{{ end }}',
      /error calling replace: the result would be \d+ characters, more than the budget/,
    ],
    ['{{ $x := "aaaaaaaaaaaaaaaa" }}{{ range until 30 }}{{ $x = printf "%s%s" $x $x }}{{ end }}', /larger than the output budget/],
    ['{{ range until 10000 }}{{ printf "%999999d" 1 }}{{ end }}', /printed more than \d+ characters/],
  ];
  for (const [template, expected] of cases) {
    const state = load(`web:\n  image: busybox\n  command: x\n#${template}\n`, 'template: t\n', OTHER_TEMPLATE_AND_STACK);
    assert.deepEqual(
      state.stacks.map((stack) => stack.name),
      ['fine'],
      template,
    );
    assert.equal(errors(state).length, 1, template);
    assert.match(errors(state)[0] ?? '', /^catalog\/templates\/t\/0\/docker-compose.yml.tpl:4: error: template error: /, template);
    assert.match(errors(state)[0] ?? '', expected, template);
  }
});

test('a printed value counts against the output budget even when it is shielded', () => {
  const big = 'x, '.repeat(20_000);
  const state = load('web:\n  image: busybox\n  command: "{{ range until 100 }}{{ $.Values.arg }}{{ end }}"\n', answer('arg', big));
  assert.match(errors(state).join(), /execution budget exceeded: the template printed more than/);
});

test('interpolation has a budget too: a large answer referenced many times fails the stack', () => {
  const references = Array.from(
    { length: 40 },
    (_, i) => `    V${i}: "\${arg}\${arg}\${arg}\${arg}\${arg}\${arg}\${arg}\${arg}\${arg}\${arg}"`,
  ).join('\n');
  const state = load(`web:\n  image: busybox\n  environment:\n${references}\n`, answer('arg', 'y'.repeat(60_000)));
  assert.match(errors(state).join(), /interpolation would put in more than \d+ characters/);
});

test('collections nested deeper than 64 levels are refused before the YAML parser recurses into them', () => {
  const deep = `template: t\nanswers:\n  arg: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
  const state = load('web:\n  image: busybox\n', deep, OTHER_TEMPLATE_AND_STACK);
  assert.deepEqual(errors(state), ['stacks/s/stack.yml:3: error: collections nested more than 64 levels deep']);
  const quoted = load('web:\n  image: busybox\n', `template: t\nanswers:\n  arg: "${'['.repeat(100)}"\n`);
  assert.equal(quoted.failed.length, 0, 'brackets inside a quoted answer are text');
});

/** A repository whose stack.yml of `broken` throws when read, as an unexpected failure would. */
class ThrowingTree extends Map<string, string> {
  override get(path: string): string | undefined {
    if (path === 'stacks/broken/stack.yml') throw new RangeError('Maximum call stack size exceeded');
    return super.get(path);
  }
}

test('an exception while reading or rendering one stack fails that stack alone', () => {
  const files = new ThrowingTree([...Object.entries(OTHER_TEMPLATE_AND_STACK), ['stacks/broken/stack.yml', 'template: ok\n']]);
  const state = loadDesiredState(files);
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['fine'],
  );
  assert.deepEqual(
    state.failed.map((f) => f.diagnostics.map(formatDiagnostic)),
    [['stacks/broken/stack.yml: error: this stack could not be rendered (RangeError: Maximum call stack size exceeded)']],
  );
});
