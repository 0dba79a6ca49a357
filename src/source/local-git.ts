/**
 * A git repository on this machine (bare or with a work tree), read in place:
 * the snapshot is the tree of the branch head, never the work tree.
 */
import fs from 'node:fs';
import git from 'isomorphic-git';
import { GitTreeReader } from './git-tree.js';
import { SerialQueue } from './serial.js';
import type { RepoSnapshot, Source } from './types.js';

export class LocalGitSource implements Source {
  private readonly queue = new SerialQueue();
  private readonly reader: GitTreeReader;
  private revision: string | undefined;

  constructor(readonly gitdir: string, private readonly display: string, readonly branch: string) {
    this.reader = new GitTreeReader(gitdir);
  }

  describe(): string {
    return `git repository ${this.display} (branch ${this.branch})`;
  }

  /** Resolves the branch head again. */
  refresh(): Promise<{ changed: boolean; revision: string }> {
    return this.queue.run(async () => {
      const revision = await this.resolveBranch();
      const changed = revision !== this.revision;
      this.revision = revision;
      return { changed, revision };
    });
  }

  async snapshot(): Promise<RepoSnapshot> {
    const revision = this.revision ?? (await this.refresh()).revision;
    try {
      return { revision, files: await this.reader.filesAt(revision) };
    } catch (err) {
      throw new Error(`${this.describe()}: cannot read commit ${revision}: ${(err as Error).message}`);
    }
  }

  private async resolveBranch(): Promise<string> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}` });
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError') throw new Error(`${this.describe()}: cannot read the branch: ${(err as Error).message}`);
      const branches = await git.listBranches({ fs, gitdir: this.gitdir }).catch(() => []);
      const known = branches.length > 0 ? `its branches are: ${branches.join(', ')}` : 'it has no branch yet';
      throw new Error(`${this.describe()}: branch ${this.branch} not found; ${known}`);
    }
  }
}
