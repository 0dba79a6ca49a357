/**
 * What corral remembers of each host between passes (kept in the state directory, see
 * src/state/): when it was last read, which deployment unit instances it held then, and which
 * of them were rescheduled on other hosts while it was unreachable. Plain data.
 */

/** stack → unit (its primary service) → instance numbers, ascending. */
export type UnitInstances = Record<string, Record<string, number[]>>;

export interface KnownHost {
  /** The last successful read of the host (ISO 8601). */
  lastSeen: string;
  /** The unit instances it held then. */
  units: UnitInstances;
  /** Instances rescheduled elsewhere while it was unreachable: its own copies are the extra ones once it is back. */
  replaced: UnitInstances;
}

/** Host name → what is known of it. */
export type KnownHosts = Readonly<Record<string, KnownHost>>;

export function holds(instances: UnitInstances, stack: string, unit: string, instance: number): boolean {
  return instances[stack]?.[unit]?.includes(instance) === true;
}
