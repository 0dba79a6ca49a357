/**
 * A repository or catalog as the pure stages see it: file contents keyed by
 * POSIX path relative to its root. Binary files (icons) are listed with empty content.
 */
export type FileTree = ReadonlyMap<string, string>;

/** Paths in the tree under `dir/` (no trailing slash), relative to `dir`. */
export function listUnder(files: FileTree, dir: string): string[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  return [...files.keys()].filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length));
}
