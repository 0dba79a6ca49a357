/**
 * Loads a catalog laid out like Rancher 1.x's (templates/, infra-templates/, <x>-templates/)
 * from a FileTree. Pure: no file system access; real-world mistakes become warnings.
 */
import { atLine, type Diagnostic, error, warning } from '../model/diagnostics.js';
import { type FileTree, unreadReason } from '../model/files.js';
import { isPlainObject, scalarText, stringMap } from '../util/values.js';
import { parseYaml } from '../util/yaml.js';
import { splitCatalogBlock } from './catalog-section.js';
import { parseQuestions } from './questions.js';
import type { Catalog, CatalogTemplate, SourceFile, TemplateVersion } from './types.js';
import { compareVersions, isValidUpgradeRange, pickDefaultVersion } from './versions.js';

const TEMPLATE_ROOT = /^(?:([a-z0-9][a-z0-9_-]*)-)?templates$/;
const CONFIG_FILES = ['config.yml', 'template.yml'];
const CONFIG_KEYS = new Set([
  'name',
  'description',
  'version',
  'category',
  'categories',
  'maintainer',
  'license',
  'projectURL',
  'labels',
  'minimum_rancher_version',
  'maximum_rancher_version',
]);
const CATALOG_KEYS = new Set([
  'name',
  'uuid',
  'description',
  'version',
  'questions',
  'minimum_rancher_version',
  'maximum_rancher_version',
  'labels',
  'upgrade_from',
  'maintainer',
]);
const ICON = /^catalogIcon[^/]*\.(svg|png|jpe?g|gif)$|^[^/]*(icon|logo)[^/]*\.(svg|png|jpe?g|gif)$/i;

export interface LoadCatalogOptions {
  name: string;
  /** Prefix shown in paths of messages, e.g. `catalog` or the directory given on the command line. */
  displayRoot: string;
}

export function loadCatalog(files: FileTree, options: LoadCatalogOptions): Catalog {
  const diagnostics: Diagnostic[] = [];
  const templates: CatalogTemplate[] = [];
  for (const [rootDir, base] of templateRoots(files)) {
    for (const folder of childFolders(files, rootDir)) {
      const template = loadTemplate(files, `${rootDir}/${folder}`, folder, base, options, diagnostics);
      if (template) templates.push(template);
    }
  }
  templates.sort((a, b) => a.id.localeCompare(b.id));
  return { name: options.name, templates, diagnostics };
}

/** Every version folder in the tree (`<root>/<template>/<version>`), loaded or not. */
export function versionFolderPaths(files: FileTree): string[] {
  return templateRoots(files).flatMap(([rootDir]) =>
    childFolders(files, rootDir).flatMap((template) => {
      const dir = `${rootDir}/${template}`;
      return versionFolders(files, dir).map((folder) => `${dir}/${folder}`);
    }),
  );
}

/** Top-level folders holding templates, with their id base. */
function templateRoots(files: FileTree): [string, string][] {
  const roots = new Map<string, string>();
  for (const path of files.keys()) {
    const top = path.split('/')[0] ?? '';
    const match = TEMPLATE_ROOT.exec(top);
    if (match && path.includes('/')) roots.set(top, match[1] ?? '');
  }
  return [...roots].sort(([a], [b]) => a.localeCompare(b));
}

/** Names of the direct subfolders of `dir`. */
function childFolders(files: FileTree, dir: string): string[] {
  const names = new Set<string>();
  for (const path of files.keys()) {
    if (!path.startsWith(`${dir}/`)) continue;
    const parts = path.slice(dir.length + 1).split('/');
    if (parts.length > 1 && parts[0]) names.add(parts[0]);
  }
  return [...names].sort();
}

