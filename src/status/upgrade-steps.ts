/**
 * The steps of an upgrade as people follow them: a batch started, a batch passed its gate, a gate
 * failed, the upgrade of a service done, a pull that failed (so nothing was stopped), the rollback
 * of a failed upgrade begun, each unit's rollback started, done or failed (its new container
 * stopped and removed, the kept one renamed back and started), and the rollback ended. Read from
 * the plan's batches and gates (AwaitReady operations), and from the rollback's plan by unit, as
 * apply sends and finishes operations. Pure: a plan in; each operation sent or finished in, the
 * step it completes (if any) out.
 */
import type { OperationResult } from '../apply/index.js';
import type { RollbackRecord } from '../model/upgrade.js';
import type { Operation, Plan } from '../plan/types.js';
import { groupBy } from '../util/records.js';

export interface UpgradeStep {
  stack: string;
  /** `warn` for a failure, `info` otherwise. */
  level: 'info' | 'warn';
  message: string;
}

interface Batch {
  stack: string;
  service: string;
  batch: number;
  batches: number;
  /** The units replaced in this batch, with their hosts: `demo-web-web-1 on h1`. */
  units: string[];
  gates: Set<string>;
  started: boolean;
  passed: Set<string>;
  failed: boolean;
}

/** Follows one apply of `plan`: call `sent` and `finished` for its operations, in the order apply reports them. */
export class UpgradeSteps {
  private readonly batchOfUnit = new Map<string, Batch>();
  private readonly batchOfGate = new Map<string, Batch>();

  constructor(plan: Plan) {
    const batches = new Map<string, Batch>();
    for (const op of plan.operations) {
      if (op.kind !== 'AwaitReady') continue;
      const key = `${op.stack}\u0000${op.gate.service}\u0000${op.gate.batch}`;
      let batch = batches.get(key);
      if (!batch) {
        batch = { ...op.gate, stack: op.stack, units: [], gates: new Set(), started: false, passed: new Set(), failed: false };
        batches.set(key, batch);
      }
      batch.gates.add(op.id);
      batch.units.push(`${op.unit ?? op.target} on ${op.host}`);
      if (op.unit) this.batchOfUnit.set(`${op.stack}\u0000${op.unit}`, batch);
      this.batchOfGate.set(op.id, batch);
    }
  }

  /** An operation was sent: the first one of a batch starts it. */
  sent(op: Operation): UpgradeStep[] {
    const batch = op.unit === undefined ? undefined : this.batchOfUnit.get(`${op.stack}\u0000${op.unit}`);
    if (!batch || batch.started || op.kind === 'AwaitReady') return [];
    batch.started = true;
    return [{ stack: batch.stack, level: 'info', message: `${prefix(batch)} started: ${batch.units.join(', ')}` }];
  }

  /** An operation finished: a gate passes or fails its batch; a failed pull stops the upgrade before anything stopped. */
  finished(result: OperationResult): UpgradeStep[] {
    const op = result.operation;
    if (op.kind === 'PullImage' && result.status === 'failed')
      return [
        {
          stack: op.stack,
          level: 'warn',
          message: `pull of ${op.target} on ${op.host} failed, so no container of the stack was stopped: ${result.error ?? ''}`,
        },
      ];
    const batch = this.batchOfGate.get(op.id);
    if (!batch || op.kind !== 'AwaitReady' || batch.failed) return [];
    if (result.status !== 'ok') {
      batch.failed = true;
      const why = result.status === 'failed' ? `gate failed: ${result.error ?? ''}` : `not run: ${result.error ?? ''}`;
      return [{ stack: batch.stack, level: 'warn', message: `${prefix(batch)} ${why}; the stack is rolled back to the containers it ran` }];
    }
    batch.passed.add(op.id);
    if (batch.passed.size < batch.gates.size) return [];
    const seconds = Math.round(result.durationMs / 100) / 10;
    const steps: UpgradeStep[] = [
      {
        stack: batch.stack,
        level: 'info',
        message: `${prefix(batch)} passed its gate (${op.target} ready; the gate and the interval after it took ${seconds} s)`,
      },
    ];
    if (batch.batches > 0 && batch.batch === batch.batches)
      steps.push({
        stack: batch.stack,
        level: 'info',
        message: `upgrade of ${batch.service} done: ${batch.batches} batch${batch.batches === 1 ? '' : 'es'}`,
      });
    return steps;
  }
}

/** `upgrade of web: batch 1/3`; `upgrade of web (resumed)` for the gates of units an interrupted upgrade had replaced (batch 0). */
function prefix(batch: Batch): string {
  if (batch.batches === 0) return `upgrade of ${batch.service} (resumed)`;
  return `upgrade of ${batch.service}: batch ${batch.batch}/${batch.batches}`;
}

interface RollbackUnit {
  stack: string;
  unit: string;
  hosts: string;
  operations: Operation[];
  started: boolean;
  finished: Set<string>;
  failed: boolean;
}

/**
 * Follows the apply of a rollback's plan (`reconcile` plans the failed stacks again with their
 * rollback records): each unit instance whose containers come back is a step when its first
 * operation is sent (what will be done), when its last one finished (what was done), or when one
 * failed or was not run (once).
 */
export class RollbackSteps {
  private readonly units = new Map<string, RollbackUnit>();

