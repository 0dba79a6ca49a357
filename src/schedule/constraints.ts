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
  readonly kind: AffinityKind;
  readonly op: AffinityOp;
  /**
   * Lowercased label key for host_label / container_label. Undefined for `container`
   * (the value is a container name) and for an item written without `=`, which,
   * as in Cattle, matches no label at all.
   */
  readonly key?: string;
  /** Lowercased label value, or container name for `container`. */
  readonly value: string;
  /** How messages show it: `host_label zone=a (must)`. */
  readonly text: string;
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
/** The label suffix of each op, for a rule's text: OPS read the other way. */
const SUFFIXES = Object.fromEntries([...OPS].map(([suffix, op]) => [op, suffix])) as Record<AffinityOp, string>;
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
 * A parsed item. Its text is made when a message asks for it: the rules of 10,000 stacks are
 * remembered for as long as the stacks live (schedule/index.ts), and their texts were most of that.
 * (kind, op, key, value) say all the text does: two items have the same text when they are the same.
 */
class Constraint implements AffinityConstraint {
  constructor(
    readonly kind: AffinityKind,
    readonly op: AffinityOp,
    readonly key: string | undefined,
    readonly value: string,
  ) {}

  get text(): string {
    const item = this.key === undefined ? this.value : `${this.key}=${this.value}`;
    return `${this.kind}${SUFFIXES[this.op]} ${item} (${OP_WORDS[this.op]})`;
  }
}

/** Whether two constraints are the same rule (the same text). */
export function sameConstraint(a: AffinityConstraint, b: AffinityConstraint): boolean {
  return a.kind === b.kind && a.op === b.op && a.key === b.key && a.value === b.value;
}

export interface ParsedLabels {
  constraints: AffinityConstraint[];
  warnings: string[];
}

/**
 * Every affinity rule in a service's labels. Label keys and values are lowercased,
 * `${stack_name}` / `${service_name}` expanded, comma lists split into one rule per
 * item (blank items skipped, items trimmed). Unknown kinds or suffixes are warnings.
 * With `shared`, a label whose rules do not depend on the stack is parsed once for all.
 */
export function parseAffinityLabels(labels: Record<string, string>, macros: MacroValues, shared?: SharedLabelRules): ParsedLabels {
  const constraints: AffinityConstraint[] = [];
  const warnings: string[] = [];
  for (const labelKey of Object.keys(labels)) {
    const labelValue = labels[labelKey] as string;
    const parsed = shared ? shared.rulesOf(labelKey, labelValue, macros) : parseLabel(labelKey, labelValue, macros);
    for (const c of parsed.constraints) constraints.push(c);
    for (const w of parsed.warnings) warnings.push(w);
  }
  return { constraints, warnings };
}

/** The kind and op an affinity label's key names; `'no rule'` when it is no affinity label, undefined when it is one corral does not know. */
function affinityRuleOf(labelKey: string): { kind: AffinityKind; op: AffinityOp } | 'no rule' | undefined {
  const key = labelKey.toLowerCase();
  if (!key.startsWith(SchedulingLabel.affinityPrefix)) return 'no rule';
  const rule = key.slice(SchedulingLabel.affinityPrefix.length);
  const kind = KINDS.find((k) => rule.startsWith(k));
  const op = kind === undefined ? undefined : OPS.get(rule.slice(kind.length));
  return kind === undefined || op === undefined ? undefined : { kind, op };
}

/** One label's rules (none when it is no affinity label). */
function parseLabel(labelKey: string, labelValue: string, macros: MacroValues, keys?: Map<string, string>): ParsedLabels {
  const named = affinityRuleOf(labelKey);
  if (named === 'no rule') return NO_RULES;
  if (named === undefined) {
    return {
      constraints: [],
      warnings: [
        `label ${labelKey} is not a scheduling rule and is ignored; accepted: ${SchedulingLabel.affinityPrefix}<host_label|container_label|container>[_ne|_soft|_soft_ne]`,
      ],
    };
  }
  const { kind, op } = named;
  const constraints: AffinityConstraint[] = [];
  const warnings: string[] = [];
  for (const item of commaList(expandMacros(labelValue.toLowerCase(), macros))) {
    const parsed = parseItem(kind, op, item, macros, keys);
    constraints.push(parsed);
    if (kind !== 'container' && parsed.key === undefined) {
      warnings.push(
        `label ${labelKey}: "${item}" is not key=value; as in Cattle it matches no label, so "${parsed.text}" ${wantsMatch(parsed) ? 'no host passes' : 'every host passes'}`,
      );
    }
  }
  return { constraints, warnings };
}

/**
 * The labels' rules for one scheduling pass, shared between services. Stacks rendered from one
 * template carry the same label texts. A label without `${...}` and without the short
 * stack_service.name form (whose meaning depends on the stack's services) parses to the same rules
 * in every stack: it is parsed once and its rules (never changed) are shared. One with macros in
 * item values only is split into items once; each stack then only expands the values (see
 * LabelItems for when that is the same as parsing the expanded text).
 */
export class SharedLabelRules {
  /** Label key → label value → its rules, or its items when they depend on the stack. */
  private readonly known = new Map<string, Map<string, ParsedLabels | LabelItems | typeof PER_STACK>>();
  /** The rules' label keys, one string each. */
  private readonly keys = new Map<string, string>();

