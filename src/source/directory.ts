/**
 * A plain directory as the repository: read on demand (changed files only), watched with chokidar.
 * Symbolic links are never followed, in reading or in watching: a linked file or folder inside
 * is not part of the repository (as in git mode), and a linked `catalog/` or `stacks/` is an
 * error (so that the stacks are not pruned as if they had been deleted).
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type FileTree, unreadText } from '../model/files.js';
import { SerialQueue } from './serial.js';
import { isBinaryName, MAX_TEXT_BYTES, textOf } from './text.js';
import { DEFAULT_WATCH_DEBOUNCE_MS, type RepoSnapshot, SNAPSHOT_ROOTS, type Source } from './types.js';
import { watchDebounced } from './watch.js';

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

interface ListedFile {
  /** POSIX path relative to the root. */
  path: string;
  absolutePath: string;
  size: number;
  /** Changes whenever the file's content may have changed. */
  stamp: string;
}

/** Every file under `root/subdirs...`; missing subdirectories are simply absent from the tree. */
export async function readDirectoryTree(root: string, subdirs: readonly string[] = ['']): Promise<FileTree> {
  const files = new Map<string, string>();
  for (const file of await listFiles(root, subdirs)) files.set(file.path, await readText(file));
  return files;
}

async function listFiles(root: string, subdirs: readonly string[]): Promise<ListedFile[]> {
  const listed: ListedFile[] = [];
  for (const subdir of subdirs) {
    const dir = join(root, subdir);
    const info = await lstat(dir).catch(() => undefined);
    if (info?.isSymbolicLink())
      throw new Error(`${dir} is a symbolic link: corral does not follow links in the repository; make it a folder`);
    await listInto(listed, root, dir);
  }
  return listed;
}

/** Regular files and folders only: readdir's entries are not followed (a link is neither). */
async function listInto(listed: ListedFile[], root: string, dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const absolutePath = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) await listInto(listed, root, absolutePath);
      continue;
    }
    if (!entry.isFile()) continue;
    const info = await lstat(absolutePath).catch(() => undefined);
    if (!info?.isFile()) continue; // removed (or replaced by a link) while listing
    const stamp = `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
    listed.push({ path: relative(root, absolutePath).split(sep).join('/'), absolutePath, size: info.size, stamp });
  }
}

async function readText(file: ListedFile): Promise<string> {
  if (isBinaryName(file.path)) return '';
  if (file.size > MAX_TEXT_BYTES) return unreadText('oversized', file.size);
  return textOf(file.path, await readNoFollow(file.absolutePath, file.size));
}

/**
 * At most MAX_TEXT_BYTES + 1 bytes (enough to tell it is too large); fails (ELOOP) if the path
 * became a link. The buffer fits the size the file was listed with, and grows should the file
 * have grown since: a buffer of MAX_TEXT_BYTES for every file (zero-filled) was most of the
 * time a repository's read took.
 */
export async function readNoFollow(path: string, listedSize: number): Promise<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    let buffer: Buffer = Buffer.allocUnsafe(Math.min(listedSize, MAX_TEXT_BYTES) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length < buffer.length) continue;
      if (buffer.length > MAX_TEXT_BYTES) break;
      buffer = grown(buffer, Math.min(buffer.length * 2, MAX_TEXT_BYTES + 1));
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function grown(buffer: Buffer, size: number): Buffer {
  const larger = Buffer.allocUnsafe(size);
  buffer.copy(larger);
  return larger;
}

/** The catalog/, stacks/ and .corral/ folders of a plain directory (or other roots), without a revision. */
export class DirectorySource implements Source {
  private readonly queue = new SerialQueue();
  /** Text of each file last read, with the stamp it had then. */
  private readonly texts = new Map<string, { stamp: string; text: string }>();
  private lastSnapshot: { fingerprint: string; snapshot: RepoSnapshot } | undefined;
  private lastRefreshFingerprint: string | undefined;
  private watchReady: Promise<void> = Promise.resolve();

  constructor(
    readonly root: string,
    private readonly debounceMs = DEFAULT_WATCH_DEBOUNCE_MS,
    /** Top-level folders read; '' is the whole folder. */
    private readonly roots: readonly string[] = SNAPSHOT_ROOTS,
  ) {}

  describe(): string {
    return `directory ${this.root}`;
  }

  /** Scans names and stamps only; `changed` is true when any file was added, removed or modified since the last refresh. */
  refresh(): Promise<{ changed: boolean }> {
    return this.queue.run(async () => {
      const fingerprint = fingerprintOf(await listFiles(this.root, this.roots));
      const changed = fingerprint !== this.lastRefreshFingerprint;
      this.lastRefreshFingerprint = fingerprint;
      return { changed };
    });
  }

  /** Re-reads only files whose stamp changed; an unchanged directory returns the same snapshot object. */
  snapshot(): Promise<RepoSnapshot> {
    return this.queue.run(async () => {
      const listed = await listFiles(this.root, this.roots);
      const fingerprint = fingerprintOf(listed);
      if (this.lastSnapshot?.fingerprint === fingerprint) return this.lastSnapshot.snapshot;
      const files = new Map<string, string>();
      for (const file of listed) files.set(file.path, await this.textOf(file));
      for (const path of this.texts.keys()) if (!files.has(path)) this.texts.delete(path);
      const snapshot: RepoSnapshot = { files };
      this.lastSnapshot = { fingerprint, snapshot };
      return snapshot;
    });
  }

  /** Reports changes under catalog/ and stacks/ (not .git or node_modules), debounced. */
  watch(onChange: () => void): () => void {
    const watching = watchDebounced(this.root, (segments) => isSnapshotPath(segments, this.roots), this.debounceMs, onChange);
    this.watchReady = watching.ready;
    return watching.stop;
  }

  /** Resolves once the latest watcher has scanned the tree and reports events (for tests). */
  whenWatching(): Promise<void> {
    return this.watchReady;
  }

  private async textOf(file: ListedFile): Promise<string> {
    const cached = this.texts.get(file.path);
    if (cached?.stamp === file.stamp) return cached.text;
    const text = await readText(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ELOOP') return ''; // removed, or made a link, while reading; the next refresh sees it
      throw err;
    });
    this.texts.set(file.path, { stamp: file.stamp, text });
    return text;
  }
}

function isSnapshotPath(segments: readonly string[], roots: readonly string[]): boolean {
  const [top] = segments;
  if (top === undefined) return true;
  if (segments.some((segment) => SKIPPED_DIRS.has(segment))) return false;
  return roots.includes('') || roots.includes(top);
}

function fingerprintOf(listed: readonly ListedFile[]): string {
  return listed.map((file) => `${file.path}\0${file.stamp}`).join('\n');
}
