/**
 * Stack requests: `stacks/<stack>/stack.yml` (template, version, answers) and the optional
 * `answers.txt` (KEY=value lines). Pure: reads a FileTree, returns requests or diagnostics.
 */
import { atLine, type Diagnostic, error, hasErrors } from '../model/diagnostics.js';
import { type FileTree, unreadReason } from '../model/files.js';
import { ownValue, setOwn } from '../util/records.js';
import { isPlainObject, scalarText, splitOnce } from '../util/values.js';
import { type ParsedYaml, parseYaml } from '../util/yaml.js';

export interface StackRequest {
  /** The folder name under stacks/. */
  name: string;
  /** Path of stack.yml as shown to users. */
  file: string;
  /** Line of `template:` in stack.yml, where problems of the stack as a whole are reported. */
  templateLine?: number;
  /** Catalog named in `<catalog>:<template>`; undefined means the default catalog. */
  catalog?: string;
  template: string;
  /** Requested version (version string or folder); undefined follows the template's default. */
  version?: string;
  answers: Record<string, string>;
  /** Where each answer was written, for messages. */
  answerLocations: Record<string, { file: string; line?: number }>;
}

export interface StackRequestResult {
  name: string;
  request?: StackRequest;
  diagnostics: Diagnostic[];
}

const STACKS_DIR = 'stacks';
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TEMPLATE_REF = /^(?:([a-z0-9][a-z0-9._-]*):)?((?:[a-z0-9][a-z0-9_-]*\*)?[A-Za-z0-9][A-Za-z0-9._-]*)$/;
const STACK_KEYS = new Set(['template', 'version', 'answers']);
/** A stack request is a template, a version and a few dozen answers (a PEM certificate is a few KiB). */
export const MAX_REQUEST_CHARACTERS = 64 * 1024;
const MAX_FLOW_NESTING = 64;
const SCALAR_START = /[\s[{,:-]/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Every folder under stacks/, read as a stack request. */
export function readStackRequests(files: FileTree): StackRequestResult[] {
  return stackFolders(files).map((name) => readStackRequest(files, name));
}

export function stackFolders(files: FileTree): string[] {
  const names = new Set<string>();
  for (const path of files.keys()) {
    const parts = path.split('/');
    if (parts[0] === STACKS_DIR && parts.length > 2 && parts[1]) names.add(parts[1]);
  }
  return [...names].sort();
}

export function readStackRequest(files: FileTree, name: string): StackRequestResult {
  const dir = `${STACKS_DIR}/${name}`;
  const file = `${dir}/stack.yml`;
  if (!DNS_LABEL.test(name)) {
    return failed(
      name,
      error(
        dir,
        `stack name "${name}" is not a DNS label: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
      ),
    );
  }
  const text = files.get(file);
  if (text === undefined) return failed(name, error(dir, 'no stack.yml: a stack folder needs stack.yml with at least `template: <name>`'));
  const answersFile = `${dir}/answers.txt`;
  const unread = [unreadProblem(file, text), unreadProblem(answersFile, files.get(answersFile))].filter((d) => d !== undefined);
  if (unread.length > 0) return { name, diagnostics: unread };
  const nesting = nestingProblem(file, text);
  if (nesting) return failed(name, nesting);
  const parsed = parseYaml(text, file, { scalarsAsStrings: true, duplicateKeys: 'error' });
  if (hasErrors(parsed.diagnostics)) return { name, diagnostics: parsed.diagnostics };
  if (!isPlainObject(parsed.value))
    return failed(name, error(file, 'expected a mapping with `template`, optional `version` and `answers`', { line: 1 }));
  return buildRequest(name, file, parsed, files.get(answersFile), answersFile);
}

/** A request file that is too large or not text is an error, never an empty file. */
function unreadProblem(file: string, text: string | undefined): Diagnostic | undefined {
  const reason = unreadReason(text);
  if (reason !== undefined) return error(file, `${reason}; a stack request is a small UTF-8 text file`);
  if (text !== undefined && text.length > MAX_REQUEST_CHARACTERS)
    return error(
      file,
      `the file has ${text.length} characters, more than the ${MAX_REQUEST_CHARACTERS} a stack request may have (a template has a few dozen questions)`,
    );
  return undefined;
}

/**
 * Flow collections (`[`, `{`) nested deeper than any request needs are refused before the YAML
 * parser recurses into them. Brackets inside quotes and comments are not counted.
 */
function nestingProblem(file: string, text: string): Diagnostic | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  let line = 1;
  let previous = ' ';
  for (const char of text) {
    const before = previous;
    previous = char;
    if (char === '\n') {
      line += 1;
      comment = false;
      quote = undefined;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    // A quote opens a quoted scalar only where a scalar starts; in `don't` it is just a letter.
    if ((char === '"' || char === "'") && SCALAR_START.test(before)) quote = char;
    else if (char === '#' && /\s/.test(before)) comment = true;
    else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
    else if (char === '[' || char === '{') {
      depth += 1;
      if (depth > MAX_FLOW_NESTING) return error(file, `collections nested more than ${MAX_FLOW_NESTING} levels deep`, { line });
    }
  }
  return undefined;
}

function buildRequest(
  name: string,
  file: string,
  parsed: ParsedYaml,
  answersText: string | undefined,
  answersFile: string,
): StackRequestResult {
  const doc = parsed.value as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const at = (...path: string[]) => ({ field: path.join('.'), ...atLine(parsed.lineOf(path)) });
  for (const key of Object.keys(doc).filter((k) => !STACK_KEYS.has(k))) {
    diagnostics.push(error(file, `unknown key "${key}"; a stack request has only template, version and answers`, at(key)));
  }
  const reference = parseTemplateReference(doc['template'], file, at('template'), diagnostics);
  const version = scalarText(doc['version']);
  if (doc['version'] !== undefined && doc['version'] !== null && version === undefined) {
    diagnostics.push(error(file, 'version must be a single value such as "1" or "2.0.1"', at('version')));
  }
  const answers: Record<string, string> = {};
  const answerLocations: StackRequest['answerLocations'] = {};
  readYamlAnswers(doc['answers'], file, parsed, answers, answerLocations, diagnostics);
  if (answersText !== undefined) readAnswersText(answersText, answersFile, answers, answerLocations, diagnostics);
  if (hasErrors(diagnostics) || !reference) return { name, diagnostics };
  return {
    name,
    diagnostics,
    request: {
      name,
      file,
      ...templateLineOf(parsed),
      template: reference.template,
      answers,
      answerLocations,
      ...(reference.catalog ? { catalog: reference.catalog } : {}),
      ...(version === undefined ? {} : { version }),
    },
  };
}

function parseTemplateReference(
  value: unknown,
  file: string,
  where: { field: string; line?: number },
  diagnostics: Diagnostic[],
): { catalog?: string; template: string } | undefined {
  const accepted = 'accepted: `<template>` or `<catalog>:<template>`, e.g. `etcd` or `library:etcd`';
  if (value === undefined || value === null || value === '') {
    diagnostics.push(error(file, `template is required; ${accepted}`, where));
    return undefined;
  }
  const text = scalarText(value);
  const match = text === undefined ? null : TEMPLATE_REF.exec(text);
  if (!match || text === undefined || text.includes('..')) {
    diagnostics.push(
      error(file, `template ${JSON.stringify(text ?? value)} is not a template name (no paths or '..'); ${accepted}`, where),
    );
    return undefined;
  }
  return { template: match[2] ?? text, ...(match[1] ? { catalog: match[1] } : {}) };
}

function readYamlAnswers(
  value: unknown,
  file: string,
  parsed: ParsedYaml,
  answers: Record<string, string>,
  locations: StackRequest['answerLocations'],
  diagnostics: Diagnostic[],
): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    diagnostics.push(
      error(file, 'answers must be a mapping of VARIABLE: value', { field: 'answers', ...atLine(parsed.lineOf(['answers'])) }),
    );
    return;
  }
  for (const [variable, answer] of Object.entries(value)) {
    const where = { field: `answers.${variable}`, ...atLine(parsed.lineOf(['answers', variable])) };
    const text = answer === null ? '' : scalarText(answer);
    if (text === undefined) {
      diagnostics.push(error(file, `answers.${variable} must be a single value (string, number or boolean), not a list or mapping`, where));
      continue;
    }
    setOwn(answers, variable, text);
    setOwn(locations, variable, { file, ...atLine(where.line) });
  }
}

/** KEY=value lines, split on the first '='; blank lines and `#` comments are skipped. */
function readAnswersText(
  text: string,
  file: string,
  answers: Record<string, string>,
  locations: StackRequest['answerLocations'],
  diagnostics: Diagnostic[],
): void {
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const [name, value] = splitOnce(raw, '=');
    const variable = name.trim();
    if (value === undefined || !VARIABLE_NAME.test(variable)) {
      diagnostics.push(error(file, malformedLineMessage(value !== undefined), { line }));
      return;
    }
    // Own keys only: `constructor=…` is a first answer, not one that Object.prototype already gave.
    const previous = ownValue(locations, variable);
    if (previous) {
      const where = previous.line === undefined ? previous.file : `${previous.file}:${previous.line}`;
      diagnostics.push(
        error(file, `${variable} is answered twice (also at ${where}): keep one answer`, { line, field: `answers.${variable}` }),
      );
      return;
    }
    setOwn(answers, variable, value);
    setOwn(locations, variable, { file, line });
  });
}

/** Never quotes the line: a malformed line may well be a password typed in the wrong place. */
function malformedLineMessage(hasSeparator: boolean): string {
  const problem = hasSeparator
    ? "the text before '=' is not a variable name (letters, digits, '_', '.', '-'; not starting with a digit)"
    : "there is no '='";
  return `expected KEY=value (a variable name, '=', then the value): ${problem}; the line is not shown, as it may hold a secret`;
}

function templateLineOf(parsed: ParsedYaml): { templateLine?: number } {
  const line = parsed.lineOf(['template']);
  return line === undefined ? {} : { templateLine: line };
}

function failed(name: string, diagnostic: Diagnostic): StackRequestResult {
  return { name, diagnostics: [diagnostic] };
}
