/**
 * A chokidar watcher on part of a folder that reports a burst of file events once, after a
 * quiet time. chokidar is loaded when a watch starts: commands that only read a folder do without.
 */
import { relative, sep } from 'node:path';

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
  let stopped = false;
  const watching = import('chokidar').then(({ watch }) => {
    const watcher = watch(root, {
      ignoreInitial: true,
      // A link (say stacks/x -> /usr) is reported as itself, never walked: no watches outside the repository.
      followSymlinks: false,
      ignored: (path) =>
        !isWatched(
          relative(root, path)
            .split(sep)
            .filter((segment) => segment !== ''),
        ),
    });
    watcher.on('all', () => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(onChange, debounceMs);
    });
    watcher.on('error', () => undefined); // a vanished folder is seen by the next refresh
    return watcher;
  });
  const ready = watching.then((watcher) => new Promise<void>((resolve) => watcher.once('ready', () => resolve())));
  return {
    ready,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      void watching.then((watcher) => watcher.close());
    },
  };
}
