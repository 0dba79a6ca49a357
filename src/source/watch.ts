/** A chokidar watcher on part of a folder that reports a burst of file events once, after a quiet time. */
import { relative, sep } from 'node:path';
import { watch as watchFiles } from 'chokidar';

export interface DebouncedWatch {
  stop(): void;
  /** Resolves once the initial scan is done and events are reported. */
  ready: Promise<void>;
}

/**
 * Watches `root`; `isWatched` gets a path's segments relative to `root` and
 * must return true for every folder on the way to a watched file.
 */
export function watchDebounced(
  root: string,
  isWatched: (segments: readonly string[]) => boolean,
  debounceMs: number,
  onChange: () => void,
): DebouncedWatch {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watchFiles(root, {
    ignoreInitial: true,
    ignored: (path) =>
      !isWatched(
        relative(root, path)
          .split(sep)
          .filter((segment) => segment !== ''),
      ),
  });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  watcher.on('error', () => undefined); // a vanished folder is seen by the next refresh
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    stop: () => {
      clearTimeout(timer);
      void watcher.close();
    },
  };
}
