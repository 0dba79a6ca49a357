/** Every CLI command, in the order `corral --help` lists them. */
import type { CommandModule } from 'yargs';

export const commands: CommandModule<object, any>[] = [];
