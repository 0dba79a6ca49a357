/**
 * SIGKILL safety of an upgrade, exhaustively on a model of the hosts: the plan of an upgrade is
 * carried out operation by operation against an in-memory host (as Docker would), cut off after
 * each of its operations in turn (the daemon killed there), and then planned and carried out
 * again until nothing is left to do — with a gate failing on a bad version, which rolls the
 * stack back as reconcile does (remember the attempt, plan again). Every cut must end with the
 * stack upgraded or rolled back: exactly the desired set, all running, one configuration, no
 * kept container left, and after a rollback the very same containers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import type { ObservedContainer, ObservedHost } from '../../src/model/observed.js';
import type { RollbackRecord } from '../../src/model/upgrade.js';
import { parseOwnership } from '../../src/observe/containers.js';
import { plan } from '../../src/plan/index.js';
import { desiredStackKey } from '../../src/plan/stack-key.js';
import type { Operation, Plan } from '../../src/plan/types.js';
import { host, IMAGE, live, placement, stack } from './fixtures.js';

const SCALE = 3;
const where: [string, number, string][] = [1, 2, 3].map((n) => ['app', n, 'h1']);

function web(tag: string, startFirst = false): DesiredStack {
  const s = stack('web', {
    app: { image: `app:${tag}`, scale: SCALE, upgrade: { batchSize: 1, intervalMs: 0, startFirst, minReadyMs: 0 } },
  });
  s.template = { ...s.template, version: tag };
  return s;
}

/** One Docker host in memory: what the plan's operations do to it. A gate passes for a running container not on a `bad` image. */
class ModelHost {
  private nextId = 1000;
  constructor(public containers: ObservedContainer[]) {}

  observed(): ObservedHost {
    return host('h1', {
      networks: ['corral-web'],
      images: ['app:good', 'app:next', 'app:bad', IMAGE],
      containers: this.containers.map((c) => ({ ...c })),
    });
  }

  /** Carries out one operation; false when it fails. */
  run(op: Operation): boolean {
    const byId = (id: string | undefined) => this.containers.find((c) => c.id === id || (id === undefined && c.name === op.target));
    switch (op.kind) {
      case 'CreateContainer': {
        if (this.containers.some((c) => c.name === op.container.name)) return false;
        const labels = op.container.Labels;
        const owner = parseOwnership(labels, op.container.name);
        this.containers.push({
          id: `n${this.nextId++}`,
          name: op.container.name,
          host: 'h1',
          image: op.container.Image,
          labels,
          state: 'created',
          ports: [],
          ...(owner ? { owner } : {}),
        });
        return true;
      }
      case 'StartContainer':
      case 'StopContainer': {
        const container = byId(op.containerId);
        if (!container) return false;
        container.state = op.kind === 'StartContainer' ? 'running' : 'exited';
        return true;
      }
      case 'RemoveContainer':
        this.containers = this.containers.filter((c) => c.id !== op.containerId);
        return true;
      case 'RenameContainer': {
        const container = byId(op.containerId);
        if (!container || this.containers.some((c) => c.name === op.newName && c !== container)) return false;
        container.name = op.newName;
        const owner = parseOwnership(container.labels, op.newName);
        if (owner) container.owner = owner;
        return true;
      }
      case 'AwaitReady': {
        const container = this.containers.find((c) => c.name === op.target);
        return container?.state === 'running' && !container.image.endsWith(':bad');
      }
      default:
        return true;
    }
  }
}

/** Carries out a plan in order, skipping what depends on a failure; stops after `limit` operations (a kill). */
function carryOut(planned: Plan, model: ModelHost, limit = Number.POSITIVE_INFINITY): { failed: Operation[]; done: number } {
  const bad = new Set<string>();
  const failed: Operation[] = [];
  let done = 0;
  for (const op of planned.operations) {
    if (done >= limit) break;
    if (op.dependsOn.some((id) => bad.has(id))) {
      bad.add(op.id);
      continue;
    }
    done++;
    if (!model.run(op)) {
      bad.add(op.id);
      failed.push(op);
    }
  }
  return { failed, done };
}

