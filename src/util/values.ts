/**
 * Small helpers for plain values read from YAML and labels (pure): is it a mapping, a
 * scalar as the text written, a whole number, a mapping of strings, comma lists and `key=value` items.
 */

/** A mapping: an object that is neither null nor a list. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A YAML scalar as the text it stands for: 8080 → "8080", false → "false"; null, lists and maps → undefined. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** A whole number written as digits, `8080` or `" 8080 "`; anything else (-1, 1.5, "1e3", true, a list) → undefined. */
export function wholeNumber(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * A mapping's values as strings, for labels and Docker's string maps: `key:` (null) is
 * the empty string, as Go and Docker read it (never the text "null"); a nested list or
 * map is kept as its JSON text. Anything but a mapping gives an empty map.
 */
export function stringMap(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null || item === undefined ? '' : valueText(item)]));
}

function valueText(value: unknown): string {
  return scalarText(value) ?? JSON.stringify(value);
}

/** `a, b,,c ` → ["a", "b", "c"]: a comma-separated list, items trimmed, empty ones dropped. */
export function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `KEY=a=b` → ["KEY", "a=b"]; without the separator the value is undefined. */
export function splitOnce(text: string, separator: string): [key: string, value: string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** A list of `key<separator>value` items as a map, each split on its first separator; an item without one maps to `missing`. */
export function keyValueMap<T>(items: readonly unknown[], separator: string, missing: T): Record<string, string | T> {
  return Object.fromEntries(
    items.map((item) => {
      const [key, value] = splitOnce(String(item), separator);
      return [key, value ?? missing];
    }),
  );
}

/** A compose list written as a list or as one non-empty string (`links: db`), as its items' texts; anything else → []. */
export function listItems(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
}
