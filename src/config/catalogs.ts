/**
 * The config's `catalogs:` section: catalogs beside the repository's own, as Rancher listed
 * them (library, community, a team's own). Stacks address their templates as `<name>:<template>`.
 * Pure: parsed values or diagnostics.
 *
 *   catalogs:
 *     - name: community
 *       url: https://git.example.com/mirror/community-catalog.git   # http(s):// or file:// git repository
 *       branch: master                                             # default main
 *     - name: team
 *       directory: ../team-catalog      # a folder as it is on disk; relative to this config file
 *
 * A catalog's folder (or the root of its repository) holds templates/ and infra-templates/.
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject, scalarText } from '../util/values.js';
import { type At, reportUnknownKeys } from './sections.js';

export type CatalogConfig = { name: string; directory: string } | { name: string; url: string; branch: string };

/** The repository's own catalog/ folder: no configured catalog may take its name. */
export const OWN_CATALOG = 'library';
const DEFAULT_CATALOG_BRANCH = 'main';
export const CATALOG_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const KEYS = ['name', 'directory', 'url', 'branch'];
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[A-Za-z0-9._/-]{1,200}$/;

export function parseCatalogs(raw: unknown, file: string, at: At, diagnostics: Diagnostic[]): CatalogConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    diagnostics.push(error(file, 'catalogs: expected a list of catalogs, each with name and either url or directory', at(['catalogs'])));
    return [];
  }
  const catalogs: CatalogConfig[] = [];
  raw.forEach((item, index) => {
    const catalog = parseCatalog(item, index, file, at, diagnostics);
    if (!catalog) return;
    if (catalogs.some((c) => c.name === catalog.name)) {
      diagnostics.push(
        error(
          file,
          `catalogs[${index}].name: "${catalog.name}" is named twice; every catalog needs its own name`,
          at(['catalogs', index, 'name']),
        ),
      );
      return;
    }
    catalogs.push(catalog);
  });
  return catalogs;
}

function parseCatalog(raw: unknown, index: number, file: string, at: At, diagnostics: Diagnostic[]): CatalogConfig | undefined {
  const where = `catalogs[${index}]`;
  if (!isPlainObject(raw)) {
    diagnostics.push(
      error(file, `${where}: expected a mapping with name and either url (and branch) or directory`, at(['catalogs', index])),
    );
    return undefined;
  }
  const before = diagnostics.length;
  const problem = (key: string, message: string) =>
    diagnostics.push(error(file, `${where}.${key}: ${message}`, at(['catalogs', index, ...(key in raw ? [key] : [])])));
  reportUnknownKeys(raw, KEYS, problem);
  const name = scalarText(raw['name']) ?? '';
  if (!CATALOG_NAME.test(name))
    problem('name', `expected a lowercase name of letters, digits, '.', '_' and '-', got ${JSON.stringify(raw['name'] ?? null)}`);
  else if (name === OWN_CATALOG) problem('name', `"${OWN_CATALOG}" is the repository's own catalog/ folder; choose another name`);
  const directory = scalarText(raw['directory']);
  const url = scalarText(raw['url']);
  const branch = scalarText(raw['branch']);
  if ((directory === undefined) === (url === undefined))
    problem('url', 'give either url (a git repository) or directory (a folder), not both or neither');
  if (directory === '') problem('directory', 'expected the path of a folder holding templates/');
  if (url !== undefined && !isGitUrl(url))
    problem('url', `"${url}" is not a git address; expected an http(s):// or file:// URL, e.g. https://git.example.com/ops/catalog.git`);
  else if (url !== undefined && hasCredentials(url))
    problem('url', 'credentials do not belong in the URL (the config is not a secret store)');
  if (branch !== undefined && directory !== undefined) problem('branch', 'only a git catalog (url) has a branch');
  if (branch !== undefined && !BRANCH.test(branch)) problem('branch', `"${branch}" is not a branch name (e.g. main)`);
  if (diagnostics.length > before) return undefined;
  if (directory !== undefined) return { name, directory };
  return { name, url: url ?? '', branch: branch ?? DEFAULT_CATALOG_BRANCH };
}

function hasCredentials(text: string): boolean {
  const url = new URL(text);
  return url.username !== '' || url.password !== '';
}

function isGitUrl(text: string): boolean {
  try {
    return ['http:', 'https:', 'file:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
