/**
 * The config's `requests:` section: the writable remote the app store pushes request branches
 * to, and who the commits are attributed to. Pure: parsed values or diagnostics.
 *
 *   requests:
 *     remote: https://gitlab.example.com/ops/gitops.git   # http(s), no credentials in the URL
 *     branch: main                  # the branch merge requests target (default main)
 *     provider: gitlab              # gitlab | github | other (default: from the host name)
 *     token_env: GITOPS_PUSH_TOKEN  # the variable holding the push token (default CORRAL_REQUESTS_TOKEN)
 *     username: oauth2              # the user name sent with the token (default corral)
 *     user_header: X-Forwarded-User     # a sign-in proxy's header naming the requester
 *     email_header: X-Forwarded-Email   # ... and their e-mail
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { type At, reportUnknownKeys } from './sections.js';

export type GitProvider = 'gitlab' | 'github' | 'other';

export interface RequestsConfig {
  remote: string;
  branch: string;
  provider: GitProvider;
  tokenEnv: string;
  username?: string;
  userHeader?: string;
  emailHeader?: string;
}

export const DEFAULT_REQUESTS_TOKEN_ENV = 'CORRAL_REQUESTS_TOKEN';
const KEYS = ['remote', 'branch', 'provider', 'token_env', 'username', 'user_header', 'email_header'];
const PROVIDERS: GitProvider[] = ['gitlab', 'github', 'other'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._/-]{1,200}$/;

export function parseRequests(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): RequestsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    diagnostics.push(
      error(file, 'requests: expected a mapping with remote (and optionally branch, provider, token_env, ...)', at(['requests'])),
    );
    return undefined;
  }
  const before = diagnostics.length;
  const problem = (key: string, message: string) => diagnostics.push(error(file, `requests.${key}: ${message}`, at(['requests', key])));
  reportUnknownKeys(raw, KEYS, problem);
  const remote = remoteOf(raw['remote'], problem);
  const branch = textOf(raw['branch']) ?? 'main';
  if (!BRANCH.test(branch)) problem('branch', `"${branch}" is not a branch name (e.g. main)`);
  const provider = providerOf(raw['provider'], remote, problem);
  const tokenEnv = textOf(raw['token_env']) ?? DEFAULT_REQUESTS_TOKEN_ENV;
  if (!ENV_NAME.test(tokenEnv)) problem('token_env', `"${tokenEnv}" is not an environment variable name (e.g. GITOPS_PUSH_TOKEN)`);
  const username = textOf(raw['username']);
  if (username !== undefined && !/^[^:\s]{1,100}$/.test(username)) problem('username', 'expected a user name without ":" or spaces');
  const userHeader = headerOf(raw['user_header'], 'user_header', problem);
  const emailHeader = headerOf(raw['email_header'], 'email_header', problem);
  if (emailHeader && !userHeader) problem('email_header', 'needs user_header too: the proxy names the user, then their e-mail');
  if (diagnostics.length > before || remote === undefined) return undefined;
  return {
    remote,
    branch,
    provider,
    tokenEnv,
    ...(username ? { username } : {}),
    ...(userHeader ? { userHeader } : {}),
    ...(emailHeader ? { emailHeader } : {}),
  };
}

function remoteOf(raw: unknown, problem: (key: string, message: string) => void): string | undefined {
  const text = textOf(raw);
  const accepted = 'expected the http(s) URL of the GitOps repository, e.g. https://gitlab.example.com/ops/gitops.git';
  if (text === undefined) {
    problem('remote', accepted);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problem('remote', `"${text}" is not a URL; ${accepted}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problem('remote', `${url.protocol} is not supported; ${accepted}`);
    return undefined;
  }
  if (url.username || url.password) {
    problem('remote', 'credentials do not belong in the URL: put the token in the variable named by token_env');
    return undefined;
  }
  return url.href;
}

function providerOf(raw: unknown, remote: string | undefined, problem: (key: string, message: string) => void): GitProvider {
  const text = textOf(raw);
  if (text !== undefined) {
    if ((PROVIDERS as string[]).includes(text)) return text as GitProvider;
    problem('provider', `"${text}" is not one of ${PROVIDERS.join(', ')}`);
    return 'other';
  }
  const host = remote ? new URL(remote).hostname : '';
  if (/(^|\.)github\.com$/.test(host) || host.startsWith('github.')) return 'github';
  if (host.includes('gitlab')) return 'gitlab';
  return 'other';
}

function headerOf(raw: unknown, key: string, problem: (key: string, message: string) => void): string | undefined {
  const text = textOf(raw);
  if (text === undefined) return undefined;
  if (!HEADER_NAME.test(text)) {
    problem(key, `"${text}" is not an HTTP header name (e.g. X-Forwarded-User)`);
    return undefined;
  }
  return text.toLowerCase();
}

function textOf(raw: unknown): string | undefined {
  if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
  if (typeof raw === 'number') return String(raw);
  return undefined;
}
