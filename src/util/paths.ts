/** Host paths as Docker will see them. Pure. */

/**
 * An absolute POSIX path with `.`, `..` and repeated or trailing slashes resolved, as the kernel
 * resolves them (`..` above the root stays at the root): `/srv/app/../../etc/` → `/etc`.
 * Symbolic links on the host cannot be seen from here.
 */
export function cleanAbsolutePath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** True when `path` is `prefix` or lies under it (whole segments: `/srv/app` does not cover `/srv/apple`). Both cleaned. */
export function isUnderPath(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}
