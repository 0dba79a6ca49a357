import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type MacroValues, parseAffinityLabels, SharedLabelRules, sameConstraint } from '../../src/schedule/constraints.js';

const AFFINITY = 'io.rancher.scheduler.affinity:';

const labelSets: Record<string, string>[] = [
  { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=${stack_name}/${service_name}' },
  { [`${AFFINITY}host_label`]: 'Zone=A, disk=SSD,,', [`${AFFINITY}container_label_soft`]: 'io.rancher.stack_service.name=db' },
  { [`${AFFINITY}host_label_soft_ne`]: 'ssd', [`${AFFINITY}not_host_label`]: 'lb=0', other: 'x' },
  { [`${AFFINITY}host_label`]: ' rack = ${stack_name} , ,zone=${service_name}-${stack_name}=x', note: '${stack_name}' },
  { [`${AFFINITY}container_label_ne`]: 'io.rancher.stack_service.name=${service_name},${stack_name}.app=1' },
  { [`${AFFINITY}host_label_ne`]: 'tier=${stack_name},${service_name}', [`${AFFINITY}host_label_soft`]: ',,' },
  {
    [`${AFFINITY}container`]: '${STACK_NAME}-db-1',
    [`${AFFINITY}container_label`]: 'app=${service_name},io.rancher.stack_service.name=a/b',
  },
];

// The last ones hold what splitting before expanding would get wrong: they are parsed whole.
const stacks: MacroValues[] = [
  { stackName: 'One', serviceName: 'web', stackServices: ['web', 'db'] },
  { stackName: 'two', serviceName: 'Web', stackServices: ['web'] },
  { stackName: 'three', serviceName: 'cache', stackServices: ['db', 'cache'] },
  { stackName: 'a,b', serviceName: 'web', stackServices: ['web'] },
  { stackName: 'x=y', serviceName: 'we b', stackServices: ['web'] },
  { stackName: '${service_name}', serviceName: 'web', stackServices: ['web'] },
  { stackName: '', serviceName: ' ', stackServices: [] },
];

const described = (parsed: ReturnType<typeof parseAffinityLabels>) => ({
  rules: parsed.constraints.map((c) => `${c.kind}|${c.op}|${c.key ?? ''}|${c.value}|${c.text}`),
  warnings: parsed.warnings,
});

test('parse: rules shared between stacks are those each stack parses on its own', () => {
  const shared = new SharedLabelRules();
  for (let round = 0; round < 2; round++) {
    for (const macros of stacks) {
      for (const labels of labelSets) {
        assert.deepEqual(described(parseAffinityLabels(labels, macros, shared)), described(parseAffinityLabels(labels, macros)));
      }
    }
  }
});

test('parse: a rule is the same as another exactly when its text is', () => {
  const macros = stacks[0] as MacroValues;
  const all = labelSets.flatMap((labels) => parseAffinityLabels(labels, macros).constraints);
  const again = labelSets.flatMap((labels) => parseAffinityLabels(labels, macros).constraints);
  for (const a of all) for (const b of again) assert.equal(sameConstraint(a, b), a.text === b.text, `${a.text} / ${b.text}`);
});
