/**
 * A Go text/template interpreter for the subset catalog templates use: actions with trim
 * markers, comments, if / else if / else, range (with `$i, $e :=`), with, variables and
 * assignment, pipelines, parenthesised calls, and the functions in ./functions.ts.
 */
import { executeTemplate, type ExecuteOptions } from './execute.js';
import { parseTemplate } from './parser.js';

export { TemplateError } from './errors.js';
export { parseTemplate, type TemplateAst } from './parser.js';
export { executeTemplate, type ExecuteOptions } from './execute.js';

export function renderTemplate(text: string, data: unknown, options: ExecuteOptions = {}): string {
  return executeTemplate(parseTemplate(text), data, options);
}
