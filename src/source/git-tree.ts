/**
 * Reads catalog/** and stacks/** of a commit from a git object database with
 * isomorphic-git, in place. Trees and blob texts are cached by object id, so a
 * new commit costs only the trees and blobs it changed, and the same commit
 * returns the same FileTree object.
 */
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { FileTree } from '../model/files.js';
import { isBinaryName, textOf } from './text.js';
import { SNAPSHOT_ROOTS } from './types.js';

/** A file inside a tree: its path relative to that tree and its blob id. */
type TreeFile = readonly [path: string, blobOid: string];

const REGULAR_FILE_MODES = new Set(['100644', '100755']);
/** Object reads in flight at once: reads wait mostly on the file system, so overlapping them pays. */
const READ_CONCURRENCY = 16;

export class GitTreeReader {
  /** isomorphic-git's own cache (parsed pack indexes). */
  private readonly objectCache = {};
  private trees = new Map<string, readonly TreeFile[]>();
  private texts = new Map<string, string>();
  private last: { revision: string; files: FileTree } | undefined;

  constructor(
    readonly gitdir: string,
    /** Top-level folders read; '' is the whole tree. */
    private readonly roots: readonly string[] = SNAPSHOT_ROOTS,
  ) {}

  async filesAt(revision: string): Promise<FileTree> {
    if (this.last?.revision === revision) return this.last.files;
    const usedTrees = new Map<string, readonly TreeFile[]>();
    const usedTexts = new Map<string, string>();
    const files = new Map<string, string>();
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: revision, cache: this.objectCache });
    const root = await git.readTree({ fs, gitdir: this.gitdir, oid: commit.tree, cache: this.objectCache });
    const listed: TreeFile[] = [];
    for (const top of this.roots) {
      const oid = top === '' ? commit.tree : root.tree.find((candidate) => candidate.path === top && candidate.type === 'tree')?.oid;
      if (!oid) continue;
      for (const [path, blobOid] of await this.filesOfTree(oid, usedTrees)) listed.push([top === '' ? path : `${top}/${path}`, blobOid]);
    }
    const texts = await mapConcurrently(listed, READ_CONCURRENCY, ([path, blobOid]) => this.textOfBlob(blobOid, path, usedTexts));
    for (const [index, [path]] of listed.entries()) files.set(path, texts[index] ?? '');
    this.trees = usedTrees;
    this.texts = usedTexts;
    this.last = { revision, files };
    return files;
  }

  private async filesOfTree(oid: string, used: Map<string, readonly TreeFile[]>): Promise<readonly TreeFile[]> {
    const known = used.get(oid) ?? this.trees.get(oid);
    if (known) {
      used.set(oid, known);
      return known;
    }
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.objectCache });
    const subtrees = await Promise.all(tree.map((entry) => (entry.type === 'tree' ? this.filesOfTree(entry.oid, used) : [])));
    const files: TreeFile[] = [];
    tree.forEach((entry, index) => {
      if (entry.type === 'tree') {
        for (const [path, blobOid] of subtrees[index] ?? []) files.push([`${entry.path}/${path}`, blobOid]);
      } else if (entry.type === 'blob' && REGULAR_FILE_MODES.has(entry.mode)) {
        files.push([entry.path, entry.oid]); // symlinks and submodules are not part of a catalog
      }
    });
    used.set(oid, files);
    return files;
  }

  private async textOfBlob(oid: string, path: string, used: Map<string, string>): Promise<string> {
    if (isBinaryName(path)) return '';
    const known = used.get(oid) ?? this.texts.get(oid);
    if (known !== undefined) {
      used.set(oid, known);
      return known;
    }
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.objectCache });
    const text = textOf(path, blob);
    used.set(oid, text);
    return text;
  }
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await map(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
