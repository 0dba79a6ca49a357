/**
 * A remote repository over http(s): fetched with isomorphic-git into a bare
 * cache repository (the first fetch is the clone), then read in place. The
 * remote branch is the truth: a force-push moves the cached ref with it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { join, resolve } from 'node:path';
import git, { type GitAuth, type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { redactToken } from '../model/redact.js';
import { BranchHeadSource } from './branch-head.js';
import type { GitCredentials } from './types.js';

const REMOTE = 'origin';

export interface RemoteGitOptions {
  /** Without user name or password. */
  url: string;
  branch: string;
  /** The bare cache repository. */
  gitdir: string;
  credentials?: GitCredentials;
  fetchTimeoutMs: number;
  /** Top-level folders a snapshot holds (default: those of a GitOps repository). */
  roots?: readonly string[];
}

/** `<root>/<hash of url>`; the root defaults to `.corral-cache` under the working directory. */
export function defaultCacheDir(url: string, root = '.corral-cache'): string {
  return resolve(root, createHash('sha256').update(url).digest('hex').slice(0, 16));
}

export class RemoteGitSource extends BranchHeadSource {
  private remoteConfigured = false;

  private constructor(private readonly options: RemoteGitOptions) {
    super(options.gitdir, options.roots);
  }

  /** Opens the cache without network access; a revision fetched by an earlier run is served until the next refresh. */
  static async open(options: RemoteGitOptions): Promise<RemoteGitSource> {
    const source = new RemoteGitSource(options);
    source.revision = await source.cachedRevision();
    return source;
  }

  describe(): string {
    return `git ${this.options.url} (branch ${this.options.branch})`;
  }

  protected override unreadable(revision: string, err: Error): Error {
    return new Error(this.redact(`${this.describe()}: cannot read commit ${revision} in the cache ${this.options.gitdir}: ${err.message}`));
  }

  private async cachedRevision(): Promise<string | undefined> {
    const ref = `refs/remotes/${REMOTE}/${this.options.branch}`;
    return git.resolveRef({ fs, gitdir: this.options.gitdir, ref }).catch(() => undefined);
  }

  /** Fetches the branch; on failure the revision fetched before stays in place. */
  protected findHead(): Promise<string> {
    return this.fetchWithDeadline();
  }

  private async fetchWithDeadline(): Promise<string> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new FetchTimeout());
      }, this.options.fetchTimeoutMs);
    });
    try {
      return await Promise.race([this.fetch(controller.signal), deadline]);
    } catch (err) {
      throw new Error(this.redact(`fetching ${this.describe()} failed: ${this.explain(err)}`));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks for the branch head first (one small request) and fetches objects only when it moved. */
  private async fetch(signal: AbortSignal): Promise<string> {
    await this.prepareCache();
    const { branch, gitdir, url } = this.options;
    const http = httpWithSignal(url, signal);
    const onAuth = (): GitAuth | undefined => this.auth();
    const onAuthFailure = (): undefined => undefined;
    const branchRef = `refs/heads/${branch}`;
    const refs = await git.listServerRefs({ http, url, prefix: branchRef, onAuth, onAuthFailure });
    const remoteHead = refs.find((ref) => ref.ref === branchRef)?.oid;
    if (!remoteHead) throw new BranchMissing();
    if (remoteHead === this.revision) return remoteHead;
    // The first fetch is shallow. Later ones are not: with a depth, the server sends the whole tree again even
    // though the cache names its head as "have"; without one, only the new objects travel.
    const depth = this.revision === undefined ? { depth: 1 } : {};
    const result = await git.fetch({
      fs,
      http,
      gitdir,
      remote: REMOTE,
      ref: branch,
      singleBranch: true,
      ...depth,
      tags: false,
      onAuth,
      onAuthFailure,
    });
    if (!result.fetchHead) throw new BranchMissing();
    // The remote is the truth, also after a force-push. The local branch is what the next fetch names as already
    // here (isomorphic-git takes its "have" from the local ref), so that only new objects travel.
    for (const ref of [`refs/remotes/${REMOTE}/${branch}`, branchRef])
      await git.writeRef({ fs, gitdir, ref, value: result.fetchHead, force: true });
    return result.fetchHead;
  }

  private async prepareCache(): Promise<void> {
    if (this.remoteConfigured) return;
    const { gitdir, url, branch } = this.options;
    const head = await stat(join(gitdir, 'HEAD')).catch(() => undefined);
    if (!head) {
      await mkdir(gitdir, { recursive: true });
      await git.init({ fs, gitdir, bare: true, defaultBranch: branch });
    }
    await git.addRemote({ fs, gitdir, remote: REMOTE, url, force: true });
    this.remoteConfigured = true;
  }

  private auth(): GitAuth | undefined {
    const credentials = this.options.credentials;
    if (!credentials) return undefined;
    return { username: credentials.username ?? 'corral', password: credentials.token };
  }

  private explain(err: unknown): string {
    if (err instanceof FetchTimeout) return `no answer within ${this.options.fetchTimeoutMs / 1000} s (timeout)`;
    if (err instanceof BranchMissing) return `the remote has no branch ${this.options.branch}`;
    const { code, data, message } = err as {
      code?: string;
      data?: { statusCode?: number; statusMessage?: string; what?: string };
      message?: string;
    };
    if (code === 'HttpError') return explainHttpStatus(data?.statusCode, data?.statusMessage, Boolean(this.options.credentials));
    if (code === 'NotFoundError' && data?.what?.includes(this.options.branch)) return `the remote has no branch ${this.options.branch}`;
    return NETWORK_ERRORS[code ?? ''] ?? message ?? String(err);
  }

  private redact(text: string): string {
    return redactToken(text, this.options.credentials?.token);
  }
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the git server running?)',
  ECONNRESET: 'the server closed the connection',
  EPIPE: 'the server closed the connection',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified',
};

function explainHttpStatus(status: number | undefined, statusMessage: string | undefined, hasCredentials: boolean): string {
  if (status === 401 && hasCredentials) return 'the server rejected the credentials (HTTP 401)';
  if (status === 401) return 'the server requires credentials (HTTP 401) and none were given';
  if (status === 403) return 'access denied with the given credentials (HTTP 403)';
  if (status === 404) return 'repository not found (HTTP 404)';
  return `the server answered HTTP ${status ?? '?'}${statusMessage ? ` ${statusMessage}` : ''}`;
}

/**
 * isomorphic-git's node client, with every request of one fetch bound to that
 * fetch's deadline, on fresh connections: a kept-alive socket that the server
 * dropped between two polls would fail the next fetch.
 */
function httpWithSignal(url: string, signal: AbortSignal): HttpClient {
  const agent = url.startsWith('https:') ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
  return { request: (request) => nodeHttp.request({ ...request, agent, signal }) };
}

class FetchTimeout extends Error {}
class BranchMissing extends Error {}
