/**
 * Every stack's history (model/history.ts) in the state directory: `history/<stack>.jsonl`,
 * one JSON entry a line, only ever appended to. Once a file holds twice HISTORY_KEPT entries it
 * is replaced, atomically, by its last HISTORY_KEPT; so is a file whose last line was torn (a
 * crash during a write), so that the next line never lands on the torn one. One store per
 * process keeps each stack's entries in memory after the first read and writes one stack's file
 * at a time. I/O.
 */
import type { HistoryEntry } from '../model/history.js';
import { HISTORY_KEPT, historyLine, parseHistory, worthKeeping } from './stack-history.js';
import type { StateDir } from './state-dir.js';

/** Stack names are DNS labels (src/stacks): anything else never becomes a file name. */
const STACK_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

interface Loaded {
  entries: HistoryEntry[];
  /** The file ends with a whole line: the next entry may be appended. */
  appendable: boolean;
}

export class StackHistoryStore {
  private readonly loaded = new Map<string, Promise<Loaded>>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: StateDir,
    private readonly kept = HISTORY_KEPT,
  ) {}

  /** Where a stack's history is, for messages. */
  describe(stack: string): string {
    return `${this.dir.path}/${fileOf(stack)}`;
  }

  /** The stack's entries, oldest first (none for a stack never applied, or a name that is not a stack's). */
  async read(stack: string): Promise<HistoryEntry[]> {
    if (!STACK_NAME.test(stack)) return [];
    return [...(await this.load(stack)).entries];
  }

  private load(stack: string): Promise<Loaded> {
    let loaded = this.loaded.get(stack);
    if (!loaded) {
      loaded = this.dir.readText(fileOf(stack)).then((text = '') => {
        const { entries, problems } = parseHistory(text);
        return { entries, appendable: problems.length === 0 && (text === '' || text.endsWith('\n')) };
      });
      this.loaded.set(stack, loaded);
      // A failed read is tried again next time.
      loaded.catch(() => this.loaded.delete(stack));
    }
    return loaded;
  }

  /** Adds the entry when it is worth keeping after the stack's last one; returns whether it did. */
  async record(stack: string, entry: HistoryEntry): Promise<boolean> {
    if (!STACK_NAME.test(stack)) return false;
    const previous = this.writing.get(stack) ?? Promise.resolve();
    let added = false;
    const write = previous
      .catch(() => undefined)
      .then(async () => {
        const { entries, appendable } = await this.load(stack);
        if (!worthKeeping(entries.at(-1), entry)) return;
        let next = [...entries, entry];
        if (next.length >= 2 * this.kept || !appendable) {
          next = next.slice(-this.kept);
          await this.dir.writeText(fileOf(stack), next.map(historyLine).join(''));
        } else await this.dir.appendText(fileOf(stack), historyLine(entry));
        this.loaded.set(stack, Promise.resolve({ entries: next, appendable: true }));
        added = true;
      });
    this.writing.set(stack, write);
    await write;
    return added;
  }
}

function fileOf(stack: string): string {
  return `history/${stack}.jsonl`;
}
