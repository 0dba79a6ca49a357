/**
 * YAML parsing for user files: plain JS values plus line numbers for any path,
 * syntax errors with their line, duplicate keys as warnings (real catalogs have them)
 * or as errors (stack requests). Line lookups are indexed: each costs O(path length).
 *
 * Uses the `yaml` package rather than js-yaml: it keeps every node's source range,
 * so messages about a nested field can name its line, and it can report duplicate
 * keys without refusing the file.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { type Diagnostic, error, warning } from '../model/diagnostics.js';

export type YamlPath = readonly (string | number)[];

export interface ParsedYaml {
  /** The document as plain JS values; undefined when the file is empty or broken. */
  value: unknown;
  diagnostics: Diagnostic[];
  /** 1-based line of the node at `path` (the key's line for map entries), when it exists. */
  lineOf(path: YamlPath): number | undefined;
}

const MAX_ALIAS_COUNT = 100;

export interface ParseYamlOptions {
  /**
   * Read every scalar as the string written (`default: 1.0` is "1.0", `false` is "false"),
   * as Rancher read catalog metadata, questions and answers.
   */
  scalarsAsStrings?: boolean;
  /** A repeated key is a warning (default: the last value is used) or an error. */
  duplicateKeys?: 'warning' | 'error';
}

export function parseYaml(text: string, file: string, options: ParseYamlOptions = {}): ParsedYaml {
  const lineCounter = new LineCounter();
  const schema = options.scalarsAsStrings ? 'failsafe' : 'core';
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter, prettyErrors: false, version: '1.2', schema });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const diagnostics: Diagnostic[] = doc.errors.map((e) =>
    error(file, `YAML syntax error: ${firstLine(e.message)}`, { line: lineAt(e.pos[0]) }),
  );
  diagnostics.push(...doc.warnings.map((w) => warning(file, `YAML: ${firstLine(w.message)}`, { line: lineAt(w.pos[0]) })));
  diagnostics.push(...duplicateKeys(doc.contents, file, lineAt, [], options.duplicateKeys ?? 'warning'));
  const value = doc.errors.length > 0 ? undefined : toPlainValue(doc, file, diagnostics);
  const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  return { value, diagnostics, lineOf: (path) => lineOfPath(doc, path, lineAt, pairIndex) };
}

function toPlainValue(doc: Document, file: string, diagnostics: Diagnostic[]): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    diagnostics.push(error(file, `YAML: ${err instanceof Error ? firstLine(err.message) : String(err)}`));
    return undefined;
  }
}

function duplicateKeys(
  node: unknown,
  file: string,
  lineAt: (offset: number) => number,
  path: string[],
  severity: 'warning' | 'error',
): Diagnostic[] {
  if (isSeq(node)) return node.items.flatMap((item, i) => duplicateKeys(item, file, lineAt, [...path, String(i)], severity));
  if (!isMap(node)) return [];
  const seen = new Set<string>();
  const found: Diagnostic[] = [];
  for (const pair of node.items) {
    const key = keyOf(pair);
    const keyPath = [...path, key];
    if (seen.has(key)) {
      const offset = (pair.key as Node | null)?.range?.[0];
      const where = { field: keyPath.join('.'), ...(offset === undefined ? {} : { line: lineAt(offset) }) };
      found.push(
        severity === 'error'
          ? error(file, `duplicate key "${keyPath.join('.')}": write each key once`, where)
          : warning(file, `duplicate key "${keyPath.join('.')}": the last value is used`, where),
      );
    }
    seen.add(key);
    found.push(...duplicateKeys(pair.value, file, lineAt, keyPath, severity));
  }
  return found;
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function lineOfPath(
  doc: Document,
  path: YamlPath,
  lineAt: (offset: number) => number,
  pairIndex: WeakMap<YAMLMap, Map<string, Pair>>,
): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined = rangeLine(node, lineAt);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairsOf(node, pairIndex).get(String(segment));
      if (!pair) return line;
      line = rangeLine(pair.key, lineAt) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      line = rangeLine(node, lineAt) ?? line;
    } else {
      return line;
    }
  }
  return line;
}

/** The first pair of each key of a map, built once per map. */
function pairsOf(map: YAMLMap, index: WeakMap<YAMLMap, Map<string, Pair>>): Map<string, Pair> {
  const known = index.get(map);
  if (known) return known;
  const pairs = new Map<string, Pair>();
  for (const pair of map.items as Pair[]) {
    const key = keyOf(pair);
    if (!pairs.has(key)) pairs.set(key, pair);
  }
  index.set(map, pairs);
  return pairs;
}

function rangeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? lineAt(range[0]) : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
