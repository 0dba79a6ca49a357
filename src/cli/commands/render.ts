/** `corral render STACK`: the rendered desired state of one stack, secrets masked. */

import { stringify } from 'yaml';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { redactStack } from '../../model/redact.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { UsageError } from '../errors.js';
import { readDesiredState, repoOption } from '../repo.js';

interface RenderArgs {
  stack: string;
  repo: string;
  config?: string;
  catalog: string[];
  format: string;
}

export const renderCommand: CommandBody<RenderArgs> = {
  builder: (yargs: Argv) =>
    yargs
      .positional('stack', { type: 'string', demandOption: true, describe: 'Stack name (its folder under stacks/)' })
      .options({ ...repoOption, ...formatOption(['yaml', 'json'], 'yaml') }) as unknown as Argv<RenderArgs>,
  handler: async (args: ArgumentsCamelCase<RenderArgs>) => {
    // Secrets are masked in the output: without the identity, placeholders stand in for encrypted answers.
    const { state } = await readDesiredState(args, 'unchecked');
    const failed = state.failed.find((f) => f.stack === args.stack);
    if (failed) {
      for (const d of failed.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.exitCode = 1;
      return;
    }
    const stack = state.stacks.find((s) => s.name === args.stack);
    if (!stack) {
      const known = [...state.stacks.map((s) => s.name), ...state.failed.map((f) => f.stack)].sort();
      throw new UsageError(`no stack "${args.stack}" under ${args.repo}/stacks; stacks: ${known.join(', ') || '(none)'}`);
    }
    const shown = redactStack(stack);
    process.stdout.write(args.format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown, { lineWidth: 0 }));
  },
};
