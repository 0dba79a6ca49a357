/**
 * Whether a rule passes on a host, and which hosts a rule can touch. Pure.
 *
 * Every affinity constraint asks whether a host has something (a label, a labelled container, a
 * named container). A host that has nothing of the kind — most hosts, for most rules — gets the
 * same answer as any other such host; only the hosts the indexes list for the constraint answer
 * differently. The allocator builds on that to look at those hosts only.
 * Labels are held lowercased, so every comparison is case-insensitive as in Cattle.
 */
import { type AffinityConstraint, isHard, wantsMatch } from './constraints.js';
import type { Fleet, FleetHost } from './fleet.js';
import type { LabelLookup } from './unit-labels.js';

/** A set of host ids; the indexes' maps and sets both are one. */
export interface HostSet {
  readonly size: number;
  has(host: number): boolean;
  keys(): Iterable<number>;
}

/** A rule a host passes or fails; hard rules are never dropped. */
export interface Rule {
  readonly text: string;
  hard: boolean;
  passes(host: number): boolean;
  /** The outcome on a host outside `touched()`. */
  passesUntouched: boolean;
  /** The hosts on which the outcome may differ from `passesUntouched`. */
  touched(): HostSet;
}

/**
 * The rule for one constraint. It follows the fleet as units are placed (the indexes' host sets
 * are live), so one rule serves every instance of a unit.
 */
export function constraintRule(constraint: AffinityConstraint, fleet: Fleet): Rule {
  return new ConstraintRule(constraint, holdersOf(constraint, fleet));
}

class ConstraintRule implements Rule {
  readonly hard: boolean;
  readonly passesUntouched: boolean;
  private readonly wanted: boolean;

  constructor(
    private readonly constraint: AffinityConstraint,
    private readonly holders: HostSet,
  ) {
    this.hard = isHard(constraint);
    this.wanted = wantsMatch(constraint);
    this.passesUntouched = !this.wanted;
  }

  passes(host: number): boolean {
    return this.holders.has(host) === this.wanted;
  }

  touched(): HostSet {
    return this.holders;
  }

  /** Made when an error names the rule. */
  get text(): string {
    return this.constraint.text;
  }
}

/** Does the host pass the constraint? */
export function passes(constraint: AffinityConstraint, fleet: Fleet, host: number): boolean {
  return holdersOf(constraint, fleet).has(host) === wantsMatch(constraint);
}

/** The hosts that have what the constraint talks about (a label, a labelled container, a named container). */
function holdersOf(constraint: AffinityConstraint, fleet: Fleet): HostSet {
  const { key, value } = constraint;
  switch (constraint.kind) {
    case 'host_label':
      return key === undefined ? NO_HOSTS : fleet.hostsWithLabel(key, value);
    case 'container_label':
      return key === undefined ? NO_HOSTS : fleet.containers.hostsWithLabel(key, value);
    case 'container':
      return fleet.containers.hostsWithName(value);
  }
}

const NO_HOSTS: HostSet = new Set<number>();

/**
 * `io.rancher.scheduler.require_any` on the host: at least one container of the unit
 * must carry one of the listed labels (a bare key: the label is present). This is
 * rancher/scheduler's later rule, which judged the deployment unit as a whole.
 */
export function acceptsUnit(host: FleetHost, unitLabels: readonly LabelLookup[]): boolean {
  if (host.requireAny.length === 0) return true;
  return host.requireAny.some((item) =>
    unitLabels.some((labels) => (item.value === undefined ? labels.has(item.key) : labels.get(item.key) === item.value)),
  );
}
