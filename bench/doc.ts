/**
 * docs/benchmarks.md, written by several benchmarks: each rewrites only its own `## ` section
 * and leaves the others as they are (a missing section is appended).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = join(ROOT, 'docs', 'benchmarks.md');

/** Replaces the section whose heading line is `heading` (a `## ` line) with `section`, which starts with that heading. */
export function writeSection(heading: string, section: string): void {
  const text = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  mkdirSync(dirname(DOC), { recursive: true });
  writeFileSync(DOC, replaceSection(text, heading, section));
}

export function replaceSection(text: string, heading: string, section: string): string {
  const body = `${section.trimEnd()}\n`;
  const start = sectionStart(text, heading);
  if (start === undefined) return `${text.trimEnd()}\n\n${body}`;
  const next = text.indexOf('\n## ', start + heading.length);
  if (next < 0) return `${text.slice(0, start)}${body}`;
  return `${text.slice(0, start)}${body}\n${text.slice(next + 1)}`;
}

function sectionStart(text: string, heading: string): number | undefined {
  if (text.startsWith(`${heading}\n`)) return 0;
  const at = text.indexOf(`\n${heading}\n`);
  return at < 0 ? undefined : at + 1;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
