/**
 * What the scheduler sees of a host, and whether a rule passes on it.
 * Labels are held lowercased, so every comparison is case-insensitive as in Cattle.
 */
import type { ObservedHost, Ownership } from '../model/observed.js';
import { type AffinityConstraint, type LabelItem, parseRequireAny, wantsMatch } from './constraints.js';

/** A container on a host: observed (stopped ones included) or tentatively placed by this run. */
export interface HostContainer {
  name: string;
  /** Lowercased keys and values. */
  labels: ReadonlyMap<string, string>;
  /** Ownership of an observed container; undefined for a tentative one. */
  owner?: Ownership;
}

export interface HostView {
  name: string;
  reachable: boolean;
  /** Lowercased keys and values. */
  labels: ReadonlyMap<string, string>;
  /** Parsed `io.rancher.scheduler.require_any`; empty when the host takes any container. */
  requireAny: readonly LabelItem[];
  containers: readonly HostContainer[];
}

/** A rule a host passes or fails; hard rules are never dropped. */
export interface Rule {
  text: string;
  hard: boolean;
  passes(host: HostView): boolean;
}

export function hostView(host: ObservedHost): HostView {
  const labels = lowercased(host.labels);
  return {
    name: host.name,
    reachable: host.reachable,
    labels,
    requireAny: parseRequireAny(labels),
    containers: host.containers.map((c) => ({ name: c.name, labels: lowercased(c.labels), ...(c.owner ? { owner: c.owner } : {}) })),
  };
}

export function lowercased(labels: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(labels).map(([key, value]) => [key.toLowerCase(), value.toLowerCase()]));
}

export function passes(constraint: AffinityConstraint, host: HostView): boolean {
  return found(constraint, host) === wantsMatch(constraint);
}

/** Does the host have what the constraint talks about (a label, a labelled container, a named container)? */
function found(constraint: AffinityConstraint, host: HostView): boolean {
  const { key, value } = constraint;
  switch (constraint.kind) {
    case 'host_label':
      return key !== undefined && host.labels.get(key) === value;
    case 'container_label':
      return key !== undefined && host.containers.some((c) => c.labels.get(key) === value);
    case 'container':
      return host.containers.some((c) => c.name.toLowerCase() === value);
  }
}

/**
 * `io.rancher.scheduler.require_any` on the host: at least one container of the unit
 * must carry one of the listed labels (a bare key: the label is present). This is
 * rancher/scheduler's later rule, which judged the deployment unit as a whole.
 */
export function acceptsUnit(host: HostView, unitLabels: readonly ReadonlyMap<string, string>[]): boolean {
  if (host.requireAny.length === 0) return true;
  return host.requireAny.some((item) =>
    unitLabels.some((labels) => (item.value === undefined ? labels.has(item.key) : labels.get(item.key) === item.value)),
  );
}
