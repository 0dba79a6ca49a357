import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { BENIGN_STACK, copyHostileRepo, EXPECTED_REFUSALS, HOSTILE_FIXTURE, type HostileRepo } from '../fixtures/hostile-repo.js';

const corral = fileURLToPath(new URL('../../../bin/corral', import.meta.url));

interface Validated {
  ok: boolean;
  stacks: { name: string; ok: boolean; diagnostics: Diagnostic[] }[];
}

let repo: HostileRepo;
let validated: Validated;
let text = '';

before(() => {
  repo = copyHostileRepo();
  const json = spawnSync(process.execPath, [corral, 'validate', '--repo', repo.dir, '--config', repo.config, '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(json.status, 1, json.stderr);
  assert.equal(json.stderr, '', 'nothing but the result: no stack traces, no library warnings');
  validated = JSON.parse(json.stdout) as Validated;
  text = spawnSync(process.execPath, [corral, 'validate', '--repo', repo.dir, '--config', repo.config], { encoding: 'utf8' }).stdout;
});
after(() => repo.remove());

test('the corpus holds at least 25 hostile requests, each with a comment saying what it tries', () => {
  const folders = readdirSync(join(HOSTILE_FIXTURE, 'stacks')).filter((name) => name !== BENIGN_STACK);
  assert.ok(folders.length >= 25, `${folders.length} hostile requests`);
  assert.deepEqual(folders.sort(), [...EXPECTED_REFUSALS.keys()].sort(), 'every hostile request has an expected refusal');
});

test('corral validate accepts the benign stack and refuses every hostile one with the file, line, field and rule', () => {
  const byName = new Map(validated.stacks.map((s) => [s.name, s]));
  assert.equal(byName.get(BENIGN_STACK)?.ok, true, JSON.stringify(byName.get(BENIGN_STACK)?.diagnostics));
  for (const [name, expected] of EXPECTED_REFUSALS) {
    const result = byName.get(name);
    assert.equal(result?.ok, false, `${name} must be refused`);
    const errors = (result?.diagnostics ?? []).filter((d) => d.severity === 'error');
    const matching = errors.find((d) => expected.message.test(d.message));
    assert.ok(matching, `${name}: expected ${expected.message}, got ${JSON.stringify(errors, null, 2)}`);
    assert.equal(matching.file, expected.file, name);
    assert.equal(matching.line !== undefined, expected.line, `${name}: line ${matching.line}`);
    if (expected.field) assert.equal(matching.field, expected.field, name);
  }
});

test('links are never followed: a linked stacks folder is no stack at all', () => {
  assert.equal(
    validated.stacks.some((s) => s.name === 'link-usr'),
    false,
  );
});

test('in text, an error found in a catalog file while rendering a stack names that stack', () => {
  assert.match(
    text,
    /^catalog\/templates\/tpl\/0\/docker-compose.yml.tpl:\d+: error: .*execution budget exceeded.* \(rendering stacks\/tpl-nested-until\)$/m,
  );
  assert.match(text, /^1 of \d+ stacks valid; \d+ errors, 0 warnings$/m);
});
