/**
 * `npm run bench:upgrade`: how long an upgrade of a 6-instance service takes with batch_size 1, 2
 * and 6, next to what the batches predict: batches × (replace + gate) + (batches − 1) × interval
 * + the removal of the kept containers, where "replace" is the measured stop, rename (to
 * `<name>-prev`), create and start of one unit, "gate" the measured wait for its new container
 * (min_ready 1 s) and "kept removed" the time from the first removal of a kept `-prev` container
 * to the last one's end, once every gate passed. One `corral sync` pass each, on the fleet (run it
 * under the fleet lock). The figures and the load average go to docs/benchmarks.md (section "upgrade").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperationResult } from '../src/apply/index.js';
import { loadConfig } from '../src/config/load.js';
import { keptName } from '../src/model/naming.js';
import { reconcile } from '../src/reconcile/index.js';
import { loadDesiredState } from '../src/render/index.js';
import { readDirectoryTree } from '../src/source/directory.js';
import { IMAGES } from '../test/e2e/fleet.js';
import { cleanup } from '../test/e2e/sync-repo.js';
import { writeSection } from './doc.js';

const FLEET_CONFIG = '/run/corral-fleet/corral.yml';
const IMAGE = IMAGES.busybox;
const SCALE = 6;
const INTERVAL_MS = 500;
const MIN_READY_S = 1;

const hosts = (await loadConfig(FLEET_CONFIG)).hosts;
const dir = mkdtempSync(join(tmpdir(), 'corral-bench-upgrade-'));

function writeRepo(stack: string, batchSize: number, sleepSeconds: number): void {
  const template = join(dir, 'catalog', 'templates', 'sleeper', '0');
  mkdirSync(template, { recursive: true });
  mkdirSync(join(dir, 'stacks', stack), { recursive: true });
  writeFileSync(join(dir, 'catalog', 'templates', 'sleeper', 'config.yml'), 'name: sleeper\nversion: 1.0.0\n');
  writeFileSync(
    join(template, 'docker-compose.yml'),
    `version: '2'\nservices:\n  app:\n    image: ${IMAGE}\n    command: ["sleep", "${sleepSeconds}"]\n    stop_signal: SIGKILL\n`,
  );
  writeFileSync(
    join(template, 'rancher-compose.yml'),
    `.catalog:\n  version: 1.0.0\napp:\n  scale: ${SCALE}\n  min_ready: ${MIN_READY_S}\n  upgrade_strategy:\n    batch_size: ${batchSize}\n    interval_millis: ${INTERVAL_MS}\n`,
  );
  writeFileSync(join(dir, 'stacks', stack, 'stack.yml'), 'template: sleeper\nanswers: {}\n');
}

/** An operation's start and end (ms since the epoch), as apply reported it. */
interface Timed {
  result: OperationResult;
  startMs: number;
  endMs: number;
}

async function sync(stack: string): Promise<{ ms: number; results: OperationResult[]; timed: Timed[] }> {
  const state = loadDesiredState(await readDirectoryTree(dir, ['catalog', 'stacks']));
  const started = Date.now();
  const timed: Timed[] = [];
  const onResult = (result: OperationResult) => {
    const endMs = Date.now();
    timed.push({ result, startMs: endMs - result.durationMs, endMs });
  };
  const result = await reconcile({ hosts, desired: state.stacks, failed: state.failed, prune: true, only: [stack], onResult });
  const failed = result.results.filter((r) => r.status !== 'ok');
  if (failed.length > 0)
    throw new Error(`${stack}: ${failed.map((r) => `${r.operation.kind} ${r.operation.target}: ${r.error}`).join('; ')}`);
  return { ms: Date.now() - started, results: result.results, timed };
}

/** The removal of a unit's kept predecessor once the upgrade passed its gates. */
function isKeptRemoval(result: OperationResult): boolean {
  const op = result.operation;
  return op.kind === 'RemoveContainer' && op.unit !== undefined && op.target === keptName(op.unit);
}

/** From the first operation's start to the last one's end. */
function spanMs(timed: readonly Timed[]): number {
  if (timed.length === 0) return 0;
  return Math.max(...timed.map((t) => t.endMs)) - Math.min(...timed.map((t) => t.startMs));
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const rows: string[] = [];
const loadBefore = loadavg();
try {
  for (const batchSize of [1, 2, 6]) {
    const stack = `bench-upgrade-${batchSize}-${process.pid}`;
    rmSync(join(dir, 'stacks'), { recursive: true, force: true });
    writeRepo(stack, batchSize, 3600);
    await sync(stack);
    writeRepo(stack, batchSize, 3601);
    const { ms, results, timed } = await sync(stack);
    await cleanup(hosts, [stack]);
    const batches = Math.ceil(SCALE / batchSize);
    // A unit's stop, rename, create and start (its kept container's removal comes after every gate).
    const byUnit = new Map<string, number>();
    for (const r of results.filter((r) => r.operation.kind !== 'AwaitReady' && !isKeptRemoval(r))) {
      const unit = r.operation.unit ?? r.operation.target;
      byUnit.set(unit, (byUnit.get(unit) ?? 0) + r.durationMs);
    }
    const replaceMs = mean([...byUnit.values()]);
    const gates = results.filter((r) => r.operation.kind === 'AwaitReady');
    const gateMs = mean(gates.map((r) => r.durationMs - (r.operation.kind === 'AwaitReady' ? r.operation.gate.thenWaitMs : 0)));
    const keptMs = spanMs(timed.filter((t) => isKeptRemoval(t.result)));
    const predicted = batches * (replaceMs + gateMs) + (batches - 1) * INTERVAL_MS + keptMs;
    rows.push(
      `| ${batchSize} | ${batches} | ${seconds(ms)} s | ${seconds(replaceMs)} s | ${seconds(gateMs)} s | ${seconds(keptMs)} s | ${seconds(predicted)} s |`,
    );
    process.stdout.write(`${rows.at(-1)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAfter = loadavg();
const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');

const markdown = `## Upgrade of a 6-instance service (\`npm run bench:upgrade\`)

One \`corral sync\` pass replaces 6 busybox containers (a changed command) on the fleet, with
\`min_ready: ${MIN_READY_S}\` (no health check: the gate waits for ${MIN_READY_S} s of running without a restart)
and \`interval_millis: ${INTERVAL_MS}\`. Each replaced container is kept: stopped and renamed
\`<name>-prev\` so that its successor can take the name, and removed only once every gate of the
stack passed. "Replace" is one unit's stop, rename, create and start as apply measured them (mean),
"gate" the mean wait at a gate, "kept removed" the time from the first removal of a kept container
to the end of the last one (they run together, after the last gate); the prediction is
batches × (replace + gate) + (batches − 1) × interval + kept removed. The pass also observes the
hosts before and after, which the prediction leaves out. Measured ${new Date().toISOString().slice(0, 10)} on the shared
2-core machine while other engineers' work ran (load average ${load(loadBefore)} before, ${load(loadAfter)} after).

| batch_size | batches | upgrade took | replace | gate | kept removed | batches × (replace + gate) + intervals + kept removed |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
writeSection('## Upgrade of a 6-instance service (`npm run bench:upgrade`)', markdown);
process.stdout.write(markdown);
