/**
 * A Go text/template interpreter for Rancher catalog compose templates: strings in, a
 * string out, no I/O. It follows Go's text/template, with the functions Rancher registered
 * (sprig's and `splitPreserveQuotes`), for everything catalog templates use: text and
 * actions with `{{-` / `-}}` trim markers, comments, if / else if / else, range (over lists
 * and maps, with `$i, $e :=`, `$e :=` or none, and `else`), with / else with, variables
 * (`:=`, `=`, `$`) scoped to their block, field chains, pipelines, parenthesised calls, and
 * the literals. Every catalog template renders byte-identical to Go 1.19's text/template.
 *
 * Deliberate differences from Go:
 * - define / template / block / break / continue are refused (a catalog template is one file).
 * - A trailing `|` with no command after it is an error (Go ignores it).
 * - `until` refuses more than 10000 items rather than build a huge list from a typo.
 * - Execution has a budget (ExecuteOptions: steps, and the length of the output and of any
 *   string a function builds): a template past it fails with "execution budget exceeded".
 * - JavaScript numbers: an integral number is an int (Go would keep `1.0` a float).
 * - `splitPreserveQuotes` keeps the last piece when the text ends in a non-ASCII
 *   character (Rancher's loses it).
 */
import type { TemplateAst } from './ast.js';
import { type ExecuteOptions, executeTemplate } from './execute.js';
import { parseTemplate } from './parser.js';

export type { TemplateAst } from './ast.js';
export { TemplateError } from './errors.js';
export { type ExecuteOptions, executeTemplate } from './execute.js';
export { splitPreserveQuotes } from './functions.js';
export { parseTemplate } from './parser.js';

/** Parses and executes; throws TemplateError with the 1-based line of the problem. */
export function renderTemplate(text: string, data: unknown, options: ExecuteOptions = {}): string {
  const ast: TemplateAst = parseTemplate(text);
  return executeTemplate(ast, data, options);
}
