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
 * - the stacks of a shared pass that failed run again, each in a pass of its own, and a stack
 *   keeps passes of its own until one succeeds: one stack that makes passes throw cannot stop
 *   the others.
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
  /** Stacks whose shared pass failed, until a pass of their own succeeds. */
  readonly #alone = new Set<string>();
  /** Passes taken so far, and the number of the last pass that took each stack. */
  #taken = 0;
  readonly #takenBy = new Map<string, number>();

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
    this.#taken += 1;
    for (const stack of stacks) {
      for (const reason of this.#waiting.get(stack) ?? []) reasons.add(reason);
      this.#waiting.delete(stack);
      this.#urgent.delete(stack);
      this.#converging.add(stack);
      this.#takenBy.set(stack, this.#taken);
    }
    return { stacks, reasons: [...reasons] };
  }

  /** A pass ended: its stacks are free. Those of a shared pass that failed are asked for again, each alone. */
  done(work: PassWork, failed: boolean): void {
    for (const stack of work.stacks) this.#converging.delete(stack);
    const [only] = work.stacks;
    if (work.stacks.length === 1 && only !== undefined && !failed) this.#alone.delete(only);
    if (work.stacks.length > 1 && failed) {
      for (const stack of work.stacks) this.#alone.add(stack);
      this.ask(work.stacks, work.reasons);
    }
  }

  /** Whether the stack waits for a pass or is in one. */
  busy(stack: string): boolean {
    return this.#waiting.has(stack) || this.#converging.has(stack);
  }

  /** A mark of the passes taken so far, for takenSince. */
  mark(): number {
    return this.#taken;
  }

  /** Whether a pass taken after `mark` took the stack. */
  takenSince(stack: string, mark: number): boolean {
    return (this.#takenBy.get(stack) ?? 0) > mark;
  }

  /** Forgets the stacks waiting (not those in a pass). */
  dropWaiting(): void {
    this.#waiting.clear();
    this.#urgent.clear();
  }

  /** A stack that runs alone, if one is free; else the free stacks in the order urgent first, then asked. */
  #nextStacks(): string[] {
    const free = (stack: string) => this.#waiting.has(stack) && !this.#converging.has(stack);
    const order = new Set([...this.#urgent, ...this.#waiting.keys()]);
    const stacks: string[] = [];
    for (const stack of order) {
      if (!free(stack)) continue;
      if (this.#alone.has(stack)) return [stack];
      if (stacks.length < this.maxStacksPerPass) stacks.push(stack);
    }
    return stacks;
  }
}
