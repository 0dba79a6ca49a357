/** The `corral` command line. Each command lives in ./commands/<name>.ts. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { UsageError } from './errors.js';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('corral')
    .usage('$0 <command> [options]\n\nGitOps controller for Rancher 1.x style app catalogs on plain Docker hosts.')
    .strict()
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, failure) => {
      if (failure && !(failure instanceof UsageError)) throw failure;
      process.stderr.write(`corral: ${failure?.message ?? message}\nRun 'corral --help' for usage.\n`);
      exitCode = 1;
    });
  for (const command of commands) parser.command(command);
  await parser.parseAsync();
  // Command handlers report their outcome through process.exitCode.
  return exitCode || (typeof process.exitCode === 'number' ? process.exitCode : 0);
}

main(hideBin(process.argv)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`corral: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
