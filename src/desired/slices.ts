/**
 * Runs long synchronous work in slices, handing the event loop back (setImmediate) between them
 * once a slice has taken its time, so that timers, I/O and the daemon's API are served meanwhile.
 * The work stays pure (a generator that yields at its steps); only the waiting is here.
 */
import { setImmediate } from 'node:timers/promises';

/** How long the work runs before the event loop is handed back: short enough for the API, long enough to cost little. */
export const SLICE_MS = 25;

/** Tells when the current slice of work is over, and hands the event loop back. */
export class Slices {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Hands the event loop back if the slice has taken its time (and starts the next one). */
  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await setImmediate();
    this.sliceStart = performance.now();
  }
}

/** The generator's result, run in slices of about `sliceMs` each. */
export async function inSlices<T>(steps: Generator<void, T, void>, sliceMs = SLICE_MS): Promise<T> {
  const slices = new Slices(sliceMs);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await slices.pause();
  }
}
