import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decryptAnswer,
  encryptAnswer,
  generateKeyPair,
  identityFileText,
  parseIdentities,
  parseRecipients,
} from '../../src/secrets/age.js';
import { formatEncryptedAnswer, isEncryptedAnswer, parseEncryptedAnswer } from '../../src/secrets/format.js';

const VALUE = 'correct horse battery staple';

test('an answer encrypted for a recipient opens with its identity, and with no other', async () => {
  const pair = await generateKeyPair();
  const other = await generateKeyPair();
  assert.match(pair.identity, /^AGE-SECRET-KEY-1[0-9A-Z]+$/);
  assert.match(pair.recipient, /^age1[0-9a-z]+$/);
  const answer = await encryptAnswer(VALUE, [pair.recipient]);
  assert.match(answer, /^ENC\[age,[A-Za-z0-9+/]+=*\]$/);
  assert.ok(!answer.includes(VALUE));
  assert.ok(answer.length < 320, `one short line: ${answer.length} characters`);
  assert.deepEqual(await decryptAnswer(answer, [pair.identity]), { value: VALUE });
  assert.deepEqual(await decryptAnswer(answer, [other.identity, pair.identity]), { value: VALUE }, 'any identity of the file may open it');
  const wrong = await decryptAnswer(answer, [other.identity]);
  assert.ok('problem' in wrong);
  assert.match(
    wrong.problem,
    /cannot be decrypted with the daemon's identity \(CORRAL_AGE_IDENTITY\): it was encrypted for other recipients/,
  );
});

test('an answer for several recipients opens with each of their identities', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  const answer = await encryptAnswer(VALUE, [a.recipient, b.recipient]);
  assert.deepEqual(await decryptAnswer(answer, [a.identity]), { value: VALUE });
  assert.deepEqual(await decryptAnswer(answer, [b.identity]), { value: VALUE });
});

test('a corrupt or malformed answer is a problem naming what is wrong, never a throw', async () => {
  const pair = await generateKeyPair();
  const answer = await encryptAnswer(VALUE, [pair.recipient]);
  const bytes = Buffer.from(answer.slice('ENC[age,'.length, -1), 'base64');
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 1;
  const flipped = await decryptAnswer(formatEncryptedAnswer(bytes), [pair.identity]);
  assert.ok('problem' in flipped);
  assert.match(flipped.problem, /^the encrypted answer is corrupt \(.+\); encrypt the value again/);
  for (const [written, reason] of [
    ['ENC[age,not base64!]', /is not base64/],
    ['ENC[age,aGVsbG8gd29ybGQ=]', /does not hold an age file/],
    ['ENC[age,abc', /one line, ENC\[age,...\]/],
    [formatEncryptedAnswer(bytes.subarray(0, bytes.length - 40)), /truncated|corrupt/],
  ] as const) {
    const result = await decryptAnswer(written, [pair.identity]);
    assert.ok('problem' in result, written);
    assert.match(result.problem, reason);
  }
});

test('the ENC[age,...] form: recognised, and its plaintext size read without a key', async () => {
  const pair = await generateKeyPair();
  assert.ok(isEncryptedAnswer('ENC[age,abc]') && isEncryptedAnswer('  ENC[age,'));
  assert.ok(!isEncryptedAnswer('ENC[AES256_GCM,data:...]') && !isEncryptedAnswer('hunter2'));
  for (const value of ['', 'x', VALUE, 'é'.repeat(40_000)]) {
    const parsed = parseEncryptedAnswer(await encryptAnswer(value, [pair.recipient]));
    assert.ok('ageFile' in parsed);
    assert.equal(parsed.plaintextBytes, Buffer.byteLength(value), `size of a ${value.length}-character value`);
  }
});

test('identity files: comments and blank lines skipped; a bad line is named by number, never quoted', async () => {
  const pair = await generateKeyPair();
  const file = identityFileText(pair, new Date('2024-01-02T03:04:05Z'));
  assert.match(file, /^# created: 2024-01-02T03:04:05.000Z\n# public key: age1/);
  assert.deepEqual(await parseIdentities(file, 'id.txt'), { identities: [pair.identity], diagnostics: [] });
  const broken = await parseIdentities(`${file}\nAGE-SECRET-KEY-1NOTAKEYATALL\nhunter2\n`, 'id.txt');
  assert.deepEqual(
    broken.diagnostics.map((d) => [d.file, d.line]),
    [
      ['id.txt', 5],
      ['id.txt', 6],
    ],
  );
  assert.ok(!JSON.stringify(broken.diagnostics).includes('NOTAKEY') && !JSON.stringify(broken.diagnostics).includes('hunter2'));
  assert.match((await parseIdentities('# nothing\n', 'id.txt')).diagnostics[0]?.message ?? '', /holds no age identity/);
});

test('recipients files: one public key a line; an identity pasted there is flagged as a leaked key', async () => {
  const a = await generateKeyPair();
  const b = await generateKeyPair();
  assert.deepEqual(parseRecipients(`# ops team\n${a.recipient}\n\n${b.recipient}  \n`, 'r.txt'), {
    recipients: [a.recipient, b.recipient],
    diagnostics: [],
  });
  const bad = parseRecipients(`${a.recipient}\nage1nope\n${b.identity}\n`, 'r.txt');
  assert.deepEqual(bad.recipients, [a.recipient]);
  assert.match(bad.diagnostics[0]?.message ?? '', /"age1nope" is not an age recipient/);
  assert.equal(bad.diagnostics[1]?.line, 3);
  assert.match(
    bad.diagnostics[1]?.message ?? '',
    /this is an identity \(a secret key\), not a recipient: remove it, and make a new key pair/,
  );
  assert.ok(!JSON.stringify(bad.diagnostics).includes(b.identity.slice(16)));
  assert.match(parseRecipients('', 'r.txt').diagnostics[0]?.message ?? '', /lists no recipient/);
});
