/**
 * Upgrades that were rolled back (model/upgrade.ts), kept in the state directory as
 * `rollbacks.json`: the last one of each stack, with the key of the desired state it tried. The
 * plan reads them so that the same desired state is not tried again after a restart; any change
 * of the stack has another key and is tried. Held in memory by one store per process, so that
 * passes running side by side (the daemon's stack passes) add theirs one after another. I/O.
 */
import type { RollbackRecord } from '../model/upgrade.js';
import { isPlainObject } from '../util/values.js';
import type { StateDir } from './state-dir.js';

const FILE = 'rollbacks.json';
const VERSION = 1;

export class RollbacksStore {
  private current?: Map<string, RollbackRecord>;
  private loading?: Promise<Map<string, RollbackRecord>>;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: StateDir) {}

  describe(): string {
    return `${this.dir.path}/${FILE}`;
  }

  /** The last rolled-back upgrade of each stack: read from the file once, then kept in memory. */
  async load(): Promise<ReadonlyMap<string, RollbackRecord>> {
    if (this.current) return this.current;
    this.loading ??= this.dir.readJson(FILE).then((raw) => {
      this.current ??= raw === undefined ? new Map() : parseRollbacks(raw, this.describe());
      return this.current;
    });
    return this.loading;
  }

  /** Remembers a stack's rolled-back upgrade (in memory at once), replacing the one before, and writes the file. */
  async record(stack: string, record: RollbackRecord): Promise<void> {
    const current = new Map(await this.load());
    current.set(stack, record);
    this.current = current;
    const write = this.writing
      .catch(() => undefined)
      .then(() => this.dir.writeJson(FILE, { version: VERSION, stacks: Object.fromEntries(this.current ?? current) }));
    this.writing = write;
    return write;
  }
}

const TEXT_FIELDS = ['key', 'template', 'version', 'cause', 'time'] as const;

/** The file's content, checked; anything else is an error naming the file. */
export function parseRollbacks(raw: unknown, file: string): Map<string, RollbackRecord> {
  const problem = (what: string) =>
    new Error(`${file}: ${what}; remove the file to start afresh (corral may then try a rolled-back upgrade once more)`);
  if (!isPlainObject(raw) || raw['version'] !== VERSION || !isPlainObject(raw['stacks']))
    throw problem(`expected {"version": ${VERSION}, "stacks": {...}}`);
  const records = new Map<string, RollbackRecord>();
  for (const [stack, value] of Object.entries(raw['stacks'])) {
    if (!isPlainObject(value) || TEXT_FIELDS.some((field) => typeof value[field] !== 'string'))
      throw problem(`stacks.${stack}: expected ${TEXT_FIELDS.join(', ')} (strings) and an optional revision`);
    const revision = value['revision'];
    if (revision !== undefined && typeof revision !== 'string') throw problem(`stacks.${stack}.revision: expected a string`);
    const { key, template, version, cause, time } = value as Record<(typeof TEXT_FIELDS)[number], string>;
    records.set(stack, { key, template, version, cause, time, ...(revision ? { revision } : {}) });
  }
  return records;
}
