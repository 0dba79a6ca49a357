/**
 * Pushes a stack request to the writable remote: one commit adding `stacks/<name>/stack.yml` on
 * top of the base branch, on the new branch `request/<name>`, with isomorphic-git over HTTP(S).
 * Never forces: a branch or a stack folder that exists already is refused. Works in a bare cache
 * repository of its own (`.corral-cache/requests-<hash>`), one request at a time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { join, resolve } from 'node:path';
import git, { type GitAuth, type HttpClient, type TreeEntry } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import type { GitProvider, RequestsConfig } from '../config/requests.js';
import { redactToken } from '../model/redact.js';
import { SerialQueue } from '../source/serial.js';
import { PublishError, type PublishRequest, type PublishResult, type RequestPublisher } from './app.js';
import { META } from './request.js';

const REMOTE = 'origin';
const BRANCH_PREFIX = 'request/';
const PUSH_TIMEOUT_MS = 60_000;
const COMMITTER = { name: 'corral app store', email: 'corral@localhost' };

export interface RequestBranchOptions {
  config: RequestsConfig;
  /** The push token (from the variable the config names), if any. */
  token?: string;
  /** The bare cache repository; default `.corral-cache/requests-<hash of the remote>`. */
  gitdir?: string;
  now?: () => Date;
}

export class RequestBranchPublisher implements RequestPublisher {
  private readonly queue = new SerialQueue();
  private readonly gitdir: string;
  private prepared = false;

  constructor(private readonly options: RequestBranchOptions) {
    this.gitdir =
      options.gitdir ??
      resolve('.corral-cache', `requests-${createHash('sha256').update(options.config.remote).digest('hex').slice(0, 16)}`);
  }

  describe(): string {
    return `${this.options.config.remote} (base branch ${this.options.config.branch})`;
  }

  branchFor(stackName: string): string {
    return `${BRANCH_PREFIX}${stackName}`;
  }

  publish(request: PublishRequest): Promise<PublishResult> {
    return this.queue.run(() => this.withDeadline(request));
  }

  private async withDeadline(request: PublishRequest): Promise<PublishResult> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new PublishError(`the remote did not answer within ${PUSH_TIMEOUT_MS / 1000} s`));
      }, PUSH_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.push(request, httpWithSignal(this.options.config.remote, abort.signal)), deadline]);
    } catch (err) {
      if (err instanceof PublishError) throw new PublishError(this.redact(err.message), err.field);
      throw new PublishError(
        this.redact(`the request could not be pushed to ${this.options.config.remote}: ${explain(err, Boolean(this.options.token))}`),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async push(request: PublishRequest, http: HttpClient): Promise<PublishResult> {
    const { remote: url, branch: base } = this.options.config;
    const branch = this.branchFor(request.stackName);
    await this.prepare();
    const onAuth = (): GitAuth | undefined => this.auth();
    const onAuthFailure = (): undefined => undefined;
    const refs = await git.listServerRefs({ http, url, prefix: 'refs/heads/', onAuth, onAuthFailure });
    const baseHead = refs.find((r) => r.ref === `refs/heads/${base}`)?.oid;
    if (!baseHead) throw new PublishError(`the remote has no branch ${base} to base the request on`);
    if (refs.some((r) => r.ref === `refs/heads/${branch}`))
      throw new PublishError(`the branch ${branch} exists already on the remote (an open request?): choose another stack name`, META.stack);
    if (!(await this.hasCommit(baseHead))) {
      await git.fetch({
        fs,
        http,
        gitdir: this.gitdir,
        remote: REMOTE,
        ref: base,
        singleBranch: true,
        depth: 1,
        tags: false,
        onAuth,
        onAuthFailure,
      });
    }
    // Objects under the base head are on the remote already: the push sends only the new ones.
    await git.writeRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/${REMOTE}/${base}`, value: baseHead, force: true });
    await git.writeRef({
      fs,
      gitdir: this.gitdir,
      ref: `refs/remotes/${REMOTE}/HEAD`,
      value: `refs/remotes/${REMOTE}/${base}`,
      symbolic: true,
      force: true,
    });
    const commit = await this.commitOn(baseHead, request);
    await git.writeRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${branch}`, value: commit, force: true });
    const result = await git.push({
      fs,
      http,
      gitdir: this.gitdir,
      url,
      ref: `refs/heads/${branch}`,
      remoteRef: `refs/heads/${branch}`,
      force: false,
      onAuth,
      onAuthFailure,
    });
    const refResult = result.refs[`refs/heads/${branch}`];
    if (!result.ok || (refResult && !refResult.ok))
      throw new PublishError(`the remote refused ${branch}: ${refResult?.error ?? result.error ?? 'no reason given'}`, META.stack);
    const mergeRequestUrl = mergeRequestLink(this.options.config.provider, url, branch, base);
    return { branch, commit, ...(mergeRequestUrl ? { mergeRequestUrl } : {}) };
  }

  private async commitOn(baseHead: string, request: PublishRequest): Promise<string> {
    const gitdir = this.gitdir;
    const { commit: baseCommit } = await git.readCommit({ fs, gitdir, oid: baseHead });
    const blob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(request.text, 'utf8') });
    const segments = request.path.split('/');
    const tree = await treeWith(gitdir, baseCommit.tree, segments, blob, request.path);
    const timestamp = Math.floor((this.options.now?.() ?? new Date()).getTime() / 1000);
    return git.writeCommit({
      fs,
      gitdir,
      commit: {
        message: request.message,
        tree,
        parent: [baseHead],
        author: { name: request.author.name, email: request.author.email, timestamp, timezoneOffset: 0 },
        committer: { ...COMMITTER, timestamp, timezoneOffset: 0 },
      },
    });
  }

  private async prepare(): Promise<void> {
    if (this.prepared) return;
    const head = await stat(join(this.gitdir, 'HEAD')).catch(() => undefined);
    if (!head) {
      await mkdir(this.gitdir, { recursive: true });
      await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: this.options.config.branch });
    }
    await git.addRemote({ fs, gitdir: this.gitdir, remote: REMOTE, url: this.options.config.remote, force: true });
    this.prepared = true;
  }

  private async hasCommit(oid: string): Promise<boolean> {
    return git.readCommit({ fs, gitdir: this.gitdir, oid }).then(
      () => true,
      () => false,
    );
  }

  private auth(): GitAuth | undefined {
    const token = this.options.token;
    return token ? { username: this.options.config.username ?? 'corral', password: token } : undefined;
  }

  private redact(text: string): string {
    return redactToken(text, this.options.token);
  }
}

