/**
 * The `policy:` section of the controller's config: which Docker features stacks may use
 * (see src/policy/). Pure: a parsed YAML value in, a Policy or diagnostics out.
 *
 *   policy:
 *     allow: [host_network]          # grants for every stack
 *     bind_mounts: [/srv/corral]     # host path prefixes bind mounts may use
 *     registries: [10.99.0.2:5000]   # empty or absent: any registry
 *     max_scale: 20
 *     templates:                     # grants for one template: `<template>` (library) or `<catalog>:<template>`
 *       etcd: {allow: [host_network]}
 *     plaintext_secrets: deny        # allow: password answers may be plain text (src/secrets)
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { DEFAULT_POLICY, GRANTS, type Grant, type Policy, type TemplateGrants, templateKey } from '../policy/types.js';
import { cleanAbsolutePath } from '../util/paths.js';
import { isPlainObject } from '../util/values.js';
import { type At, reportUnknownKeys } from './sections.js';

const POLICY_KEYS = ['allow', 'bind_mounts', 'registries', 'max_scale', 'templates', 'plaintext_secrets'];
const TEMPLATE_KEYS = ['allow', 'bind_mounts'];
const TEMPLATE_REF = /^(?:([a-z0-9][a-z0-9._-]*):)?((?:[a-z0-9][a-z0-9_-]*\*)?[A-Za-z0-9][A-Za-z0-9._-]*)$/;
const REGISTRY = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?(\/[a-z0-9][a-z0-9._/-]*)?$/;
const LIBRARY_CATALOG = 'library';

/** The policy of a config file; DEFAULT_POLICY when the section is absent. */
export function parsePolicy(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): Policy {
  if (raw === undefined || raw === null) return DEFAULT_POLICY;
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `policy: expected a mapping with ${POLICY_KEYS.join(', ')}`, at(['policy'])));
    return DEFAULT_POLICY;
  }
  reportUnknownKeys(raw, POLICY_KEYS, (key, message) => diagnostics.push(error(file, `policy.${key}: ${message}`, at(['policy', key]))));
  return {
    allow: parseGrants(raw['allow'], ['policy', 'allow'], file, at, diagnostics),
    bindMounts: parseBindMounts(raw['bind_mounts'], ['policy', 'bind_mounts'], file, at, diagnostics),
    registries: parseRegistries(raw['registries'], file, at, diagnostics),
    maxScale: parseMaxScale(raw['max_scale'], file, at, diagnostics),
    templates: parseTemplates(raw['templates'], file, at, diagnostics),
    plaintextSecrets: parsePlaintextSecrets(raw['plaintext_secrets'], file, at, diagnostics),
  };
}

function listOf(raw: unknown, path: (string | number)[], what: string, file: string, at: At, diagnostics: Diagnostic[]): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw;
  diagnostics.push(error(file, `${path.join('.')}: expected a list of ${what}`, at(path)));
  return [];
}

function parseGrants(raw: unknown, path: (string | number)[], file: string, at: At, diagnostics: Diagnostic[]): Grant[] {
  const grants: Grant[] = [];
  listOf(raw, path, 'grants', file, at, diagnostics).forEach((item, index) => {
    const grant = GRANTS.find((g) => g === item);
    if (grant) grants.push(grant);
    else
      diagnostics.push(
        error(
          file,
          `${path.join('.')}[${index}]: unknown grant ${JSON.stringify(item)}; accepted: ${GRANTS.join(', ')}`,
          at([...path, index]),
        ),
      );
  });
  return [...new Set(grants)];
}

function parseBindMounts(raw: unknown, path: (string | number)[], file: string, at: At, diagnostics: Diagnostic[]): string[] {
  const prefixes: string[] = [];
  listOf(raw, path, 'absolute host paths', file, at, diagnostics).forEach((item, index) => {
    if (typeof item !== 'string' || !item.startsWith('/')) {
      diagnostics.push(
        error(
          file,
          `${path.join('.')}[${index}]: expected an absolute host path such as /srv/corral, got ${JSON.stringify(item)}`,
          at([...path, index]),
        ),
      );
      return;
    }
    prefixes.push(cleanAbsolutePath(item));
  });
  return [...new Set(prefixes)];
}

function parseRegistries(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): string[] {
  const path = ['policy', 'registries'];
  const registries: string[] = [];
  listOf(raw, path, 'registries', file, at, diagnostics).forEach((item, index) => {
    const text = typeof item === 'string' ? item.replace(/\/+$/, '') : '';
    if (!REGISTRY.test(text)) {
      diagnostics.push(
        error(
          file,
          `policy.registries[${index}]: expected a registry host[:port], optionally with a path (docker.io, 10.99.0.2:5000, registry.example.com/team), got ${JSON.stringify(item)}`,
          at([...path, index]),
        ),
      );
      return;
    }
    const [host = '', ...rest] = text.split('/');
    registries.push([host.toLowerCase(), ...rest].join('/'));
  });
  return [...new Set(registries)];
}

function parseMaxScale(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): number {
  if (raw === undefined || raw === null) return DEFAULT_POLICY.maxScale;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1) return raw;
  diagnostics.push(error(file, `policy.max_scale: expected a whole number ≥ 1, got ${JSON.stringify(raw)}`, at(['policy', 'max_scale'])));
  return DEFAULT_POLICY.maxScale;
}

function parsePlaintextSecrets(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): Policy['plaintextSecrets'] {
  if (raw === undefined || raw === null) return DEFAULT_POLICY.plaintextSecrets;
  if (raw === 'allow' || raw === 'deny') return raw;
  diagnostics.push(
    error(file, `policy.plaintext_secrets: expected allow or deny, got ${JSON.stringify(raw)}`, at(['policy', 'plaintext_secrets'])),
  );
  return DEFAULT_POLICY.plaintextSecrets;
}

function parseTemplates(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): Record<string, TemplateGrants> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    diagnostics.push(
      error(file, 'policy.templates: expected a mapping of template: {allow: [...], bind_mounts: [...]}', at(['policy', 'templates'])),
    );
    return {};
  }
  const templates: Record<string, TemplateGrants> = {};
  for (const [name, value] of Object.entries(raw)) {
    const path = ['policy', 'templates', name];
    const match = TEMPLATE_REF.exec(name);
    if (!match?.[2]) {
      diagnostics.push(
        error(file, `policy.templates.${name}: expected a template id, \`<template>\` or \`<catalog>:<template>\``, at(path)),
      );
      continue;
    }
    if (!isPlainObject(value)) {
      diagnostics.push(error(file, `policy.templates.${name}: expected a mapping with ${TEMPLATE_KEYS.join(', ')}`, at(path)));
      continue;
    }
    reportUnknownKeys(value, TEMPLATE_KEYS, (key, message) =>
      diagnostics.push(error(file, `policy.templates.${name}.${key}: ${message}`, at([...path, key]))),
    );
    templates[templateKey(match[1] ?? LIBRARY_CATALOG, match[2])] = {
      allow: parseGrants(value['allow'], [...path, 'allow'], file, at, diagnostics),
      bindMounts: parseBindMounts(value['bind_mounts'], [...path, 'bind_mounts'], file, at, diagnostics),
    };
  }
  return templates;
}
