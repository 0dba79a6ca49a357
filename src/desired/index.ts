/**
 * The one path from the GitOps repository to the desired state, taken by every command
 * (validate, render, plan, sync, catalog) and by the daemon: the repository's files at a
 * revision, the catalogs of the config (and of `--catalog`), encrypted answers opened with
 * the identities given, all rendered by render/desired-state (pure).
 */
import type { CatalogConfig } from '../config/catalogs.js';
import type { FileTree } from '../model/files.js';
import type { Policy } from '../policy/types.js';
import { type DesiredState, desiredStateSteps } from '../render/desired-state.js';
import { StackRenders } from '../render/stack-renders.js';
import type { SecretAnswers } from '../secrets/answers.js';
import { SerialQueue } from '../source/serial.js';
import type { Source } from '../source/types.js';
import { CatalogSources, type GitCatalogOptions } from './catalogs.js';
import { OpenedAnswers } from './opened-answers.js';
import { inSlices } from './slices.js';

export interface DesiredStateSourceOptions {
  /** The GitOps repository (catalog/, stacks/, .corral/). */
  repo: Source;
  /** Catalogs beside the repository's own, addressed as `<name>:<template>`. */
  catalogs?: readonly CatalogConfig[];
  /** age identities that open encrypted answers. */
  identities?: readonly string[];
  /** Without identities: encrypted answers are checked as far as they can be, or their stacks fail (default). */
  withoutIdentity?: 'unchecked' | 'none';
  /** The operators' policy every stack is checked against (DEFAULT_POLICY when absent). */
  policy?: Policy;
  /** For git catalogs: where remote ones are fetched to, and how long a fetch may take. */
  git?: GitCatalogOptions;
}

export interface DesiredRead {
  /** The repository's commit; undefined for a plain directory. */
  revision?: string;
  /** The repository's files at that revision. */
  files: FileTree;
  state: DesiredState;
}

export class DesiredStateSource {
  /** With identities: the answers opened by the last read, by stack folder; a new revision opens only the answers it adds. */
  private readonly answers: OpenedAnswers | undefined;
  /** What the last read rendered of each stack: a new revision renders only the stacks whose inputs changed. */
  private readonly renders = new StackRenders();
  /** One read at a time: a read hands the event loop back between stacks, and the renders are the last read's. */
  private readonly reads = new SerialQueue();

  private constructor(
    private readonly options: DesiredStateSourceOptions,
    private readonly catalogs: CatalogSources,
  ) {
    this.answers = options.identities ? new OpenedAnswers(options.identities) : undefined;
  }

  /** Opens the repository's catalogs without reading anything. */
  static async open(options: DesiredStateSourceOptions): Promise<DesiredStateSource> {
    const catalogs = await CatalogSources.open(options.catalogs ?? [], options.git);
    return new DesiredStateSource(options, catalogs);
  }

  /** The repository (for logs: never holds credentials). */
  describe(): string {
    return this.options.repo.describe();
  }

  /** The extra catalogs, one `name: source` line each. */
  describeCatalogs(): string[] {
    return this.catalogs.describe();
  }

  /**
   * Looks for a new revision of the repository and of every catalog; `changed` when any moved.
   * Throws when the repository cannot be read; a catalog that cannot be read is reported by read().
   */
  async refresh(): Promise<{ changed: boolean }> {
    const [repo, catalogs] = await Promise.all([this.options.repo.refresh(), this.catalogs.refresh()]);
    return { changed: repo.changed || catalogs.changed };
  }

  /**
   * The desired state of the files found by the last refresh. Stacks whose inputs are those of the
   * last read are not rendered again, and the rendering hands the event loop back every few
   * milliseconds (the daemon's API, timers and Docker events go on meanwhile).
   */
  read(): Promise<DesiredRead> {
    return this.reads.run(() => this.readNow());
  }

  private async readNow(): Promise<DesiredRead> {
    const snapshot = await this.options.repo.snapshot();
    const catalogs = await this.catalogs.snapshot();
    const options = {
      extraCatalogs: catalogs.catalogs,
      unavailableCatalogs: catalogs.unavailable,
      ...(this.options.policy ? { policy: this.options.policy } : {}),
      ...(snapshot.revision === undefined ? {} : { revision: snapshot.revision }),
    };
    const secrets: SecretAnswers = this.answers
      ? await this.answers.open(snapshot.files)
      : { mode: this.options.withoutIdentity ?? 'none' };
    const state = await inSlices(desiredStateSteps(snapshot.files, { ...options, secrets }, this.renders));
    return {
      files: snapshot.files,
      state: { ...state, catalogDiagnostics: [...catalogs.problems, ...state.catalogDiagnostics] },
      ...(snapshot.revision === undefined ? {} : { revision: snapshot.revision }),
    };
  }

  /** Calls onChange when the repository or a catalog may have changed; returns the function that stops watching. */
  watch(onChange: () => void): () => void {
    const stopRepo = this.options.repo.watch?.(onChange) ?? (() => {});
    const stopCatalogs = this.catalogs.watch(onChange);
    return () => {
      stopRepo();
      stopCatalogs();
    };
  }
}
