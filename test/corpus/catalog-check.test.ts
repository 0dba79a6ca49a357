/** `corral catalog check` on the public corpus: nearly every version renders, and the exit code tells. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpusDir } from './corpus.js';

const corral = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'corral');
const corpus = corpusDir();

function run(args: string[]) {
  const result = spawnSync(process.execPath, [corral, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('corral catalog check renders at least 98% of the public corpus and ends with the count line', () => {
  const { code, stdout } = run(['catalog', 'check', corpus, '--allow-failures']);
  assert.equal(code, 0);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const match = /^rendered (\d+) of (\d+) versions$/.exec(last);
  assert.ok(match, last);
  const [rendered, total] = [Number(match[1]), Number(match[2])];
  assert.ok(total >= 350, `total ${total}`);
  assert.ok(rendered / total >= 0.98, `${rendered} of ${total}`);
  const strict = run(['catalog', 'check', corpus]);
  assert.equal(strict.code, rendered === total ? 0 : 1);
});
