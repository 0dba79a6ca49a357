import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASK, redactString, redactToken, redactValue } from '../../src/model/redact.js';
import { randomFrom } from '../fixtures/random.js';

test('secrets are masked in any letter case (the scheduler quotes label values lowercased), regex characters and all', () => {
  const secret = 'Pa$$(w)o.rd*[1]';
  assert.equal(
    redactString(`label pw=${secret.toLowerCase()}, env PW=${secret}, shout ${secret.toUpperCase()}`, [secret]),
    `label pw=${MASK}, env PW=${MASK}, shout ${MASK}`,
  );
  assert.equal(redactString('Pa$$ Pa$$w0rd', ['Pa$$', 'Pa$$w0rd']), `${MASK} ${MASK}`, 'the longest secret wins where they overlap');
  assert.equal(redactString('nothing to hide', ['']), 'nothing to hide', 'an empty secret masks nothing');
});

test('redactValue masks every string of a nested value and keeps its shape', () => {
  assert.deepEqual(redactValue({ env: ['DB=hunter22'], n: 3, nested: { message: 'HUNTER22 failed' } }, ['hunter22']), {
    env: [`DB=${MASK}`],
    n: 3,
    nested: { message: `${MASK} failed` },
  });
});

test('redactToken masks an access token as written and URL-encoded, and leaves the text alone without one', () => {
  const token = 'ghp_a/b+c=d';
  const url = `https://corral:${encodeURIComponent(token)}@git.example/ops/catalog.git`;
  assert.equal(
    redactToken(`clone of ${url} failed: bad credentials ${token}`, token),
    `clone of https://corral:${MASK}@git.example/ops/catalog.git failed: bad credentials ${MASK}`,
  );
  assert.equal(redactToken('no token here', undefined), 'no token here');
});

/** The regular expression the mask replaced: every secret, longest first, in any letter case. */
function maskedByPattern(text: string, secrets: readonly string[]): string {
  const distinct = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  if (distinct.length === 0) return text;
  return text.replace(new RegExp(distinct.map((secret) => secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'giu'), MASK);
}

test('the mask hides what one pattern of every secret (longest first, any letter case) hides, on random texts and secrets', () => {
  const next = randomFrom(7);
  const random = (n: number) => Math.floor(next() * n);
  // Greek sigmas and the long s: whole-text toLowerCase writes Σ as σ or ς by its neighbours; İ lowercases to two characters.
  const alphabet = 'abAB.$*-1sSſσςΣİ';
  const word = (length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
  for (let round = 0; round < 4000; round++) {
    const secrets = Array.from({ length: 1 + random(6) }, () => word(1 + random(7)));
    const text = Array.from({ length: random(6) }, () =>
      random(2) ? secrets[random(secrets.length)]?.toUpperCase() : word(random(5)),
    ).join(word(random(3)));
    assert.equal(
      redactString(text, secrets),
      maskedByPattern(text, secrets),
      `secrets ${JSON.stringify(secrets)}, text ${JSON.stringify(text)}`,
    );
  }
});

test('thousands of secrets are each found in a long text, in any letter case, and nothing else is masked', () => {
  const secrets = Array.from({ length: 5000 }, (_, i) => `Pw${i.toString(36)}x${(i * 7919).toString(36)}`);
  const text = secrets.map((secret, i) => `stack s${i}: ${i % 2 ? secret.toLowerCase() : secret.toUpperCase()} ok`).join('\n');
  const masked = redactString(text, secrets);
  assert.equal(masked.split(MASK).length - 1, 5000);
  assert.equal(masked.split('\n')[42], `stack s42: ${MASK} ok`);
  assert.equal(redactString('Pw', secrets), 'Pw', 'a prefix of a secret is no secret');
});

test('a secret is found as written and in any letter case, whatever the letters around it', () => {
  assert.equal(redactString('host İzmir: password ΚΩΔΙΚΟΣ rejected', ['ΚΩΔΙΚΟΣ']), `host İzmir: password ${MASK} rejected`);
  assert.equal(redactString('token=passΣword', ['passΣ']), `token=${MASK}word`);
  assert.equal(redactString('LABEL=ΚΩΔΙΚΟΣ', ['κωδικοσ']), `LABEL=${MASK}`);
  assert.equal(redactString('label=maſter', ['MASTER']), `label=${MASK}`);
  assert.equal(redactString('x \u1fd3 y \ufb05', ['\u0390', '\ufb06']), `x ${MASK} y ${MASK}`, 'letters that fold apart one by one');
});

test('a list of secrets that is not frozen is read again each time: one added later is masked too', () => {
  const secrets = ['alpha-secret'];
  assert.equal(redactString('alpha-secret bravo-secret', secrets), `${MASK} bravo-secret`);
  secrets.push('bravo-secret');
  assert.equal(redactString('alpha-secret bravo-secret', secrets), `${MASK} ${MASK}`);
});
