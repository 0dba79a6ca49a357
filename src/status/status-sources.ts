/**
 * What the statuses of one pass read from its observation and plan, grouped by stack once. A
 * pass reports the status of every stack it planned; each looking through every host's
 * containers and every operation made it quadratic (10,000 stacks on 1,000 hosts: over a minute).
 * Pure; the observation and the plan must not change while it is in use.
 */
import type { ObservedContainer, ObservedHost, ObservedState } from '../model/observed.js';
import type { Operation, Plan, StackPlan } from '../plan/types.js';
import { EMPTY_LIST } from '../util/lists.js';
import { appendTo, groupBy } from '../util/records.js';

export class StatusSources {
  /** The stacks' containers on every host, in host order, without those an upgrade keeps until it is done. */
  readonly #containers = new Map<string, ObservedContainer[]>();
  /** The hosts that could not be read and held containers of the stack (kept ones too), in host order. */
  readonly #unreachableHosts = new Map<string, ObservedHost[]>();
  readonly #addresses: Map<string, string>;
  readonly #operations: Map<string, Operation[]>;
  readonly #planStacks = new Map<string, StackPlan>();

  constructor(observed: ObservedState, plan?: Plan) {
    for (const host of observed.hosts) {
      for (const container of host.containers) {
        const owner = container.owner;
        if (!owner) continue;
        if (!owner.kept) appendTo(this.#containers, owner.stack, container);
        if (!host.reachable && this.#unreachableHosts.get(owner.stack)?.at(-1) !== host)
          appendTo(this.#unreachableHosts, owner.stack, host);
      }
    }
    this.#addresses = new Map(observed.hosts.map((h) => [h.name, h.address]));
    this.#operations = groupBy(plan?.operations ?? [], (op) => op.stack);
    for (const stackPlan of plan?.stacks ?? [])
      if (!this.#planStacks.has(stackPlan.stack)) this.#planStacks.set(stackPlan.stack, stackPlan);
  }

  containersOf(stack: string): readonly ObservedContainer[] {
    return this.#containers.get(stack) ?? EMPTY_LIST;
  }

  unreachableHostsOf(stack: string): readonly ObservedHost[] {
    return this.#unreachableHosts.get(stack) ?? EMPTY_LIST;
  }

  /** Where users reach the host's published ports ('' for a host not observed). */
  addressOf(host: string): string {
    return this.#addresses.get(host) ?? '';
  }

  /** The plan's operations for the stack, in plan order: the changes still pending. */
  pendingOf(stack: string): readonly Operation[] {
    return this.#operations.get(stack) ?? EMPTY_LIST;
  }

  /** What the plan says of the stack, if it looked at it. */
  planOf(stack: string): StackPlan | undefined {
    return this.#planStacks.get(stack);
  }
}
