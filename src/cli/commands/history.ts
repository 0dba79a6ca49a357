/**
 * `corral history STACK`: the revisions applied to a stack, oldest first — version, commit,
 * time, result and cause — from the state directory that `corral sync` and `corral run` write
 * (or, with --server, as a running daemon reports them).
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { type ShownHistoryEntry, shownHistory } from '../../model/history.js';
import type { StackStatus } from '../../status/stack-status.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { UsageError } from '../errors.js';
import { stackHistory, stateDirOption } from '../state.js';
import { table } from '../table.js';
import { fetchJson } from './status.js';

interface HistoryArgs {
  stack: string;
  stateDir: string;
  server?: string;
  format: string;
}

export const historyCommand: CommandBody<HistoryArgs> = {
  builder: (yargs: Argv) =>
    yargs.positional('stack', { type: 'string', demandOption: true, describe: 'Stack name (its folder under stacks/)' }).options({
      ...stateDirOption,
      server: { type: 'string', describe: 'Ask a running corral daemon at this URL instead of reading --state-dir' },
      ...formatOption(['text', 'json'], 'text'),
    }) as unknown as Argv<HistoryArgs>,
  handler: async (args: ArgumentsCamelCase<HistoryArgs>) => {
    const { entries, where } = args.server ? await fromDaemon(args.server, args.stack) : await fromStateDir(args.stateDir, args.stack);
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      return;
    }
    if (entries.length === 0)
      throw new UsageError(
        `no history of stack ${args.stack} in ${where}: corral sync and corral run add an entry each time they apply a revision that changes it`,
      );
    process.stdout.write(formatHistory(entries));
  },
};

async function fromStateDir(stateDir: string, stack: string): Promise<{ entries: ShownHistoryEntry[]; where: string }> {
  const store = stackHistory(stateDir, false);
  return { entries: shownHistory(await store.read(stack)), where: store.describe(stack) };
}

async function fromDaemon(server: string, stack: string): Promise<{ entries: ShownHistoryEntry[]; where: string }> {
  const status = (await fetchJson(new URL(`/api/v1/stacks/${encodeURIComponent(stack)}`, server).toString())) as StackStatus;
  return { entries: status.history ?? [], where: `the daemon at ${server} (it keeps one when started with a state directory)` };
}

/** One line per entry, oldest first: TIME, VERSION, COMMIT (12 characters), RESULT, CAUSE. */
export function formatHistory(entries: readonly ShownHistoryEntry[]): string {
  const rows = entries.map((e) => [
    e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    e.version ?? '-',
    e.commit?.slice(0, 12) ?? '-',
    e.result,
    e.cause,
  ]);
  return table([['TIME', 'VERSION', 'COMMIT', 'RESULT', 'CAUSE'], ...rows]);
}
