/**
 * A stack's history: one entry each time a pass applied a revision that changed the stack (a
 * bump, a revert, a fix, its removal), with what came of it. Kept in the state directory (see
 * src/state/stack-history*.ts), shown by `corral history` and `GET /api/v1/stacks/NAME`. Plain data.
 */

/** What became of an applied revision: the stack's sync word after the pass that applied it. */
export type HistoryResult = 'Synced' | 'Failed' | 'RolledBack' | 'OutOfSync' | 'Unknown';

export interface HistoryEntry {
  /** When the pass that applied it ended (ISO 8601). */
  time: string;
  /** The template (`catalog/template`) and its version string; absent for a stack that failed to render or was removed. */
  template?: string;
  version?: string;
  /** The git revision the stack was read from (absent for a plain directory). */
  commit?: string;
  result: HistoryResult;
  /** For people: what the pass changed, or why it failed or rolled back. Secret answers are never in it. */
  cause: string;
  /**
   * A digest of the stack as rendered (sha256 of the desired state without its revision, in
   * hex): two entries with the same digest applied the same configuration. Kept in the state
   * directory only, never shown: with the answers in git, a weak password could be guessed from it.
   */
  digest: string;
}

/** An entry as the API and `corral history` show it. */
export type ShownHistoryEntry = Omit<HistoryEntry, 'digest'>;

export function shownHistory(entries: readonly HistoryEntry[]): ShownHistoryEntry[] {
  return entries.map(({ digest: _kept, ...shown }) => shown);
}
