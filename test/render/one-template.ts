/** A one-template repository for the render hardening and budget tests. */
import assert from 'node:assert/strict';
import type { DesiredStack } from '../../src/model/desired.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { type DesiredState, loadDesiredState } from '../../src/render/index.js';

/** Template `t` whose docker-compose.yml.tpl is `compose`, with string questions arg, name, other; stack `s` answers it. */
export function load(compose: string, stackYml: string, extra: Record<string, string> = {}): DesiredState {
  return loadDesiredState(
    new Map(
      Object.entries({
        'catalog/templates/t/config.yml': 'name: t\n',
        'catalog/templates/t/0/docker-compose.yml.tpl': compose,
        'catalog/templates/t/0/rancher-compose.yml':
          '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: arg\n      type: string\n    - variable: name\n      type: string\n    - variable: other\n      type: string\n      default: OTHER\n',
        'stacks/s/stack.yml': stackYml,
        ...extra,
      }),
    ),
    { policy: { ...DEFAULT_POLICY, bindMounts: ['/srv/appdata'] } },
  );
}

export function rendered(state: DesiredState): DesiredStack {
  const stack = state.stacks.find((s) => s.name === 's');
  assert.ok(stack, JSON.stringify(state.failed, null, 2));
  return stack;
}

export function errors(state: DesiredState): string[] {
  return (state.failed.find((f) => f.stack === 's')?.diagnostics ?? []).filter((d) => d.severity === 'error').map(formatDiagnostic);
}

/** Template `ok` and stack `fine` using it: renders whatever happens to stack `s`. */
export const OTHER_TEMPLATE_AND_STACK = {
  'catalog/templates/ok/config.yml': 'name: ok\n',
  'catalog/templates/ok/0/docker-compose.yml': 'web:\n  image: busybox\n',
  'catalog/templates/ok/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
  'stacks/fine/stack.yml': 'template: ok\n',
};

export const answer = (variable: string, value: string) => `template: t\nanswers:\n  ${variable}: ${JSON.stringify(value)}\n`;
