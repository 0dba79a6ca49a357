/** `corral history STACK`: the applied revisions from the state directory, as a table or JSON. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatHistory } from '../../src/cli/commands/history.js';
import type { HistoryEntry } from '../../src/model/history.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const stateDir = mkdtempSync(join(tmpdir(), 'corral-history-cli-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

const ENTRIES: HistoryEntry[] = [
  {
    time: '2026-11-29T22:00:01.250Z',
    template: 'library/hello-web',
    version: '1.0.0',
    commit: '3f2a9c0d1e2b4a5f6789',
    result: 'Synced',
    cause: '2 containers: 2 created (scale 0 → 2)',
    digest: 'a',
  },
  {
    time: '2026-11-29T22:05:00.000Z',
    template: 'library/hello-web',
    version: '1.1.0',
    commit: '9b8c7d6e5f4a3b2c1d0e',
    result: 'Failed',
    cause: '#1 PullImage web:9 on h1: manifest unknown',
    digest: 'b',
  },
  { time: '2026-11-29T22:06:00.000Z', result: 'Synced', cause: '2 containers: 2 removed (stack removed from git)', digest: 'c' },
];

function corral(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'corral'), ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('formatHistory: one line per entry, oldest first, short commit, time to the second', () => {
  assert.equal(
    formatHistory(ENTRIES),
    [
      'TIME                  VERSION  COMMIT        RESULT  CAUSE',
      '2026-11-29 22:00:01Z  1.0.0    3f2a9c0d1e2b  Synced  2 containers: 2 created (scale 0 → 2)',
      '2026-11-29 22:05:00Z  1.1.0    9b8c7d6e5f4a  Failed  #1 PullImage web:9 on h1: manifest unknown',
      '2026-11-29 22:06:00Z  -        -             Synced  2 containers: 2 removed (stack removed from git)',
      '',
    ].join('\n'),
  );
});

test('corral history reads the state directory; --format json gives the entries; a stack without history is an error', () => {
  const file = join(stateDir, 'history', 'web1.jsonl');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, ENTRIES.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const text = corral('history', 'web1', '--state-dir', stateDir);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, formatHistory(ENTRIES));
  const json = corral('history', 'web1', '--state-dir', stateDir, '--format', 'json');
  // The digest stays in the state directory: with the answers in git, it could confirm a guessed password.
  assert.deepEqual(
    JSON.parse(json.stdout),
    ENTRIES.map(({ digest: _kept, ...shown }) => shown),
  );
  const none = corral('history', 'other', '--state-dir', stateDir);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^corral: no history of stack other in .*\/history\/other\.jsonl: corral sync and corral run add an entry/);
});
