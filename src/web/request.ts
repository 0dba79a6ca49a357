/**
 * Checks a submitted request form: the stack name, the requester, and the answers — the last
 * with the validator of `corral validate` (loadStack on the candidate stack.yml against the
 * loaded catalogs, rendering included). Returns the file to write, or errors placed next to the
 * fields they are about. Pure.
 */
import type { Catalog, CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Policy } from '../policy/types.js';
import { DEFAULT_CATALOG, loadStack } from '../render/desired-state.js';
import { answersFrom, type Submitted, stackFileText } from './form.js';

export const META = { stack: 'stack', version: 'version', authorName: 'author_name', authorEmail: 'author_email' } as const;
export type MetaField = (typeof META)[keyof typeof META];

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;
const AUTHOR_NAME_MAX = 100;
/** The validator's word for a plaintext password answer; the form cannot encrypt without recipients. */
const MUST_ENCRYPT = /^an? (password|secret) answer must be encrypted/;
const CANNOT_ENCRYPT =
  "password answers are written encrypted, and this repository lists no recipients to encrypt them for (.corral/recipients.txt): ask the operators to add the daemon's public key";

export interface Author {
  name: string;
  email: string;
}

export interface RequestContext {
  catalogs: Catalog[];
  /** The operators' policy the daemon checks stacks against; the default policy when absent. */
  policy?: Policy;
  template: CatalogTemplate;
  version: TemplateVersion;
  /** Stacks that exist already (in the repository or in the status). */
  existingStacks: ReadonlySet<string>;
  /** Password and secret answers will be encrypted for the repository's recipients before they are written. */
  secretsSealed: boolean;
  /** The requester named by a trusted proxy header; when absent and `authorRequired`, the form must name one. */
  proxyAuthor?: Author;
  authorRequired: boolean;
}

export interface CheckedRequest {
  stackName: string;
  author?: Author;
  answers: Record<string, string>;
  /** `stacks/<name>/stack.yml` and its text. */
  file: { path: string; text: string };
  metaErrors: Map<MetaField, string>;
  /** Error message per question variable. */
  answerErrors: Map<string, string>;
  /** Errors that belong to no one field (rendering the template, for instance). */
  otherErrors: string[];
  ok: boolean;
}

export function checkRequest(context: RequestContext, submitted: Submitted): CheckedRequest {
  const value = (name: string) => (submitted.get(name)?.at(-1) ?? '').trim();
  const stackName = value(META.stack);
  const metaErrors = new Map<MetaField, string>();
  const nameProblem = stackNameProblem(stackName, context.existingStacks);
  if (nameProblem) metaErrors.set(META.stack, nameProblem);
  const author = context.proxyAuthor ?? authorFrom(value(META.authorName), value(META.authorEmail), context.authorRequired, metaErrors);
  const answers = answersFrom(context.version.questions, submitted);
  const path = `stacks/${nameProblem ? 'new-stack' : stackName}/stack.yml`;
  const text = stackFileText({ template: templateReference(context.template), version: context.version.version, answers });
  const answerErrors = new Map<string, string>();
  const otherErrors: string[] = [];
  const stackDir = path.slice(0, -'/stack.yml'.length);
  const { diagnostics } = loadStack(new Map([[path, text]]), stackDir.slice('stacks/'.length), context.catalogs, {
    plaintextSecrets: context.secretsSealed ? 'allow' : 'deny',
    ...(context.policy ? { policy: context.policy } : {}),
  });
  for (const diagnostic of diagnostics.filter((d) => d.severity === 'error')) {
    placeError(diagnostic, stackDir, answerErrors, metaErrors, otherErrors);
  }
  const ok = metaErrors.size === 0 && answerErrors.size === 0 && otherErrors.length === 0;
  return { stackName, ...(author ? { author } : {}), answers, file: { path, text }, metaErrors, answerErrors, otherErrors, ok };
}

/** `<template>` for the repository's own catalog, `<catalog>:<template>` for the others. */
export function templateReference(template: CatalogTemplate): string {
  return template.catalog === DEFAULT_CATALOG ? template.id : `${template.catalog}:${template.id}`;
}

function stackNameProblem(name: string, existing: ReadonlySet<string>): string | undefined {
  if (name === '') return 'required: the name of the new stack (lowercase letters, digits and "-", e.g. team-a-web)';
  if (!DNS_LABEL.test(name))
    return `"${name.slice(0, 70)}" is not a stack name: use 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit`;
  if (existing.has(name)) return `a stack named "${name}" exists already: choose another name`;
  return undefined;
}

function authorFrom(name: string, email: string, required: boolean, errors: Map<MetaField, string>): Author | undefined {
  if (!required && name === '' && email === '') return undefined;
  if (name === '') errors.set(META.authorName, 'required: your name, for the commit that carries the request');
  else if (name.length > AUTHOR_NAME_MAX || /[<>\n\r]/.test(name))
    errors.set(META.authorName, `at most ${AUTHOR_NAME_MAX} characters, without "<", ">" or line breaks`);
  if (email === '') errors.set(META.authorEmail, 'required: your e-mail address, for the commit that carries the request');
  else if (!EMAIL.test(email) || email.length > 254)
    errors.set(META.authorEmail, `"${email.slice(0, 60)}" is not an e-mail address (e.g. ana@example.com)`);
  return errors.has(META.authorName) || errors.has(META.authorEmail) ? undefined : { name, email };
}

function placeError(
  diagnostic: Diagnostic,
  stackDir: string,
  answerErrors: Map<string, string>,
  metaErrors: Map<MetaField, string>,
  otherErrors: string[],
): void {
  const variable = diagnostic.field?.startsWith('answers.') ? diagnostic.field.slice('answers.'.length) : undefined;
  if (variable !== undefined) {
    const message = diagnostic.message.replace(`answers.${variable}: `, '');
    if (!answerErrors.has(variable)) answerErrors.set(variable, MUST_ENCRYPT.test(message) ? CANNOT_ENCRYPT : message);
    return;
  }
  if (diagnostic.field === 'version' || diagnostic.field === 'template') {
    metaErrors.set(META.version, diagnostic.message);
    return;
  }
  if (diagnostic.file === stackDir && !metaErrors.has(META.stack)) {
    metaErrors.set(META.stack, diagnostic.message);
    return;
  }
  otherErrors.push(`${diagnostic.file}${diagnostic.line === undefined ? '' : `:${diagnostic.line}`}: ${diagnostic.message}`);
}
