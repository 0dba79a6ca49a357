import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASK, redactString, redactToken, redactValue } from '../../src/model/redact.js';

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
