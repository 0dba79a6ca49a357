/** A desired stack's digest: everything rendered for it but its revision and warnings, also for a stack copied at a new revision. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import { desiredStackDigest } from '../../src/plan/stack-key.js';
import { stack } from './fixtures.js';

/** The same content in new objects: its digest is worked out afresh. */
const fresh = (desired: DesiredStack): DesiredStack => structuredClone(desired);

test('a stack copied at a new revision, sharing every other value, has the digest of the stack it was copied from', () => {
  const first = { ...stack('shop', { web: { command: 'run' } }), revision: 'r1' };
  const copied: DesiredStack = { ...first, revision: 'r2', warnings: [] };
  assert.equal(desiredStackDigest(copied), desiredStackDigest(first));
  assert.equal(desiredStackDigest(copied), desiredStackDigest(fresh(copied)));
});

test('a copy sharing the services but not another value is digested afresh', () => {
  const first = stack('shop', { web: { command: 'run' } });
  const digest = desiredStackDigest(first);
  const otherVariables: DesiredStack = { ...first, variables: { ...first.variables, SIZE: '2' } };
  assert.notEqual(desiredStackDigest(otherVariables), digest);
  assert.equal(desiredStackDigest(otherVariables), desiredStackDigest(fresh(otherVariables)));
  const otherName: DesiredStack = { ...first, name: 'shop2' };
  assert.notEqual(desiredStackDigest(otherName), digest);
  const sameVariablesAnew: DesiredStack = { ...first, variables: { ...first.variables } };
  assert.equal(desiredStackDigest(sameVariablesAnew), digest, 'equal content in a new object: the same digest, hashed again');
  const { volumes, ...withoutVolumes } = first;
  const reordered = { ...withoutVolumes, volumes } as DesiredStack;
  assert.equal(desiredStackDigest(reordered), desiredStackDigest(fresh(reordered)), 'keys in another order are digested afresh');
});