function loadTemplate(
  files: FileTree,
  dir: string,
  folder: string,
  base: string,
  options: LoadCatalogOptions,
  diagnostics: Diagnostic[],
): CatalogTemplate | undefined {
  const shown = (path: string) => `${options.displayRoot}/${path}`;
  const configName = CONFIG_FILES.find((name) => files.has(`${dir}/${name}`));
  if (!configName) {
    diagnostics.push(warning(shown(dir), `no config.yml or template.yml: folder skipped (a template folder needs one)`));
    return undefined;
  }
  const configPath = shown(`${dir}/${configName}`);
  const configText = readableText(files, `${dir}/${configName}`, configPath, diagnostics);
  if (configText === undefined) return undefined;
  const parsed = parseYaml(configText, configPath, { scalarsAsStrings: true });
  diagnostics.push(...parsed.diagnostics);
  if (parsed.value !== undefined && !isPlainObject(parsed.value)) {
    diagnostics.push(error(configPath, 'expected a mapping of template fields (name, description, version, category, ...)'));
    return undefined;
  }
  if (parsed.value === undefined && parsed.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const config = (parsed.value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(config).filter((k) => !CONFIG_KEYS.has(k))) {
    diagnostics.push(
      warning(configPath, `unknown key "${key}" ignored; known keys: ${[...CONFIG_KEYS].join(', ')}`, {
        field: key,
        ...atLine(parsed.lineOf([key])),
      }),
    );
  }
  const versions = versionFolders(files, dir)
    .map((versionFolder) => loadVersion(files, `${dir}/${versionFolder}`, versionFolder, shown, diagnostics))
    .filter((v): v is TemplateVersion => v !== undefined)
    .sort((a, b) => compareVersions(a.version, b.version) || a.folder.localeCompare(b.folder, undefined, { numeric: true }));
  const configuredVersion = scalarText(config['version']);
  const ownFiles = topLevelFiles(files, dir);
  const icon = ownFiles.find((name) => ICON.test(name));
  const readme = ownFiles.find((name) => name.toLowerCase() === 'readme.md');
  return {
    id: base === '' ? folder : `${base}*${folder}`,
    catalog: options.name,
    base,
    path: shown(dir),
    name: scalarText(config['name']) ?? folder,
    ...optionalFields({
      description: scalarText(config['description']),
      maintainer: scalarText(config['maintainer']),
      license: scalarText(config['license']),
      projectURL: scalarText(config['projectURL']),
      icon: icon && shown(`${dir}/${icon}`),
      iconSvg: icon?.toLowerCase().endsWith('.svg') ? textOrNothing(files.get(`${dir}/${icon}`)) : undefined,
      readme: readme && textOrNothing(files.get(`${dir}/${readme}`)),
      configuredVersion,
      defaultFolder: pickDefaultVersion(versions, configuredVersion)?.folder,
    }),
    categories: categoriesOf(config),
    labels: stringMap(config['labels']),
    versions,
  };
}

function versionFolders(files: FileTree, dir: string): string[] {
  return childFolders(files, dir).filter(
    (folder) =>
      files.has(`${dir}/${folder}/docker-compose.yml`) ||
      files.has(`${dir}/${folder}/docker-compose.yml.tpl`) ||
      files.has(`${dir}/${folder}/rancher-compose.yml`),
  );
}

function loadVersion(
  files: FileTree,
  dir: string,
  folder: string,
  shown: (p: string) => string,
  diagnostics: Diagnostic[],
): TemplateVersion | undefined {
  const composeName = ['docker-compose.yml.tpl', 'docker-compose.yml'].find((name) => files.has(`${dir}/${name}`));
  if (!composeName) {
    diagnostics.push(warning(shown(dir), 'version folder has no docker-compose.yml or docker-compose.yml.tpl: skipped'));
    return undefined;
  }
  const rancherPath = shown(`${dir}/rancher-compose.yml`);
  const composePath = shown(`${dir}/${composeName}`);
  const composeText = readableText(files, `${dir}/${composeName}`, composePath, diagnostics);
  const rancherText = files.has(`${dir}/rancher-compose.yml`)
    ? readableText(files, `${dir}/rancher-compose.yml`, rancherPath, diagnostics)
    : undefined;
  if (composeText === undefined || (files.has(`${dir}/rancher-compose.yml`) && rancherText === undefined)) return undefined;
  const section = rancherText === undefined ? undefined : readCatalogSection(rancherText, rancherPath, diagnostics);
  const version = scalarText(section?.values['version']);
  if (version === undefined || version.trim() === '') {
    diagnostics.push(
      warning(
        rancherText === undefined ? shown(dir) : rancherPath,
        'no .catalog.version: version folder skipped (add `version: "x.y.z"` under .catalog)',
        { field: '.catalog.version' },
      ),
    );
    return undefined;
  }
  const catalog = section?.values ?? {};
  const { questions, diagnostics: questionDiagnostics } = parseQuestions(catalog['questions'] ?? [], rancherPath);
  diagnostics.push(...questionDiagnostics.map((d) => ({ ...atLine(section?.lineOf(d.field)), ...d })));
  const upgradeFrom = scalarText(catalog['upgrade_from']);
  if (upgradeFrom !== undefined && !isValidUpgradeRange(upgradeFrom)) {
    diagnostics.push(
      warning(
        rancherPath,
        `upgrade_from "${upgradeFrom}" is not a semver range (e.g. ">=1.0.0 <2.0.0"): upgrades to this version are refused`,
        { field: '.catalog.upgrade_from' },
      ),
    );
  }
  const readmeName = topLevelFiles(files, dir).find((name) => name.toLowerCase() === 'readme.md');
  return {
    folder,
    version,
    questions,
    labels: stringMap(catalog['labels']),
    dockerCompose: { path: composePath, text: composeText },
    ...optionalFields({
      name: scalarText(catalog['name']),
      description: scalarText(catalog['description']),
      uuid: scalarText(catalog['uuid']),
      minimumRancherVersion: scalarText(catalog['minimum_rancher_version']),
      maximumRancherVersion: scalarText(catalog['maximum_rancher_version']),
      upgradeFrom,
      readme: readmeName && textOrNothing(files.get(`${dir}/${readmeName}`)),
      rancherCompose: rancherText === undefined ? undefined : ({ path: rancherPath, text: rancherText } satisfies SourceFile),
    }),
  };
}

interface CatalogSection {
  values: Record<string, unknown>;
  lineOf(field: string | undefined): number | undefined;
}

/**
 * The `.catalog` section of a rancher-compose.yml: `.catalog:` or `catalog:` at the top level,
 * or under `services:`. Read before templating, as Rancher did; when template syntax makes the
 * whole file unparsable, the section's own lines are parsed alone.
 */
function readCatalogSection(text: string, file: string, diagnostics: Diagnostic[]): CatalogSection | undefined {
  const whole = parseYaml(text, file, { scalarsAsStrings: true });
  const parsed = findCatalogSection(whole.value) ? whole : parseYaml(splitCatalogBlock(text).block, file, { scalarsAsStrings: true });
  const found = findCatalogSection(parsed.value);
  if (!found) return undefined;
  // Syntax errors of the whole file are reported when the version is rendered.
  diagnostics.push(...parsed.diagnostics.filter((d) => d.severity === 'warning'));
  const [path, values] = found;
  for (const key of Object.keys(values).filter((k) => !CATALOG_KEYS.has(k))) {
    diagnostics.push(
      warning(file, `unknown key "${key}" in ${path.join('.')} ignored; known keys: ${[...CATALOG_KEYS].join(', ')}`, {
        field: `${path.join('.')}.${key}`,
        ...atLine(parsed.lineOf([...path, key])),
      }),
    );
  }
  return {
    values,
    lineOf: (field) => {
      const segments = (field ?? '')
        .split('.')
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      return parsed.lineOf([...path, ...(segments[0] === 'questions' ? segments : ['questions', ...segments])]);
    },
  };
}

function findCatalogSection(value: unknown): [string[], Record<string, unknown>] | undefined {
  if (!isPlainObject(value)) return undefined;
  for (const key of ['.catalog', 'catalog']) {
    const section = value[key];
    if (isPlainObject(section)) return [[key], section];
  }
  const services = value['services'];
  if (!isPlainObject(services)) return undefined;
  for (const key of ['.catalog', 'catalog']) {
    const section = services[key];
    if (isPlainObject(section)) return [['services', key], section];
  }
  return undefined;
}

/** A file's text, or undefined with an error when it was too large or not text (model/files.ts). */
function readableText(files: FileTree, path: string, shownPath: string, diagnostics: Diagnostic[]): string | undefined {
  const text = files.get(path) ?? '';
  const reason = unreadReason(text);
  if (reason === undefined) return text;
  diagnostics.push(error(shownPath, `${reason}: not loaded`));
  return undefined;
}

function textOrNothing(text: string | undefined): string | undefined {
  return unreadReason(text) === undefined ? text : undefined;
}

function topLevelFiles(files: FileTree, dir: string): string[] {
  const names: string[] = [];
  for (const path of files.keys()) {
    if (!path.startsWith(`${dir}/`)) continue;
    const rest = path.slice(dir.length + 1);
    if (!rest.includes('/')) names.push(rest);
  }
  return names.sort();
}

function categoriesOf(config: Record<string, unknown>): string[] {
  const list = Array.isArray(config['categories']) ? config['categories'].map(String) : [];
  const single = scalarText(config['category']);
  return [...new Set(single === undefined ? list : [single, ...list])];
}

/** Drops keys whose value is undefined, so optional fields stay absent in the plain model. */
function optionalFields<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '')) as never;
}
