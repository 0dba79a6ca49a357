/**
 * What a command's module provides: its options and its work (its name and one-line
 * description are in ./commands/index.ts); and the --format option several commands share.
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';

export const formatOption = (choices: readonly string[], fallback: string) =>
  ({
    format: { choices, default: fallback, describe: 'Output format' },
  }) as const;

export interface CommandBody<Args> {
  builder: (yargs: Argv) => Argv<Args> | Argv<object>;
  handler: (args: ArgumentsCamelCase<Args>) => void | Promise<void>;
}
