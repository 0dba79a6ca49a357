/**
 * corral's state directory (`--state-dir`, default `.corral-state/`): small files that must
 * survive a restart. A file is either replaced whole — written to a temporary file in the same
 * directory and renamed over the old one, so a reader never sees half a file — or only ever
 * appended to, one line at a time (a torn last line is the reader's to skip). I/O.
 */
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

  /** The file's text, or undefined when it does not exist. */
  async readText(name: string): Promise<string | undefined> {
    const file = join(this.path, name);
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${file}: cannot be read: ${(err as Error).message}`);
    }
  }

  /** The parsed file, or undefined when it does not exist. A file that is not JSON is an error naming it. */
  async readJson(name: string): Promise<unknown> {
    const file = join(this.path, name);
    const text = await this.readText(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }

  /** Replaces the file atomically; does nothing when the directory is read-only. */
  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeText(name, `${JSON.stringify(value, null, 1)}\n`);
  }

  /** Adds text at the end of the file (made when missing); does nothing when the directory is read-only. */
  async appendText(name: string, text: string): Promise<void> {
    if (!this.writable) return;
    const file = join(this.path, name);
    try {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, text, { mode: 0o600 });
    } catch (err) {
      throw new Error(`${file}: cannot be written: ${(err as Error).message}`);
    }
  }

  /** Replaces the file atomically (a name may have a folder: it is made); does nothing when the directory is read-only. */
  async writeText(name: string, text: string): Promise<void> {
    if (!this.writable) return;
    const file = join(this.path, name);
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, file);
    } catch (err) {
      await rm(temporary, { force: true });
      throw new Error(`${file}: cannot be written: ${(err as Error).message}`);
    }
  }
}
