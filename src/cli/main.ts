/** The `corral` command line. Each command lives in ./commands/<name>.ts. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { UsageError } from './errors.js';

export async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName('corral')
    .usage('$0 <command> [options]\n\nGitOps controller for Rancher 1.x style app catalogs on plain Docker hosts.')
    .strict()
    .demandCommand(1, 'no command given')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, failure) => {
      // Reported once, without a stack trace, by the caller of main().
      throw failure ?? new UsageError(message);
    });
  for (const command of commands) parser.command(command);
  if (!asksForHelp(argv)) skipHelpCache(parser);
  await parser.parseAsync();
  // Command handlers report their outcome through process.exitCode.
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/**
 * yargs renders the whole help text of a command (cliui, a string width per cell) as the
 * command's handler starts, in case the handler shows it; no corral handler does, so a call that
 * did not ask for help skips it (docs/benchmarks.md). Through yargs' internal methods, guarded:
 * a yargs without them renders as before.
 */
function skipHelpCache(parser: Argv): void {
  const internal = parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => undefined;
}

function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const hint = err instanceof UsageError ? "\nRun 'corral --help' for usage." : '';
    process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
    process.exitCode = 1;
  },
);
