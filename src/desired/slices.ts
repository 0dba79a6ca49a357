/**
 * Runs a long synchronous computation that yields at its steps (a generator), handing the event
 * loop back between steps once a slice of work has taken its time, so that timers, I/O and the
 * daemon's API are served meanwhile. The steps stay pure; only the waiting is here.
 */
import { setImmediate } from 'node:timers/promises';

/** How long the work runs before the event loop is handed back: short enough for the API, long enough to cost little. */
export const SLICE_MS = 25;

/** The generator's result, run in slices of about `sliceMs` each. */
export async function inSlices<T>(steps: Generator<void, T, void>, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart < sliceMs) continue;
    await setImmediate();
    sliceStart = performance.now();
  }
}
