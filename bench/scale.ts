/**
 * `npm run bench:scale -- --stacks N --hosts H [--runs R]`: schedule + plan of N synthetic stacks
 * (bench/synthetic.ts) on H hosts, in process, no Docker.
 *  - cold: every host empty, every container to create;
 *  - no-op: the cold plan applied in memory and planned again, which must give 0 operations;
 *  - cold, every create body built: a create operation's body (the Docker request) and config
 *    hash are built when first read (by apply), not by the plan; this is the time to read them all
 *    after each cold plan, which `corral sync` pays as it applies the plan;
 *  - no-op, steady: the same, with the container specs kept from an earlier plan of the same
 *    desired stacks (a SpecCache), as `corral run` plans between two revisions;
 *  - status: the status of every stack after the no-op, as a pass reports them (not in the plan's time);
 *  - memory: what corral remembers of its hosts after the no-op's observation, as every pass updates it.
 * Prints the schedule / plan split per case, then as its last line
 * `{"stacks":N,"hosts":H,"coldMs":…,"coldBodiesMs":…,"noopMs":…,"noopSteadyMs":…,"statusMs":…,"memoryMs":…,"peakRssMB":…}`
 * (medians of R runs; coldMs is the plan alone, coldBodiesMs the reading of its bodies after it; peak RSS of the process).
 */
import { parseArgs } from 'node:util';
import type { DesiredStack } from '../src/model/desired.js';
import type { ObservedState } from '../src/model/observed.js';
import { type Plan, plan, SpecCache } from '../src/plan/index.js';
import { scheduleStacks } from '../src/schedule/index.js';
import { rememberPass } from '../src/state/known-hosts.js';
import { SyncStatus, stackStatus } from '../src/status/stack-status.js';
import { StatusSources } from '../src/status/status-sources.js';
import { median } from './doc.js';
import { applyInMemory, syntheticHosts, syntheticStacks } from './synthetic.js';

