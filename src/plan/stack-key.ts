/**
 * The digest of a desired stack: a SHA-256 of everything rendered for it except the git revision
 * it was read at and the render warnings. Two commits that render the stack the same have the
 * same digest; any change of the stack (a fix, a revert, a new answer) gives another. The
 * stack's history (state/stack-history.ts) and the daemon tell applied configurations apart by
 * it; an upgrade that was rolled back is remembered by its first half, the key, so that it is not
 * tried again until the stack changes. Pure: remembered per stack object (a rendered stack does not
 * change), so that the daemon's full checks, its records and each plan do not hash it again.
 */
import { createHash } from 'node:crypto';
import type { DesiredStack } from '../model/desired.js';
import { memoizedPerObject } from '../util/memo.js';

/** The full digest, in hex. */
export const desiredStackDigest = memoizedPerObject((stack: DesiredStack): string => {
  const { revision: _revision, warnings: _warnings, ...content } = stack;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
});

/** The key a rolled-back upgrade is remembered by: the digest's first 32 hex digits. */
export function desiredStackKey(stack: DesiredStack): string {
  return desiredStackDigest(stack).slice(0, 32);
}
