/** The source stage: the GitOps repository at a revision, as the pure stages read it. */
import type { FileTree } from '../model/files.js';

/** The top-level folders of the GitOps repository that a snapshot holds. */
export const SNAPSHOT_ROOTS: readonly string[] = ['catalog', 'stacks', '.corral'];
/** Roots for a snapshot of every file (a catalog repository: templates/, infra-templates/, ...). */
export const WHOLE_TREE: readonly string[] = [''];

export interface RepoSnapshot {
  /** Commit sha; undefined for a plain directory. */
  revision?: string;
  /** Only the files under the source's roots (catalog/, stacks/ and .corral/ of a GitOps repository). */
  files: FileTree;
}

export interface Source {
  /** For logs: never holds credentials. */
  describe(): string;
  /** Looks for a new revision (fetch, ref lookup or directory scan); throws a clear Error when the repository cannot be read. */
  refresh(): Promise<{ changed: boolean; revision?: string }>;
  /** The files at the revision found by the last refresh (refreshes first if there is none yet). */
  snapshot(): Promise<RepoSnapshot>;
  /** Calls onChange (debounced) when the files may have changed; returns the function that stops watching. */
  watch?(onChange: () => void): () => void;
}

export interface GitCredentials {
  username?: string;
  token: string;
}

export interface SourceSpec {
  /** A directory, a local git repository (path or file:// URL) or an http(s) URL. */
  repo: string;
  /** Default `main`. */
  branch?: string;
  /** Where a remote repository is fetched to; default `<cacheRoot>/<hash of url>`. */
  cacheDir?: string;
  /** Default `.corral-cache` under the working directory. */
  cacheRoot?: string;
  credentials?: GitCredentials;
  /** A fetch that takes longer fails; default 60 000. */
  fetchTimeoutMs?: number;
  /** Quiet time after the last file event before a directory watcher reports; default 300. */
  watchDebounceMs?: number;
  /** Top-level folders a snapshot holds; default SNAPSHOT_ROOTS, WHOLE_TREE for every file. */
  roots?: readonly string[];
}

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
export const DEFAULT_WATCH_DEBOUNCE_MS = 300;
