/**
 * The catalogs beside the repository's own, opened as sources: a folder read as it is on
 * disk, or a git repository fetched into the cache (.corral-cache/) and read at the head of
 * its branch. A catalog that cannot be read keeps serving its last good files; one that was
 * never read is reported, and only the stacks that use it fail.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CatalogConfig } from '../config/catalogs.js';
import { type Diagnostic, error } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import { DirectorySource } from '../source/directory.js';
import { type Source, WHOLE_TREE } from '../source/types.js';

export interface CatalogFiles {
  files: FileTree;
  /** How paths of the catalog's files are shown in messages. */
  displayRoot: string;
}

export interface CatalogSnapshot {
  catalogs: Record<string, CatalogFiles>;
  /** Catalogs never read, with why. */
  unavailable: Record<string, string>;
  /** A catalog that could not be read at the last refresh (it serves its last good files, if any). */
  problems: Diagnostic[];
}

export interface GitCatalogOptions {
  /** Where remote catalogs are fetched to (one folder per URL); default `.corral-cache`. */
  cacheRoot?: string;
  fetchTimeoutMs?: number;
}

interface OpenCatalog {
  name: string;
  source: Source;
  displayRoot: string;
  /** A folder catalog's folder, which must exist. */
  directory?: string;
  /** The error of the last refresh, when it failed. */
  error?: string;
  files?: FileTree;
}

export class CatalogSources {
  private constructor(private readonly catalogs: OpenCatalog[]) {}

  /** Opens every catalog without reading it; git catalogs are fetched by the first refresh. */
  static async open(specs: readonly CatalogConfig[], options: GitCatalogOptions = {}): Promise<CatalogSources> {
    const opened = await Promise.all(
      specs.map(async (spec): Promise<OpenCatalog> => {
        if ('directory' in spec) {
          const directory = resolve(spec.directory);
          const source = new DirectorySource(directory, undefined, WHOLE_TREE);
          return { name: spec.name, source, directory, displayRoot: spec.directory.replace(/\/+$/, '') };
        }
        // Loaded only when a git catalog is configured: `corral validate` of a plain repository does without git.
        const { openSource } = await import('../source/index.js');
        const source = await openSource({
          repo: spec.url,
          branch: spec.branch,
          roots: WHOLE_TREE,
          ...options,
        });
        return { name: spec.name, source, displayRoot: `catalog:${spec.name}` };
      }),
    );
    return new CatalogSources(opened);
  }

  get size(): number {
    return this.catalogs.length;
  }

  describe(): string[] {
    return this.catalogs.map((catalog) => `${catalog.name}: ${catalog.source.describe()}`);
  }

  /** Refreshes every catalog side by side; `changed` when any has new files. A failure is kept, not thrown. */
  async refresh(): Promise<{ changed: boolean }> {
    const results = await Promise.all(
      this.catalogs.map(async (catalog) => {
        try {
          if (catalog.directory !== undefined) await requireDirectory(catalog.directory);
          const { changed } = await catalog.source.refresh();
          const recovered = catalog.error !== undefined;
          delete catalog.error;
          return changed || recovered || catalog.files === undefined;
        } catch (err) {
          const changedError = catalog.error !== (err as Error).message;
          catalog.error = (err as Error).message;
          return changedError;
        }
      }),
    );
    return { changed: results.some(Boolean) };
  }

  /** The files of every catalog read so far (the last good ones of a catalog that now fails). */
  async snapshot(): Promise<CatalogSnapshot> {
    const snapshot: CatalogSnapshot = { catalogs: {}, unavailable: {}, problems: [] };
    for (const catalog of this.catalogs) {
      if (catalog.error === undefined) {
        catalog.files = await catalog.source.snapshot().then(
          (read) => read.files,
          (err: Error) => {
            catalog.error = err.message;
            return catalog.files;
          },
        );
      }
      if (catalog.error !== undefined)
        snapshot.problems.push(error(catalog.displayRoot, `catalog "${catalog.name}" cannot be read: ${catalog.error}`));
      if (catalog.files) snapshot.catalogs[catalog.name] = { files: catalog.files, displayRoot: catalog.displayRoot };
      else snapshot.unavailable[catalog.name] = catalog.error ?? 'not read yet';
    }
    return snapshot;
  }

  /** Watches the catalogs that can be watched (folders, local git); returns the function that stops it all. */
  watch(onChange: () => void): () => void {
    const stops = this.catalogs.map((catalog) => catalog.source.watch?.(onChange) ?? (() => {}));
    return () => {
      for (const stop of stops) stop();
    };
  }
}

async function requireDirectory(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${directory}: no such directory`);
}
