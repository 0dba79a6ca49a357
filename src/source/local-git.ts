/**
 * A git repository on this machine (bare or with a work tree), read in place:
 * the snapshot is the tree of the branch head, never the work tree.
 */
import fs from 'node:fs';
import git from 'isomorphic-git';
import { BranchHeadSource } from './branch-head.js';
import { DEFAULT_WATCH_DEBOUNCE_MS } from './types.js';
import { watchDebounced } from './watch.js';

export class LocalGitSource extends BranchHeadSource {
  private watchReady: Promise<void> = Promise.resolve();

  constructor(
    readonly gitdir: string,
    private readonly display: string,
    readonly branch: string,
    private readonly watchDebounceMs = DEFAULT_WATCH_DEBOUNCE_MS,
    roots?: readonly string[],
  ) {
    super(gitdir, roots);
  }

  describe(): string {
    return `git repository ${this.display} (branch ${this.branch})`;
  }

  /** Reports when a branch ref may have moved (a commit, push, reset or gc), debounced; refresh() tells whether this branch did. */
  watch(onChange: () => void): () => void {
    const watching = watchDebounced(this.gitdir, isRefPath, this.watchDebounceMs, onChange);
    this.watchReady = watching.ready;
    return watching.stop;
  }

  /** Resolves once the latest watcher reports events (for tests). */
  whenWatching(): Promise<void> {
    return this.watchReady;
  }

  /** Resolves the branch head again. */
  protected async findHead(): Promise<string> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}` });
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError')
        throw new Error(`${this.describe()}: cannot read the branch: ${(err as Error).message}`);
      const branches = await git.listBranches({ fs, gitdir: this.gitdir }).catch(() => []);
      const known = branches.length > 0 ? `its branches are: ${branches.join(', ')}` : 'it has no branch yet';
      throw new Error(`${this.describe()}: branch ${this.branch} not found; ${known}`);
    }
  }
}

/** refs/heads/** and packed-refs inside the git directory. */
function isRefPath(segments: readonly string[]): boolean {
  const [top, second] = segments;
  if (top === undefined) return true;
  if (top === 'packed-refs') return segments.length === 1;
  return top === 'refs' && (second === undefined || second === 'heads');
}
