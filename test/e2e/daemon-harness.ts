/**
 * The daemon under test: a bare git repository the test pushes to, and `corral run`
 * as a real child process following it, with its API on a loopback port.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackStatus } from '../../src/status/stack-status.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export class GitRemote {
  readonly base = mkdtempSync(join(tmpdir(), 'corral-daemon-'));
  readonly bare = join(this.base, 'remote.git');
  readonly work = join(this.base, 'work');

  constructor() {
    git(this.base, 'init', '-q', '--bare', '-b', 'main', this.bare);
    git(this.base, 'init', '-q', '-b', 'main', this.work);
    git(this.work, 'config', 'user.email', 'test@corral.invalid');
    git(this.work, 'config', 'user.name', 'corral test');
    git(this.work, 'remote', 'add', 'origin', this.bare);
  }

  write(path: string, text: string): this {
    mkdirSync(dirname(join(this.work, path)), { recursive: true });
    writeFileSync(join(this.work, path), text);
    return this;
  }

  copy(from: string, to: string): this {
    cpSync(from, join(this.work, to), { recursive: true });
    return this;
  }

  /** WEB_TEMPLATE as template `web` of the catalog folder `catalogDir` ('' for a catalog repository). */
  webTemplate(image: string, catalogDir = 'catalog'): this {
    const dir = catalogDir === '' ? 'templates/web' : `${catalogDir}/templates/web`;
    return this.write(`${dir}/config.yml`, WEB_TEMPLATE.config)
      .write(`${dir}/0/docker-compose.yml`, WEB_TEMPLATE.compose(image))
      .write(`${dir}/0/rancher-compose.yml`, WEB_TEMPLATE.rancher);
  }

  remove(path: string): this {
    rmSync(join(this.work, path), { recursive: true, force: true });
    return this;
  }

  /** Commits everything and pushes; returns the new revision. */
  push(message: string): string {
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    git(this.work, 'push', '-q', 'origin', 'main');
    return git(this.work, 'rev-parse', 'HEAD').trim();
  }

  revert(): string {
    git(this.work, 'revert', '--no-edit', 'HEAD');
    git(this.work, 'push', '-q', 'origin', 'main');
    return git(this.work, 'rev-parse', 'HEAD').trim();
  }

  destroy(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export interface DaemonOptions {
  repo: string;
  config: string;
  interval: number;
  port: number;
  webhookSecret?: string;
  /** CORRAL_API_TOKEN of the daemon (default: DAEMON_API_TOKEN); '' starts it without one. */
  apiToken?: string;
  /** More environment for the daemon (tokens, CORRAL_AGE_IDENTITY). */
  env?: Record<string, string>;
  /** More arguments for `corral run` (e.g. --replica-name). */
  args?: string[];
}

export const DAEMON_API_TOKEN = 'daemon-api-token-for-tests';

export class Daemon {
  private child?: ChildProcess;
  log = '';

  constructor(private readonly options: DaemonOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  start(): this {
    const { repo, config, interval, port, webhookSecret, env, apiToken = DAEMON_API_TOKEN, args: extraArgs = [] } = this.options;
    const args = [
      join(ROOT, 'bin', 'corral'),
      'run',
      '--repo',
      repo,
      '--config',
      config,
      '--interval',
      String(interval),
      '--listen',
      `127.0.0.1:${port}`,
      '--log-format',
      'json',
      ...extraArgs,
    ];
    this.child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        CORRAL_API_TOKEN: apiToken,
        ...(webhookSecret ? { CORRAL_WEBHOOK_SECRET: webhookSecret } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    return this;
  }

  /** Resolves with the exit code (or signal) once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? child?.signalCode ?? 0);
    return new Promise((resolve) => {
      child.once('exit', (code, sig) => resolve(code ?? sig ?? 0));
      child.kill(signal);
    });
  }

  /** POST /api/v1/sync with the daemon's API token. */
  sync(stack?: string): Promise<Response> {
    const query = stack ? `?stack=${encodeURIComponent(stack)}` : '';
    const token = this.options.apiToken ?? DAEMON_API_TOKEN;
    return fetch(`${this.url}/api/v1/sync${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  }

  /** Sends a signal without waiting (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stacks(): Promise<StackStatus[]> {
    const response = await fetch(`${this.url}/api/v1/stacks`);
    return (await response.json()) as StackStatus[];
  }

  async stack(name: string): Promise<StackStatus | undefined> {
    const response = await fetch(`${this.url}/api/v1/stacks/${name}`);
    return response.ok ? ((await response.json()) as StackStatus) : undefined;
  }
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

export const WEB_TEMPLATE = {
  config: 'name: web\nversion: 1.0.0\n',
  compose: (image: string) =>
    `web:\n  image: ${image}\n  command: ["sh", "-c", "mkdir -p /www && echo $$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"]\n  ports:\n    - "80"\n  stop_grace_period: 1s\n  labels:\n    io.rancher.container.hostname_override: container_name\n`,
  rancher:
    '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: scale\n      type: int\n      min: 0\n      default: 1\nweb:\n  scale: ${scale}\n',
};
