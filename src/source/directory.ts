/** Reads a plain directory into a FileTree for the pure stages. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FileTree } from '../model/files.js';

const MAX_TEXT_BYTES = 1024 * 1024;
const BINARY_EXTENSIONS = /\.(png|jpe?g|gif|ico|webp|bmp|tgz|gz|zip)$/i;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/** Every file under `root/subdirs...`; missing subdirectories are simply absent from the tree. */
export async function readDirectoryTree(root: string, subdirs: readonly string[] = ['']): Promise<FileTree> {
  const files = new Map<string, string>();
  for (const subdir of subdirs) await readInto(files, root, join(root, subdir));
  return files;
}

async function readInto(files: Map<string, string>, root: string, dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) await readInto(files, root, path);
    } else if (entry.isFile()) {
      files.set(relative(root, path).split(sep).join('/'), await readText(path, entry.name));
    }
  }
}

async function readText(path: string, name: string): Promise<string> {
  if (BINARY_EXTENSIONS.test(name)) return '';
  const content = await readFile(path);
  return content.length > MAX_TEXT_BYTES ? '' : content.toString('utf8');
}
