/**
 * What wakes the controller under `corral run`: a full check at start and every interval,
 * the repository's and catalogs' file watches, and Docker events of managed containers (a
 * `die` only once the container reads as stopped, see ./docker-events.ts; a `start` only tells the
 * health monitor). SIGTERM or SIGINT
 * stops every trigger, then the controller finishes the passes in flight.
 */
import type winston from 'winston';
import type { HostConfig } from '../config/config.js';
import { type Clock, systemClock } from './clock.js';
import { type ContainerEvent, type EventWatchOptions, HEALING_ACTIONS, watchDockerEvents } from './docker-events.js';

/** The controller as the triggers see it. */
export interface TriggerTarget {
  requestFullCheck(reason: string): void;
  requestFetch(reason: string): void;
  requestSync(stack: string, reason: string): void;
  /** Every Docker event of a managed container (the health monitor follows starts and removals). */
  noteContainerEvent?(event: ContainerEvent): void;
  /** Finishes the work in flight and takes no more. */
  stop(): Promise<void>;
}

export interface DaemonWiring {
  controller: TriggerTarget;
  /** Reports changes of the repository and its catalogs; returns the function that stops watching. */
  repository: { watch(onChange: () => void): () => void };
  hosts: readonly HostConfig[];
  intervalMs: number;
  logger: winston.Logger;
  clock?: Clock;
  /** Docker events of every host; default watchDockerEvents. */
  watchEvents?: (hosts: readonly HostConfig[], options: EventWatchOptions) => () => void;
  /** Resolves with the signal that stops the daemon; default the first SIGTERM or SIGINT. */
  stopSignal?: Promise<string>;
}

/**
 * Starts every trigger and the first full check; after the stop signal, stops the triggers,
 * waits for the controller to finish the work in flight, and resolves with the signal.
 */
export async function runDaemon(wiring: DaemonWiring): Promise<string> {
  const { controller, logger } = wiring;
  const clock = wiring.clock ?? systemClock;
  const stopSignal = wiring.stopSignal ?? firstSignal(['SIGTERM', 'SIGINT']);
  const stopWatching = wiring.repository.watch(() => controller.requestFetch('repository changed'));
  const stopEvents = (wiring.watchEvents ?? watchDockerEvents)(wiring.hosts, {
    onEvent: (event) => {
      controller.noteContainerEvent?.(event);
      if (HEALING_ACTIONS.some((action) => event.action.startsWith(action)))
        controller.requestSync(event.stack, `container ${event.container} on ${event.host}: ${event.action}`);
    },
    onStreamError: (host, message, retryInMs) => logger.warn('Docker event stream lost; reconnecting', { host, error: message, retryInMs }),
    now: () => clock.now(),
  });
  const timer = clock.setInterval(() => controller.requestFullCheck('interval'), wiring.intervalMs);
  controller.requestFullCheck('start');

  const signal = await stopSignal;
  logger.info('stopping: finishing the operation in flight', { signal });
  clock.clearInterval(timer);
  stopWatching();
  stopEvents();
  await controller.stop();
  return signal;
}

/** The first of these signals the process receives; the others' handlers are removed then. */
export function firstSignal(signals: readonly NodeJS.Signals[]): Promise<string> {
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = () => {
        for (const [other, remove] of handlers) process.off(other, remove);
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
}
