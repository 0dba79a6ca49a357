import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { checkHostKey, fingerprint, knownHostsName } from '../../src/observe/known-hosts.js';

/** An ssh public key blob: string "ssh-ed25519", then 32 key bytes. */
function blob(fill: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(type.length);
  const keyLength = Buffer.alloc(4);
  keyLength.writeUInt32BE(32);
  return Buffer.concat([header, type, keyLength, Buffer.alloc(32, fill)]);
}
const KEY = blob(1);
const OTHER = blob(2);
const line = (hosts: string, key: Buffer) => `${hosts} ssh-ed25519 ${key.toString('base64')}`;
const PATH = '/etc/corral/known_hosts';

test('a listed host with the same key is trusted; port 22 is the bare name, others [host]:port', () => {
  const text = `# fleet\n${line('10.99.0.11', KEY)}\n${line('[10.99.0.12]:2222,h2', KEY)}\n`;
  assert.deepEqual(checkHostKey(text, PATH, '10.99.0.11', 22, KEY), { trusted: true });
  assert.deepEqual(checkHostKey(text, PATH, '10.99.0.12', 2222, KEY), { trusted: true });
  assert.deepEqual(checkHostKey(text, PATH, 'H2', 22, KEY), { trusted: true });
  assert.equal(checkHostKey(text, PATH, '10.99.0.12', 22, KEY).trusted, false);
  assert.equal(knownHostsName('h', 2222), '[h]:2222');
});

test('an unknown host is refused with its fingerprint and how to add it', () => {
  assert.deepEqual(checkHostKey(line('10.99.0.11', KEY), PATH, '10.99.0.13', 2200, KEY), {
    trusted: false,
    problem: `the host key (${fingerprint(KEY)}) is not in ${PATH}; after checking it, add the host's line there (e.g. from ssh-keyscan -p 2200 10.99.0.13)`,
  });
  assert.match(fingerprint(KEY), /^ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}$/);
});

test('a changed key is refused, naming the line that holds the old one', () => {
  const verdict = checkHostKey(`\n${line('10.99.0.11', OTHER)}\n`, PATH, '10.99.0.11', 22, KEY);
  assert.deepEqual(verdict, {
    trusted: false,
    problem: `the host key (${fingerprint(KEY)}) does not match the ssh-ed25519 key for 10.99.0.11 in ${PATH} line 2: the host was reinstalled, or someone is in between`,
  });
});

test('hashed names, wildcards, negations and @revoked', () => {
  const salt = Buffer.alloc(20, 7);
  const hash = createHmac('sha1', salt).update('10.99.0.11').digest('base64');
  assert.deepEqual(checkHostKey(line(`|1|${salt.toString('base64')}|${hash}`, KEY), PATH, '10.99.0.11', 22, KEY), { trusted: true });
  assert.equal(checkHostKey(line(`|1|${salt.toString('base64')}|${hash}`, KEY), PATH, '10.99.0.12', 22, KEY).trusted, false);
  assert.deepEqual(checkHostKey(line('10.99.0.*,!10.99.0.13', KEY), PATH, '10.99.0.12', 22, KEY), { trusted: true });
  assert.equal(checkHostKey(line('10.99.0.*,!10.99.0.13', KEY), PATH, '10.99.0.13', 22, KEY).trusted, false);
  const revoked = checkHostKey(`${line('*', KEY)}\n@revoked ${line('*', KEY)}`, PATH, 'h1', 22, KEY);
  assert.deepEqual(revoked, { trusted: false, problem: `the host key (${fingerprint(KEY)}) is marked @revoked in ${PATH} line 2` });
});
