/**
 * Scheduling labels parsed into typed rules, as Cattle read them
 * (AllocationHelperImpl.extractConstraintsFromLabels / normalizeLabels, and
 * rancher/scheduler's require_any filter).
 */
import { RancherLabel, SchedulingLabel } from '../model/labels.js';
import { commaList, splitOnce } from '../util/values.js';

export type AffinityKind = 'host_label' | 'container_label' | 'container';
export type AffinityOp = 'must' | 'must_not' | 'prefer' | 'prefer_not';

/** One item of an `io.rancher.scheduler.affinity:<kind><suffix>` label. */
export interface AffinityConstraint {
  kind: AffinityKind;
  op: AffinityOp;
  /**
   * Lowercased label key for host_label / container_label. Undefined for `container`
   * (the value is a container name) and for an item written without `=`, which,
   * as in Cattle, matches no label at all.
   */
  key?: string;
  /** Lowercased label value, or container name for `container`. */
  value: string;
  /** How messages show it: `host_label zone=a (must)`. */
  text: string;
}

/** `io.rancher.scheduler.require_any` item: a label the placed containers may carry. */
export interface LabelItem {
  key: string;
  /** Undefined for a bare key: the label only has to be present. */
  value?: string;
}

export interface MacroValues {
  stackName: string;
  /** What `${service_name}` expands to: the unit's primary service (what follows `/` in io.rancher.stack_service.name). */
  serviceName: string;
  /** Service names of the stack, for Cattle's `io.rancher.stack_service.name=<service>` short form. */
  stackServices: readonly string[];
}

// Suffix → operation; a Map so that odd suffixes cannot hit Object.prototype.
const OPS = new Map<string, AffinityOp>([
  ['', 'must'],
  ['_ne', 'must_not'],
  ['_soft', 'prefer'],
  ['_soft_ne', 'prefer_not'],
]);
const OP_WORDS: Record<AffinityOp, string> = { must: 'must', must_not: 'must not', prefer: 'prefer', prefer_not: 'prefer not' };
// `container` is a prefix of `container_label`, so the longer kind is tried first, as in Cattle.
const KINDS: readonly AffinityKind[] = ['container_label', 'container', 'host_label'];

export function isHard(constraint: AffinityConstraint): boolean {
  return constraint.op === 'must' || constraint.op === 'must_not';
}

export function wantsMatch(constraint: AffinityConstraint): boolean {
  return constraint.op === 'must' || constraint.op === 'prefer';
}

/**
 * Every affinity rule in a service's labels. Label keys and values are lowercased,
 * `${stack_name}` / `${service_name}` expanded, comma lists split into one rule per
 * item (blank items skipped, items trimmed). Unknown kinds or suffixes are warnings.
 */
export function parseAffinityLabels(
  labels: Record<string, string>,
  macros: MacroValues,
): { constraints: AffinityConstraint[]; warnings: string[] } {
  const constraints: AffinityConstraint[] = [];
  const warnings: string[] = [];
  for (const [labelKey, labelValue] of Object.entries(labels)) {
    const key = labelKey.toLowerCase();
    if (!key.startsWith(SchedulingLabel.affinityPrefix)) continue;
    const rule = key.slice(SchedulingLabel.affinityPrefix.length);
    const kind = KINDS.find((k) => rule.startsWith(k));
    const suffix = kind === undefined ? rule : rule.slice(kind.length);
    const op = OPS.get(suffix);
    if (kind === undefined || op === undefined) {
      warnings.push(
        `label ${labelKey} is not a scheduling rule and is ignored; accepted: ${SchedulingLabel.affinityPrefix}<host_label|container_label|container>[_ne|_soft|_soft_ne]`,
      );
      continue;
    }
    for (const item of commaList(expandMacros(labelValue.toLowerCase(), macros))) {
      const parsed = parseItem(kind, op, suffix, item, macros);
      constraints.push(parsed);
      if (kind !== 'container' && parsed.key === undefined) {
        warnings.push(
          `label ${labelKey}: "${item}" is not key=value; as in Cattle it matches no label, so "${parsed.text}" ${wantsMatch(parsed) ? 'no host passes' : 'every host passes'}`,
        );
      }
    }
  }
  return { constraints, warnings };
}

/** The host label `io.rancher.scheduler.require_any`: `k=v` or bare `k` items, comma-separated, lowercased. */
export function parseRequireAny(hostLabels: ReadonlyMap<string, string>): LabelItem[] {
  const value = hostLabels.get(SchedulingLabel.requireAny) ?? '';
  return commaList(value.toLowerCase()).map((item) => {
    const [key, itemValue] = splitOnce(item, '=');
    return itemValue === undefined ? { key } : { key, value: itemValue };
  });
}

function parseItem(kind: AffinityKind, op: AffinityOp, suffix: string, item: string, macros: MacroValues): AffinityConstraint {
  const text = `${kind}${suffix} ${item} (${OP_WORDS[op]})`;
  if (kind === 'container') return { kind, op, value: item, text };
  const [key, value] = splitOnce(item, '=');
  if (value === undefined) return { kind, op, value: item, text };
  const normalised = kind === 'container_label' ? qualifyServiceName(key, value, macros) : value;
  return { kind, op, key, value: normalised, text: `${kind}${suffix} ${key}=${normalised} (${OP_WORDS[op]})` };
}

/** Cattle's short form: `io.rancher.stack_service.name=db` means `<stack>/db` when db is a service of the stack. */
function qualifyServiceName(key: string, value: string, macros: MacroValues): string {
  if (key !== RancherLabel.stackServiceName || value.includes('/')) return value;
  const isService = macros.stackServices.some((name) => name.toLowerCase() === value);
  return isService ? `${macros.stackName.toLowerCase()}/${value}` : value;
}

function expandMacros(value: string, macros: MacroValues): string {
  return value.split('${stack_name}').join(macros.stackName.toLowerCase()).split('${service_name}').join(macros.serviceName.toLowerCase());
}
