/** rancher-compose `upgrade_strategy` and `min_ready` → UpgradeStrategySpec: Rancher's defaults, clear errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Diagnostic, formatDiagnostic } from '../../src/model/diagnostics.js';
import { parseUpgradeStrategy } from '../../src/render/upgrade-strategy.js';

const FILE = 'catalog/templates/web/0/rancher-compose.yml';

function parse(raw: unknown, minReady?: unknown) {
  const diagnostics: Diagnostic[] = [];
  const spec = parseUpgradeStrategy(raw, minReady, FILE, 'web', diagnostics);
  return { spec, messages: diagnostics.map(formatDiagnostic) };
}

test("upgrade_strategy: Rancher's defaults fill what is not written; min_ready in seconds; absent both, no spec", () => {
  assert.deepEqual(parse(undefined), { spec: undefined, messages: [] });
  assert.deepEqual(parse({ batch_size: 2 }), {
    spec: { batchSize: 2, intervalMs: 2000, startFirst: false, minReadyMs: 5000 },
    messages: [],
  });
  assert.deepEqual(parse({ batch_size: '3', interval_millis: 0, start_first: 'true' }, 8).spec, {
    batchSize: 3,
    intervalMs: 0,
    startFirst: true,
    minReadyMs: 8000,
  });
  assert.deepEqual(parse(undefined, '0').spec, { batchSize: 1, intervalMs: 2000, startFirst: false, minReadyMs: 0 });
});

test('upgrade_strategy: bad values are errors naming the file, the field and what is accepted; unknown keys warn', () => {
  assert.deepEqual(parse({ batch_size: 0, interval_millis: '2s', start_first: 'yes' }, -1).messages, [
    `${FILE}: error: web.upgrade_strategy.batch_size must be a whole number ≥ 1 (containers per batch), got 0`,
    `${FILE}: error: web.upgrade_strategy.interval_millis must be a whole number ≥ 0 (milliseconds between batches), got "2s"`,
    `${FILE}: error: web.min_ready must be a whole number ≥ 0 (seconds), got -1`,
    `${FILE}: error: web.upgrade_strategy.start_first must be true or false, got "yes"`,
  ]);
  assert.equal(parse({ batch_size: 0 }).spec, undefined);
  assert.deepEqual(parse('fast').messages, [
    `${FILE}: error: web.upgrade_strategy must be a mapping of batch_size, interval_millis and start_first`,
  ]);
  assert.deepEqual(parse({ batch_size: 1, parallel: true }).messages, [
    `${FILE}: warning: web.upgrade_strategy.parallel is kept but not acted on by corral; known: batch_size, interval_millis, start_first`,
  ]);
});
