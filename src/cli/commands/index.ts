/** Every CLI command, in the order `corral --help` lists them. */
import type { CommandModule } from 'yargs';
import { catalogCommand } from './catalog.js';
import { planCommand } from './plan.js';
import { renderCommand } from './render.js';
import { runCommand } from './run.js';
import { secretCommand } from './secret.js';
import { statusCommand } from './status.js';
import { syncCommand } from './sync.js';
import { validateCommand } from './validate.js';

// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type; yargs takes them as one list
export const commands: CommandModule<object, any>[] = [
  validateCommand,
  renderCommand,
  planCommand,
  syncCommand,
  runCommand,
  statusCommand,
  catalogCommand,
  secretCommand,
];
