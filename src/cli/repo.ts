/** Reading the GitOps repository and extra catalogs named on the command line. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileTree } from '../model/files.js';
import { readDirectoryTree } from '../source/directory.js';
import { UsageError } from './errors.js';

export const repoOption = {
  repo: { type: 'string', default: '.', describe: 'GitOps repository directory (holds catalog/ and stacks/)' },
  catalog: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'An extra catalog as NAME=DIR; its templates are addressed as NAME:<template>',
  },
} as const;

export const formatOption = (choices: readonly string[], fallback: string) =>
  ({
    format: { choices, default: fallback, describe: 'Output format' },
  }) as const;

export async function readRepo(dir: string): Promise<FileTree> {
  await requireDirectory(dir, '--repo');
  return readDirectoryTree(resolve(dir), ['catalog', 'stacks']);
}

export async function readExtraCatalogs(specs: readonly string[]): Promise<Record<string, { files: FileTree; displayRoot: string }>> {
  const catalogs: Record<string, { files: FileTree; displayRoot: string }> = {};
  for (const spec of specs) {
    const match = /^([a-z0-9][a-z0-9._-]*)=(.+)$/.exec(spec);
    if (!match?.[1] || !match[2])
      throw new UsageError(`--catalog ${JSON.stringify(spec)}: expected NAME=DIR, e.g. community=../community-catalog`);
    await requireDirectory(match[2], `--catalog ${match[1]}`);
    catalogs[match[1]] = { files: await readDirectoryTree(resolve(match[2])), displayRoot: match[2].replace(/\/+$/, '') };
  }
  return catalogs;
}

export async function requireDirectory(dir: string, option: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${option} ${dir}: no such directory`);
}
