/**
 * Which stacks the daemon's next stack pass takes (./controller.ts runs the passes). Every pass
 * observes every host and schedules every stack, whatever it converges, so passes take stacks
 * together:
 * - a pass takes the stacks waiting that no pass holds, at most `maxStacksPerPass`: a revision that
 *   changes many stacks costs a few passes, not one per stack, and a stack in a pass waits for no
 *   more than that many stacks' work before it can be asked for again;
 * - stacks asked for one by one (a container died, its health changed, a sync of that stack) go
 *   before the others, so that self-healing does not queue behind a catalog-wide upgrade;
 * - a stack is in one pass at a time: asked for during it, it waits, and runs once more after;
 * - the stacks of a shared pass that failed are split in two groups, each run again in a pass of
 *   its own, and so on down to one stack: one stack that makes passes throw is found in a few
 *   passes and then runs alone (after the stacks without a group) until a pass of its own
 *   succeeds, so it cannot stop the others. A group whose pass succeeds joins the others again.
 * Pure: no I/O, no timers.
 */

/** Stacks a pass takes at most (the rest wait for the next pass). */
export const MAX_STACKS_PER_PASS = 100;

export interface PassWork {
  stacks: string[];
  /** Why each of them was asked for, each reason once. */
  reasons: string[];
}

export class PassQueue {
  /** Stacks asked for that no pass has taken yet, in the order asked, with why. */
  readonly #waiting = new Map<string, Set<string>>();
  /** Those of them asked for one by one, in the order asked. */
  readonly #urgent = new Set<string>();
  /** Stacks in a pass now. */
  readonly #converging = new Set<string>();
  /** Stacks of failed shared passes, by the group they run in (a group of one runs alone). */
  readonly #groups = new Map<string, number>();
  #lastGroup = 0;
  /** Counts passes taken and ended; for each stack, the count when a pass last took or ended it. */
  #events = 0;
  readonly #touched = new Map<string, number>();

  constructor(private readonly maxStacksPerPass = MAX_STACKS_PER_PASS) {}

  /** Asks for a pass of each stack; `urgent` puts them before the stacks asked for together. */
  ask(stacks: readonly string[], reasons: readonly string[], urgent = false): void {
    for (const stack of stacks) {
      const why = this.#waiting.get(stack) ?? new Set<string>();
      for (const reason of reasons) why.add(reason);
      this.#waiting.set(stack, why);
      if (urgent) this.#urgent.add(stack);
    }
  }

  /** The stacks of the next pass, now held by it; undefined when every stack waiting is held by a pass. */
  take(): PassWork | undefined {
    const stacks = this.#nextStacks();
    if (stacks.length === 0) return undefined;
    const reasons = new Set<string>();
    this.#events += 1;
    for (const stack of stacks) {
      for (const reason of this.#waiting.get(stack) ?? []) reasons.add(reason);
      this.#waiting.delete(stack);
      this.#urgent.delete(stack);
      this.#converging.add(stack);
      this.#touched.set(stack, this.#events);
    }
    return { stacks, reasons: [...reasons] };
  }

  /**
   * A pass ended: its stacks are free. A pass that succeeded takes its stacks out of their group;
   * the stacks of a failed shared pass are split in two groups and returned, to be asked for again
   * (by a caller that still takes work).
   */
  done(work: PassWork, failed: boolean): string[] {
    this.#events += 1;
    for (const stack of work.stacks) {
      this.#converging.delete(stack);
      this.#touched.set(stack, this.#events);
      if (!failed) this.#groups.delete(stack);
    }
    if (!failed || work.stacks.length === 1) return [];
    const half = Math.ceil(work.stacks.length / 2);
    for (const part of [work.stacks.slice(0, half), work.stacks.slice(half)]) {
      this.#lastGroup += 1;
      for (const stack of part) this.#groups.set(stack, this.#lastGroup);
    }
    return work.stacks;
  }

  /** Whether the stack waits for a pass (and is in none). */
  waits(stack: string): boolean {
    return this.#waiting.has(stack) && !this.#converging.has(stack);
  }

  /** Whether a pass holds the stack now. */
  inPass(stack: string): boolean {
    return this.#converging.has(stack);
  }

  /** A mark of the passes taken and ended so far, for touchedSince. */
  mark(): number {
    return this.#events;
  }

  /** Whether a pass took or ended the stack after `mark`. */
  touchedSince(stack: string, mark: number): boolean {
    return (this.#touched.get(stack) ?? 0) > mark;
  }

  /** Forgets the stacks waiting (not those in a pass). */
  dropWaiting(): void {
    this.#waiting.clear();
    this.#urgent.clear();
  }

  /** Forgets what is kept of stacks that are gone (not waiting, not in a pass). */
  forget(stacks: Iterable<string>): void {
    for (const stack of stacks) {
      if (this.#waiting.has(stack) || this.#converging.has(stack)) continue;
      this.#groups.delete(stack);
      this.#touched.delete(stack);
    }
  }

  /** The free stacks without a group (urgent first, then in the order asked); else the free stacks of the first group. */
  #nextStacks(): string[] {
    const free = [...new Set([...this.#urgent, ...this.#waiting.keys()])].filter((stack) => !this.#converging.has(stack));
    const ungrouped = free.filter((stack) => !this.#groups.has(stack));
    if (ungrouped.length > 0) return ungrouped.slice(0, this.maxStacksPerPass);
    const [first] = free;
    if (first === undefined) return [];
    const group = this.#groups.get(first);
    return free.filter((stack) => this.#groups.get(stack) === group).slice(0, this.maxStacksPerPass);
  }
}
