/**
 * Leadership in /metrics (prom-client): this replica's role, its role changes, how long its lease
 * still certainly holds, and the Docker operations its fence refused. Read from the election at
 * scrape time; registered into the daemon's registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaderElection } from './election.js';

export function registerLeadershipMetrics(registry: Registry, election: LeaderElection): void {
  const registers = [registry];
  new Gauge({
    name: 'corral_ha_leader',
    help: '1 while this replica leads (changes the hosts), 0 while it is a standby.',
    registers,
    collect() {
      this.set(election.role() === 'leader' ? 1 : 0);
    },
  });
  new Counter({
    name: 'corral_ha_leadership_changes_total',
    help: 'Role changes of this replica: to leader (it took the election key) and to standby (it lost or gave up its lease).',
    labelNames: ['role'],
    registers,
    collect() {
      const { changes } = election.counts();
      this.reset();
      for (const role of ['leader', 'standby'] as const) this.inc({ role }, changes[role]);
    },
  });
  new Gauge({
    name: 'corral_ha_lease_remaining_seconds',
    help: 'Seconds this leader may still change hosts without another keep-alive (0 for a standby).',
    registers,
    collect() {
      this.set(election.leaseRemainingMs() / 1000);
    },
  });
  new Counter({
    name: 'corral_ha_fenced_operations_total',
    help: 'Docker operations not sent because this replica did not certainly hold the leader lease.',
    registers,
    collect() {
      this.reset();
      this.inc(election.counts().refusedOperations);
    },
  });
}
