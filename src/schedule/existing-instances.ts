/**
 * Where each deployment unit instance already runs: read once from the ownership labels of the
 * containers on reachable hosts (a sidekick counts for its unit), and from what unreachable
 * hosts held when they were last read (model/known-hosts.ts). Pure.
 *
 * When one number has copies on several hosts, the copy that stays is, in this order:
 *  1. on a reachable host, unless that host's copy was replaced elsewhere while it was away;
 *  2. on a reachable host whose copy was replaced (no other reachable copy is left);
 *  3. on an unreachable host within host_down_grace (it may still be running there);
 * then the first by host name. A copy on a host unreachable for longer than the grace is
 * lost: the scheduler places the instance again (a global unit keeps it on its host).
 */
import { holds, type KnownHosts } from '../model/known-hosts.js';
import type { Fleet } from './fleet.js';

/** Instance number → host id. */
export type InstanceHosts = ReadonlyMap<number, number>;

/** An unreachable host, as last seen. */
export interface Absence {
  lastSeen: string;
  downForMs: number;
  /** Unreachable for longer than host_down_grace: its units are rescheduled. */
  beyondGrace: boolean;
}

export interface Memory {
  known: KnownHosts;
  now: Date;
  hostDownGraceMs: number;
}

const NONE: InstanceHosts = new Map();

/**
 * `stack` → its copies in the order claimed, flat: unit, instance, host id, unit, … (a stack has a
 * handful); the first copy claimed for a number stays. A unit's instances are gathered when the
 * scheduler asks for them, once per unit, so that a pass holds one short list per stack instead
 * of maps per stack, unit and instance. The containers of a host come grouped by stack, and the
 * scheduler asks for one stack's units after another, so the last stack's list is kept at hand.
 */
class ByUnit {
  private readonly stacks = new Map<string, (string | number)[]>();
  private lastStack?: string;
  private lastCopies?: (string | number)[];

  /** Records the copy (it stays unless the number already has one). */
  claim(owner: { stack: string; unit: string; instance: number }, host: number): void {
    let copies = owner.stack === this.lastStack ? this.lastCopies : this.stacks.get(owner.stack);
    if (!copies) this.stacks.set(owner.stack, (copies = []));
    this.lastStack = owner.stack;
    this.lastCopies = copies;
    copies.push(owner.unit, owner.instance, host);
  }

  get(stack: string, unit: string): InstanceHosts {
    if (this.stacks.size === 0) return NONE;
    if (stack !== this.lastStack) {
      this.lastStack = stack;
      this.lastCopies = this.stacks.get(stack);
    }
    const copies = this.lastCopies;
    if (!copies) return NONE;
    let instances: Map<number, number> | undefined;
    for (let at = 0; at < copies.length; at += 3) {
      if (copies[at] !== unit) continue;
      const instance = copies[at + 1] as number;
      instances ??= new Map();
      if (!instances.has(instance)) instances.set(instance, copies[at + 2] as number);
    }
    return instances ?? NONE;
  }
}

export class ExistingInstances {
  /** `stack` → `unit` → instance → host id of the copy that stays. */
  private readonly staying = new ByUnit();
  /** Copies on hosts unreachable beyond the grace, first by host name. */
  private readonly lost = new ByUnit();
  /** Copies on reachable hosts that were replaced elsewhere while the host was away. */
  private readonly replacedCopies = new ByUnit();
  private readonly absences = new Map<number, Absence>();

  constructor(fleet: Fleet, memory: Memory) {
    for (const host of fleet.hosts) {
      const known = memory.known[host.name];
      if (host.reachable || !known) continue;
      const downForMs = Math.max(0, memory.now.getTime() - Date.parse(known.lastSeen));
      this.absences.set(host.id, { lastSeen: known.lastSeen, downForMs, beyondGrace: downForMs > memory.hostDownGraceMs });
    }
    const reachable = fleet.hosts.filter((h) => h.reachable);
    const marksOf = (name: string) => {
      const replaced = memory.known[name]?.replaced;
      return replaced && Object.keys(replaced).length > 0 ? replaced : undefined;
    };
    // Best copies first, so that the first copy recorded for a number is the one that stays.
    for (const host of reachable) {
      const marks = marksOf(host.name);
      for (const { owner } of host.observed) {
        if (owner && !(marks && holds(marks, owner.stack, owner.unit, owner.instance))) this.staying.claim(owner, host.id);
      }
    }
    for (const host of reachable) {
      const marks = marksOf(host.name);
      if (!marks) continue;
      for (const { owner } of host.observed) {
        if (!owner || !holds(marks, owner.stack, owner.unit, owner.instance)) continue;
        this.staying.claim(owner, host.id);
        this.replacedCopies.claim(owner, host.id);
      }
    }
    // Unreachable hosts: what observe still reports of them (usually nothing), and what they held when last read.
    for (const host of fleet.hosts.filter((h) => !h.reachable)) {
      const into = this.absences.get(host.id)?.beyondGrace ? this.lost : this.staying;
      for (const { owner } of host.observed) if (owner) into.claim(owner, host.id);
      for (const [stack, byUnit] of Object.entries(memory.known[host.name]?.units ?? {})) {
        for (const [unit, instances] of Object.entries(byUnit)) {
          for (const instance of instances) into.claim({ stack, unit, instance }, host.id);
        }
      }
    }
  }

  /** The copies that stay, by instance number. */
  of(stack: string, unit: string): InstanceHosts {
    return this.staying.get(stack, unit);
  }

  /** Copies on hosts unreachable for longer than the grace. */
  lostOf(stack: string, unit: string): InstanceHosts {
    return this.lost.get(stack, unit);
  }

  /** Copies on reachable hosts that were replaced elsewhere while their host was away. */
  replacedOf(stack: string, unit: string): InstanceHosts {
    return this.replacedCopies.get(stack, unit);
  }

  /** How long an unreachable host has been away, when corral saw it before. */
  absence(host: number): Absence | undefined {
    return this.absences.get(host);
  }
}
