/** What `--repo` names: an http(s) remote, a local git repository, or a plain directory. */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitCredentials } from './types.js';

export type RepoLocation =
  | { kind: 'remote'; url: string; display: string; credentials?: GitCredentials }
  | { kind: 'local-git'; gitdir: string; display: string }
  | { kind: 'directory'; root: string };

export async function locateRepo(repo: string): Promise<RepoLocation> {
  if (/^https?:\/\//i.test(repo)) return remoteLocation(repo);
  if (/^file:\/\//i.test(repo)) return localLocation(fileURLToPath(repo), redactUrl(repo));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/:]+:/.test(repo)) {
    throw new Error(`repository ${redactUrl(repo)}: unsupported address; use an http(s):// URL, a file:// URL or a local path`);
  }
  return localLocation(resolve(repo), resolve(repo));
}

/** The URL without user name or password, for messages, logs and the cache key. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

function remoteLocation(repo: string): RepoLocation {
  const parsed = new URL(repo);
  const token = decodeURIComponent(parsed.password || parsed.username);
  const username = parsed.password ? decodeURIComponent(parsed.username) : undefined;
  const url = redactUrl(repo);
  if (!token) return { kind: 'remote', url, display: url };
  return { kind: 'remote', url, display: url, credentials: username ? { username, token } : { token } };
}

async function localLocation(path: string, display: string): Promise<RepoLocation> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`repository ${display}: no such directory`);
  const gitdir = (await workTreeGitdir(path)) ?? ((await isBareRepository(path)) ? path : undefined);
  if (gitdir) return { kind: 'local-git', gitdir, display };
  return { kind: 'directory', root: path };
}

/** The git directory of a work tree: `.git/`, or the one a `.git` file points to (its common dir for a linked worktree). */
async function workTreeGitdir(dir: string): Promise<string | undefined> {
  const dotGit = join(dir, '.git');
  const info = await stat(dotGit).catch(() => undefined);
  if (info?.isDirectory()) return dotGit;
  if (!info?.isFile()) return undefined;
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'))?.[1];
  if (!pointer) return undefined;
  const gitdir = isAbsolute(pointer) ? pointer : resolve(dir, pointer);
  const common = await readFile(join(gitdir, 'commondir'), 'utf8').catch(() => undefined);
  return common === undefined ? gitdir : resolve(gitdir, common.trim());
}

async function isBareRepository(dir: string): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map((name) => stat(join(dir, name)).catch(() => undefined)));
  return Boolean(head?.isFile() && objects?.isDirectory() && refs?.isDirectory());
}
