/**
 * Sorting the short string lists of the plan's hot paths. Pure.
 */

/** Above this many items, sortInPlace leaves the order to Array#sort. */
const INSERTION_SORT_MAX = 24;

/**
 * Sorts the strings in place in code-unit order, as `Array#sort` orders them (and `<` compares
 * them), and returns the list. Most lists a plan sorts have a few items: an insertion sort
 * allocates nothing, where `sort` makes its work arrays on every call (about 1.6 KB).
 */
export function sortInPlace(list: string[]): string[] {
  if (list.length > INSERTION_SORT_MAX) return list.sort();
  for (let at = 1; at < list.length; at++) {
    const item = list[at] as string;
    let to = at;
    for (; to > 0 && (list[to - 1] as string) > item; to--) list[to] = list[to - 1] as string;
    list[to] = item;
  }
  return list;
}
