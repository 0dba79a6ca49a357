/**
 * Host key checking against an OpenSSH known_hosts file, as `ssh` does with
 * StrictHostKeyChecking=yes. Pure: the file's text and the key the server offered in, a verdict
 * out. Understands plain and hashed (`|1|salt|hash`) host names, `[host]:port`, comma lists,
 * `*`/`?` wildcards, `!` negations and `@revoked`; `@cert-authority` lines are skipped (no
 * certificates here).
 */
import { createHash, createHmac } from 'node:crypto';

export type HostKeyVerdict = { trusted: true } | { trusted: false; problem: string };

interface KnownHostsLine {
  number: number;
  marker?: string;
  patterns: string;
  keyType: string;
  key: Buffer;
}

/** The name known_hosts lists the host under: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `ssh-ed25519 SHA256:…`, the way ssh shows a key: the key type from its blob and its SHA-256 fingerprint. */
export function fingerprint(key: Buffer): string {
  return `${keyTypeOf(key)} SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function checkHostKey(knownHosts: string, knownHostsPath: string, host: string, port: number, offered: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const lines = parseKnownHosts(knownHosts).filter((line) => line.marker !== '@cert-authority' && matchesHost(line.patterns, name));
  const shown = fingerprint(offered);
  const revoked = lines.find((line) => line.marker === '@revoked' && line.key.equals(offered));
  if (revoked) return { trusted: false, problem: `the host key (${shown}) is marked @revoked in ${knownHostsPath} line ${revoked.number}` };
  if (lines.some((line) => line.marker === undefined && line.key.equals(offered))) return { trusted: true };
  const other = lines.find((line) => line.marker === undefined);
  if (other)
    return {
      trusted: false,
      problem: `the host key (${shown}) does not match the ${other.keyType} key for ${name} in ${knownHostsPath} line ${other.number}: the host was reinstalled, or someone is in between`,
    };
  return {
    trusted: false,
    problem: `the host key (${shown}) is not in ${knownHostsPath}; after checking it, add the host's line there (e.g. from ssh-keyscan${port === 22 ? '' : ` -p ${port}`} ${host})`,
  };
}

function parseKnownHosts(text: string): KnownHostsLine[] {
  const lines: KnownHostsLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    lines.push({ number: index + 1, ...(marker === undefined ? {} : { marker }), patterns, keyType, key: Buffer.from(key, 'base64') });
  });
  return lines;
}

/** A comma list of patterns matches when one positive pattern matches and no negated one does. */
function matchesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return matchesHashed(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcard(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchesHashed(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

/** The key type is the blob's first field: a 32-bit length, then the name. */
function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'key';
  const length = key.readUInt32BE(0);
  return length > 0 && length < 64 && key.length >= 4 + length ? key.subarray(4, 4 + length).toString('latin1') : 'key';
}
