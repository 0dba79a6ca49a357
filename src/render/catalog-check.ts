/**
 * `corral catalog check`: renders every version folder of a catalog with default answers,
 * and a typed placeholder for each required question without a default.
 */
import { versionFolderPaths } from '../catalog/loader.js';
import { placeholderAnswer } from '../catalog/questions.js';
import type { Catalog, CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import { type Diagnostic, error } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import { renderStack } from './render-stack.js';

export interface VersionCheck {
  /** Path of the version folder as shown to users. */
  path: string;
  ok: boolean;
  /** Why it failed (errors), and its warnings. */
  diagnostics: Diagnostic[];
}

export interface CatalogCheck {
  checks: VersionCheck[];
  rendered: number;
  total: number;
}

const CHECK_STACK_NAME = 'catalog-check';

export function checkCatalog(files: FileTree, catalog: Catalog, displayRoot: string): CatalogCheck {
  const loaded = new Map<string, { template: CatalogTemplate; version: TemplateVersion }>();
  for (const template of catalog.templates) {
    for (const version of template.versions) loaded.set(`${template.path}/${version.folder}`, { template, version });
  }
  const checks = versionFolderPaths(files).map((relative) => {
    const path = `${displayRoot}/${relative}`;
    const entry = loaded.get(path);
    return entry ? renderVersion(path, entry.template, entry.version) : notLoaded(path, catalog.diagnostics);
  });
  return { checks, rendered: checks.filter((c) => c.ok).length, total: checks.length };
}

function renderVersion(path: string, template: CatalogTemplate, version: TemplateVersion): VersionCheck {
  const answers = Object.fromEntries(
    version.questions
      .filter((q) => q.required && (q.default === undefined || q.default === ''))
      .map((q) => [q.variable, placeholderAnswer(q)]),
  );
  const { stack, diagnostics } = renderStack({ stackName: CHECK_STACK_NAME, template, version, answers });
  return { path, ok: stack !== undefined, diagnostics };
}

/** A folder the loader skipped: the reason is among the catalog's diagnostics for that path. */
function notLoaded(path: string, catalogDiagnostics: Diagnostic[]): VersionCheck {
  const reasons = catalogDiagnostics.filter((d) => d.file === path || d.file.startsWith(`${path}/`) || path.startsWith(`${d.file}/`));
  const diagnostics = reasons.length > 0 ? reasons : [error(path, 'version folder was not loaded')];
  return { path, ok: false, diagnostics };
}
