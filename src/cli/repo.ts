/**
 * The options every repository command shares (--repo, --config, --catalog) and the calls that
 * read the config and the desired state from them, as the daemon does: the repository folder, the
 * config's catalogs plus those named with --catalog, encrypted answers opened when
 * CORRAL_AGE_IDENTITY is set.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CATALOG_NAME, type CatalogConfig, OWN_CATALOG } from '../config/catalogs.js';
import type { CorralConfig } from '../config/config.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { type DesiredRead, DesiredStateSource } from '../desired/index.js';
import { DirectorySource } from '../source/directory.js';
import { UsageError } from './errors.js';
import { readIdentities } from './secrets.js';

export const repoOption = {
  repo: { type: 'string', default: '.', describe: 'GitOps repository directory (holds catalog/ and stacks/)' },
  config: {
    type: 'string',
    describe:
      'Config file: the hosts, the catalogs and the policy stacks are checked against (default: the local Docker daemon, no extra catalogs, no grants)',
  },
  catalog: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: "An extra catalog as NAME=DIR, beside the config's; its templates are addressed as NAME:<template>",
  },
} as const;

export interface RepoArgs {
  repo: string;
  config?: string;
  catalog?: string[];
}

export interface RepoInputs extends DesiredRead {
  config: CorralConfig;
}

/**
 * What a command reads of the repository: its stacks (validate, render, plan, sync), or only the
 * catalogs (catalog list and show), which may all be the config's and --catalog's.
 */
export type RepositoryUse = 'stacks' | 'catalogs';

/**
 * The config and the desired state of the repository folder with its catalogs. Without
 * CORRAL_AGE_IDENTITY, `withoutIdentity` says what happens to encrypted answers.
 */
export async function readDesiredState(
  args: RepoArgs,
  withoutIdentity: 'unchecked' | 'none',
  use: RepositoryUse = 'stacks',
): Promise<RepoInputs> {
  const config = await readConfig(args.config);
  return { config, ...(await readRepository(args, config, withoutIdentity, use)) };
}

/** The desired state of the repository folder with the config's catalogs and those named with --catalog. */
export async function readRepository(
  args: RepoArgs,
  config: CorralConfig,
  withoutIdentity: 'unchecked' | 'none',
  use: RepositoryUse = 'stacks',
): Promise<DesiredRead> {
  const catalogs = [...config.catalogs, ...catalogArgs(args.catalog ?? [], config.catalogs)];
  for (const catalog of catalogs) if ('directory' in catalog) await requireDirectory(catalog.directory, `catalog ${catalog.name}`);
  await requireRepositoryFolder(args.repo, use === 'catalogs' && catalogs.length > 0);
  const identities = await readIdentities();
  const source = await DesiredStateSource.open({
    repo: new DirectorySource(resolve(args.repo)),
    catalogs,
    withoutIdentity,
    ...(config.policy ? { policy: config.policy } : {}),
    ...(identities ? { identities } : {}),
  });
  await source.refresh();
  return source.read();
}

/** The config of --config (the local Docker daemon without one); a bad config is a usage error. */
export async function readConfig(file: string | undefined): Promise<CorralConfig> {
  return loadConfig(file).catch((err: unknown) => {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  });
}

/** `--catalog NAME=DIR` as catalogs; a name may not repeat one of the config's. */
function catalogArgs(specs: readonly string[], configured: readonly CatalogConfig[]): CatalogConfig[] {
  const named: CatalogConfig[] = [];
  for (const spec of specs) {
    const [, name = '', directory = ''] = /^([^=]*)=(.*)$/.exec(spec) ?? [];
    if (!CATALOG_NAME.test(name) || directory === '')
      throw new UsageError(`--catalog ${JSON.stringify(spec)}: expected NAME=DIR, e.g. community=../community-catalog`);
    if (name === OWN_CATALOG) throw new UsageError(`--catalog ${spec}: "${OWN_CATALOG}" is the repository's own catalog/ folder`);
    if (configured.some((c) => c.name === name)) throw new UsageError(`--catalog ${spec}: the config already names a catalog "${name}"`);
    if (named.some((c) => c.name === name)) throw new UsageError(`--catalog ${spec}: "${name}" is given twice`);
    named.push({ name, directory });
  }
  return named;
}

export async function requireDirectory(dir: string, option: string): Promise<void> {
  if (!(await isDirectory(dir))) throw new UsageError(`${option} ${dir}: no such directory`);
}

/**
 * --repo must be the repository's folder: a git directory (bare, or a checkout's .git), or a
 * folder with neither catalog/ nor stacks/ (a parent folder, a typo) would read as a repository
 * without stacks, which validates, and converges to nothing. Only a command that reads just the
 * catalogs may go on without either folder when other catalogs are named (`catalogsElsewhere`).
 */
async function requireRepositoryFolder(dir: string, catalogsElsewhere: boolean): Promise<void> {
  await requireDirectory(dir, '--repo');
  const [catalog, stacks, objects, refs] = await Promise.all(
    ['catalog', 'stacks', 'objects', 'refs'].map((name) => isDirectory(join(dir, name))),
  );
  if (catalog || stacks) return;
  if (objects && refs)
    throw new UsageError(
      `--repo ${dir}: a git directory, not the folder of a checkout; validate, render, plan and sync read a checkout's folder (git clone ${dir}), and corral run --repo ${dir} follows its branch`,
    );
  if (!catalogsElsewhere)
    throw new UsageError(
      `--repo ${dir}: no catalog/ or stacks/ folder; --repo names the folder of the GitOps repository, which holds catalog/ and stacks/`,
    );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
