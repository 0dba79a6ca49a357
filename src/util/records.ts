/**
 * Copying string-keyed records without object spread: in the per-container loops of schedule
 * and plan, `{ ...a, ...b }` costs many times a plain copy on Node 20 (see docs/benchmarks.md);
 * and grouping items by a key. Pure.
 */

/** Copies the source's own enumerable keys onto the target, as `{ ...target, ...source }` would (a `__proto__` key stays data). */
export function copyInto<V>(target: Record<string, V>, source: Readonly<Record<string, V>>): Record<string, V> {
  for (const key of Object.keys(source)) setOwn(target, key, source[key] as V);
  return target;
}

/** `record[key] = value`, except that a `__proto__` key becomes data of the record rather than its prototype. */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** `record[key]` when the record has that key itself: a key such as `constructor` or `__proto__` does not reach Object.prototype. */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `{ ...a, ...b, … }` for records. */
export function mergeRecords<V>(...sources: readonly Readonly<Record<string, V>>[]): Record<string, V> {
  const merged: Record<string, V> = {};
  for (const source of sources) copyInto(merged, source);
  return merged;
}

/** The items by the key each has, in their order within each group and the keys' order of first appearance. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) appendTo(groups, keyOf(item), item);
  return groups;
}

/** Adds the item at the end of the key's list, made when it is the key's first. */
export function appendTo<K, T>(lists: Map<K, T[]>, key: K, item: T): void {
  const list = lists.get(key);
  if (list) list.push(item);
  else lists.set(key, [item]);
}
