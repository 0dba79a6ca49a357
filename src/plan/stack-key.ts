/**
 * The key of a desired stack: a SHA-256 of everything rendered for it except the git revision it
 * was read at and the render warnings. Two commits that render the stack the same have the same
 * key; any change of the stack (a fix, a revert, a new answer) gives another. An upgrade that was
 * rolled back is remembered by this key, so that it is not tried again until the stack changes.
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { DesiredStack } from '../model/desired.js';

export function desiredStackKey(stack: DesiredStack): string {
  const { revision: _revision, warnings: _warnings, ...content } = stack;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 32);
}
