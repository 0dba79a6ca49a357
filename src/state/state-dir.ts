/**
 * corral's state directory (`--state-dir`, default `.corral-state/`): small JSON files that
 * must survive a restart. Every write goes to a temporary file in the same directory and is
 * renamed over the old one, so a reader never sees half a file. I/O.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '.corral-state';

export class StateDir {
  /**
   * @param path the directory (made on the first write)
   * @param writable false for commands that only look (`corral plan`): writes are skipped
   */
  constructor(
    readonly path: string,
    readonly writable: boolean,
  ) {}

  /** The parsed file, or undefined when it does not exist. A file that is not JSON is an error naming it. */
  async readJson(name: string): Promise<unknown> {
    const file = join(this.path, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${file}: cannot be read: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }

  /** Replaces the file atomically; does nothing when the directory is read-only. */
  async writeJson(name: string, value: unknown): Promise<void> {
    if (!this.writable) return;
    const file = join(this.path, name);
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await mkdir(this.path, { recursive: true });
    try {
      await writeFile(temporary, `${JSON.stringify(value, null, 1)}\n`, { mode: 0o600 });
      await rename(temporary, file);
    } catch (err) {
      await rm(temporary, { force: true });
      throw new Error(`${file}: cannot be written: ${(err as Error).message}`);
    }
  }
}
