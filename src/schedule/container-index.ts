/**
 * Which hosts hold a container with a given label, or with a given name, and how many: what
 * container_label and container rules ask, answered without scanning the containers of every
 * host. Only the label keys some rule names are indexed, and names only when a rule asks for one.
 * Keys, values and names are held lowercased, as the rules compare them. Pure, mutable.
 *
 * The host counts of a label value or name, once asked for or counted, stay the same map for the
 * life of the index (emptied, never dropped): a rule holding it sees later placements.
 */
import type { ServiceLabels } from './unit-labels.js';

/** Hosts (by number) holding matching containers, and how many each holds; only hosts with at least one. */
export interface HostCounts {
  readonly size: number;
  has(host: number): boolean;
  /** The hosts, in no particular order. */
  keys(): Iterable<number>;
  /** How many matching containers the host holds. */
  count(host: number): number;
}

/** Not a label key (keys are lowercased, and this one is not lowercase). */
const NOT_INDEXED = '\u0000NOT INDEXED';

/** One container of a deployment unit, for any instance number. */
export interface UnitMember {
  /** The container's name lowercased, without its instance number (model/naming.ts: containerNamePrefix). */
  readonly namePrefix: string;
  /** Its labels once created. */
  readonly labels: ServiceLabels;
}

export class ContainerIndex {
  /** label key → label value → host → containers. */
  private readonly byLabel = new Map<string, Map<string, HostTally>>();
  /** lowercased container name → host → containers. */
  private readonly byName = new Map<string, HostTally>();
  /** Raw Docker label key → the indexed key it lowercases to, or NOT_INDEXED. */
  private readonly keyOf = new Map<string, string>();
  private readonly labelKeys: readonly string[];
  /** Scratch for addObserved: indexed key, raw value, … (kept to spare an array per container). */
  private readonly found: string[] = [];

  /**
   * @param labelKeys the lowercased label keys rules look for
   * @param names whether a rule looks for container names
   */
  constructor(
    labelKeys: ReadonlySet<string>,
    private readonly names: boolean,
  ) {
    this.labelKeys = [...labelKeys];
    for (const key of this.labelKeys) this.byLabel.set(key, new Map());
  }

  /** Whether anything is indexed at all. */
  get indexes(): boolean {
    return this.names || this.labelKeys.length > 0;
  }

  /** Hosts holding a container whose label `key` (lowercased) has the value (lowercased); live (see the header) when the key is indexed. */
  hostsWithLabel(key: string, value: string): HostCounts {
    const values = this.byLabel.get(key);
    return values ? hostsOf(values, value) : new HostTally();
  }

  /** Hosts holding a container with this (lowercased) name; live when names are indexed. */
  hostsWithName(name: string): HostCounts {
    return hostsOf(this.byName, name);
  }

  /**
   * An observed container: labels as Docker reports them (any case). Of several keys that
   * lowercase to the same indexed key, the last one (in object order) counts.
   */
  addObserved(host: number, name: string, labels: Readonly<Record<string, string>>): void {
    if (this.labelKeys.length > 0) this.addObservedLabels(host, labels);
    if (this.names) hostsOf(this.byName, name.toLowerCase()).change(host, 1);
  }

  /** The containers of a unit instance placed by this run (`delta` 1), or taken back (`delta` -1). */
  countUnit(host: number, members: readonly UnitMember[], instance: number, delta: 1 | -1): void {
    for (const member of members) {
      for (const key of this.labelKeys) {
        const value = member.labels.valueFor(key, instance);
        if (value !== undefined) hostsOf(this.byLabel.get(key) as Map<string, HostTally>, value).change(host, delta);
      }
      if (this.names) hostsOf(this.byName, member.namePrefix + instance).change(host, delta);
    }
  }

  private addObservedLabels(host: number, labels: Readonly<Record<string, string>>): void {
    const found = this.found;
    found.length = 0;
    for (const rawKey in labels) {
      const key = this.indexedKey(rawKey);
      if (key !== NOT_INDEXED) found.push(key, labels[rawKey] as string);
    }
    for (let at = 0; at < found.length; at += 2) {
      const key = found[at] as string;
      if (foundLater(found, key, at + 2)) continue; // a later key of another case wins
      const values = this.byLabel.get(key) as Map<string, HostTally>;
      hostsOf(values, (found[at + 1] as string).toLowerCase()).change(host, 1);
    }
  }

  /**
   * The indexed key a Docker label key lowercases to, or NOT_INDEXED; remembered per raw key, as
   * the containers of a fleet share a few dozen label keys between them.
   */
  private indexedKey(rawKey: string): string {
    let key = this.keyOf.get(rawKey);
    if (key === undefined) {
      const lowered = rawKey.toLowerCase();
      this.keyOf.set(rawKey, (key = this.byLabel.has(lowered) ? lowered : NOT_INDEXED));
    }
    return key;
  }
}

/** Whether `key` is among the keys (even positions) of `found` from `from` on. */
function foundLater(found: readonly string[], key: string, from: number): boolean {
  for (let at = from; at < found.length; at += 2) if (found[at] === key) return true;
  return false;
}

/** The host counts of `value`, made empty when it has none yet. */
function hostsOf(byValue: Map<string, HostTally>, value: string): HostTally {
  let hosts = byValue.get(value);
  if (!hosts) byValue.set(value, (hosts = new HostTally()));
  return hosts;
}

/**
 * The counts of one label value or name. Most are held by one or two hosts (a service's own
 * label, on its instances' hosts): those two are kept in fields, the others in a map made when
 * needed — tens of thousands of values, where a map each made most of the index's garbage.
 */
export class HostTally implements HostCounts {
  /** A host number, or -1 for none. */
  private hostA = -1;
  private countA = 0;
  private hostB = -1;
  private countB = 0;
  private more?: Map<number, number>;

  get size(): number {
    return (this.hostA >= 0 ? 1 : 0) + (this.hostB >= 0 ? 1 : 0) + (this.more?.size ?? 0);
  }

  has(host: number): boolean {
    return host >= 0 && (host === this.hostA || host === this.hostB || this.more?.has(host) === true);
  }

  count(host: number): number {
    if (host < 0) return 0;
    if (host === this.hostA) return this.countA;
    if (host === this.hostB) return this.countB;
    return this.more?.get(host) ?? 0;
  }

  keys(): number[] {
    const hosts: number[] = [];
    if (this.hostA >= 0) hosts.push(this.hostA);
    if (this.hostB >= 0) hosts.push(this.hostB);
    if (this.more) for (const host of this.more.keys()) hosts.push(host);
    return hosts;
  }

  /** `delta` matching containers more (fewer when negative) on the host; a host left with none is dropped. */
  change(host: number, delta: number): void {
    if (host === this.hostA) {
      this.countA += delta;
      if (this.countA <= 0) this.hostA = -1;
    } else if (host === this.hostB) {
      this.countB += delta;
      if (this.countB <= 0) this.hostB = -1;
    } else if (this.more?.has(host)) {
      const count = (this.more.get(host) as number) + delta;
      if (count > 0) this.more.set(host, count);
      else this.more.delete(host);
    } else if (delta > 0) {
      if (this.hostA < 0) {
        this.hostA = host;
        this.countA = delta;
      } else if (this.hostB < 0) {
        this.hostB = host;
        this.countB = delta;
      } else (this.more ??= new Map()).set(host, delta);
    }
  }
}
