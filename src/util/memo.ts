/**
 * Remembering what is worked out from an object that does not change — a rendered desired stack
 * or one of its services — for as long as the object lives (a WeakMap), so that the daemon's passes
 * between two revisions do not work it out again. Pure: the function must depend on its argument
 * alone, and callers must not change what it returns.
 */

/** `derive`, remembered per argument. */
export function memoizedPerObject<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const known = new WeakMap<K, V>();
  return (key) => {
    if (known.has(key)) return known.get(key) as V;
    const value = derive(key);
    known.set(key, value);
    return value;
  };
}
