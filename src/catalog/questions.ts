/**
 * Typed catalog questions (`.catalog.questions` of a rancher-compose.yml) and the one check of
 * answers against them, shared by the CLI, the daemon and the web form. Pure: no I/O.
 *
 * Decisions (Rancher 1.x only checked `required`, in its UI; corral checks every constraint):
 * - An answer that is given is the value, even "" (as Rancher's form sent a cleared field): only
 *   an absent answer takes the default. A required question needs a non-empty value.
 * - Defaults are not validated (real catalogs have odd ones); only a default outside an enum's
 *   options is reported, as a warning, when the questions are parsed.
 * - boolean accepts exactly "true" and "false", what Rancher's form sent: templates compare
 *   `{{if eq .Values.x "true"}}`, so "True" or "yes" would silently behave as false.
 * - service is `<stack>/<service>`, both parts lowercase DNS labels (as stack names are).
 * - date is an ISO 8601 calendar date, YYYY-MM-DD, and must exist (no 2023-02-29).
 * - host is a host name (RFC 1123 labels) or an IPv4 / IPv6 address.
 * - password, secret and certificate answers are never shown: corral has no certificate store,
 *   so a certificate answer is PEM text that may well carry the private key.
 * - A repeated variable: the later definition wins (Rancher's form bound both fields to the same
 *   answer), at the position of the first one.
 * - An answer no question declares is an error (Rancher passed it on): it would reach the templates
 *   as a variable, and could override an operator's `${X:-default}`.
 */
import { type Diagnostic, error, warning } from '../model/diagnostics.js';
import { ownValue } from '../util/records.js';
import { isPlainObject, scalarText } from '../util/values.js';

