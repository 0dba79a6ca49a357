/** Real git repositories in temp folders for tests, made with the git CLI. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'corral test',
  GIT_AUTHOR_EMAIL: 'test@corral.invalid',
  GIT_COMMITTER_NAME: 'corral test',
  GIT_COMMITTER_EMAIL: 'test@corral.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Runs git in `cwd` and returns its trimmed output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function makeTempDir(prefix = 'corral-source-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes files (POSIX paths relative to `dir`); `null` deletes the file. */
export function writeFiles(dir: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) {
    const absolute = join(dir, path);
    if (content === null) {
      rmSync(absolute, { force: true });
      continue;
    }
    mkdirSync(dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
  }
}

/** A new work-tree repository on branch `branch`. */
export function initRepo(dir: string, branch = 'main'): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', `--initial-branch=${branch}`);
}

/** A new bare repository. */
export function initBareRepo(dir: string, branch = 'main'): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--bare', `--initial-branch=${branch}`);
}

/** Writes the files, commits everything and returns the new commit's sha. */
export function commitFiles(dir: string, files: Record<string, string | null>, message = 'change'): string {
  writeFiles(dir, files);
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