  constructor(plan: Plan) {
    for (const op of plan.operations) {
      if (op.unit === undefined) continue;
      const key = `${op.stack}\u0000${op.unit}`;
      const unit = this.units.get(key);
      if (unit) unit.operations.push(op);
      else
        this.units.set(key, {
          stack: op.stack,
          unit: op.unit,
          hosts: '',
          operations: [op],
          started: false,
          finished: new Set(),
          failed: false,
        });
    }
    for (const unit of this.units.values()) unit.hosts = [...new Set(unit.operations.map((op) => op.host))].join(', ');
  }

  /** An operation was sent: the first one of a unit starts its rollback. */
  sent(op: Operation): UpgradeStep[] {
    const unit = this.unitOf(op);
    if (!unit || unit.started) return [];
    unit.started = true;
    const planned = unit.operations.map(plannedAction).join(', ');
    return [{ stack: unit.stack, level: 'info', message: `rollback of ${unit.unit} on ${unit.hosts} started: ${planned}` }];
  }

  /** An operation finished: the unit's rollback is done once all its operations are, or failed with the first that did not go through. */
  finished(result: OperationResult): UpgradeStep[] {
    const op = result.operation;
    const unit = this.unitOf(op);
    if (!unit || unit.failed) return [];
    if (result.status !== 'ok') {
      unit.failed = true;
      const why = result.status === 'failed' ? 'failed' : 'not run';
      return [
        {
          stack: unit.stack,
          level: 'warn',
          message: `rollback of ${unit.unit} on ${unit.hosts}: ${op.kind} ${op.target} ${why}: ${result.error ?? ''}`,
        },
      ];
    }
    unit.finished.add(op.id);
    if (unit.finished.size < unit.operations.length) return [];
    const done = unit.operations.map(doneAction).join(', ');
    return [{ stack: unit.stack, level: 'info', message: `rollback of ${unit.unit} on ${unit.hosts} done: ${done}` }];
  }

  private unitOf(op: Operation): RollbackUnit | undefined {
    return op.unit === undefined ? undefined : this.units.get(`${op.stack}\u0000${op.unit}`);
  }
}

/** A rollback operation's verb, as planned and as done. */
const VERBS: Partial<Record<Operation['kind'], { planned: string; done: string }>> = {
  StopContainer: { planned: 'stop', done: 'stopped' },
  RemoveContainer: { planned: 'remove', done: 'removed' },
  RenameContainer: { planned: 'rename', done: 'renamed' },
  StartContainer: { planned: 'start', done: 'started' },
  CreateContainer: { planned: 'create', done: 'created' },
  ConnectNetwork: { planned: 'connect', done: 'connected' },
};

/** What the operation acts on: `web-app-1`, `web-app-1-prev to web-app-1`, `web-app-1 to demo-net`. */
function objectOf(op: Operation): string {
  if (op.kind === 'RenameContainer') return `${op.target} to ${op.newName}`;
  if (op.kind === 'ConnectNetwork') return `${op.target} to ${op.network}`;
  return op.target;
}

/** `stop web-app-1`, `rename web-app-1-prev to web-app-1`, … */
function plannedAction(op: Operation): string {
  const verbs = VERBS[op.kind];
  return verbs ? `${verbs.planned} ${objectOf(op)}` : `${op.kind} ${op.target}`;
}

/** `stopped web-app-1`, `renamed web-app-1-prev to web-app-1`, `started web-app-1 (container 0123456789ab)`, … */
function doneAction(op: Operation): string {
  const verbs = VERBS[op.kind];
  if (!verbs) return `${op.kind} ${op.target} done`;
  const started = op.kind === 'StartContainer' && op.containerId ? ` (container ${op.containerId.slice(0, 12)})` : '';
  return `${verbs.done} ${objectOf(op)}${started}`;
}

/** A failed upgrade is being rolled back. */
export function rollbackStarted(stack: string, record: RollbackRecord): UpgradeStep {
  return { stack, level: 'warn', message: `upgrade to ${record.template} ${record.version} failed (${record.cause}): rolling back` };
}

/**
 * The end of each stack's rollback, from the results of the rollback's plan (every stack's): read
 * grouped by stack once, where a search of every result per stack grew with the square of the
 * stacks when an upgrade failed on many (a registry that is down).
 */
export function rollbacksEnded(stacks: Iterable<string>, results: readonly OperationResult[]): UpgradeStep[] {
  const resultsOf = groupBy(results, (r) => r.operation.stack);
  return [...stacks].map((stack) => rollbackEnded(stack, resultsOf.get(stack) ?? []));
}

/**
 * The rollback's own operations have run: the old containers are back, or what could not be done
 * (the next pass goes on with it). `own`: the results of this stack's rollback operations.
 */
export function rollbackEnded(stack: string, own: readonly OperationResult[]): UpgradeStep {
  const failed = own.filter((r) => r.status === 'failed');
  if (failed.length === 0)
    return {
      stack,
      level: 'info',
      message: `rolled back: the containers it ran are back (${own.length} operation${own.length === 1 ? '' : 's'})`,
    };
  const first = failed[0];
  return {
    stack,
    level: 'warn',
    message: `rollback incomplete: ${failed.length} of ${own.length} operations failed (${first?.operation.kind} ${first?.operation.target} on ${first?.operation.host}: ${first?.error ?? ''}); the next pass goes on with it`,
  };
}
