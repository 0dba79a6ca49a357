/**
 * Two `corral run` replicas with leader election on the fleet's etcd, as child processes on the
 * fleet's Docker hosts. The leader is killed (`kill -9`) in the middle of a 20-container apply,
 * five times; the standby must take over within the lease TTL + 2 s, finish with exactly the
 * desired set, and converge a commit pushed after the kill. Then a leader is paused (SIGSTOP)
 * instead, its stack removed by the new leader, and resumed: fenced, it must send nothing.
 *
 * Who sent what is read from the hosts' Docker event streams (create/start/kill/die/stop/destroy
 * of the test's containers): before the kill only the leader's work; between the kill and the new
 * leader's lease only completions of requests the dead leader had in flight; what only the new
 * leader could do (the commit after the kill, removing earlier stacks) only after it took the
 * lease. A standby that made any Docker write request while a standby (its /metrics) fails too.
 * The new lease is the standby's first acquisition after the kill, not its last: on a loaded
 * machine a replica's event loop stalls for seconds (measured at load 12 on 2 CPUs: 2 to 3.5 s
 * often, 8 s once), and a leader whose keep-alive could not leave or be answered before its fence
 * deadline must step down. It keeps its lease and leads again as soon as etcd renews it, but when
 * the stall outlasted the lease, etcd has expired it and the replica campaigns anew: a second
 * leadership change, correct, not a failover fault. The changes after the kill are printed, and
 * with the old leader dead nobody else writes meanwhile.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_PER_HOST } from '../../src/apply/index.js';
import { waitFor } from './daemon-harness.js';
import { type FailoverRound, type FleetEvent, failoverRound, HaCluster, type Replica } from './ha-harness.js';

const TTL_S = 5;
const ROUNDS = 5;
const SCALE = 20;
/** The kill comes once this many containers of the round's stack have started (of SCALE). */
const KILL_AFTER_STARTS = 6;

let cluster: HaCluster;
/** The replicas the first test leaves running, for the second. */
let pair: { leader: Replica; standby: Replica } | undefined;

before(async () => {
  cluster = await HaCluster.create({ prefix: `haf${process.pid % 10000}`, leaseTtlSeconds: TTL_S });
});

after(async () => {
  await cluster?.destroy();
});

test(`kill -9 of the leader in the middle of a ${SCALE}-container apply, ${ROUNDS} rounds: the standby takes over within TTL + 2 s, alone`, async () => {
  let leader = await cluster.startReplica();
  await waitFor('the first replica leads', 15_000, async () => (await leader.healthz()) === 'leader');
  let standby = await cluster.startStandby(leader);
  let previous: string[] = [];
  const rounds: FailoverRound[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const result = await failoverRound(cluster, {
      leader,
      standby,
      round,
      scale: SCALE,
      killAfterStarts: KILL_AFTER_STARTS,
      previous,
      leaseTtlSeconds: TTL_S,
    });
    rounds.push(result);
    assert.ok(result.startedAtKill < SCALE, `round ${round}: the kill came after the apply (${result.startedAtKill} of ${SCALE} started)`);
    assert.equal(result.standbyRoleAtKill, 'standby');
    assert.equal(result.standbyWritesAtKill, 0, `round ${round}: the standby made Docker write requests while a standby`);
    assert.ok(result.tookOverMs <= (TTL_S + 2) * 1000, `round ${round}: took over ${result.tookOverMs} ms after the kill`);
    assert.deepEqual(result.live, result.expected);
    assertAlone(result, round, cluster.hosts.length);
    const status = await standby.daemon.stack(result.late);
    assert.deepEqual(status?.leadership, { replica: standby.name, role: 'leader', leader: standby.name });
    previous = [result.big, result.late];
    leader = standby;
    standby = await cluster.startStandby(leader);
  }
  pair = { leader, standby };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  process.stderr.write(
    `failover, ${ROUNDS} rounds, lease TTL ${TTL_S} s: took over after ${rounds.map((r) => r.tookOverMs).join(', ')} ms ` +
      `(median ${median(rounds.map((r) => r.tookOverMs))}), converged after ${rounds.map((r) => r.convergedMs).join(', ')} ms ` +
      `(median ${median(rounds.map((r) => r.convergedMs))}); started at the kill: ${rounds.map((r) => r.startedAtKill).join(', ')}; ` +
      `the new leader's leadership changes after the kill: ${rounds.map((r) => r.leadershipChanges.length).join(', ')}\n`,
  );
});

