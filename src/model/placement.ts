/** What the scheduler decided: which host runs each deployment unit instance, and what it knows of hosts that are down. */

export interface UnitInstance {
  /** Primary service of the deployment unit. */
  service: string;
  /** Instance number, 1-based; containers are named `<stack>-<service>-<n>`. */
  instance: number;
  host: string;
}

/** An instance left on an unreachable host: it may still be running there. */
export interface HeldInstance extends UnitInstance {
  /** When the host was last read (ISO 8601). */
  lastSeen: string;
  /** Time left before it is rescheduled; undefined for a global unit, which stays with its host. */
  rescheduleInMs?: number;
  /** When it is rescheduled unless its host is back (ISO 8601: last seen + host_down_grace); undefined for a global unit. */
  rescheduleAt?: string;
}

/** An instance placed on `host` because `from` has been unreachable for longer than host_down_grace. */
export interface RescheduledInstance extends UnitInstance {
  from: string;
  /** When `from` was last read (ISO 8601). */
  lastSeen: string;
}

/** A copy on `host`, back after being unreachable, that was replaced by the one on `keptOn` meanwhile. */
export interface ReplacedCopy extends UnitInstance {
  keptOn: string;
}

export interface StackPlacement {
  stack: string;
  /** Every unit instance the stack should have, sorted by service then instance. */
  instances: UnitInstance[];
  /** Why the stack cannot be scheduled; a stack with errors is not changed by the plan. */
  errors: string[];
  warnings: string[];
  /** Instances placed on unreachable hosts (also in `instances`). */
  held?: HeldInstance[];
  /** Instances moved off hosts unreachable for too long. */
  rescheduled?: RescheduledInstance[];
  /** Copies on hosts that are back, to be removed because another copy kept running. */
  replaced?: ReplacedCopy[];
}