  rulesOf(labelKey: string, labelValue: string, macros: MacroValues): ParsedLabels {
    let byValue = this.known.get(labelKey);
    if (!byValue) this.known.set(labelKey, (byValue = new Map()));
    const known = byValue.get(labelValue);
    if (known instanceof LabelItems) return known.rulesFor(macros, this.keys) ?? parseLabel(labelKey, labelValue, macros, this.keys);
    if (known === PER_STACK) return parseLabel(labelKey, labelValue, macros, this.keys);
    if (known !== undefined) return known;
    const parsed = parseLabel(labelKey, labelValue, macros, this.keys);
    byValue.set(labelValue, dependsOnStack(labelValue, parsed) ? (LabelItems.of(labelKey, labelValue) ?? PER_STACK) : parsed);
    return parsed;
  }
}

const PER_STACK = 'per stack';
const NO_RULES: ParsedLabels = { constraints: [], warnings: [] };

function dependsOnStack(labelValue: string, parsed: ParsedLabels): boolean {
  if (parsed === NO_RULES) return false;
  return (
    labelValue.includes('${') || parsed.constraints.some((c) => c.kind === 'container_label' && c.key === RancherLabel.stackServiceName)
  );
}

/**
 * An affinity label's items split before its macros are expanded: `key=value` items whose keys
 * have no macro. Expanding each value then gives the items of the expanded text when the macro
 * values hold no comma, `=`, `$` or white space and are not empty (the items split, trim and divide
 * at the same places); for other values rulesFor gives undefined and the text is parsed.
 */
class LabelItems {
  private constructor(
    private readonly kind: AffinityKind,
    private readonly op: AffinityOp,
    /** key, value with macros, key, … */
    private readonly items: readonly string[],
  ) {}

  /** Undefined when the label is no rule, or has an item without `=` (a warning naming the item) or a macro in a key. */
  static of(labelKey: string, labelValue: string): LabelItems | undefined {
    const named = affinityRuleOf(labelKey);
    if (named === 'no rule' || named === undefined || named.kind === 'container') return undefined;
    const items: string[] = [];
    for (const item of commaList(labelValue.toLowerCase())) {
      const [key, value] = splitOnce(item, '=');
      if (value === undefined || key.includes('$')) return undefined;
      items.push(key, value);
    }
    return new LabelItems(named.kind, named.op, items);
  }

  rulesFor(macros: MacroValues, keys: Map<string, string>): ParsedLabels | undefined {
    if (!plainMacroValue(macros.stackName) || !plainMacroValue(macros.serviceName)) return undefined;
    const constraints: AffinityConstraint[] = [];
    for (let at = 0; at < this.items.length; at += 2) {
      const key = interned(keys, this.items[at] as string);
      const value = expandMacros(this.items[at + 1] as string, macros);
      constraints.push(
        new Constraint(this.kind, this.op, key, this.kind === 'container_label' ? qualifyServiceName(key, value, macros) : value),
      );
    }
    return { constraints, warnings: [] };
  }
}

function plainMacroValue(value: string): boolean {
  return value !== '' && !/[,=$\s]/.test(value);
}

/** The host label `io.rancher.scheduler.require_any`: `k=v` or bare `k` items, comma-separated, lowercased. */
export function parseRequireAny(hostLabels: ReadonlyMap<string, string>): LabelItem[] {
  const value = hostLabels.get(SchedulingLabel.requireAny) ?? '';
  return commaList(value.toLowerCase()).map((item) => {
    const [key, itemValue] = splitOnce(item, '=');
    return itemValue === undefined ? { key } : { key, value: itemValue };
  });
}

/** `keys`: one string per label key, kept instead of a slice of the item (which holds on to the whole item). */
function parseItem(kind: AffinityKind, op: AffinityOp, item: string, macros: MacroValues, keys?: Map<string, string>): AffinityConstraint {
  if (kind === 'container') return new Constraint(kind, op, undefined, item);
  const [key, value] = splitOnce(item, '=');
  if (value === undefined) return new Constraint(kind, op, undefined, item);
  const normalised = kind === 'container_label' ? qualifyServiceName(key, value, macros) : value;
  return new Constraint(kind, op, keys ? interned(keys, key) : key, normalised);
}

function interned(strings: Map<string, string>, text: string): string {
  const known = strings.get(text);
  if (known !== undefined) return known;
  strings.set(text, text);
  return text;
}

/** Cattle's short form: `io.rancher.stack_service.name=db` means `<stack>/db` when db is a service of the stack. */
function qualifyServiceName(key: string, value: string, macros: MacroValues): string {
  if (key !== RancherLabel.stackServiceName || value.includes('/')) return value;
  const isService = macros.stackServices.some((name) => name.toLowerCase() === value);
  return isService ? `${macros.stackName.toLowerCase()}/${value}` : value;
}

function expandMacros(value: string, macros: MacroValues): string {
  if (!value.includes('${')) return value;
  // Replaced through functions: a replacement string would read `$&`, `$1`, … in the macro values.
  const stackName = macros.stackName.toLowerCase();
  const serviceName = macros.serviceName.toLowerCase();
  return value.replaceAll('${stack_name}', () => stackName).replaceAll('${service_name}', () => serviceName);
}