test('a leader paused in the middle of an apply resumes fenced: after the new leader removed its stack, it sends nothing', async () => {
  assert.ok(pair, 'the replicas of the test before');
  const { leader, standby } = pair;
  await waitFor(
    'the leader and the standby',
    15_000,
    async () => (await leader.healthz()) === 'leader' && (await standby.healthz()) === 'standby',
  );
  const paused = cluster.stackName('paused');
  const events = await cluster.watchEvents();
  try {
    cluster.remote.write(`stacks/${paused}/stack.yml`, `template: web\nanswers:\n  scale: ${SCALE}\n`).push(`${paused}`);
    await Promise.all([leader.webhook(), standby.webhook()]);
    await waitFor(`${KILL_AFTER_STARTS} starts of ${paused}`, 60_000, async () => events.count(paused, 'start') >= KILL_AFTER_STARTS, 10);
    leader.daemon.signal('SIGSTOP');
    assert.ok(events.count(paused, 'start') < SCALE, 'paused in the middle of the apply');
    cluster.remote.remove(`stacks/${paused}`).push(`${paused} removed while its leader is paused`);
    await standby.webhook();
    await waitFor('the standby leads', (TTL_S + 4) * 1000, async () => (await standby.healthz()) === 'leader', 20);
    await waitFor(
      `no container of ${paused} left`,
      60_000,
      async () => !(await cluster.liveContainers()).some((n) => n.startsWith(`${paused}-`)),
    );

    const resumedAt = Date.now();
    leader.daemon.signal('SIGCONT');
    await waitFor('the resumed replica says standby', 15_000, async () => (await leader.healthz()) === 'standby');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const afterResume = events.list().filter((e) => e.at >= resumedAt && e.stack === paused);
    assert.deepEqual(afterResume, [], 'the resumed old leader sent Docker operations');
    assert.ok((await leader.metric('corral_ha_fenced_operations_total')) >= 1, 'its apply had operations left, refused by the fence');
    assert.deepEqual(
      (await cluster.liveContainers()).filter((n) => n.startsWith(`${paused}-`)),
      [],
    );
  } finally {
    events.stop();
  }
});

/**
 * Who sent what, from the hosts' event streams. The killed leader worked on the round's big stack
 * only (creates and starts); a request it sent just before its death may complete later (Docker
 * finishes what it was asked), so between the kill and the new leader's lease there may be such
 * completions: creates and starts of the big stack, at most one per request it could have had in
 * flight. Everything only the new leader could do (the commit pushed after the kill, removing the
 * previous round's stacks) must come after it took the lease; so must every event after the gap.
 */
function assertAlone(result: FailoverRound, round: number, hostCount: number): void {
  const { killedAt, acquiredAt, events, big } = result;
  assert.ok(acquiredAt !== undefined, `round ${round}: the new leader logged when it took the lease`);
  assert.ok(acquiredAt > killedAt, `round ${round}: the new leader took the lease ${acquiredAt - killedAt} ms after the kill`);
  const at = (e: FleetEvent) => `${e.action} ${e.container} on ${e.host} at kill ${e.at - killedAt >= 0 ? '+' : ''}${e.at - killedAt} ms`;
  const oldLeaders = (e: FleetEvent) => e.stack === big && (e.action === 'create' || e.action === 'start');
  const beforeKill = events.filter((e) => e.at <= killedAt);
  const gap = events.filter((e) => e.at > killedAt && e.at < acquiredAt);
  const byNew = events.filter((e) => e.at >= acquiredAt);
  assert.deepEqual(beforeKill.filter((e) => !oldLeaders(e)).map(at), [], `round ${round}: before the kill, only the leader's work`);
  assert.deepEqual(
    gap.filter((e) => !oldLeaders(e)).map(at),
    [],
    `round ${round}: between the kill and the new lease (+${acquiredAt - killedAt} ms), only completions of the dead leader's requests` +
      ` (the new leader's changes after the kill: ${result.leadershipChanges.map((c) => `${c.role} at +${c.at - killedAt} ms`).join(', ')})`,
  );
  const inFlightAtMost = DEFAULT_PER_HOST * hostCount;
  assert.ok(gap.length <= inFlightAtMost, `round ${round}: ${gap.length} completions after the kill: ${gap.map(at).join(', ')}`);
  assert.ok(
    beforeKill.length > 0 && byNew.length > 0,
    `round ${round}: both leaders worked (${beforeKill.length} and ${byNew.length} events)`,
  );
  const onlyNew = events.filter((e) => !oldLeaders(e));
  assert.ok(onlyNew.length > 0, `round ${round}: the new leader removed the previous stacks or created the late one`);
  assert.deepEqual(
    onlyNew.filter((e) => e.at < acquiredAt).map(at),
    [],
    `round ${round}: work only the new leader could do, before it took the lease (+${acquiredAt - killedAt} ms)`,
  );
}
