/**
 * What the daemon needs to know about leadership among replicas (decided by the etcd election,
 * ./election.ts). Without `ha:` in the config there is none: the one replica always leads.
 * Pure: types only.
 */

export type Role = 'leader' | 'standby';

export interface LeadershipChange {
  role: Role;
  /** The replica that leads now, when known. */
  leader?: string;
  reason: string;
}

export interface Leadership {
  /** This replica's name. */
  readonly replica: string;
  role(): Role;
  /** The name of the replica that leads, as last read (undefined while none does). */
  leader(): string | undefined;
  /**
   * The fencing check, made right before each Docker operation is sent: undefined while this
   * replica may change hosts, otherwise why it may not. The executor obeys it; it decides nothing.
   */
  fence(): string | undefined;
  /** Calls `listener` on every change of this replica's role. */
  onChange(listener: (change: LeadershipChange) => void): void;
}
