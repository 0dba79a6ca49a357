/**
 * Which hosts hold a container with a given label, or with a given name, and how many: what
 * container_label and container rules ask, answered without scanning the containers of every
 * host. Only the label keys some rule names are indexed, and names only when a rule asks for one.
 * Keys, values and names are held lowercased, as the rules compare them. Pure, mutable.
 */
import type { LabelLookup } from './unit-labels.js';

/** Hosts (by number) mapped to how many matching containers each holds; only hosts with at least one. */
export type HostCounts = ReadonlyMap<number, number>;

const NONE: HostCounts = new Map();
/** Not a label key (keys are lowercased, and this one is not lowercase). */
const NOT_INDEXED = '\u0000NOT INDEXED';

export interface IndexedContainer {
  name: string;
  labels: LabelLookup;
}

export class ContainerIndex {
  /** label key → label value → host → containers. */
  private readonly byLabel = new Map<string, Map<string, Map<number, number>>>();
  /** lowercased container name → host → containers. */
  private readonly byName = new Map<string, Map<number, number>>();
  /** Raw Docker label key → the indexed key it lowercases to, or NOT_INDEXED. */
  private readonly keyOf = new Map<string, string>();

  /**
   * @param labelKeys the lowercased label keys rules look for
   * @param names whether a rule looks for container names
   */
  constructor(
    private readonly labelKeys: ReadonlySet<string>,
    private readonly names: boolean,
  ) {}

  /** Hosts holding a container whose label `key` (lowercased) has the value (lowercased). */
  hostsWithLabel(key: string, value: string): HostCounts {
    return this.byLabel.get(key)?.get(value) ?? NONE;
  }

  /** Hosts holding a container with this (lowercased) name. */
  hostsWithName(name: string): HostCounts {
    return this.byName.get(name) ?? NONE;
  }

  /** An observed container: labels as Docker reports them (any case). */
  addObserved(host: number, name: string, labels: Readonly<Record<string, string>>): void {
    if (this.labelKeys.size > 0) this.countLabels(host, this.indexedLabels(labels), 1);
    if (this.names) this.countName(host, name, 1);
  }

  /** A container placed by this run (`delta` 1), or taken back (`delta` -1). */
  count(host: number, container: IndexedContainer, delta: 1 | -1): void {
    if (this.labelKeys.size > 0) this.countLabels(host, container.labels, delta);
    if (this.names) this.countName(host, container.name, delta);
  }

  /** The indexed keys among Docker's labels, lowercased; a later key wins over an earlier one that lowercases the same. */
  private indexedLabels(labels: Readonly<Record<string, string>>): Map<string, string> {
    const picked = new Map<string, string>();
    for (const rawKey in labels) {
      const key = this.indexedKey(rawKey);
      if (key !== undefined) picked.set(key, (labels[rawKey] as string).toLowerCase());
    }
    return picked;
  }

  /**
   * The indexed key a Docker label key lowercases to, or undefined; remembered per raw key, as
   * the containers of a fleet share a few dozen label keys between them.
   */
  private indexedKey(rawKey: string): string | undefined {
    let key = this.keyOf.get(rawKey);
    if (key === undefined) {
      const lowered = rawKey.toLowerCase();
      this.keyOf.set(rawKey, (key = this.labelKeys.has(lowered) ? lowered : NOT_INDEXED));
    }
    return key === NOT_INDEXED ? undefined : key;
  }

  private countLabels(host: number, labels: LabelLookup, delta: number): void {
    for (const key of this.labelKeys) {
      const value = labels.get(key);
      if (value === undefined) continue;
      let values = this.byLabel.get(key);
      if (!values) this.byLabel.set(key, (values = new Map()));
      let hosts = values.get(value);
      if (!hosts) values.set(value, (hosts = new Map()));
      changeCount(hosts, host, delta);
      if (hosts.size === 0) values.delete(value);
    }
  }

  private countName(host: number, name: string, delta: number): void {
    const lowered = name.toLowerCase();
    let hosts = this.byName.get(lowered);
    if (!hosts) this.byName.set(lowered, (hosts = new Map()));
    changeCount(hosts, host, delta);
    if (hosts.size === 0) this.byName.delete(lowered);
  }
}

function changeCount(hosts: Map<number, number>, host: number, delta: number): void {
  const count = (hosts.get(host) ?? 0) + delta;
  if (count > 0) hosts.set(host, count);
  else hosts.delete(host);
}