export const QUESTION_TYPES = [
  'string',
  'int',
  'float',
  'boolean',
  'enum',
  'password',
  'multiline',
  'service',
  'certificate',
  'date',
  'secret',
  'host',
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface Question {
  variable: string;
  label: string;
  description: string;
  type: QuestionType;
  required: boolean;
  default?: string;
  /** Choices of an enum question; empty for every other type. */
  options: string[];
  /** Bounds of int and float answers. */
  min?: number;
  max?: number;
  /** Bounds of the answer's length in characters (code points). */
  minLength?: number;
  maxLength?: number;
  /** Every character of the answer must be one of these. */
  validChars?: string;
  /** No character of the answer may be one of these. */
  invalidChars?: string;
  group?: string;
}

/** Question keys as written in rancher-compose.yml. */
const QUESTION_KEYS = [
  'variable',
  'label',
  'description',
  'type',
  'required',
  'default',
  'options',
  'min',
  'max',
  'min_length',
  'max_length',
  'valid_chars',
  'invalid_chars',
  'group',
] as const;
const SECRET_TYPES: ReadonlySet<QuestionType> = new Set(['password', 'secret', 'certificate']);
const NUMERIC_TYPES: ReadonlySet<QuestionType> = new Set(['int', 'float']);

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YAML_TRUE = new Set(['true', 'yes', 'on']);
const YAML_FALSE = new Set(['false', 'no', 'off']);
const SHOWN_VALUE_MAX = 60;
/** Undeclared answers reported one by one; the rest are counted in one more error. */
const MAX_UNDECLARED_REPORTED = 20;

// ---------------------------------------------------------------- parsing

/** Parse the raw `questions` list (already YAML-parsed, plain JS values) of one rancher-compose.yml. */
export function parseQuestions(raw: unknown, file: string): { questions: Question[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (raw === undefined || raw === null) return { questions: [], diagnostics };
  if (!Array.isArray(raw)) {
    diagnostics.push(
      error(file, `questions must be a list of questions (- variable: ..., type: ...), got ${describeValue(raw)}`, { field: 'questions' }),
    );
    return { questions: [], diagnostics };
  }
  const byVariable = new Map<string, { question: Question; index: number }>();
  raw.forEach((item: unknown, index) => {
    const question = parseQuestion(item, index, file, diagnostics);
    if (!question) return;
    const earlier = byVariable.get(question.variable);
    if (earlier) {
      diagnostics.push(
        warning(
          file,
          `question "${question.variable}" at questions[${index}] repeats questions[${earlier.index}]; the later definition is used`,
          { field: `questions.${index}.variable` },
        ),
      );
    }
    byVariable.set(question.variable, { question, index });
  });
  return { questions: [...byVariable.values()].map((entry) => entry.question), diagnostics };
}

type Report = (severity: 'error' | 'warning', key: string, message: string) => void;

function parseQuestion(item: unknown, index: number, file: string, diagnostics: Diagnostic[]): Question | undefined {
  const at = `questions[${index}]`;
  if (!isPlainObject(item)) {
    diagnostics.push(
      error(file, `${at} must be a map with variable, label, type, ...; got ${describeValue(item)}`, { field: `questions.${index}` }),
    );
    return undefined;
  }
  const variable = scalarText(item['variable'])?.trim();
  if (!variable) {
    diagnostics.push(
      error(file, `${at} has no variable: add \`variable: <name>\` (the name templates use as \${name} or .Values.name)`, {
        field: `questions.${index}.variable`,
      }),
    );
    return undefined;
  }
  const report: Report = (severity, key, message) =>
    diagnostics.push(
      (severity === 'error' ? error : warning)(file, `question "${variable}": ${message}`, { field: `questions.${index}.${key}` }),
    );

  for (const key of Object.keys(item).filter((k) => !(QUESTION_KEYS as readonly string[]).includes(k))) {
    report('warning', key, `unknown key "${key}" ignored; known keys: ${QUESTION_KEYS.join(', ')}`);
  }
  for (const key of QUESTION_KEYS.filter((k) => k !== 'options' && isNonScalar(item[k]))) {
    report('warning', key, `${key} must be a single value, not ${describeValue(item[key])}; ignored`);
  }
  const question: Question = {
    variable,
    label: scalarText(item['label']) ?? variable,
    description: scalarText(item['description']) ?? '',
    type: parseType(item['type'], report),
    required: parseRequired(item['required'], report),
    options: [],
  };
  const defaultValue = scalarText(item['default']);
  if (defaultValue !== undefined) question.default = defaultValue;
  const group = scalarText(item['group']);
  if (group !== undefined) question.group = group;
  assignConstraints(question, item, report);
  assignOptions(question, item['options'], report);
  return question;
}

function parseType(raw: unknown, report: Report): QuestionType {
  const written = scalarText(raw)?.trim();
  if (written === undefined || written === '') return 'string';
  const type = QUESTION_TYPES.find((t) => t === written.toLowerCase());
  if (type) return type;
  report('warning', 'type', `unknown type "${written}", treated as string; accepted types: ${QUESTION_TYPES.join(', ')}`);
  return 'string';
}

function parseRequired(raw: unknown, report: Report): boolean {
  const written = scalarText(raw)?.trim().toLowerCase();
  if (written === undefined || written === '') return false;
  if (YAML_TRUE.has(written)) return true;
  if (!YAML_FALSE.has(written)) report('warning', 'required', `required "${written}" is not true or false; treated as false`);
  return false;
}

function assignConstraints(question: Question, item: Record<string, unknown>, report: Report): void {
  const min = numberField(item, 'min', report);
  const max = numberField(item, 'max', report);
  if ((min !== undefined || max !== undefined) && !NUMERIC_TYPES.has(question.type)) {
    report(
      'warning',
      min !== undefined ? 'min' : 'max',
      `min/max apply only to int and float questions, not ${question.type}; ignored (use min_length/max_length for text)`,
    );
  } else {
    if (min !== undefined) question.min = min;
    if (max !== undefined) question.max = max;
  }
  if (question.min !== undefined && question.max !== undefined && question.min > question.max) {
    report('warning', 'min', `min ${question.min} is greater than max ${question.max}: no answer can be accepted`);
  }
  const minLength = lengthField(item, 'min_length', report);
  const maxLength = lengthField(item, 'max_length', report);
  if (minLength !== undefined) question.minLength = minLength;
  if (maxLength !== undefined) question.maxLength = maxLength;
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
    report('warning', 'min_length', `min_length ${minLength} is greater than max_length ${maxLength}: no answer can be accepted`);
  }
  const validChars = scalarText(item['valid_chars']);
  const invalidChars = scalarText(item['invalid_chars']);
  if (validChars) question.validChars = validChars;
  if (invalidChars) question.invalidChars = invalidChars;
}

function numberField(item: Record<string, unknown>, key: string, report: Report): number | undefined {
  const written = scalarText(item[key])?.trim();
  if (written === undefined || written === '') return undefined;
  if (!FLOAT.test(written)) {
    report('error', key, `${key} "${written}" is not a number (e.g. ${key}: 1); the constraint is not enforced`);
    return undefined;
  }
  return Number(written);
}

function lengthField(item: Record<string, unknown>, key: string, report: Report): number | undefined {
  const written = scalarText(item[key])?.trim();
  if (written === undefined || written === '') return undefined;
  if (!/^\+?\d+$/.test(written)) {
    report('error', key, `${key} "${written}" is not a whole number of characters (e.g. ${key}: 8); the constraint is not enforced`);
    return undefined;
  }
  return Number(written);
}

function assignOptions(question: Question, raw: unknown, report: Report): void {
  const options = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw.map(scalarText) : undefined;
  if (options === undefined || options.some((o) => o === undefined)) {
    report('warning', 'options', 'options must be a list of values (e.g. options: [a, b]); entries that are not single values are ignored');
  }
  const values = (options ?? []).filter((o): o is string => o !== undefined);
  if (question.type !== 'enum') {
    if (values.length > 0) report('warning', 'options', `options are only used by enum questions, not ${question.type}; ignored`);
    return;
  }
  if (values.length === 0) {
    report('warning', 'options', 'enum question has no options, treated as string; add `options: [a, b, ...]`');
    question.type = 'string';
    return;
  }
  question.options = values;
  if (question.default !== undefined && question.default !== '' && !values.includes(question.default)) {
    report('warning', 'default', `default "${question.default}" is not one of the options: ${values.join(', ')}`);
  }
}

// ---------------------------------------------------------------- answers

/** Check answers against questions; returns diagnostics with field `answers.<variable>`. */
export function validateAnswers(questions: Question[], answers: Record<string, string>, file: string): Diagnostic[] {
  const declared = new Set(questions.map((q) => q.variable));
  const diagnostics = questions.flatMap((question) => {
    const problem = answerProblem(question, ownValue(answers, question.variable));
    return problem === undefined
      ? []
      : [error(file, `answers.${question.variable}: ${problem} (${ruleSummary(question)})`, { field: `answers.${question.variable}` })];
  });
  // An undeclared answer would still reach the templates (and override an operator's ${X:-default}).
  const known = declared.size === 0 ? 'it declares no questions' : `declared: ${shortList([...declared])}`;
  const undeclared = Object.keys(answers).filter((v) => !declared.has(v));
  for (const variable of undeclared.slice(0, MAX_UNDECLARED_REPORTED)) {
    diagnostics.push(
      error(file, `answers.${variable}: no question of this template version declares "${variable}"; ${known}`, {
        field: `answers.${variable}`,
      }),
    );
  }
  if (undeclared.length > MAX_UNDECLARED_REPORTED)
    diagnostics.push(
      error(file, `${undeclared.length - MAX_UNDECLARED_REPORTED} more answers no question declares (${undeclared.length} in all)`, {
        field: 'answers',
      }),
    );
  return diagnostics;
}

/** What is wrong with one answer, or undefined when it is accepted. */
function answerProblem(question: Question, answer: string | undefined): string | undefined {
  if (answer === undefined) {
    const hasDefault = question.default !== undefined && question.default !== '';
    return question.required && !hasDefault ? 'required, but no answer was given and the question has no default' : undefined;
  }
  if (answer === '') return question.required ? 'required, but the answer is empty' : undefined;
  return (
    typeProblem(question, answer) ?? rangeProblem(question, answer) ?? lengthProblem(question, answer) ?? charsProblem(question, answer)
  );
}

function typeProblem(question: Question, answer: string): string | undefined {
  const shown = showValue(question, answer);
  switch (question.type) {
    case 'int':
      return INT.test(answer) ? undefined : `${shown} is not an int (an optional sign and digits, e.g. 3)`;
    case 'float':
      return FLOAT.test(answer) ? undefined : `${shown} is not a float (a decimal number such as 0.5, -2 or 1e3)`;
    case 'boolean':
      return answer === 'true' || answer === 'false' ? undefined : `${shown} is not a boolean (exactly "true" or "false")`;
    case 'enum':
      return question.options.includes(answer) ? undefined : `${shown} is not one of the options: ${question.options.join(', ')}`;
    case 'service':
      return isServiceReference(answer)
        ? undefined
        : `${shown} is not <stack>/<service> (two lowercase DNS labels: a-z, 0-9 and inner "-", at most 63 characters each, e.g. "db/mysql")`;
    case 'date':
      return isIsoDate(answer) ? undefined : `${shown} is not a date (an existing ISO 8601 calendar date YYYY-MM-DD, e.g. 2024-01-31)`;
    case 'host':
      return isHost(answer) ? undefined : `${shown} is not a host name or IP address (e.g. db.example.com, 10.0.0.5 or fd00::1)`;
    default:
      return undefined;
  }
}

function rangeProblem(question: Question, answer: string): string | undefined {
  if (!NUMERIC_TYPES.has(question.type)) return undefined;
  const value = Number(answer);
  const shown = showValue(question, answer);
  if (question.min !== undefined && value < question.min) return `${shown} is below the minimum ${question.min}`;
  if (question.max !== undefined && value > question.max) return `${shown} is above the maximum ${question.max}`;
  return undefined;
}

function lengthProblem(question: Question, answer: string): string | undefined {
  const length = [...answer].length;
  const secret = SECRET_TYPES.has(question.type);
  const shown = showValue(question, answer);
  if (question.minLength !== undefined && length < question.minLength) {
    return secret
      ? `${shown} is shorter than min_length ${question.minLength}`
      : `${shown} is ${length} characters long, fewer than min_length ${question.minLength}`;
  }
  if (question.maxLength !== undefined && length > question.maxLength) {
    return secret
      ? `${shown} is longer than max_length ${question.maxLength}`
      : `${shown} is ${length} characters long, more than max_length ${question.maxLength}`;
  }
  return undefined;
}

function charsProblem(question: Question, answer: string): string | undefined {
  const secret = SECRET_TYPES.has(question.type);
  const shown = showValue(question, answer);
  const chars = [...answer];
  const { validChars, invalidChars } = question;
  if (validChars !== undefined) {
    const allowed = new Set(validChars);
    const outside = chars.find((c) => !allowed.has(c));
    if (outside !== undefined)
      return secret
        ? `${shown} contains a character outside valid_chars`
        : `${shown} contains ${JSON.stringify(outside)}, which is not in valid_chars`;
  }
  if (invalidChars !== undefined) {
    const forbidden = new Set(invalidChars);
    const found = chars.find((c) => forbidden.has(c));
    if (found !== undefined)
      return secret
        ? `${shown} contains a character listed in invalid_chars`
        : `${shown} contains ${JSON.stringify(found)}, which invalid_chars forbids`;
  }
  return undefined;
}

/** The type and every constraint of a question, e.g. `int, min 1, max 10`. */
function ruleSummary(question: Question): string {
  return [question.type, question.required ? 'required' : '', ...constraintsOf(question)].filter(Boolean).join(', ');
}

/** A question's constraints as people read them: `min 1`, `max_length 8`, `valid_chars "abc"`. */
export function constraintsOf(question: Question): string[] {
  return [
    question.min !== undefined ? `min ${question.min}` : '',
    question.max !== undefined ? `max ${question.max}` : '',
    question.minLength !== undefined ? `min_length ${question.minLength}` : '',
    question.maxLength !== undefined ? `max_length ${question.maxLength}` : '',
    question.validChars !== undefined ? `valid_chars ${JSON.stringify(question.validChars)}` : '',
    question.invalidChars !== undefined ? `invalid_chars ${JSON.stringify(question.invalidChars)}` : '',
  ].filter(Boolean);
}

/** The given value, quoted and shortened; never the value of a secret. */
function showValue(question: Question, answer: string): string {
  if (SECRET_TYPES.has(question.type)) return `the ${question.type} (value hidden)`;
  const chars = [...answer];
  return JSON.stringify(chars.length > SHOWN_VALUE_MAX ? `${chars.slice(0, SHOWN_VALUE_MAX - 3).join('')}...` : answer);
}

function isServiceReference(answer: string): boolean {
  const parts = answer.split('/');
  return parts.length === 2 && parts.every((part) => DNS_LABEL.test(part));
}

function isIsoDate(answer: string): boolean {
  const match = ISO_DATE.exec(answer);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isHost(answer: string): boolean {
  return IPV4.test(answer) || isIpv6(answer) || isHostName(answer);
}

function isHostName(answer: string): boolean {
  const name = answer.endsWith('.') ? answer.slice(0, -1) : answer;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label is a mistyped IPv4 address (RFC 1123 2.1), not a name.
  return labels.every((label) => HOST_LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/** IPv6 text form, checked by the WHATWG URL parser (pure, in Node and in browsers alike). */
function isIpv6(answer: string): boolean {
  if (!answer.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(answer)) return false;
  try {
    return new URL(`http://[${answer}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- variables

/**
 * Every variable: all answers, plus for each unanswered question its default, or "" when it has
 * none — a declared question left unanswered is intentional, not an unset variable.
 */
export function resolveVariables(questions: Question[], answers: Record<string, string>): Record<string, string> {
  const resolved = new Map(Object.entries(answers));
  for (const question of questions) {
    if (ownValue(answers, question.variable) === undefined) resolved.set(question.variable, question.default ?? '');
  }
  return Object.fromEntries(resolved);
}

/** A typed placeholder for a required question without default (used by `corral catalog check`); it satisfies validateAnswers. */
export function placeholderAnswer(q: Question): string {
  switch (q.type) {
    case 'int':
      return String(clamp(1, q.min === undefined ? undefined : Math.ceil(q.min), q.max === undefined ? undefined : Math.floor(q.max)));
    case 'float':
      return String(clamp(1, q.min, q.max));
    case 'boolean':
      return 'false';
    case 'enum':
      return q.options[0] ?? '';
    case 'service':
      return 'placeholder/service';
    case 'date':
      return '2000-01-01';
    case 'host':
      return 'host.example.com';
    default:
      return fitText(`placeholder-${q.type}`, q);
  }
}

/** Variables whose values must never be shown: password, secret and certificate types. */
export function secretVariableNames(questions: Question[]): string[] {
  return questions.filter((q) => isSecretType(q.type)).map((q) => q.variable);
}

/** password, secret and certificate: never shown, and the only answers that may be encrypted. */
export function isSecretType(type: QuestionType): boolean {
  return SECRET_TYPES.has(type);
}

// ---------------------------------------------------------------- helpers

/** `a, b, c` — at most 20 names, then how many more. */
function shortList(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

function clamp(value: number, min: number | undefined, max: number | undefined): number {
  if (min !== undefined && value < min) return min;
  if (max !== undefined && value > max) return max;
  return value;
}

/** `base` bent to a question's character and length constraints (at least one character). */
function fitText(base: string, q: Question): string {
  const allowed = (c: string) => (q.validChars === undefined || q.validChars.includes(c)) && !(q.invalidChars ?? '').includes(c);
  const kept = [...base].filter(allowed);
  const filler = kept[0] ?? [...(q.validChars ?? 'xyzXYZ0123456789')].find(allowed) ?? 'x';
  const padding = Array<string>(Math.max(0, Math.max(1, q.minLength ?? 1) - kept.length)).fill(filler);
  const padded = [...kept, ...padding];
  return padded.slice(0, q.maxLength ?? padded.length).join('');
}

function isNonScalar(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}
