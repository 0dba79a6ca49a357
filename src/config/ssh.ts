/**
 * A host's `ssh:` section, for an `ssh://user@host[:port]` Docker endpoint. Pure: parsed
 * values or diagnostics; ./load.ts resolves the paths against the config file's folder.
 *
 *   hosts:
 *     - name: h1
 *       docker: ssh://deploy@10.0.0.11
 *       ssh:
 *         identity: keys/id_ed25519       # the private key (default: the agent at SSH_AUTH_SOCK)
 *         known_hosts: keys/known_hosts   # the host keys to trust (default: ~/.ssh/known_hosts)
 *
 * The host's key is always checked; an unknown or changed key refuses the connection.
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { reportUnknownKeys } from './sections.js';

/** Paths as written in the config (the loader makes them absolute). */
export interface SshFiles {
  identity?: string;
  knownHosts?: string;
}

const KEYS = ['identity', 'known_hosts'];

export function parseSsh(
  raw: unknown,
  where: string,
  file: string,
  position: { field: string; line?: number },
  diagnostics: Diagnostic[],
): SshFiles | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `${where}: expected a mapping with identity and known_hosts file paths`, position));
    return undefined;
  }
  const before = diagnostics.length;
  reportUnknownKeys(raw, KEYS, (key, message) => diagnostics.push(error(file, `${where}.${key}: ${message}`, position)));
  for (const key of KEYS.filter((k) => raw[k] !== undefined && (typeof raw[k] !== 'string' || raw[k].trim() === '')))
    diagnostics.push(error(file, `${where}.${key}: expected a file path`, position));
  if (diagnostics.length > before) return undefined;
  const identity = raw['identity'] as string | undefined;
  const knownHosts = raw['known_hosts'] as string | undefined;
  return { ...(identity === undefined ? {} : { identity }), ...(knownHosts === undefined ? {} : { knownHosts }) };
}
