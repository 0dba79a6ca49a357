/** Lists shared by every caller that has nothing to give (pure). */

/**
 * The empty list, frozen: given wherever a lookup finds nothing, so that a plan over many stacks
 * and hosts does not make an empty array each time. Typed `readonly never[]`, so it stands for a
 * read-only list of anything, and frozen, so that no caller can add to it.
 */
export const EMPTY_LIST: readonly never[] = Object.freeze([]);
