/**
 * Remembering what is worked out from an object that does not change — a rendered desired stack
 * or one of its services — for as long as the object lives (a WeakMap), so that the daemon's passes
 * between two revisions do not work it out again; and what is worked out from a text that recurs
 * (a bounded Map). Pure: the function must depend on its argument alone, and callers must not
 * change what it returns.
 */

/** `derive`, remembered per argument. */
export function memoizedPerObject<K extends object, V>(derive: (key: K) => V): (key: K) => V {
  const known = new WeakMap<K, V>();
  return (key) => {
    // One lookup where the value is known (it is, but for the first call); `has` only tells an undefined value from none.
    const value = known.get(key);
    if (value !== undefined || known.has(key)) return value as V;
    const derived = derive(key);
    known.set(key, derived);
    return derived;
  };
}

/**
 * `derive`, remembered per text, at most `max` texts at a time: once full, what it holds is dropped
 * and it fills again with the texts asked for from then on (the texts of the current revision, in
 * a daemon that lives through many), so that texts a user writes cannot grow it without end.
 */
export function memoizedPerText<V>(derive: (text: string) => V, max = 10_000): (text: string) => V {
  const known = new Map<string, V>();
  return (text) => {
    let value = known.get(text);
    if (value === undefined && !known.has(text)) {
      value = derive(text);
      if (known.size >= max) known.clear();
      known.set(text, value);
    }
    return value as V;
  };
}
