/**
 * Step 2 of rendering: Go text/template over a compose file's raw text, unless the file
 * starts with `#notemplating` (or `# notemplating`).
 *
 * Templates print into YAML text, so an answer printed by `{{ .Values.x }}` could add, end or
 * swallow structure. To prevent that, a printed value that could change the YAML around it is
 * printed as an opaque token and put back, as one string, after the YAML is parsed and
 * interpolated (`restore`): anything with a line break (YAML 1.1's NEL, LS and PS included), a
 * tab, `:` or `#` next to whitespace, leading or trailing whitespace, a leading indicator
 * (`- `, `? `, `&`, `*`, `!`, `|`, `>`, `%`, `@`, backtick, `---`), a flow character (`{}[],`),
 * a quote or a backslash (which could close or escape a quoted scalar), or a `$` (so that
 * printed text is never interpolated again: `${other}` in an answer stays literal).
 *
 * Execution has a budget (steps and output size): a template that loops or prints without end
 * fails its stack instead of stalling the controller.
 */
import { parse as parseScalar } from 'yaml';
import type { SourceFile } from '../catalog/types.js';
import { type Diagnostic, error } from '../model/diagnostics.js';
import { renderTemplate, TemplateError } from './gotemplate/index.js';

export interface TemplateContext {
  Values: Record<string, string>;
  Stack: { Name: string; Version: string; PreviousVersion: string };
  Release: { Name: string; Version: string; PreviousVersion: string };
  Environment: { Name: string };
}

export type TemplateOutcome = { text: string; wasTemplated: boolean; restore(value: unknown): unknown } | { error: Diagnostic };

const NO_TEMPLATING = /^\s*#\s?notemplating/;
const STRUCTURAL =
  /[\r\n\t\u0085\u2028\u2029\uFEFF]|:[ ]|:$|[ ]#|^[ ]|[ ]$|^[#&*!|>%@`]|^[-?:](?:[ ]|$)|^(?:---|\.\.\.)|[{}[\],'"\\$\uE000\uE001]/;
const TOKEN = /\u{E000}corral(\d+)\u{E001}/gu;
const WHOLE_TOKEN = /^\u{E000}corral(\d+)\u{E001}$/u;

export function applyTemplate(source: SourceFile, context: TemplateContext): TemplateOutcome {
  if (NO_TEMPLATING.test(source.text) || !source.text.includes('{{')) {
    return { text: source.text, wasTemplated: false, restore: (value) => value };
  }
  const printed: string[] = [];
  const shield = (output: string) => {
    if (!STRUCTURAL.test(output)) return output;
    printed.push(output);
    return `\u{E000}corral${printed.length - 1}\u{E001}`;
  };
  try {
    const text = renderTemplate(source.text, context, { escapeOutput: shield });
    return { text, wasTemplated: true, restore: (value) => restoreTokens(value, printed) };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { error: error(source.path, `template error: ${err.message}`, { line: err.line }) };
  }
}

function restoreTokens(value: unknown, printed: readonly string[]): unknown {
  if (printed.length === 0) return value;
  if (typeof value === 'string') return restoreString(value, printed);
  if (Array.isArray(value)) return value.map((item) => restoreTokens(item, printed));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [restoreString(k, printed), restoreTokens(v, printed)]));
  }
  return value;
}

/**
 * A token that is a whole scalar and stands for a quoted YAML scalar (as `splitPreserveQuotes`
 * prints them) is unquoted, as the YAML parser would have done; otherwise the text goes back as is.
 */
function restoreString(text: string, printed: readonly string[]): string {
  const whole = WHOLE_TOKEN.exec(text);
  if (whole) {
    const original = printed[Number(whole[1])] ?? '';
    return isQuotedScalar(original) ? String(parseScalar(original)) : original;
  }
  return text.replace(TOKEN, (_, index: string) => printed[Number(index)] ?? '');
}

function isQuotedScalar(text: string): boolean {
  if (!/^(?:'[\s\S]*'|"[\s\S]*")$/.test(text) || /[\r\n]/.test(text)) return false;
  try {
    return typeof parseScalar(text) === 'string';
  } catch {
    return false;
  }
}
