/** A loaded catalog: templates, their version folders and questions. Plain data. */
import type { Diagnostic } from '../model/diagnostics.js';
import type { Question } from './questions.js';

export interface SourceFile {
  /** Path as shown to users (catalog root prefix included). */
  path: string;
  text: string;
}

export interface TemplateVersion {
  /** Version folder name, e.g. `0` or `1.2.0`. */
  folder: string;
  /** Version string from `.catalog.version`. */
  version: string;
  name?: string;
  description?: string;
  uuid?: string;
  questions: Question[];
  minimumRancherVersion?: string;
  maximumRancherVersion?: string;
  labels: Record<string, string>;
  /** Semver range of versions this one may be upgraded from. */
  upgradeFrom?: string;
  readme?: string;
  dockerCompose: SourceFile;
  rancherCompose?: SourceFile;
}

export interface CatalogTemplate {
  /** Id inside its catalog: the folder name, prefixed `<base>*` outside templates/ (e.g. `infra*bind9`). */
  id: string;
  catalog: string;
  /** `` for templates/, `infra` for infra-templates/, `<x>` for `<x>-templates/`. */
  base: string;
  /** Path of the template folder as shown to users. */
  path: string;
  name: string;
  description?: string;
  categories: string[];
  maintainer?: string;
  license?: string;
  projectURL?: string;
  labels: Record<string, string>;
  /** Path of the icon file, if any. */
  icon?: string;
  /** The icon's text, when it is an SVG (other formats are not read as text). */
  iconSvg?: string;
  readme?: string;
  /** The `version` of config.yml, if any. */
  configuredVersion?: string;
  /** Folder of the default version (see `defaultVersion`). */
  defaultFolder?: string;
  /** Versions sorted from oldest to newest by semver. */
  versions: TemplateVersion[];
}

export interface Catalog {
  name: string;
  templates: CatalogTemplate[];
  diagnostics: Diagnostic[];
}
