/**
 * The labels the containers of a deployment unit instance will carry once created — the
 * service's own labels with Rancher's system labels over them — lowercased, as the scheduler
 * compares them. Between instances only the deployment unit label differs, so an instance's
 * labels are the service's with that one value filled in. Pure.
 *
 * A service's labels are kept for as long as its desired stack lives (schedule/index.ts), so
 * they are not copied: in the usual case (the service's own keys lowercase, none of them a
 * system key) a label is read from the service's own labels or worked out from the system ones
 * when asked. Only otherwise are the labels merged and lowercased into one map, as Rancher did.
 */
import { RancherLabel } from '../model/labels.js';
import { containerNamePrefix, rancherSystemLabels } from '../model/naming.js';
import { mergeRecords } from '../util/records.js';
import { lowercased } from './fleet.js';

/** Lowercased keys and values. */
export interface LabelLookup {
  get(key: string): string | undefined;
  has(key: string): boolean;
}

const UNIT_KEY = RancherLabel.deploymentUnit.toLowerCase();
const SYSTEM_KEYS: ReadonlySet<string> = new Set(Object.keys(rancherSystemLabels('s', 's', 1)).map((key) => key.toLowerCase()));

export class ServiceLabels {
  /**
   * The labels merged and lowercased, as for instance 1; only made when an own key is not lowercase
   * or is a system key (otherwise no label of one kind overrides a label of the other).
   */
  private readonly merged?: ReadonlyMap<string, string>;
  /**
   * Whether the deployment unit label comes from the system labels: as in `lowercased`, the last key
   * (in object order) that lowercases to the unit key wins, and a service label of another case after
   * the system one can.
   */
  private readonly unitLabelIsSystem: boolean;
  /** The last system label asked for (lowercased), and its value: rules ask for one or two keys. */
  private systemKey?: string;
  private systemValue?: string;
  private idPrefix?: string;

  constructor(
    private readonly own: Readonly<Record<string, string>>,
    private readonly stack: string,
    private readonly service: string,
    private readonly primary: string | undefined,
  ) {
    const apart = Object.keys(own).every((key) => !SYSTEM_KEYS.has(key.toLowerCase()) && key === key.toLowerCase());
    if (apart) {
      this.unitLabelIsSystem = true;
      return;
    }
    const merged = mergeRecords(own, rancherSystemLabels(stack, service, 1, primary));
    this.merged = lowercased(merged);
    const unitKeys = Object.keys(merged).filter((key) => key.toLowerCase() === UNIT_KEY);
    this.unitLabelIsSystem = unitKeys[unitKeys.length - 1] === RancherLabel.deploymentUnit;
  }

  forInstance(instance: number): LabelLookup {
    if (this.merged && !this.unitLabelIsSystem) return this.merged;
    return { get: (key) => this.valueFor(key, instance), has: (key) => this.has(key) };
  }

  /** The value of one label (key lowercased) on an instance's container, without making its whole lookup. */
  valueFor(key: string, instance: number): string | undefined {
    if (this.merged) return key === UNIT_KEY && this.unitLabelIsSystem ? this.unitIdPrefix() + instance : this.merged.get(key);
    if (key === UNIT_KEY) return this.unitIdPrefix() + instance;
    if (SYSTEM_KEYS.has(key)) return this.systemLabel(key);
    return Object.hasOwn(this.own, key) ? (this.own[key] as string).toLowerCase() : undefined;
  }

  private has(key: string): boolean {
    return this.merged ? this.merged.has(key) : SYSTEM_KEYS.has(key) || Object.hasOwn(this.own, key);
  }

  /** A system label's value (the system keys are lowercase). */
  private systemLabel(key: string): string | undefined {
    if (key !== this.systemKey) {
      this.systemKey = key;
      this.systemValue = rancherSystemLabels(this.stack, this.service, 1, this.primary)[key]?.toLowerCase();
    }
    return this.systemValue;
  }

  /** The deployment unit id lowercased, without its instance number. */
  private unitIdPrefix(): string {
    this.idPrefix ??= containerNamePrefix(this.stack, this.primary ?? this.service).toLowerCase();
    return this.idPrefix;
  }
}
