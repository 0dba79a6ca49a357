/**
 * Streams Docker events of managed containers from every host, so that a container that
 * dies or is removed by hand is put back at once. A lost stream reconnects with backoff.
 *
 * Docker sends `die` while it still holds the container and tears down its network (for a
 * container with published ports that took 200-500 ms on the fleet): until then the
 * container lists as running, and a pass would find nothing to do. So a `die` or `oom` is
 * delivered only once the container reads as stopped (or after STOPPED_WAIT_MAX_MS).
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { HostConfig } from '../config/config.js';
import { CorralLabel } from '../model/labels.js';
import { dockerClient } from '../observe/client.js';

export const WATCHED_ACTIONS = ['start', 'die', 'destroy', 'oom', 'health_status'] as const;
/** Actions after which the stack is converged at once (a `start` only refreshes what the health monitor knows). */
export const HEALING_ACTIONS = ['die', 'destroy', 'oom', 'health_status'] as const;
/** Actions delivered only once the container reads as stopped. */
const STOPPING_ACTIONS = new Set(['die', 'oom']);
const STOPPED_POLL_MS = 50;
const STOPPED_WAIT_MAX_MS = 5000;

export interface ContainerEvent {
  host: string;
  stack: string;
  /** The container's name. */
  container: string;
  /** The container's id. */
  id: string;
  /** `start`, `die`, `destroy`, `oom`, or `health_status: unhealthy` and the like. */
  action: string;
}

export interface EventWatchOptions {
  onEvent(event: ContainerEvent): void;
  onStreamError(host: string, message: string, retryInMs: number): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Milliseconds since the epoch, for the wait on a stopping container; default Date.now. */
  now?: () => number;
}

/** Watches every host; returns a function that stops all streams. */
export function watchDockerEvents(hosts: readonly HostConfig[], options: EventWatchOptions): () => void {
  const stops = hosts.map((host) => watchHost(host, options));
  return () => {
    for (const stop of stops) stop();
  };
}

function watchHost(host: HostConfig, options: EventWatchOptions): () => void {
  const initial = options.initialBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 30_000;
  let backoff = initial;
  let stopped = false;
  let stream: Readable | undefined;
  let retry: NodeJS.Timeout | undefined;
  const now = options.now ?? Date.now;
  // One pair of clients for the watch: a reconnect reuses them.
  const docker = dockerClient(host.docker);
  const inspector = dockerClient(host.docker, { timeoutMs: STOPPED_WAIT_MAX_MS });

  const reconnectLater = (message: string) => {
    if (stopped) return;
    options.onStreamError(host.name, message, backoff);
    retry = setTimeout(connect, backoff);
    backoff = Math.min(max, backoff * 2);
  };

  const connect = () => {
    if (stopped) return;
    const filters = { type: ['container' as const], event: [...WATCHED_ACTIONS] as string[], label: [CorralLabel.managed as string] };
    docker.getEvents({ filters }).then(
      (events) => {
        stream = events as unknown as Readable;
        if (stopped) {
          stream.destroy();
          return;
        }
        backoff = initial;
        let buffered = '';
        stream.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) emit(inspector, host.name, line, options.onEvent, now);
        });
        stream.on('error', (err: Error) => reconnectLater(err.message));
        stream.on('end', () => reconnectLater('event stream ended'));
      },
      (err: unknown) => reconnectLater(err instanceof Error ? err.message : String(err)),
    );
  };

  connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    stream?.destroy();
  };
}

function emit(inspector: Docker, host: string, line: string, onEvent: (event: ContainerEvent) => void, now: () => number): void {
  const event = parseEvent(host, line);
  if (!event) return;
  if (!STOPPING_ACTIONS.has(event.action) || !event.id) {
    onEvent(event);
    return;
  }
  void untilStopped(inspector.getContainer(event.id), now).then(() => onEvent(event));
}

function parseEvent(host: string, line: string): ContainerEvent | undefined {
  if (line.trim() === '') return undefined;
  try {
    const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const attributes = event.Actor?.Attributes ?? {};
    const stack = attributes[CorralLabel.stack];
    if (!stack || !event.Action) return undefined;
    const id = event.Actor?.ID ?? '';
    return { host, stack, container: attributes['name'] ?? id, id, action: event.Action };
  } catch {
    return undefined; // a partial or foreign line: nothing to act on
  }
}

/**
 * Resolves once the container no longer reads as running: Docker answers an inspect only
 * after it has finished handling the exit, so this is usually the first answer. A container
 * that is gone, restarting, or still running after STOPPED_WAIT_MAX_MS resolves too.
 */
async function untilStopped(container: Docker.Container, now: () => number): Promise<void> {
  const deadline = now() + STOPPED_WAIT_MAX_MS;
  while (now() < deadline) {
    const state = await container.inspect().then(
      (info) => info.State,
      () => undefined,
    );
    if (!state?.Running || state.Restarting) return;
    await new Promise((resolve) => setTimeout(resolve, STOPPED_POLL_MS));
  }
}