/** The tree `treeOid` with a new blob at `segments`; a file or folder already there is refused. */
async function treeWith(gitdir: string, treeOid: string | undefined, segments: string[], blob: string, path: string): Promise<string> {
  const [name, ...rest] = segments;
  if (!name) throw new Error(`empty path ${path}`);
  const entries: TreeEntry[] = treeOid ? (await git.readTree({ fs, gitdir, oid: treeOid })).tree : [];
  const existing = entries.find((e) => e.path === name);
  const stackFolder = segments.length === 2;
  if (existing && (rest.length === 0 || stackFolder)) {
    throw new PublishError(
      `${path.split('/').slice(0, 2).join('/')} exists already on the base branch: choose another stack name`,
      META.stack,
    );
  }
  if (existing && existing.type !== 'tree') throw new PublishError(`${name} in the repository is a file, not a folder`);
  const entry: TreeEntry =
    rest.length === 0
      ? { mode: '100644', path: name, oid: blob, type: 'blob' }
      : { mode: '040000', path: name, oid: await treeWith(gitdir, existing?.oid, rest, blob, path), type: 'tree' };
  return git.writeTree({ fs, gitdir, tree: [...entries.filter((e) => e.path !== name), entry] });
}

/** The page that opens a merge request from `branch` into `base`, for GitLab and GitHub. */
export function mergeRequestLink(provider: GitProvider, remote: string, branch: string, base: string): string | undefined {
  const url = new URL(remote);
  url.username = '';
  url.password = '';
  const project = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`;
  if (provider === 'gitlab') {
    const query = new URLSearchParams({ 'merge_request[source_branch]': branch, 'merge_request[target_branch]': base });
    return `${project}/-/merge_requests/new?${query}`;
  }
  if (provider === 'github') return `${project}/compare/${encodeURIComponent(base)}...${encodeURIComponent(branch)}?expand=1`;
  return undefined;
}

function explain(err: unknown, hasToken: boolean): string {
  const { code, data, message } = err as { code?: string; data?: { statusCode?: number; reason?: string }; message?: string };
  if (code === 'HttpError') {
    const status = data?.statusCode;
    if (status === 401)
      return hasToken ? 'the remote rejected the token (HTTP 401)' : 'the remote needs a token (HTTP 401) and none is set';
    if (status === 403) return 'the token may not push to this repository (HTTP 403)';
    if (status === 404) return 'repository not found (HTTP 404)';
    return `the remote answered HTTP ${status ?? '?'}`;
  }
  if (code === 'PushRejectedError') return `the push was refused (${data?.reason ?? message ?? 'no reason given'})`;
  if (code === 'ECONNREFUSED') return 'connection refused (is the git server running?)';
  return message ?? String(err);
}

/** isomorphic-git's node client on fresh connections, bound to one push's deadline. */
function httpWithSignal(url: string, signal: AbortSignal): HttpClient {
  const agent = url.startsWith('https:') ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
  return { request: (request) => nodeHttp.request({ ...request, agent, signal }) };
}
