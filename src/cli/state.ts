/**
 * `--state-dir` of plan, sync, run and history: where corral keeps what it knows of its hosts
 * between runs, and each stack's history. Opens nothing until a pass (or `corral history`) reads it.
 */
import { resolve } from 'node:path';
import type { CorralConfig } from '../config/config.js';
import { DEFAULT_HOST_DOWN_GRACE_MS } from '../config/host-down-grace.js';
import { KnownHostsStore } from '../state/known-hosts-store.js';
import { RollbacksStore } from '../state/rollbacks-store.js';
import { StackHistoryStore } from '../state/stack-history-store.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state/state-dir.js';

export const stateDirOption = {
  'state-dir': {
    type: 'string',
    default: DEFAULT_STATE_DIR,
    describe:
      'Where corral keeps what each host held when last read (so that a host that is down holds its units back), the upgrades it rolled back (so that they are not tried again) and each stack history',
  },
} as const;

/** The memory a reconcile pass uses (hosts as last read, rolled-back upgrades); `writable` false for commands that only look. */
export function hostMemory(
  stateDir: string,
  writable: boolean,
  config: CorralConfig,
): { store: KnownHostsStore; hostDownGraceMs: number; rollbacks: RollbacksStore } {
  const dir = new StateDir(resolve(stateDir), writable);
  return {
    store: new KnownHostsStore(dir),
    hostDownGraceMs: config.hostDownGraceMs ?? DEFAULT_HOST_DOWN_GRACE_MS,
    rollbacks: new RollbacksStore(dir),
  };
}

/** Each stack's history of applied revisions, in the state directory; `writable` false for commands that only look. */
export function stackHistory(stateDir: string, writable: boolean): StackHistoryStore {
  return new StackHistoryStore(new StateDir(resolve(stateDir), writable));
}
