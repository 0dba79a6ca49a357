/**
 * Streams Docker events of managed containers from every host, so that a container that
 * dies or is removed by hand is put back at once. A lost stream reconnects with backoff.
 */
import type { Readable } from 'node:stream';
import type { HostConfig } from '../config/config.js';
import { CorralLabel } from '../model/labels.js';
import { dockerClient } from '../observe/client.js';

export const WATCHED_ACTIONS = ['die', 'destroy', 'oom', 'health_status'] as const;

export interface ContainerEvent {
  host: string;
  stack: string;
  container: string;
  /** `die`, `destroy`, `oom`, or `health_status: unhealthy` and the like. */
  action: string;
}

export interface EventWatchOptions {
  onEvent(event: ContainerEvent): void;
  onStreamError(host: string, message: string, retryInMs: number): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
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

  const reconnectLater = (message: string) => {
    if (stopped) return;
    options.onStreamError(host.name, message, backoff);
    retry = setTimeout(connect, backoff);
    backoff = Math.min(max, backoff * 2);
  };

  const connect = () => {
    if (stopped) return;
    const docker = dockerClient(host.docker);
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
          for (const line of lines) emit(host.name, line, options.onEvent);
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

function emit(host: string, line: string, onEvent: (event: ContainerEvent) => void): void {
  if (line.trim() === '') return;
  try {
    const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const attributes = event.Actor?.Attributes ?? {};
    const stack = attributes[CorralLabel.stack];
    if (!stack || !event.Action) return;
    onEvent({ host, stack, container: attributes['name'] ?? event.Actor?.ID ?? '', action: event.Action });
  } catch {
    // A partial or foreign line: nothing to act on.
  }
}
