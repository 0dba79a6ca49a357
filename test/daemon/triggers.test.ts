/** The daemon's triggers with a fake controller, clock, file watch and Docker event stream. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import winston from 'winston';
import type { Clock } from '../../src/daemon/clock.js';
import type { EventWatchOptions } from '../../src/daemon/docker-events.js';
import { firstSignal, runDaemon, type TriggerTarget } from '../../src/daemon/triggers.js';

class RecordingController implements TriggerTarget {
  readonly calls: string[] = [];
  private release = () => {};
  readonly stopped = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  requestFullCheck(reason: string): void {
    this.calls.push(`full check: ${reason}`);
  }
  requestFetch(reason: string): void {
    this.calls.push(`fetch: ${reason}`);
  }
  requestSync(stack: string, reason: string): void {
    this.calls.push(`sync ${stack}: ${reason}`);
  }
  stop(): Promise<void> {
    this.calls.push('stop');
    return this.stopped;
  }
  /** The work in flight is done. */
  drained(): void {
    this.release();
  }
}

class ManualClock implements Clock {
  ticks: { callback: () => void; ms: number } | undefined;
  now(): number {
    return 0;
  }
  setInterval(callback: () => void, ms: number): unknown {
    this.ticks = { callback, ms };
    return 'the timer';
  }
  clearInterval(handle: unknown): void {
    if (handle === 'the timer') this.ticks = undefined;
  }
}

test('start, interval, file watch and Docker events feed the controller; the stop signal stops them all, then drains', async () => {
  const controller = new RecordingController();
  const clock = new ManualClock();
  let onFileChange: (() => void) | undefined;
  let events: EventWatchOptions | undefined;
  const stopped: string[] = [];
  let signal = (_name: string) => {};
  const done = runDaemon({
    controller,
    repository: {
      watch: (onChange) => {
        onFileChange = onChange;
        return () => stopped.push('watch');
      },
    },
    hosts: [],
    intervalMs: 30_000,
    logger: winston.createLogger({ silent: true }),
    clock,
    watchEvents: (_hosts, options) => {
      events = options;
      return () => stopped.push('events');
    },
    stopSignal: new Promise((resolve) => {
      signal = resolve;
    }),
  });
  assert.equal(clock.ticks?.ms, 30_000);
  clock.ticks?.callback();
  onFileChange?.();
  events?.onEvent({ host: 'h2', stack: 'shop', container: 'shop-web-1', id: 'c0ffee', action: 'die' });
  assert.deepEqual(controller.calls, [
    'full check: start',
    'full check: interval',
    'fetch: repository changed',
    'sync shop: container shop-web-1 on h2: die',
  ]);

  signal('SIGTERM');
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(clock.ticks, undefined, 'the interval is cleared');
  assert.deepEqual(stopped.sort(), ['events', 'watch']);
  assert.equal(controller.calls.at(-1), 'stop');
  assert.equal(finished, false, 'runDaemon waits for the work in flight');
  controller.drained();
  assert.equal(await done, 'SIGTERM');
});

test('firstSignal resolves with the first signal and removes its handlers', async () => {
  const before = [process.listenerCount('SIGUSR1'), process.listenerCount('SIGUSR2')];
  const first = firstSignal(['SIGUSR1', 'SIGUSR2']);
  assert.deepEqual([process.listenerCount('SIGUSR1'), process.listenerCount('SIGUSR2')], [before[0]! + 1, before[1]! + 1]);
  process.emit('SIGUSR2');
  assert.equal(await first, 'SIGUSR2');
  assert.deepEqual([process.listenerCount('SIGUSR1'), process.listenerCount('SIGUSR2')], before);
});
