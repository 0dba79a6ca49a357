/**
 * A stack's history (model/history.ts): the entry a pass makes, whether it is worth keeping,
 * and the history file's lines read back. Pure: a pass's outcome in, an entry out; text in,
 * entries out.
 *
 * An entry is kept when the pass applied a configuration other than the last one recorded (a
 * bump, a revert, a fix, the stack's removal), or when the last one recorded had not succeeded
 * and this pass ended otherwise (a retry that went through). Passes that only self-heal, or
 * find nothing to do, leave the history alone.
 */
import { createHash } from 'node:crypto';
import type { OperationResult } from '../apply/index.js';
import type { DesiredStack } from '../model/desired.js';
import type { HistoryEntry, HistoryResult } from '../model/history.js';
import { redactString } from '../model/redact.js';
import { desiredStackDigest } from '../plan/stack-key.js';
import type { StackStatus } from '../status/stack-status.js';
import { isPlainObject } from '../util/values.js';

/** Entries kept per stack (older ones are dropped when the file is compacted). */
export const HISTORY_KEPT = 50;

/** What one pass did to one stack, as reconcile reports it. */
export interface AppliedPass {
  /** The stack as rendered; absent when it failed to render or is no longer in git. */
  desired?: DesiredStack;
  /** Why it could not be rendered, when it could not. */
  renderErrors?: readonly string[];
  /** The repository's revision the pass read (a failed or removed stack has no desired state to carry it). */
  revision?: string;
  operations: readonly OperationResult[];
  status: StackStatus;
  time: Date;
  /** Secret answers, never written. */
  secrets: readonly string[];
}

/** The entry for a pass, or undefined when the pass changed nothing worth a line (a removed stack with nothing left to remove). */
export function historyEntryOf(pass: AppliedPass): HistoryEntry | undefined {
  if (!pass.desired && !pass.renderErrors?.length && pass.operations.length === 0) return undefined;
  const desired = pass.desired;
  const commit = desired?.revision ?? pass.revision;
  return {
    time: pass.time.toISOString(),
    ...(desired ? { template: `${desired.template.catalog}/${desired.template.template}`, version: desired.template.version } : {}),
    ...(commit ? { commit } : {}),
    result: resultOf(pass.status),
    cause: redactString(causeOf(pass), pass.secrets),
    digest: digestOf(pass),
  };
}

/** Whether `next` belongs after `last` (see the header). */
export function worthKeeping(last: HistoryEntry | undefined, next: HistoryEntry): boolean {
  if (!last) return true;
  if (last.digest !== next.digest) return true;
  return last.result !== 'Synced' && last.result !== next.result;
}

/**
 * The file's lines, oldest first. A line that cannot be read (the last one, torn by a crash
 * during its write) is skipped; its `problems` say which, for the log.
 */
export function parseHistory(text: string): { entries: HistoryEntry[]; problems: string[] } {
  const entries: HistoryEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const entry = parseEntry(line);
    if (entry) entries.push(entry);
    else problems.push(`line ${index + 1} is not a history entry; skipped`);
  });
  return { entries, problems };
}

export function historyLine(entry: HistoryEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

function parseEntry(line: string): HistoryEntry | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(raw)) return undefined;
  const { time, template, version, commit, result, cause, digest } = raw;
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) return undefined;
  if (typeof result !== 'string' || !RESULTS.includes(result as HistoryResult)) return undefined;
  if (typeof cause !== 'string' || typeof digest !== 'string') return undefined;
  const optional = { template, version, commit };
  if (Object.values(optional).some((v) => v !== undefined && typeof v !== 'string')) return undefined;
  return {
    time,
    ...(typeof template === 'string' ? { template } : {}),
    ...(typeof version === 'string' ? { version } : {}),
    ...(typeof commit === 'string' ? { commit } : {}),
    result: result as HistoryResult,
    cause,
    digest,
  };
}

const RESULTS: readonly HistoryResult[] = ['Synced', 'Failed', 'RolledBack', 'OutOfSync', 'Unknown'];

function resultOf(status: StackStatus): HistoryResult {
  // A pass has ended, so it is no longer progressing: what is left is pending.
  return status.sync === 'Progressing' ? 'OutOfSync' : status.sync;
}

function causeOf(pass: AppliedPass): string {
  if (pass.renderErrors?.length) return `cannot be rendered: ${pass.renderErrors.join('; ')}`;
  const result = resultOf(pass.status);
  if (result === 'Failed' || result === 'RolledBack') return pass.status.lastError ?? pass.status.message;
  const done = changesOf(pass.operations);
  if (result === 'Synced') return done;
  return `${done}; ${pass.status.message}`;
}

/** `3 containers: 2 replaced, 1 created (config changed: command; scale 2 → 3)` */
function changesOf(operations: readonly OperationResult[]): string {
  const ok = operations.filter((r) => r.status === 'ok').map((r) => r.operation);
  const creates = ok.filter((op) => op.kind === 'CreateContainer');
  const removals = ok.filter((op) => op.kind === 'RemoveContainer' || op.kind === 'StopContainer');
  const unitsLeft = new Set(removals.map((op) => op.unit ?? op.target));
  const unitsMade = new Set(creates.map((op) => op.unit ?? op.target));
  const replaced = creates.filter((op) => unitsLeft.has(op.unit ?? op.target)).length;
  const created = creates.length - replaced;
  // A replaced unit's removals say how the old container went (kept, then removed): its create says why.
  const gone = removals.filter((op) => !unitsMade.has(op.unit ?? op.target));
  const removed = new Set(gone.map((op) => op.target)).size;
  const total = replaced + created + removed;
  if (total === 0) return 'no container changed';
  const counts = [replaced ? `${replaced} replaced` : '', created ? `${created} created` : '', removed ? `${removed} removed` : ''];
  const causes = [...new Set([...creates, ...gone].map((op) => op.cause))];
  const shown = causes.slice(0, 3).join('; ') + (causes.length > 3 ? `; and ${causes.length - 3} more` : '');
  return `${total} container${total === 1 ? '' : 's'}: ${counts.filter(Boolean).join(', ')} (${shown})`;
}

function digestOf(pass: AppliedPass): string {
  if (pass.desired) return desiredStackDigest(pass.desired);
  const what = pass.renderErrors?.length ? `failed\u0000${pass.renderErrors.join('\n')}` : 'removed';
  return createHash('sha256').update(what).digest('hex');
}
