/** `corral catalog list|show|check`: browse a catalog and check that every version renders. */
import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadCatalog } from '../../catalog/loader.js';
import { constraintsOf, type Question, secretVariableNames } from '../../catalog/questions.js';
import type { Catalog, CatalogTemplate } from '../../catalog/types.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { MASK } from '../../model/redact.js';
import { checkCatalog } from '../../render/catalog-check.js';
import { findTemplateVersion } from '../../render/index.js';
import { readDirectoryTree } from '../../source/directory.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { UsageError } from '../errors.js';
import { readDesiredState, repoOption, requireDirectory } from '../repo.js';
import { table } from '../table.js';

interface ListArgs {
  repo: string;
  config?: string;
  catalog: string[];
  format: string;
}
interface ShowArgs extends ListArgs {
  template: string;
  version?: string;
}
interface CheckArgs {
  dir: string;
  allowFailures: boolean;
  format: string;
}

async function catalogsOf(args: ListArgs): Promise<Catalog[]> {
  return (await readDesiredState(args, 'unchecked', 'catalogs')).state.catalogs;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List the templates with their versions and default version',
  builder: (yargs: Argv) => yargs.options({ ...repoOption, ...formatOption(['text', 'json'], 'text') }) as unknown as Argv<ListArgs>,
  handler: async (args: ArgumentsCamelCase<ListArgs>) => {
    const templates = (await catalogsOf(args)).flatMap((c) => c.templates).map(summary);
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify(templates, null, 2)}\n`);
      return;
    }
    const rows = templates.map((t) => [t.reference, t.defaultVersion ?? '-', t.versions.map((v) => v.version).join(', '), t.name]);
    process.stdout.write(table([['TEMPLATE', 'DEFAULT', 'VERSIONS', 'NAME'], ...rows]));
  },
};

const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <template>',
  describe: 'Show a template version: description and questions with type, default and constraints',
  builder: (yargs: Argv) =>
    yargs.positional('template', { type: 'string', demandOption: true, describe: '<template> or <catalog>:<template>' }).options({
      version: { type: 'string', describe: 'Version string or folder (default: the default version)' },
      ...repoOption,
      ...formatOption(['text', 'json'], 'text'),
    }) as unknown as Argv<ShowArgs>,
  handler: async (args: ArgumentsCamelCase<ShowArgs>) => {
    const [catalogName, templateId] = args.template.includes(':') ? args.template.split(':', 2) : [undefined, args.template];
    const found = findTemplateVersion(
      {
        template: templateId ?? '',
        file: args.template,
        ...(catalogName ? { catalog: catalogName } : {}),
        ...(args.version ? { version: args.version } : {}),
      },
      await catalogsOf(args),
    );
    if ('error' in found) throw new UsageError(found.error.message);
    const { template, version } = found;
    const detail = {
      ...summary(template),
      version: version.version,
      folder: version.folder,
      description: version.description ?? template.description ?? '',
      upgradeFrom: version.upgradeFrom,
      questions: version.questions.map(maskSecretDefault),
    };
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${detail.reference} ${version.version} (folder ${version.folder}${version.folder === template.defaultFolder ? ', default' : ''})\n`,
    );
    process.stdout.write(`${detail.name}: ${detail.description.trim()}\n`);
    process.stdout.write(`versions: ${detail.versions.map((v) => `${v.version} (${v.folder})`).join(', ')}\n`);
    if (version.upgradeFrom) process.stdout.write(`upgrade from: ${version.upgradeFrom}\n`);
    process.stdout.write(`\n${table([['VARIABLE', 'TYPE', 'REQUIRED', 'DEFAULT', 'CONSTRAINTS'], ...version.questions.map(questionRow)])}`);
  },
};

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <dir>',
  describe: 'Load every template of a Rancher-style catalog DIR and render every version folder',
  builder: (yargs: Argv) =>
    yargs
      .positional('dir', { type: 'string', demandOption: true, describe: 'Catalog directory (templates/, infra-templates/, ...)' })
      .options({
        'allow-failures': { type: 'boolean', default: false, describe: 'Exit 0 even if some versions fail' },
        ...formatOption(['text', 'json'], 'text'),
      }) as unknown as Argv<CheckArgs>,
  handler: async (args: ArgumentsCamelCase<CheckArgs>) => {
    await requireDirectory(args.dir, 'catalog check');
    const displayRoot = args.dir.replace(/\/+$/, '');
    const files = await readDirectoryTree(resolve(args.dir));
    const catalog = loadCatalog(files, { name: 'checked', displayRoot });
    const result = checkCatalog(files, catalog, displayRoot);
    if (args.format === 'json') {
      process.stdout.write(
        `${JSON.stringify({ rendered: result.rendered, total: result.total, failures: result.checks.filter((c) => !c.ok) }, null, 2)}\n`,
      );
    } else {
      for (const check of result.checks.filter((c) => !c.ok)) {
        const reasons = check.diagnostics.filter((d) => d.severity === 'error');
        process.stdout.write(
          `FAIL ${check.path}\n${(reasons.length ? reasons : check.diagnostics).map((d) => `  ${formatDiagnostic(d)}\n`).join('')}`,
        );
      }
      process.stdout.write(`rendered ${result.rendered} of ${result.total} versions\n`);
    }
    process.exitCode = result.rendered < result.total && !args.allowFailures ? 1 : 0;
  },
};

export const catalogCommand: CommandBody<object> = {
  builder: (yargs: Argv) => yargs.command(listCommand).command(showCommand).command(checkCommand).demandCommand(1),
  handler: () => {},
};

function summary(template: CatalogTemplate) {
  return {
    reference: template.catalog === 'library' ? template.id : `${template.catalog}:${template.id}`,
    name: template.name,
    categories: template.categories,
    defaultVersion: template.versions.find((v) => v.folder === template.defaultFolder)?.version,
    versions: template.versions.map((v) => ({ version: v.version, folder: v.folder })),
  };
}

/** A password or secret default is shown as set, never as its value. */
function maskSecretDefault(q: Question): Question {
  return secretVariableNames([q]).length > 0 && q.default ? { ...q, default: MASK } : q;
}

function questionRow(q: Question): string[] {
  const constraints = [q.options.length ? `one of ${q.options.join('|')}` : '', ...constraintsOf(q)].filter(Boolean).join(', ');
  const isSecret = secretVariableNames([q]).length > 0;
  const shownDefault = isSecret ? (q.default ? '(set)' : '') : (q.default ?? '');
  return [q.variable, q.type, q.required ? 'yes' : 'no', oneLine(shownDefault), constraints];
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 37)}...` : flat;
}
