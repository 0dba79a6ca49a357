import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encryptAnswer, generateKeyPair } from '../../src/secrets/age.js';
import { decryptStackAnswers } from '../../src/secrets/answers.js';

test('decryptStackAnswers opens each answer once, reuses what an earlier revision opened, and forgets what left the repository', async () => {
  const keys = await generateKeyPair();
  const kept = await encryptAnswer('kept-value', [keys.recipient]);
  const added = await encryptAnswer('added-value', [keys.recipient]);
  const gone = await encryptAnswer('gone-value', [keys.recipient]);
  const files = (answers: string[]) =>
    new Map(answers.map((answer, i) => [`stacks/s${i}/stack.yml`, `template: web\nanswers:\n  pw: ${answer}\n  plain: x\n`]));

  const first = await decryptStackAnswers(files([kept, gone, kept]), [keys.identity]);
  assert.equal(first.mode, 'decrypted');
  assert.deepEqual([...(first.mode === 'decrypted' ? first.answers.values() : [])], [{ value: 'kept-value' }, { value: 'gone-value' }]);

  // A stand-in value proves the earlier result is reused rather than decrypted again.
  const earlier = { mode: 'decrypted' as const, answers: new Map([[kept, { value: 'from-the-earlier-revision' }]]) };
  const next = await decryptStackAnswers(files([kept, added]), [keys.identity], earlier);
  assert.deepEqual(next.mode === 'decrypted' ? Object.fromEntries(next.answers) : {}, {
    [kept]: { value: 'from-the-earlier-revision' },
    [added]: { value: 'added-value' },
  });
});
