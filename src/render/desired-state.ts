/**
 * From the files of a GitOps repository to the desired state of every stack:
 * load the catalogs, read each stack request, take its encrypted answers as opened by
 * desired/ (or check them as far as they can be without an identity), validate its
 * answers, render it. A broken stack fails alone; the others are still rendered. Pure.
 */
import { loadCatalog } from '../catalog/loader.js';
import { validateAnswers } from '../catalog/questions.js';
import type { Catalog, CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import type { DesiredStack } from '../model/desired.js';
import { atLine, type Diagnostic, error, hasErrors, warning } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import { redactString } from '../model/redact.js';
import {
  checkStackPolicy,
  DEFAULT_POLICY,
  type FirstUnitSpec,
  firstUnitSpecs,
  type Policy,
  type PolicyViolation,
} from '../policy/index.js';
import { openAnswers, type PlaintextSecrets, type SecretAnswers } from '../secrets/answers.js';
import { isEncryptedAnswer } from '../secrets/format.js';
import { readStackRequest, type StackRequest, type StackRequestResult } from '../stacks/request.js';
import { cleanAbsolutePath } from '../util/paths.js';
import { ownValue } from '../util/records.js';
import { renderStack } from './render-stack.js';
import { type ReadSettings, type StackOutcome, StackRenders, templateVersionKey } from './stack-renders.js';

export const DEFAULT_CATALOG = 'library';
const REPO_CATALOG_DIR = 'catalog';
const STACKS_PREFIX = 'stacks/';
/** Paths of the repository looked through between two yields of desiredStateSteps. */
const PATHS_PER_STEP = 2000;

export interface DesiredStateOptions {
  /** Further catalogs by name, each a FileTree rooted at the catalog (templates/, infra-templates/). */
  extraCatalogs?: Record<string, { files: FileTree; displayRoot: string }>;
  /** Catalogs that are configured but could not be read yet, with why: the stacks using them fail saying so. */
  unavailableCatalogs?: Record<string, string>;
  revision?: string;
  environmentName?: string;
  /** Encrypted answers: opened ones, or what to do without an identity (default: such stacks fail). */
  secrets?: SecretAnswers;
  /** The operators' policy on plaintext password answers (default: deny). */
  plaintextSecrets?: PlaintextSecrets;
  /** The operators' policy (config `policy:`); DEFAULT_POLICY when absent. */
  policy?: Policy;
}

export interface FailedStack {
  stack: string;
  diagnostics: Diagnostic[];
}

export interface DesiredState {
  stacks: DesiredStack[];
  failed: FailedStack[];
  /** Warnings and errors of the catalogs themselves. */
  catalogDiagnostics: Diagnostic[];
  catalogs: Catalog[];
  /** Every diagnostic of each stack that rendered (its warnings), by stack name. */
  stackDiagnostics: Record<string, Diagnostic[]>;
  /** The policy the stacks were checked against (the web form checks new requests against it too). */
  policy: Policy;
}

export function loadDesiredState(repo: FileTree, options: DesiredStateOptions = {}): DesiredState {
  const steps = desiredStateSteps(repo, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * loadDesiredState a stack at a time: yields after each stack, so that an async caller can let
 * other work run in between (desired/ does), and returns the state. With `renders`, what the last
 * read with them rendered, a stack whose inputs are all unchanged is taken from there instead of
 * rendered again (stack-renders.ts); the state is the same as without.
 */
export function* desiredStateSteps(
  repo: FileTree,
  options: DesiredStateOptions = {},
  renders = new StackRenders(),
): Generator<void, DesiredState, void> {
  const catalogs = yield* loadCatalogSteps(repo, options, renders);
  const state: DesiredState = {
    stacks: [],
    failed: [],
    catalogDiagnostics: catalogs.flatMap((c) => c.diagnostics),
    catalogs,
    stackDiagnostics: {},
    policy: options.policy ?? DEFAULT_POLICY,
  };
  renders.begin(readSettings(options));
  const folders = yield* stackFolderFiles(repo);
  for (const name of [...folders.keys()].sort()) {
    const { stack, diagnostics } = loadKeptStack(repo, name, folders.get(name) ?? [], catalogs, options, renders);
    if (stack) {
      state.stacks.push(stack);
      state.stackDiagnostics[name] = diagnostics;
    } else {
      state.failed.push({ stack: name, diagnostics });
    }
    yield;
  }
  renders.end();
  return state;
}

/**
 * The path and text of every file under stacks/<name>/, in turn, by name: the stack folders as
 * stackFolders finds them (a file directly under stacks/ is none), each with all its request can
 * be read from (stack.yml and answers.txt, today), so that an unchanged list is an unchanged
 * request. Yields every few thousand paths: a repository of 10,000 stacks has 10,000 or more.
 */
export function* stackFolderFiles(repo: FileTree): Generator<void, Map<string, string[]>, void> {
  const byStack = new Map<string, string[]>();
  let scanned = 0;
  for (const [path, text] of repo) {
    if (++scanned % PATHS_PER_STEP === 0) yield;
    if (!path.startsWith(STACKS_PREFIX)) continue;
    const end = path.indexOf('/', STACKS_PREFIX.length);
    if (end <= STACKS_PREFIX.length) continue;
    const name = path.slice(STACKS_PREFIX.length, end);
    let files = byStack.get(name);
    if (!files) byStack.set(name, (files = []));
    files.push(path, text);
  }
  return byStack;
}

function readSettings(options: DesiredStateOptions): ReadSettings {
  return {
    policy: options.policy ?? DEFAULT_POLICY,
    plaintextSecrets: options.plaintextSecrets,
    environmentName: options.environmentName,
    secretsMode: options.secrets?.mode ?? 'none',
  };
}

/**
 * One stack of a repository tree, read, validated, rendered and checked against the policy
 * exactly as loadDesiredState does it (the web form checks a request with it before writing
 * anything). Whatever goes wrong fails this stack only.
 */
export function loadStack(
  repo: FileTree,
  name: string,
  catalogs: Catalog[],
  options: DesiredStateOptions = {},
): { stack?: DesiredStack; diagnostics: Diagnostic[] } {
  return loadKeptStack(repo, name, [], catalogs, options, new StackRenders());
}

/**
 * loadStack, taking from `renders` what they kept of the stack when its inputs are unchanged:
 * `folderFiles` are the paths and texts of the stack's folder, of which its request is read.
 */
function loadKeptStack(
  repo: FileTree,
  name: string,
  folderFiles: readonly string[],
  catalogs: Catalog[],
  options: DesiredStateOptions,
  renders: StackRenders,
): StackOutcome {
  let result: StackRequestResult | undefined;
  try {
    result = renders.request(name, folderFiles, () => readStackRequest(repo, name));
    return resolveStackRequest(result, catalogs, options, renders);
  } catch (err) {
    // Deep nesting (stack overflow), a string too long for the engine, a bug: this stack fails, the others go on.
    return { diagnostics: [unexpectedFailure(err, name, result?.request)] };
  }
}

function unexpectedFailure(err: unknown, name: string, request: StackRequest | undefined): Diagnostic {
  const answers = Object.values(request?.answers ?? {}).filter((value) => value.length >= 4);
  const problem = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]?.slice(0, 200)}` : String(err);
  return error(request?.file ?? `stacks/${name}/stack.yml`, `this stack could not be rendered (${redactString(problem, answers)})`, {
    ...atLine(request?.templateLine),
  });
}

function resolveStackRequest(
  result: StackRequestResult,
  catalogs: Catalog[],
  options: DesiredStateOptions,
  renders: StackRenders,
): StackOutcome {
  if (!result.request) return { diagnostics: result.diagnostics };
  const { request } = result;
  const found = resolveTemplateVersion(request, catalogs, options);
  if ('error' in found) return { diagnostics: [...result.diagnostics, found.error] };
  const inputs = { version: templateVersionKey(found.template, found.version), opened: openedOf(request, options.secrets) };
  return renders.outcome(request.name, inputs, options.revision, () => {
    const resolved = renderResolved(request, found, options);
    const diagnostics = [...result.diagnostics, ...resolved.diagnostics];
    return resolved.stack && !hasErrors(diagnostics) ? { stack: resolved.stack, diagnostics } : { diagnostics };
  });
}

/** What each encrypted answer of the request was opened to, in the order written (none unless opened). */
function openedOf(request: StackRequest, secrets: SecretAnswers | undefined): unknown[] {
  if (secrets?.mode !== 'decrypted') return [];
  return Object.values(request.answers)
    .filter(isEncryptedAnswer)
    .map((answer) => secrets.answers.get(answer.trim()));
}

export function loadCatalogs(repo: FileTree, options: DesiredStateOptions = {}): Catalog[] {
  return catalogSources(repo, options).map(({ files, name, displayRoot }) => loadCatalog(files, { name, displayRoot }));
}

/** loadCatalogs a catalog at a time, taking an unchanged catalog from `renders`. */
function* loadCatalogSteps(repo: FileTree, options: DesiredStateOptions, renders: StackRenders): Generator<void, Catalog[], void> {
  const catalogs: Catalog[] = [];
  for (const { files, name, displayRoot } of catalogSources(repo, options)) {
    catalogs.push(renders.catalog(files, { name, displayRoot }, () => loadCatalog(files, { name, displayRoot })));
    yield;
  }
  return catalogs;
}

/** The repository's own catalog, then the others, each with its files. */
function catalogSources(repo: FileTree, options: DesiredStateOptions): { files: FileTree; name: string; displayRoot: string }[] {
  const own = { files: subtree(repo, REPO_CATALOG_DIR), name: DEFAULT_CATALOG, displayRoot: REPO_CATALOG_DIR };
  return [own, ...Object.entries(options.extraCatalogs ?? {}).map(([name, { files, displayRoot }]) => ({ files, name, displayRoot }))];
}

/** The template version the request names, or why it cannot be had (an unreadable or unknown catalog, template or version). */
function resolveTemplateVersion(
  request: StackRequest,
  catalogs: Catalog[],
  options: DesiredStateOptions,
): { template: CatalogTemplate; version: TemplateVersion } | { error: Diagnostic } {
  const catalogName = request.catalog ?? DEFAULT_CATALOG;
  // Own keys only: a stack asking for catalog `constructor` gets "unknown catalog", not Object's constructor as the reason.
  const unavailable = options.unavailableCatalogs && ownValue(options.unavailableCatalogs, catalogName);
  if (unavailable !== undefined)
    return { error: error(request.file, `catalog "${catalogName}" cannot be read: ${unavailable}`, { field: 'template' }) };
  return findTemplateVersion(request, catalogs);
}

/** Opens, checks and renders the request with its template version, and checks the stack against the policy. */
function renderResolved(
  request: StackRequest,
  { template, version }: { template: CatalogTemplate; version: TemplateVersion },
  options: DesiredStateOptions,
): StackOutcome {
  const opened = openAnswers(
    request,
    version.questions,
    options.secrets ?? { mode: 'none' },
    options.plaintextSecrets ?? options.policy?.plaintextSecrets,
  );
  // An answer that could not be opened has its error already; "required, but no answer" would only confuse.
  const checked = validateAnswers(version.questions, opened.answers, request.file).filter(
    (d) => !opened.unopened.some((variable) => d.field === `answers.${variable}`),
  );
  const answerDiagnostics = [...opened.diagnostics, ...checked].map((d) => locateAnswer(d, request));
  if (hasErrors(answerDiagnostics)) return { diagnostics: answerDiagnostics };
  const rendered = renderStack({
    stackName: request.name,
    template,
    version,
    answers: opened.answers,
    ...(options.revision === undefined ? {} : { revision: options.revision }),
    ...(options.environmentName === undefined ? {} : { environmentName: options.environmentName }),
  });
  // A template can print a secret into a message (a YAML error, a failed atoi): never show it.
  const redact = (list: Diagnostic[]) => list.map((d) => ({ ...d, message: redactString(d.message, opened.secretValues) }));
  const diagnostics = redact([...answerDiagnostics, ...rendered.diagnostics]);
  if (!rendered.stack) return { diagnostics };
  const stack = { ...rendered.stack, warnings: redact(rendered.stack.warnings), ignoredKeys: redact(rendered.stack.ignoredKeys) };
  const specs = firstUnitSpecs(stack);
  const violations = checkStackPolicy(stack, options.policy ?? DEFAULT_POLICY, specs);
  diagnostics.push(...redact(violations.map((v) => policyDiagnostic(v, request, stack))));
  // A refused stack is not deployed: what would not be applied of it is moot (and a refused unreadable mount would be said twice).
  if (violations.length === 0) diagnostics.push(...redact(notAppliedWarnings(specs, request, version.dockerCompose.path)));
  return { stack, diagnostics };
}

/**
 * What corral will not apply of the services' compose values (an unsupported key, a port that is
 * not a mapping), as warnings on the stack request, naming the template's compose file: shown by
 * `corral validate`, so that a merge request shows them before a plan does. Each once, where a
 * sidekick is in several units.
 */
function notAppliedWarnings(specs: readonly FirstUnitSpec[], request: StackRequest, composeFile: string): Diagnostic[] {
  const messages = new Set<string>();
  for (const { service, spec } of specs) {
    for (const text of spec.warnings) messages.add(`service "${service.name}": ${text} (${composeFile})`);
  }
  return [...messages].map((message) => warning(request.file, message, { field: 'template', ...atLine(request.templateLine) }));
}

/**
 * A policy violation as an error in the stack request: at the line of the answer the offending
 * value came from when one can be told (the longest answer found in it), else at `template:`.
 */
function policyDiagnostic(violation: PolicyViolation, request: StackRequest, stack: DesiredStack): Diagnostic {
  const secrets = stack.secretVariables.map((name) => stack.variables[name] ?? '').filter((value) => value !== '');
  const answers = Object.entries(request.answers);
  const source =
    answers.find(([, value]) => value !== '' && (violation.value === value || violation.value === cleanedIfPath(value))) ??
    answers
      .filter(([, value]) => value.length >= 2 && (violation.value.includes(value) || violation.value.includes(cleanedIfPath(value))))
      .sort(([, a], [, b]) => b.length - a.length)[0];
  const location = source ? ownValue(request.answerLocations, source[0]) : undefined;
  const fromAnswer = source ? ` (from answers.${source[0]})` : '';
  const message = `service "${violation.service}": ${violation.key}: ${redactString(violation.message, secrets)}${fromAnswer}`;
  const line = location?.line ?? request.templateLine;
  return error(location?.file ?? request.file, message, {
    field: `services.${violation.service}.${violation.key}`,
    ...(line === undefined ? {} : { line }),
  });
}

/** Resolves `<template>` / `<catalog>:<template>` and the requested (or default) version. */
export function findTemplateVersion(
  request: Pick<StackRequest, 'catalog' | 'template' | 'version' | 'file'>,
  catalogs: Catalog[],
): { template: CatalogTemplate; version: TemplateVersion } | { error: Diagnostic } {
  const catalogName = request.catalog ?? DEFAULT_CATALOG;
  const catalog = catalogs.find((c) => c.name === catalogName);
  if (!catalog) {
    return {
      error: error(request.file, `unknown catalog "${catalogName}"; configured catalogs: ${catalogs.map((c) => c.name).join(', ')}`, {
        field: 'template',
      }),
    };
  }
  const template = catalog.templates.find((t) => t.id === request.template);
  if (!template) {
    const known = catalog.templates.map((t) => t.id);
    return {
      error: error(
        request.file,
        `unknown template "${request.template}" in catalog "${catalogName}"; available: ${known.length ? known.join(', ') : '(none)'}`,
        { field: 'template' },
      ),
    };
  }
  const wanted = request.version ?? template.defaultFolder;
  const version = template.versions.find((v) => v.version === wanted) ?? template.versions.find((v) => v.folder === wanted);
  if (!version) {
    const known = template.versions.map((v) => `${v.version} (folder ${v.folder})`).join(', ');
    const what = request.version === undefined ? 'has no usable default version' : `has no version "${request.version}"`;
    return { error: error(request.file, `template "${template.id}" ${what}; available: ${known || '(none)'}`, { field: 'version' }) };
  }
  return { template, version };
}

/** Points a diagnostic about `answers.X` at the line where X was answered. */
function locateAnswer(diagnostic: Diagnostic, request: StackRequest): Diagnostic {
  const variable = diagnostic.field?.startsWith('answers.') ? diagnostic.field.slice('answers.'.length) : undefined;
  // Own keys only: an unanswered question `constructor` has no location, not Object's constructor as one.
  const location = variable === undefined ? undefined : ownValue(request.answerLocations, variable);
  if (!location) return diagnostic;
  return { ...diagnostic, file: location.file, ...atLine(location.line) };
}

/** A bind path answer reaches the create request cleaned (`/srv/../etc` as `/etc`). */
function cleanedIfPath(value: string): string {
  return value.startsWith('/') ? cleanAbsolutePath(value) : value;
}

function subtree(files: FileTree, dir: string): FileTree {
  const prefix = `${dir}/`;
  return new Map([...files].filter(([path]) => path.startsWith(prefix)).map(([path, text]) => [path.slice(prefix.length), text]));
}
