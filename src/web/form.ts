/**
 * The request form of a template version, generated from its questions, and the way back:
 * submitted fields → answers → the text of `stacks/<name>/stack.yml`. Pure.
 *
 * Decisions:
 * - A field left at the question's default is not written: the stack follows the template's
 *   default. A field cleared by the user where the question has a default is written as "";
 *   a secret field left empty is not written (it never shows the default).
 * - A boolean is a checkbox plus a hidden "false", so an unticked box answers "false".
 * - Secret answers (password, secret, certificate) are never sent back to the browser: after an
 *   error their fields are empty and say so.
 */
import { stringify } from 'yaml';
import { constraintsOf, type Question, type QuestionType } from '../catalog/questions.js';

export type FieldKind = 'text' | 'number' | 'select' | 'checkbox' | 'password' | 'textarea' | 'date';

export interface FieldOption {
  value: string;
  label: string;
}

export interface FormField {
  variable: string;
  /** The form control's name: `answer.<variable>`. */
  name: string;
  /** Element id (letters, digits, '-' and '_'), unique in the page. */
  id: string;
  label: string;
  description: string;
  type: QuestionType;
  kind: FieldKind;
  required: boolean;
  /** The value shown: what was submitted, else the default ('' for secrets). */
  value: string;
  options: FieldOption[];
  min?: number;
  max?: number;
  /** `1` for int, `any` for float. */
  step?: string;
  minLength?: number;
  maxLength?: number;
  /** The constraints as people read them, e.g. `min 1, max 10`. */
  rules: string[];
  secret: boolean;
  /** A secret that was typed before an error and must be typed again. */
  retype: boolean;
  error?: string;
}

export interface FormGroup {
  /** The questions' `group`, or undefined for questions without one (shown first). */
  name?: string;
  fields: FormField[];
}

/** Submitted form values: one or more values per control name (checkbox + hidden input). */
export type Submitted = ReadonlyMap<string, readonly string[]>;

export const ANSWER_PREFIX = 'answer.';
const SECRET_TYPES: ReadonlySet<QuestionType> = new Set(['password', 'secret', 'certificate']);
const KIND_OF: Record<QuestionType, FieldKind> = {
  string: 'text',
  int: 'number',
  float: 'number',
  boolean: 'checkbox',
  enum: 'select',
  password: 'password',
  multiline: 'textarea',
  service: 'select',
  certificate: 'textarea',
  date: 'date',
  secret: 'password',
  host: 'text',
};

export interface FormInput {
  questions: readonly Question[];
  /** What was submitted, if anything. */
  submitted?: Submitted;
  /** Error message per variable. */
  errors?: ReadonlyMap<string, string>;
  /** `<stack>/<service>` choices for service questions. */
  services: readonly string[];
}

export function buildForm(input: FormInput): FormGroup[] {
  const groups: FormGroup[] = [];
  const fields = input.questions.map((question, index) => fieldOf(question, index, input));
  const ungrouped = fields.filter((_, i) => input.questions[i]?.group === undefined);
  if (ungrouped.length > 0) groups.push({ fields: ungrouped });
  for (const question of input.questions) {
    const name = question.group;
    if (name === undefined || groups.some((g) => g.name === name)) continue;
    groups.push({ name, fields: fields.filter((_, i) => input.questions[i]?.group === name) });
  }
  return groups;
}

function fieldOf(question: Question, index: number, input: FormInput): FormField {
  const secret = SECRET_TYPES.has(question.type);
  const name = `${ANSWER_PREFIX}${question.variable}`;
  const submitted = input.submitted ? submittedAnswer(question, input.submitted) : undefined;
  const value = secret ? '' : (submitted ?? question.default ?? '');
  const error = input.errors?.get(question.variable);
  return {
    variable: question.variable,
    name,
    id: `q${index}-${question.variable.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    label: question.label,
    description: question.description,
    type: question.type,
    kind: KIND_OF[question.type],
    required: question.required,
    value,
    options: optionsOf(question, value, input.services),
    ...numberBounds(question),
    ...(question.minLength === undefined ? {} : { minLength: question.minLength }),
    ...(question.maxLength === undefined ? {} : { maxLength: question.maxLength }),
    rules: constraintsOf(question),
    secret,
    retype: secret && submitted !== undefined && submitted !== '',
    ...(error === undefined ? {} : { error }),
  };
}

function numberBounds(question: Question): Pick<FormField, 'min' | 'max' | 'step'> {
  if (question.type !== 'int' && question.type !== 'float') return {};
  return {
    step: question.type === 'int' ? '1' : 'any',
    ...(question.min === undefined ? {} : { min: question.min }),
    ...(question.max === undefined ? {} : { max: question.max }),
  };
}

function optionsOf(question: Question, value: string, services: readonly string[]): FieldOption[] {
  if (question.type !== 'enum' && question.type !== 'service') return [];
  const values = question.type === 'enum' ? question.options : services;
  const options = values.map((v) => ({ value: v, label: v }));
  // An answer outside the list (a service that is gone) stays visible, so the error next to it makes sense.
  if (value !== '' && !values.includes(value)) options.unshift({ value, label: value });
  const hasDefault = question.default !== undefined && question.default !== '';
  if (!question.required || !hasDefault)
    options.unshift({ value: '', label: question.type === 'service' ? '(choose a service)' : '(none)' });
  return options;
}

/** The submitted answer of one question; undefined when its control was not submitted at all. */
function submittedAnswer(question: Question, submitted: Submitted): string | undefined {
  const values = submitted.get(`${ANSWER_PREFIX}${question.variable}`);
  if (values === undefined || values.length === 0) return undefined;
  if (question.type === 'boolean') return values.includes('true') ? 'true' : 'false';
  const value = values.at(-1) ?? '';
  return question.type === 'multiline' || question.type === 'certificate' ? value.replace(/\r\n/g, '\n') : value;
}

/**
 * The answers to write: every submitted answer that differs from its question's default.
 * A secret left empty is not written (its field never shows the default). Unknown names are ignored.
 */
export function answersFrom(questions: readonly Question[], submitted: Submitted): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const question of questions) {
    const answer = submittedAnswer(question, submitted);
    if (answer === undefined || answer === (question.default ?? '')) continue;
    if (answer === '' && SECRET_TYPES.has(question.type)) continue;
    answers[question.variable] = answer;
  }
  return answers;
}

export interface StackFile {
  /** `<template>` or `<catalog>:<template>` */
  template: string;
  version: string;
  answers: Record<string, string>;
}

/** The text of stack.yml; answers are strings, quoted where YAML would read them otherwise. */
export function stackFileText(file: StackFile): string {
  const body: Record<string, unknown> = { template: file.template, version: file.version };
  if (Object.keys(file.answers).length > 0) body['answers'] = file.answers;
  return `# Requested in the corral app store.\n${stringify(body, { lineWidth: 0 })}`;
}

/** Form data (application/x-www-form-urlencoded) as a map of name → values. */
export function parseFormBody(body: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body)) values.set(name, [...(values.get(name) ?? []), value]);
  return values;
}
