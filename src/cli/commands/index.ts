/**
 * Every CLI command, in the order `corral --help` lists them, with its one-line description.
 * A command's module is loaded only when the command runs or shows its own help, so that
 * `corral --help` loads no command and `corral validate` no Docker, git or logging library.
 */
import type { CommandModule } from 'yargs';
import type { CommandBody } from '../command-body.js';

// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type; yargs takes them as one list
type AnyBody = CommandBody<any>;

const COMMANDS: { command: string; describe: string; load: () => Promise<AnyBody> }[] = [
  {
    command: 'validate',
    describe: 'Validate, render and check against the policy every stack of the repository (one line per problem; exit 1 on any error)',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    command: 'render <stack>',
    describe: 'Print the rendered desired state of one stack (password answers masked)',
    load: async () => (await import('./render.js')).renderCommand,
  },
  {
    command: 'plan',
    describe: 'Show what `corral sync` would change on the hosts, and why',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    command: 'sync',
    describe: 'Converge the Docker hosts to the stacks in the repository',
    load: async () => (await import('./sync.js')).syncCommand,
  },
  {
    command: 'run',
    describe: 'Run the daemon: follow the repository, converge on every change, self-heal, serve status',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    command: 'status [stack]',
    describe: 'Show the sync and health of every stack (or one) as the running daemon sees it',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    command: 'history <stack>',
    describe: 'List the revisions applied to a stack: version, commit, time, result and cause',
    load: async () => (await import('./history.js')).historyCommand,
  },
  { command: 'catalog <command>', describe: 'Browse and check catalogs', load: async () => (await import('./catalog.js')).catalogCommand },
  {
    command: 'secret <command>',
    describe: 'Keys and encrypted answers for password questions',
    load: async () => (await import('./secret.js')).secretCommand,
  },
];

// biome-ignore lint/suspicious/noExplicitAny: see AnyBody
export const commands: CommandModule<object, any>[] = COMMANDS.map(({ command, describe, load }) => ({
  command,
  describe,
  builder: async (yargs) => (await load()).builder(yargs),
  handler: async (args) => (await load()).handler(args),
}));
