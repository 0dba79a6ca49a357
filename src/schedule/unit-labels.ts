/**
 * The labels the containers of a deployment unit instance will carry once created — the
 * service's own labels with Rancher's system labels over them — lowercased, as the scheduler
 * compares them. Built once per service: between instances only the deployment unit label
 * differs, so an instance's labels are the service's with that one value filled in. Pure.
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

export class ServiceLabels {
  /** As for instance 1. */
  private readonly base: ReadonlyMap<string, string>;
  /** Whether the deployment unit label comes from the system labels (a service label of another case can win). */
  private readonly unitLabelIsSystem: boolean;
  /** The deployment unit id lowercased, without its instance number. */
  private readonly unitIdPrefix: string;

  constructor(own: Readonly<Record<string, string>>, stack: string, service: string, primary: string | undefined) {
    const merged = mergeRecords(own, rancherSystemLabels(stack, service, 1, primary));
    this.base = lowercased(merged);
    // As in `lowercased`, the last key (in object order) that lowercases to the unit key wins.
    const unitKeys = Object.keys(merged).filter((key) => key.toLowerCase() === UNIT_KEY);
    this.unitLabelIsSystem = unitKeys[unitKeys.length - 1] === RancherLabel.deploymentUnit;
    this.unitIdPrefix = containerNamePrefix(stack, primary ?? service).toLowerCase();
  }

  forInstance(instance: number): LabelLookup {
    if (!this.unitLabelIsSystem) return this.base;
    return new InstanceLabels(this.base, this.unitIdPrefix + instance);
  }

  /** The value of one label (key lowercased) on an instance's container, without making its whole lookup. */
  valueFor(key: string, instance: number): string | undefined {
    return key === UNIT_KEY && this.unitLabelIsSystem ? this.unitIdPrefix + instance : this.base.get(key);
  }
}

class InstanceLabels implements LabelLookup {
  constructor(
    private readonly base: ReadonlyMap<string, string>,
    private readonly unitId: string,
  ) {}

  get(key: string): string | undefined {
    return key === UNIT_KEY ? this.unitId : this.base.get(key);
  }

  has(key: string): boolean {
    return key === UNIT_KEY || this.base.has(key);
  }
}
