/** The source stage: opens the GitOps repository named by `--repo` (a directory, a local git repository, or an http(s) remote). */
import { resolve } from 'node:path';
import { DirectorySource } from './directory.js';
import { LocalGitSource } from './local-git.js';
import { locateRepo } from './location.js';
import { defaultCacheDir, RemoteGitSource } from './remote-git.js';
import { DEFAULT_BRANCH, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_WATCH_DEBOUNCE_MS, type Source, type SourceSpec } from './types.js';

export { DirectorySource, readDirectoryTree } from './directory.js';
export { LocalGitSource } from './local-git.js';
export { redactUrl } from './location.js';
export type { GitCredentials, RepoSnapshot, Source, SourceSpec } from './types.js';
export { SNAPSHOT_ROOTS, WHOLE_TREE } from './types.js';

/** Opens a source without fetching: the first refresh() (or snapshot()) reads the repository. */
export async function openSource(spec: SourceSpec): Promise<Source> {
  const location = await locateRepo(spec.repo);
  const branch = spec.branch ?? DEFAULT_BRANCH;
  const debounceMs = spec.watchDebounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  if (location.kind === 'directory') return new DirectorySource(location.root, debounceMs, spec.roots);
  if (location.kind === 'local-git') return new LocalGitSource(location.gitdir, location.display, branch, debounceMs, spec.roots);
  const credentials = spec.credentials ?? location.credentials;
  return RemoteGitSource.open({
    url: location.url,
    branch,
    gitdir: spec.cacheDir ? resolve(spec.cacheDir) : defaultCacheDir(location.url, spec.cacheRoot),
    fetchTimeoutMs: spec.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    ...(spec.roots ? { roots: spec.roots } : {}),
    ...(credentials ? { credentials } : {}),
  });
}
