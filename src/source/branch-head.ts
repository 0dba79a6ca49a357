/** What the git sources share: a branch head found one way or another, and its tree read in place. */
import { GitTreeReader } from './git-tree.js';
import { SerialQueue } from './serial.js';
import type { RepoSnapshot, Source } from './types.js';

export abstract class BranchHeadSource implements Source {
  protected readonly queue = new SerialQueue();
  protected readonly reader: GitTreeReader;
  protected revision: string | undefined;

  protected constructor(gitdir: string, roots?: readonly string[]) {
    this.reader = new GitTreeReader(gitdir, roots);
  }

  abstract describe(): string;

  /** The commit the branch points at now (a ref lookup, or a fetch). */
  protected abstract findHead(): Promise<string>;

  /** The error for a commit whose tree cannot be read. */
  protected unreadable(revision: string, err: Error): Error {
    return new Error(`${this.describe()}: cannot read commit ${revision}: ${err.message}`);
  }

  refresh(): Promise<{ changed: boolean; revision: string }> {
    return this.queue.run(async () => {
      const revision = await this.findHead();
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
      throw this.unreadable(revision, err as Error);
    }
  }
}
