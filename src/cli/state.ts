/** `--state-dir` of plan, sync and run: where corral keeps what it knows of its hosts between runs. Opens nothing until a pass loads it. */
import { resolve } from 'node:path';
import type { CorralConfig } from '../config/config.js';
import { DEFAULT_HOST_DOWN_GRACE_MS } from '../config/host-down-grace.js';
import { KnownHostsStore } from '../state/known-hosts-store.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state/state-dir.js';

export const stateDirOption = {
  'state-dir': {
    type: 'string',
    default: DEFAULT_STATE_DIR,
    describe: 'Where corral keeps what each host held when last read (so that a host that is down holds its units back)',
  },
} as const;

/** The memory a reconcile pass uses; `writable` false for commands that only look. */
export function hostMemory(stateDir: string, writable: boolean, config: CorralConfig): { store: KnownHostsStore; hostDownGraceMs: number } {
  return {
    store: new KnownHostsStore(new StateDir(resolve(stateDir), writable)),
    hostDownGraceMs: config.hostDownGraceMs ?? DEFAULT_HOST_DOWN_GRACE_MS,
  };
}
