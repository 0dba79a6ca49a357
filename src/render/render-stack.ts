/**
 * Renders one stack in DESIGN's order: variables with defaults → Go templates over the raw
 * text → YAML parse → interpolation of string values → per-service merge of rancher-compose.
 * Pure: everything it needs comes in as data.
 */

import { splitCatalogBlock } from '../catalog/catalog-section.js';
import { resolveVariables, secretVariableNames } from '../catalog/questions.js';
import type { CatalogTemplate, SourceFile, TemplateVersion } from '../catalog/types.js';
import type { DesiredStack } from '../model/desired.js';
import { atLine, type Diagnostic, error, hasErrors, warning } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { type ParsedYaml, parseYaml } from '../util/yaml.js';
import { buildServices } from './compose.js';
import { InterpolationBudgetError, type InterpolationProblem, interpolate } from './interpolate.js';
import { applyTemplate, type TemplateContext } from './templating.js';

export interface RenderInput {
  stackName: string;
  template: CatalogTemplate;
  version: TemplateVersion;
  answers: Record<string, string>;
  revision?: string;
  /** The version being upgraded from, for `.Stack.PreviousVersion`. */
  previousVersion?: string;
  environmentName?: string;
}

export interface RenderResult {
  stack?: DesiredStack;
  diagnostics: Diagnostic[];
}

export function renderStack(input: RenderInput): RenderResult {
  const { version } = input;
  const variables = resolveVariables(version.questions, input.answers);
  const context = templateContext(input, variables);
  const diagnostics: Diagnostic[] = [];
  const docker = renderFile(version.dockerCompose, context, variables, diagnostics);
  const rancherSource = version.rancherCompose && { ...version.rancherCompose, text: splitCatalogBlock(version.rancherCompose.text).rest };
  const rancher = rancherSource && renderFile(rancherSource, context, variables, diagnostics);
  if (hasErrors(diagnostics) || docker === undefined) return { diagnostics };
  const model = buildServices({ docker, ...(rancher ? { rancher } : {}) });
  diagnostics.push(...model.diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics };
  const stack: DesiredStack = {
    name: input.stackName,
    template: {
      catalog: input.template.catalog,
      template: input.template.id,
      folder: version.folder,
      version: version.version,
      ...(version.upgradeFrom ? { upgradeFrom: version.upgradeFrom } : {}),
    },
    ...(input.revision === undefined ? {} : { revision: input.revision }),
    variables,
    secretVariables: secretVariableNames(version.questions),
    services: model.services,
    volumes: model.volumes,
    ignoredKeys: model.ignoredKeys,
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
  };
  return { stack, diagnostics };
}

function templateContext(input: RenderInput, variables: Record<string, string>): TemplateContext {
  const stack = { Name: input.stackName, Version: input.version.version, PreviousVersion: input.previousVersion ?? '' };
  return { Values: variables, Stack: stack, Release: stack, Environment: { Name: input.environmentName ?? 'default' } };
}

/** Template, parse and interpolate one compose file; undefined when it failed. */
function renderFile(
  source: SourceFile,
  context: TemplateContext,
  variables: Record<string, string>,
  diagnostics: Diagnostic[],
): { file: string; value: unknown } | undefined {
  const templated = applyTemplate(source, context);
  if ('error' in templated) {
    diagnostics.push(templated.error);
    return undefined;
  }
  const note = templated.wasTemplated ? ' (line of the templated output)' : '';
  const parsed = parsedOnce(templated.text, source.path);
  diagnostics.push(...parsed.diagnostics.map((d) => (d.severity === 'error' ? { ...d, message: d.message + note } : d)));
  if (parsed.value === undefined) return hasErrors(parsed.diagnostics) ? undefined : { file: source.path, value: {} };
  // Interpolate before putting printed values back: text a template printed is never interpolated again.
  const problems: InterpolationProblem[] = [];
  let interpolated: unknown;
  try {
    interpolated = interpolate(withoutCatalogSection(parsed.value), variables, problems);
  } catch (err) {
    if (!(err instanceof InterpolationBudgetError)) throw err;
    diagnostics.push(error(source.path, `${err.field}: ${err.message}`, { field: err.field }));
    return undefined;
  }
  const value = templated.restore(interpolated);
  diagnostics.push(
    ...problems.map((p) => {
      const where = { field: p.field, ...lineOf(parsed.lineOf(p.field.split('.')), templated.wasTemplated) };
      return p.kind === 'required'
        ? error(source.path, `${p.field}: ${p.message}`, where)
        : warning(source.path, `${p.field}: ${p.message}`, where);
    }),
  );
  return { file: source.path, value };
}

/** How many parsed texts are kept. */
const PARSED_TEXTS_KEPT = 512;
/** Parses by file and text, oldest first. */
const parsedTexts = new Map<string, ParsedYaml>();

/**
 * The parse of a templated compose file, made once per distinct file and text: the stacks of one
 * template whose answers are not printed into its text all parse the same text. Sharing is safe:
 * nothing changes a parsed value (interpolation copies it) or its diagnostics.
 */
function parsedOnce(text: string, file: string): ParsedYaml {
  const key = `${file}\u0000${text}`;
  const known = parsedTexts.get(key);
  if (known) return known;
  const parsed = parseYaml(text, file);
  if (parsedTexts.size >= PARSED_TEXTS_KEPT) parsedTexts.delete(parsedTexts.keys().next().value as string);
  parsedTexts.set(key, parsed);
  return parsed;
}

/** The `.catalog` section is metadata, read by the catalog loader; it is not part of the stack. */
function withoutCatalogSection(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const { ['.catalog']: _dot, catalog: _plain, ...rest } = value;
  if (!isPlainObject(rest['services'])) return rest;
  const { ['.catalog']: _s1, catalog: _s2, ...services } = rest['services'];
  return { ...rest, services };
}

/** A line of a templated file is a line of the template's output: not shown. */
function lineOf(line: number | undefined, templated: boolean): { line?: number } {
  return templated ? {} : atLine(line);
}
