/** `corral validate`: the merge-request check — every stack validated and rendered. */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { type Diagnostic, formatDiagnostic } from '../../model/diagnostics.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { readDesiredState, repoOption } from '../repo.js';
import { readRecipientsFile } from '../secrets.js';

interface ValidateArgs {
  repo: string;
  config?: string;
  catalog: string[];
  format: string;
}

export const validateCommand: CommandBody<ValidateArgs> = {
  builder: (yargs: Argv) => yargs.options({ ...repoOption, ...formatOption(['text', 'json'], 'text') }) as unknown as Argv<ValidateArgs>,
  handler: async (args: ArgumentsCamelCase<ValidateArgs>) => {
    // Without CORRAL_AGE_IDENTITY (a merge-request job), encrypted answers are checked as far as they can be.
    const { state } = await readDesiredState(args, 'unchecked');
    const recipients = (await readRecipientsFile(args.repo))?.diagnostics ?? [];
    const stacks = [
      ...state.stacks.map((s) => ({ name: s.name, ok: true, diagnostics: [...(state.stackDiagnostics[s.name] ?? []), ...s.ignoredKeys] })),
      ...state.failed.map((f) => ({ name: f.stack, ok: false, diagnostics: f.diagnostics })),
    ].sort((a, b) => a.name.localeCompare(b.name));
    const all = [...state.catalogDiagnostics, ...recipients, ...stacks.flatMap((s) => s.diagnostics.map((d) => namingStack(d, s.name)))];
    const errors = all.filter((d) => d.severity === 'error').length;
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify({ ok: errors === 0, catalog: state.catalogDiagnostics, recipients, stacks }, null, 2)}\n`);
    } else {
      for (const line of uniqueLines(all)) process.stdout.write(`${line}\n`);
      process.stdout.write(`${state.stacks.length} of ${stacks.length} stacks valid; ${errors} errors, ${all.length - errors} warnings\n`);
    }
    process.exitCode = errors > 0 ? 1 : 0;
  },
};

/** An error found while rendering a stack but located in a catalog file says which stack it was. */
function namingStack(diagnostic: Diagnostic, stack: string): Diagnostic {
  if (diagnostic.severity !== 'error' || diagnostic.file.startsWith(`stacks/${stack}/`) || diagnostic.file === `stacks/${stack}`)
    return diagnostic;
  return { ...diagnostic, message: `${diagnostic.message} (rendering stacks/${stack})` };
}

function uniqueLines(diagnostics: Diagnostic[]): string[] {
  return [...new Set(diagnostics.map(formatDiagnostic))];
}
