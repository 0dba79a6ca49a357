/**
 * Replicas of `corral run` with leader election on the fleet's etcd, for the failover test and
 * `npm run bench:ha`: a git remote with the web template, a config with an `ha:` section (a key
 * of its own per run), replicas as child processes, and the hosts' Docker event streams.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import { Daemon, freePort, GitRemote, WEB_TEMPLATE, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts } from './sync-repo.js';

const SECRET = 'ha-webhook-secret';
/** Docker actions that show an operation of a controller (a stop shows as kill … die … stop). */
const ACTIONS = new Set(['create', 'start', 'kill', 'die', 'stop', 'destroy']);

export class HaCluster {
  readonly remote = new GitRemote();
  readonly replicas: Replica[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'corral-ha-'));
  private readonly configPath = join(this.dir, 'corral.yml');
  private readonly stacks = new Set<string>();
  private count = 0;

  private constructor(
    readonly hosts: HostConfig[],
    /** Every stack of the run starts with it, so the run finds its own containers and events. */
    readonly prefix: string,
  ) {}

  static async create(options: { prefix: string; leaseTtlSeconds: number }): Promise<HaCluster> {
    const fleet = await ensureFleet();
    const cluster = new HaCluster(await fleetHosts(), options.prefix);
    const ha = [
      'ha:',
      `  endpoints: [${fleet.etcdEndpoints.join(', ')}]`,
      `  lease_ttl: ${options.leaseTtlSeconds}`,
      `  election_key: corral-test/${options.prefix}-${Date.now()}`,
    ];
    writeFileSync(cluster.configPath, `${readFileSync(fleet.configPath, 'utf8')}\n${ha.join('\n')}\n`);
    cluster.remote
      .write('catalog/templates/web/config.yml', WEB_TEMPLATE.config)
      .write('catalog/templates/web/0/docker-compose.yml', WEB_TEMPLATE.compose(IMAGES.busybox))
      .write('catalog/templates/web/0/rancher-compose.yml', WEB_TEMPLATE.rancher)
      .push('the web template');
    return cluster;
  }

  /** A stack name of this run (cleaned up by destroy). */
  stackName(what: string): string {
    const name = `${this.prefix}-${what}`;
    this.stacks.add(name);
    return name;
  }

  /** Starts a replica and waits for its API. */
  async startReplica(): Promise<Replica> {
    this.count += 1;
    const replica = new Replica(`replica-${this.count}`, this.remote.bare, this.configPath);
    this.replicas.push(replica);
    replica.daemon.start();
    await waitFor(`${replica.name} answers`, 20_000, async () => (await replica.healthz()) !== '');
    return replica;
  }

  /** Starts a replica and waits until it is a standby that knows `leader` leads. */
  async startStandby(leader: Replica): Promise<Replica> {
    const standby = await this.startReplica();
    await waitFor(`${standby.name} is a standby that knows the leader`, 20_000, async () => {
      const [health, statuses] = await Promise.all([standby.healthz(), standby.daemon.stacks()]);
      return health === 'standby' && statuses.every((s) => s.leadership?.leader === leader.name);
    });
    return standby;
  }

  /** Names of the run's containers on every host, sorted; one that is not running carries its state. */
  async liveContainers(): Promise<string[]> {
    const found = await Promise.all(
      this.hosts.map(async (host) => {
        const containers = await clientOf(host).listContainers({ all: true, filters: { label: [`${CorralLabel.managed}=true`] } });
        return containers
          .filter((c) => (c.Labels[CorralLabel.stack] ?? '').startsWith(`${this.prefix}-`))
          .map((c) => `${(c.Names[0] ?? '').replace(/^\//, '')}${c.State === 'running' ? '' : ` (${c.State})`}`);
      }),
    );
    return found.flat().sort();
  }

  watchEvents(): Promise<FleetEvents> {
    return FleetEvents.watch(this.hosts, `${this.prefix}-`);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.daemon.stop('SIGKILL')));
    await cleanup(this.hosts, [...this.stacks]);
    this.remote.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Replica {
  readonly daemon: Daemon;

  constructor(
    readonly name: string,
    repo: string,
    config: string,
  ) {
    this.daemon = new Daemon({ repo, config, interval: 30, port: freePort(), webhookSecret: SECRET, args: ['--replica-name', name] });
  }

  async healthz(): Promise<string> {
    return (await (await fetch(`${this.daemon.url}/healthz`)).text()).trim();
  }

  /** A GitLab push webhook: fetch now. */
  async webhook(): Promise<void> {
    const response = await fetch(`${this.daemon.url}/api/v1/webhook`, {
      method: 'POST',
      headers: { 'x-gitlab-token': SECRET, 'content-type': 'application/json' },
      body: JSON.stringify({ ref: 'refs/heads/main' }),
    });
    if (response.status !== 202) throw new Error(`${this.name}: webhook answered ${response.status}`);
  }

  /** Its leadership changes as its log tells them, in order (epoch ms: the clock of Docker's events too). */
  leadershipChanges(): LoggedLeadershipChange[] {
    return this.daemon.log
      .split('\n')
      .filter((l) => l.includes('"leadership acquired') || l.includes('"leadership lost'))
      .map((l) => ({
        at: Date.parse((JSON.parse(l) as { timestamp: string }).timestamp),
        role: l.includes('"leadership acquired') ? ('leader' as const) : ('standby' as const),
      }));
  }

  /**
   * When its log first said it took the lease after `after` (a leader that could not renew its
   * lease in time on a loaded machine steps down and may take it again later: that later
   * acquisition is not the takeover).
   */
  acquiredAfter(after: number): number | undefined {
    return this.leadershipChanges().find((change) => change.role === 'leader' && change.at > after)?.at;
  }

  /** Docker API requests that change something (POST, DELETE) this replica made, from its /metrics. */
  async dockerWrites(): Promise<number> {
    const text = await (await fetch(`${this.daemon.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => /^corral_docker_api_request_duration_seconds_count\{.*request="(POST|DELETE) /.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  /** The value of an unlabelled metric. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.daemon.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? Number.NaN);
  }
}

/** A line of a replica's log saying it took the lease (leader) or lost it (standby). */
export interface LoggedLeadershipChange {
  at: number;
  role: 'leader' | 'standby';
}

export interface FleetEvent {
  host: string;
  /** Epoch milliseconds, from Docker's timeNano. */
  at: number;
  action: string;
  container: string;
  stack: string;
}

/** Docker event streams of every host, for managed containers of stacks with a given prefix. */
class FleetEvents {
  private readonly events: FleetEvent[] = [];
  private readonly streams: NodeJS.ReadableStream[] = [];

  private constructor(private readonly stackPrefix: string) {}

  static async watch(hosts: HostConfig[], stackPrefix: string): Promise<FleetEvents> {
    const watcher = new FleetEvents(stackPrefix);
    await Promise.all(hosts.map((host) => watcher.follow(host)));
    return watcher;
  }

  count(stack: string, action: string): number {
    return this.events.filter((e) => e.stack === stack && e.action === action).length;
  }

  /** Every event so far, oldest first. */
  list(): FleetEvent[] {
    return [...this.events].sort((a, b) => a.at - b.at);
  }

  stop(): void {
    for (const stream of this.streams) (stream as unknown as { destroy(): void }).destroy();
  }

  private async follow(host: HostConfig): Promise<void> {
    const docker: Docker = clientOf(host);
    const stream = await docker.getEvents({ filters: { type: ['container'], label: [`${CorralLabel.managed}=true`] } });
    this.streams.push(stream);
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.add(host.name, line);
    });
    stream.on('error', () => undefined);
  }

  private add(host: string, line: string): void {
    if (line.trim() === '') return;
    const event = JSON.parse(line) as { Action?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
    const stack = event.Actor?.Attributes?.[CorralLabel.stack] ?? '';
    const action = event.Action ?? '';
    if (!stack.startsWith(this.stackPrefix) || !ACTIONS.has(action)) return;
    const at = Number(BigInt(event.timeNano ?? 0) / 1_000_000n);
    this.events.push({ host, at, action, container: event.Actor?.Attributes?.['name'] ?? '', stack });
  }
}

/** `<stack>-web-1` … `<stack>-web-<scale>`, the web template's containers. */
function webContainers(stack: string, scale: number): string[] {
  return Array.from({ length: scale }, (_, i) => `${stack}-web-${i + 1}`);
}

export interface FailoverRound {
  leader: Replica;
  standby: Replica;
  /** The 20-container stack whose apply the kill interrupts, and the stack of the commit pushed after the kill. */
  big: string;
  late: string;
  /** Epoch ms when the killed leader was reaped, and when the standby's log says it took the lease. */
  killedAt: number;
  acquiredAt?: number;
  /** The standby's leadership changes after the kill, from its log: one, unless it lost the lease again and took it back. */
  leadershipChanges: LoggedLeadershipChange[];
  /** Containers of `big` started when the leader died. */
  startedAtKill: number;
  standbyRoleAtKill: string;
  standbyWritesAtKill: number;
  /** Kill to the standby's /healthz saying leader; kill to exactly the desired containers, Synced. */
  tookOverMs: number;
  convergedMs: number;
  expected: string[];
  live: string[];
  events: FleetEvent[];
}

/**
 * One round: a commit adds a stack of `scale` containers; once `killAfterStarts` have started, the
 * leader is killed (SIGKILL); a commit pushed after the kill removes the stacks of `previous`
 * and adds a small one; then the standby must lead and converge both.
 */
export async function failoverRound(
  cluster: HaCluster,
  options: {
    leader: Replica;
    standby: Replica;
    round: number;
    scale: number;
    killAfterStarts: number;
    previous: string[];
    leaseTtlSeconds: number;
  },
): Promise<FailoverRound> {
  const { leader, standby, round, scale, killAfterStarts, previous } = options;
  const big = cluster.stackName(`r${round}`);
  const late = cluster.stackName(`late${round}`);
  const events = await cluster.watchEvents();
  try {
    cluster.remote.write(`stacks/${big}/stack.yml`, `template: web\nanswers:\n  scale: ${scale}\n`).push(`round ${round}: ${big}`);
    await Promise.all([leader.webhook(), standby.webhook()]);
    await waitFor(`${killAfterStarts} starts of ${big}`, 60_000, async () => events.count(big, 'start') >= killAfterStarts, 10);
    await leader.daemon.stop('SIGKILL');
    const killedAt = Date.now();
    const startedAtKill = events.count(big, 'start');
    const [standbyRoleAtKill, standbyWritesAtKill] = await Promise.all([standby.healthz(), standby.dockerWrites()]);

    for (const name of previous) cluster.remote.remove(`stacks/${name}`);
    cluster.remote
      .write(`stacks/${late}/stack.yml`, 'template: web\nanswers:\n  scale: 2\n')
      .push(`round ${round}: ${late}, after the kill`);
    await standby.webhook();
    await waitFor(
      `round ${round}: the standby leads`,
      (options.leaseTtlSeconds + 10) * 1000,
      async () => (await standby.healthz()) === 'leader',
      20,
    );
    const tookOverMs = Date.now() - killedAt;
    const expected = [...webContainers(big, scale), ...webContainers(late, 2)].sort();
    let live: string[] = [];
    await waitFor(`round ${round}: exactly the desired containers, running and Synced`, 120_000, async () => {
      const [containers, statuses] = await Promise.all([cluster.liveContainers(), standby.daemon.stacks()]);
      live = containers;
      const synced = [big, late].every((name) => {
        const status = statuses.find((s) => s.name === name);
        return status?.sync === 'Synced' && status.health === 'Healthy';
      });
      return synced && live.length === expected.length && live.every((name, i) => name === expected[i]);
    });
    const convergedMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const acquiredAt = standby.acquiredAfter(killedAt);
    const leadershipChanges = standby.leadershipChanges().filter((change) => change.at > killedAt);
    return {
      leader,
      standby,
      big,
      late,
      killedAt,
      ...(acquiredAt === undefined ? {} : { acquiredAt }),
      leadershipChanges,
      startedAtKill,
      standbyRoleAtKill,
      standbyWritesAtKill,
      tookOverMs,
      convergedMs,
      expected,
      live,
      events: events.list(),
    };
  } finally {
    events.stop();
  }
}
