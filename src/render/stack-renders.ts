/**
 * What a read of the repository rendered of each stack, kept with everything that render read, so
 * that the read of a new revision renders again only the stacks whose inputs changed
 * (desired-state.ts drives it; desired/ keeps one from read to read). Pure: data kept between
 * calls, no I/O.
 *
 * A stack's outcome (rendered stack or failure, and its diagnostics) is a function of:
 *  - its folder name and the files of its folder stacks/<name>/ (paths and texts), of which
 *    readStackRequest reads stack.yml and answers.txt: the request is read again when any differs;
 *  - the template version it resolves to: the template's catalog and id and the whole
 *    TemplateVersion (folder, version string, upgrade_from, questions, the compose files' paths and
 *    texts), compared by a SHA-256 of their JSON made once per version object. Which version that
 *    is (the catalogs' names, the catalog's other templates, the versions' order, config.yml's
 *    default, a catalog that cannot be read) is worked out again at every read; a request that
 *    resolves to no version is cheap and never kept;
 *  - the opened values of its encrypted answers: compared by the Decrypted object each ciphertext
 *    was opened to (desired/ keeps them from read to read, so an unchanged answer keeps its object);
 *  - the settings of the whole read: policy, plaintextSecrets, environment name and what is done
 *    without an identity. Any change forgets every stack.
 * A catalog is loaded again only when its files changed (loadCatalog reads nothing else), so that
 * the stacks of a catalog that did not change find the same version objects and their digests.
 * The revision is not an input of anything else: a kept stack is given the read's revision (a new
 * top-level object sharing all the rest, so that memos per service still hold).
 *
 * The kept objects are handed out again, read after read: nothing downstream may change a desired
 * stack or a diagnostic (plan, reconcile and the daemon's memos by stack object already require it).
 */
import { createHash } from 'node:crypto';
import type { Catalog, CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import type { DesiredStack } from '../model/desired.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import type { Policy } from '../policy/types.js';
import type { PlaintextSecrets, SecretAnswers } from '../secrets/answers.js';
import type { StackRequestResult } from '../stacks/request.js';

export interface StackOutcome {
  stack?: DesiredStack;
  diagnostics: Diagnostic[];
}

/** What every stack of a read is rendered with. */
export interface ReadSettings {
  policy: Policy;
  plaintextSecrets: PlaintextSecrets | undefined;
  environmentName: string | undefined;
  secretsMode: SecretAnswers['mode'];
}

/** What a stack's render read beyond its request (see the file's header). */
export interface ResolvedInputs {
  /** templateVersionKey of the version rendered. */
  version: string;
  /** What each of its encrypted answers was opened to, in the order written. */
  opened: readonly unknown[];
}

interface KeptStack {
  /** Path and text of each file of the stack's folder, in turn. */
  folderFiles: readonly string[];
  request: StackRequestResult;
  rendered?: { inputs: ResolvedInputs; outcome: StackOutcome };
}

export class StackRenders {
  /** The catalogs loaded by the last read, by name, with the files they were loaded from. */
  #catalogs = new Map<string, { files: FileTree; displayRoot: string; catalog: Catalog }>();
  #settings: ReadSettings | undefined;
  #stacks = new Map<string, KeptStack>();
  /** The stacks of the read in progress (the others are dropped when it ends). */
  #seen = new Map<string, KeptStack>();

  /** Starts a read: everything is forgotten when a setting of the whole read changed. */
  begin(settings: ReadSettings): void {
    if (!this.#settings || !sameSettings(this.#settings, settings)) this.#stacks = new Map();
    this.#settings = settings;
    this.#seen = new Map();
  }

  /** Ends a read: only its stacks are kept. */
  end(): void {
    this.#stacks = this.#seen;
    this.#seen = new Map();
  }

  /**
   * The catalog loaded from these files: the last read's when its files (paths and texts) and
   * display root are the same, else `load()`. loadCatalog reads nothing else.
   */
  catalog(files: FileTree, { name, displayRoot }: { name: string; displayRoot: string }, load: () => Catalog): Catalog {
    const kept = this.#catalogs.get(name);
    if (kept && kept.displayRoot === displayRoot && sameFiles(kept.files, files)) return kept.catalog;
    const catalog = load();
    this.#catalogs.set(name, { files, displayRoot, catalog });
    return catalog;
  }

  /** The stack's request: the one read before when the files of its folder are unchanged, else `read()`. */
  request(name: string, folderFiles: readonly string[], read: () => StackRequestResult): StackRequestResult {
    const kept = this.#stacks.get(name);
    if (kept && sameList(kept.folderFiles, folderFiles)) {
      this.#seen.set(name, kept);
      return kept.request;
    }
    const fresh: KeptStack = { folderFiles, request: read() };
    this.#seen.set(name, fresh);
    return fresh.request;
  }

  /**
   * The outcome of rendering the stack's request (as returned by `request` in this read) with
   * `inputs`: the one kept when the request and the inputs are those of the last read, given this
   * read's revision; else `render()`, kept for the next read.
   */
  outcome(name: string, inputs: ResolvedInputs, revision: string | undefined, render: () => StackOutcome): StackOutcome {
    const kept = this.#seen.get(name);
    if (!kept) return render();
    if (kept.rendered && sameInputs(kept.rendered.inputs, inputs)) {
      kept.rendered.outcome = atRevision(kept.rendered.outcome, revision);
      return kept.rendered.outcome;
    }
    const outcome = render();
    kept.rendered = { inputs, outcome };
    return outcome;
  }
}

/**
 * Identifies everything of a template version that rendering reads: made once per version object
 * (a version belongs to the one template it was loaded with), so that the stacks of a template
 * compare one string.
 */
export function templateVersionKey(template: CatalogTemplate, version: TemplateVersion): string {
  let key = versionKeys.get(version);
  if (key === undefined) {
    const digest = createHash('sha256').update(JSON.stringify(version)).digest('hex');
    versionKeys.set(version, (key = `${template.catalog}\u0000${template.id}\u0000${digest}`));
  }
  return key;
}

const versionKeys = new WeakMap<TemplateVersion, string>();

function sameSettings(a: ReadSettings, b: ReadSettings): boolean {
  return (
    a.policy === b.policy &&
    a.plaintextSecrets === b.plaintextSecrets &&
    a.environmentName === b.environmentName &&
    a.secretsMode === b.secretsMode
  );
}

function sameInputs(a: ResolvedInputs, b: ResolvedInputs): boolean {
  return a.version === b.version && sameList(a.opened, b.opened);
}

function sameFiles(a: FileTree, b: FileTree): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [path, text] of a) if (b.get(path) !== text) return false;
  return true;
}

/** Whether two lists hold the same items (by identity) in the same order. */
export function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** The outcome with its stack at `revision`: the same object when it is already, else a copy of the top level. */
function atRevision(outcome: StackOutcome, revision: string | undefined): StackOutcome {
  const { stack } = outcome;
  if (!stack || stack.revision === revision) return outcome;
  // In render-stack's key order, so that the copy prints as a fresh render would.
  const { name, template, revision: _kept, ...rest } = stack;
  return { ...outcome, stack: { name, template, ...(revision === undefined ? {} : { revision }), ...rest } };
}
