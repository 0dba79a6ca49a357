/**
 * What the config's section parsers share: where a path of the file is (its field and line),
 * and the check that a mapping holds only the keys its section accepts. Pure.
 */

/** The field and line of a path in the config file, for a diagnostic. */
export type At = (path: (string | number)[]) => { field: string; line?: number };

/** Calls `report(key, "unknown key; accepted: a, b")` for each key of the mapping that is not accepted. */
export function reportUnknownKeys(
  mapping: Record<string, unknown>,
  accepted: readonly string[],
  report: (key: string, message: string) => void,
): void {
  const message = `unknown key; accepted: ${accepted.join(', ')}`;
  for (const key of Object.keys(mapping)) if (!accepted.includes(key)) report(key, message);
}