const { values } = parseArgs({
  options: {
    stacks: { type: 'string', default: '1000' },
    hosts: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
  },
});
const stackCount = positive('stacks', values.stacks);
const hostCount = positive('hosts', values.hosts);
const runs = positive('runs', values.runs);

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a whole number ≥ 1, got "${value}"`);
  return n;
}

interface Timing {
  scheduleMs: number;
  planMs: number;
  totalMs: number;
  /** CPU time of the process (every thread: the garbage collector's helpers too). */
  cpuMs: number;
  operations: number;
  /** After a cold plan (measured apart from it): reading every create operation's body and config hash. */
  bodies?: { ms: number; cpuMs: number; creates: number };
}

/** Reads every create operation's body and config hash, as apply does: they are built when first read. */
function buildBodies(operations: Plan['operations']): Timing['bodies'] {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let creates = 0;
  let labels = 0;
  for (const op of operations) {
    if (op.kind !== 'CreateContainer') continue;
    creates++;
    labels += Object.keys(op.container.Labels).length + op.configHash.length;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (creates > 0 && labels === 0) throw new Error('create operations without labels');
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, creates };
}

function scheduleAndPlan(
  desired: readonly DesiredStack[],
  observed: ObservedState,
  specCache?: SpecCache,
  withBodies = false,
): { timing: Timing; plan: Plan } {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const placements = scheduleStacks(desired, observed.hosts);
  const scheduled = performance.now();
  const result = plan(desired, placements, observed, specCache ? { prune: true, specCache } : { prune: true });
  const planned = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const timing = {
    scheduleMs: scheduled - started,
    planMs: planned - scheduled,
    totalMs: planned - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    operations: result.operations.length,
    ...(withBodies ? { bodies: buildBodies(result.operations) } : {}),
  };
  return { timing, plan: result };
}

/**
 * `runs` timings, and the plan of the first run (the others are dropped at once, so that they do not weigh on the next).
 * With `specCache`, every run plans with it (filled by an earlier plan); without, each run starts with none.
 */
function measure(
  desired: readonly DesiredStack[],
  observed: ObservedState,
  specCache?: SpecCache,
  withBodies = false,
): { timings: Timing[]; plan: Plan } {
  globalThis.gc?.();
  const first = scheduleAndPlan(desired, observed, specCache, withBodies);
  const timings = [first.timing];
  while (timings.length < runs) {
    globalThis.gc?.();
    timings.push(scheduleAndPlan(desired, observed, specCache, withBodies).timing);
  }
  return { timings, plan: first.plan };
}

function summary(label: string, timings: Timing[]): number {
  const ms = (pick: (t: Timing) => number) => Math.round(median(timings.map(pick)));
  const operations = timings[0]?.operations ?? 0;
  console.log(
    `${label}: schedule ${ms((t) => t.scheduleMs)} ms, plan ${ms((t) => t.planMs)} ms, total ${ms((t) => t.totalMs)} ms ` +
      `(runs: ${timings.map((t) => Math.round(t.totalMs)).join(', ')}; CPU ${ms((t) => t.cpuMs)} ms); ${operations} operations`,
  );
  return median(timings.map((t) => t.totalMs));
}

/** The reading of each cold plan's create bodies, on its own line (it is not in the cold plan's time). */
function bodiesSummary(timings: Timing[]): number {
  const bodies = timings.flatMap((t) => (t.bodies ? [t.bodies] : []));
  const ms = (pick: (b: NonNullable<Timing['bodies']>) => number) => Math.round(median(bodies.map(pick)));
  console.log(
    `cold, every create body built: ${ms((b) => b.ms)} ms (runs: ${bodies.map((b) => Math.round(b.ms)).join(', ')}; ` +
      `CPU ${ms((b) => b.cpuMs)} ms); ${bodies[0]?.creates ?? 0} create operations read after the plan`,
  );
  return median(bodies.map((b) => b.ms));
}

const desired = syntheticStacks(stackCount, hostCount).sort((a, b) => a.name.localeCompare(b.name));
const empty: ObservedState = { hosts: syntheticHosts(hostCount) };
const cold = measure(desired, empty, undefined, true);
const coldMs = summary(`cold ${stackCount} stacks × ${hostCount} hosts`, cold.timings);
const coldBodiesMs = bodiesSummary(cold.timings);
const coldPlan = cold.plan;
const failed = coldPlan.stacks.filter((s) => !s.actionable);
if (failed.length > 0) throw new Error(`${failed.length} stacks not actionable, e.g. ${JSON.stringify(failed[0])}`);

const converged = applyInMemory(empty, coldPlan);
const containers = converged.hosts.reduce((sum, h) => sum + h.containers.length, 0);
console.log(`applied in memory: ${containers} containers`);
const noop = measure(desired, converged);
const noopMs = summary('no-op', noop.timings);
const leftover = noop.plan.operations.length;
if (leftover !== 0) throw new Error(`the no-op plan has ${leftover} operations, e.g. ${JSON.stringify(noop.plan.operations[0])}`);

// The daemon's pass before this one planned the same stacks: its specs are in the cache (not timed).
const specCache = new SpecCache();
plan(desired, scheduleStacks(desired, converged.hosts), converged, { prune: true, specCache });
const steady = measure(desired, converged, specCache);
const noopSteadyMs = summary('no-op, steady (specs kept from the previous pass)', steady.timings);
if (steady.plan.operations.length !== 0) throw new Error(`the steady no-op plan has ${steady.plan.operations.length} operations`);

/** The status of every stack after a no-op pass, as reconcile reports them: one StatusSources for the pass. */
function statusesMs(noopPlan: Plan): number {
  const desiredByName = new Map(desired.map((stack) => [stack.name, stack]));
  const started = performance.now();
  const sources = new StatusSources(converged, noopPlan);
  let synced = 0;
  for (const stackPlan of noopPlan.stacks) {
    const stackDesired = desiredByName.get(stackPlan.stack);
    const status = stackStatus({
      name: stackPlan.stack,
      ...(stackDesired ? { desired: stackDesired } : {}),
      observed: converged,
      plan: noopPlan,
      notes: stackPlan.notes,
      nowMs: Date.now(),
      sources,
    });
    if (status.sync === SyncStatus.Synced) synced++;
  }
  const ms = performance.now() - started;
  if (synced !== stackCount) throw new Error(`${stackCount - synced} of ${stackCount} stacks not Synced after the no-op`);
  return ms;
}
const statusRuns = Array.from({ length: runs }, () => statusesMs(noop.plan));
const statusMs = median(statusRuns);
console.log(`status of every stack after the no-op: ${Math.round(statusMs)} ms (runs: ${statusRuns.map(Math.round).join(', ')})`);

/** What corral remembers of its hosts after the no-op's observation (state/known-hosts.ts), as every pass updates it: the second pass's, from the first's. */
function hostMemoryMs(): number {
  const first = rememberPass({}, converged, [], new Date());
  const started = performance.now();
  const second = rememberPass(first, converged, [], new Date());
  const ms = performance.now() - started;
  const remembered = Object.keys(second).length;
  if (remembered !== hostCount) throw new Error(`${remembered} of ${hostCount} hosts remembered after the no-op`);
  return ms;
}
const memoryRuns = Array.from({ length: runs }, hostMemoryMs);
const memoryMs = median(memoryRuns);
console.log(`hosts remembered after the no-op: ${Math.round(memoryMs)} ms (runs: ${memoryRuns.map(Math.round).join(', ')})`);

const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(
  JSON.stringify({
    stacks: stackCount,
    hosts: hostCount,
    coldMs: Math.round(coldMs),
    coldBodiesMs: Math.round(coldBodiesMs),
    noopMs: Math.round(noopMs),
    noopSteadyMs: Math.round(noopSteadyMs),
    statusMs: Math.round(statusMs),
    memoryMs: Math.round(memoryMs),
    peakRssMB,
  }),
);
