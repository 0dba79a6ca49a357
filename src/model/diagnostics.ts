/** A problem found in a user's file: where it is, what is wrong, what would be accepted. */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Path of the file, relative to the repository or catalog root where possible. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** The field the problem is about, e.g. `answers.tikv_scale` or `services.web.image`. */
  field?: string;
  message: string;
}

export function error(file: string, message: string, where: { line?: number; field?: string } = {}): Diagnostic {
  return { severity: 'error', file, message, ...defined(where) };
}

export function warning(file: string, message: string, where: { line?: number; field?: string } = {}): Diagnostic {
  return { severity: 'warning', file, message, ...defined(where) };
}

/** `{ line }` for a known line, `{}` otherwise: spread into a diagnostic's position. */
export function atLine(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `path:line: severity: message`, the format editors and CI logs understand. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${locationOf(d)}: ${d.severity}: ${d.message}`;
}

/** `path:line: message`: an error as a stack's status and history name it (the severity goes without saying). */
export function diagnosticText(d: Diagnostic): string {
  return `${locationOf(d)}: ${d.message}`;
}

function locationOf(d: Diagnostic): string {
  return d.line === undefined ? d.file : `${d.file}:${d.line}`;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
