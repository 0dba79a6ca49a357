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
  const earlier = digestedByServices.get(stack.services);
  if (earlier && sameContent(earlier.stack, stack)) return earlier.digest;
  const { revision: _revision, warnings: _warnings, ...content } = stack;
  const digest = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  digestedByServices.set(stack.services, { stack, digest });
  return digest;
});

/**
 * The last stack digested for each services object. A stack the repository's source kept from
 * its last read is a copy at the new revision sharing every other value (render/stack-renders.ts):
 * its digest is the one made for the stack it was copied from, without hashing it again (10,000
 * stacks took about 265 ms at each new revision).
 */
const digestedByServices = new WeakMap<DesiredStack['services'], { stack: DesiredStack; digest: string }>();

/** The keys the digest leaves out. */
const NOT_DIGESTED = new Set(['revision', 'warnings']);

/** Whether two stacks hold the very same values under the same keys in the same order, the keys the digest leaves out aside. */
function sameContent(a: DesiredStack, b: DesiredStack): boolean {
  const keys = Object.keys(a).filter((key) => !NOT_DIGESTED.has(key));
  const otherKeys = Object.keys(b).filter((key) => !NOT_DIGESTED.has(key));
  const field = (stack: DesiredStack, key: string) => (stack as unknown as Record<string, unknown>)[key];
  return keys.length === otherKeys.length && keys.every((key, at) => key === otherKeys[at] && field(a, key) === field(b, key));
}

/** The key a rolled-back upgrade is remembered by: the digest's first 32 hex digits. */
export function desiredStackKey(stack: DesiredStack): string {
  return desiredStackDigest(stack).slice(0, 32);
}