/** Plans and carries out, as reconcile does (a failed upgrade operation is remembered and rolled back), until nothing is left. */
function converge(desired: DesiredStack, model: ModelHost, rolledBack: Map<string, RollbackRecord>, firstLimit: number): number {
  for (let pass = 1; pass <= 6; pass++) {
    const planned = plan([desired], [placement('web', where)], { hosts: [model.observed()] }, { prune: true, rolledBack });
    if (planned.operations.length === 0) return pass;
    const attempt = planned.stacks[0]?.upgrade;
    const { failed } = carryOut(planned, model, pass === 1 ? firstLimit : Number.POSITIVE_INFINITY);
    if (pass === 1 && firstLimit !== Number.POSITIVE_INFINITY) continue; // killed: the next pass starts afresh
    const upgradeFailure = failed.find((op) => op.upgrade);
    if (attempt && upgradeFailure)
      rolledBack.set('web', { ...attempt, cause: `${upgradeFailure.kind} ${upgradeFailure.target}`, time: 't' });
  }
  throw new Error('did not converge within 6 passes');
}

function scenario(from: string, to: string, startFirst: boolean) {
  const before = web(from, startFirst);
  const containers = [1, 2, 3].flatMap((n) => live(web(to, startFirst), 'app', n, 'h1', { from: before }));
  const firstPlan = plan(
    [web(to, startFirst)],
    [placement('web', where)],
    { hosts: [new ModelHost(containers).observed()] },
    { prune: true },
  );
  return { containers, steps: firstPlan.operations.length };
}

function assertEnd(model: ModelHost, expected: 'upgraded' | 'rolled back', originalIds: string[], context: string): void {
  const names = model.containers.map((c) => c.name).sort();
  assert.deepEqual(names, ['web-app-1', 'web-app-2', 'web-app-3'], `${context}: exactly the desired set, no kept one`);
  assert.ok(
    model.containers.every((c) => c.state === 'running'),
    `${context}: all running`,
  );
  assert.equal(new Set(model.containers.map((c) => c.image)).size, 1, `${context}: one configuration`);
  const ids = model.containers.map((c) => c.id).sort();
  if (expected === 'rolled back') assert.deepEqual(ids, [...originalIds].sort(), `${context}: the very same containers`);
  else
    assert.ok(
      ids.every((id) => !originalIds.includes(id)),
      `${context}: all new`,
    );
}

for (const startFirst of [false, true]) {
  const mode = startFirst ? 'start_first' : 'stop first';
  test(`${mode}: a good upgrade killed after any of its operations ends upgraded`, () => {
    const { containers, steps } = scenario('good', 'next', startFirst);
    assert.ok(steps > 10, `${steps} operations`);
    for (let cut = 0; cut <= steps; cut++) {
      const model = new ModelHost(structuredClone(containers));
      converge(web('next', startFirst), model, new Map(), cut);
      assertEnd(
        model,
        'upgraded',
        containers.map((c) => c.id),
        `${mode}, killed after ${cut} of ${steps}`,
      );
      assert.ok(model.containers.every((c) => c.image === 'app:next'));
    }
  });

  test(`${mode}: a bad upgrade killed after any of its operations, or during its rollback, ends rolled back to the same containers`, () => {
    const { containers, steps } = scenario('good', 'bad', startFirst);
    for (let cut = 0; cut <= steps; cut++) {
      const model = new ModelHost(structuredClone(containers));
      const rolledBack = new Map<string, RollbackRecord>();
      converge(web('bad', startFirst), model, rolledBack, cut);
      assertEnd(
        model,
        'rolled back',
        containers.map((c) => c.id),
        `${mode}, killed after ${cut} of ${steps}`,
      );
      assert.equal(rolledBack.get('web')?.key, desiredStackKey(web('bad', startFirst)));
    }
    // Killed in the middle of the rollback itself: the attempt is remembered first, so the next pass finishes it.
    const model = new ModelHost(structuredClone(containers));
    const rolledBack = new Map<string, RollbackRecord>();
    const first = plan([web('bad', startFirst)], [placement('web', where)], { hosts: [model.observed()] }, { prune: true });
    const { failed } = carryOut(first, model);
    const attempt = first.stacks[0]?.upgrade;
    assert.ok(attempt && failed.some((op) => op.kind === 'AwaitReady'));
    rolledBack.set('web', { ...attempt, cause: 'gate', time: 't' });
    const undo = plan([web('bad', startFirst)], [placement('web', where)], { hosts: [model.observed()] }, { prune: true, rolledBack });
    for (let cut = 0; cut <= undo.operations.length; cut++) {
      const copy = new ModelHost(structuredClone(model.containers));
      carryOut(undo, copy, cut);
      converge(web('bad', startFirst), copy, rolledBack, Number.POSITIVE_INFINITY);
      assertEnd(
        copy,
        'rolled back',
        containers.map((c) => c.id),
        `${mode}, rollback killed after ${cut} of ${undo.operations.length}`,
      );
    }
  });
}
