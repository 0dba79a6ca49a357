/**
 * YAML parsing for user files: plain JS values plus line numbers for any path,
 * syntax errors with their line, duplicate keys as warnings (real catalogs have them).
 *
 * Uses the `yaml` package rather than js-yaml: it keeps every node's source range,
 * so messages about a nested field can name its line, and it can report duplicate
 * keys without refusing the file.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
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
  diagnostics.push(...duplicateKeyWarnings(doc.contents, file, lineAt, []));
  const value = doc.errors.length > 0 ? undefined : toPlainValue(doc, file, diagnostics);
  return { value, diagnostics, lineOf: (path) => lineOfPath(doc, path, lineAt) };
}

function toPlainValue(doc: Document, file: string, diagnostics: Diagnostic[]): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    diagnostics.push(error(file, `YAML: ${err instanceof Error ? firstLine(err.message) : String(err)}`));
    return undefined;
  }
}

function duplicateKeyWarnings(node: unknown, file: string, lineAt: (offset: number) => number, path: string[]): Diagnostic[] {
  if (isSeq(node)) return node.items.flatMap((item, i) => duplicateKeyWarnings(item, file, lineAt, [...path, String(i)]));
  if (!isMap(node)) return [];
  const seen = new Set<string>();
  const found: Diagnostic[] = [];
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const keyPath = [...path, key];
    if (seen.has(key)) {
      const offset = (pair.key as Node | null)?.range?.[0];
      found.push(
        warning(file, `duplicate key "${keyPath.join('.')}": the last value is used`, {
          field: keyPath.join('.'),
          ...(offset === undefined ? {} : { line: lineAt(offset) }),
        }),
      );
    }
    seen.add(key);
    found.push(...duplicateKeyWarnings(pair.value, file, lineAt, keyPath));
  }
  return found;
}

function lineOfPath(doc: Document, path: YamlPath, lineAt: (offset: number) => number): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined = rangeLine(node, lineAt);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
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

function rangeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? lineAt(range[0]) : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
