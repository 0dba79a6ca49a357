/**
 * The daemon's health monitor: what corral knows of each running managed container beyond the
 * container list. It inspects each container once per start (pid, start time, restart count,
 * address, Docker's health-check output), probes the containers whose service has a
 * rancher-compose `health_check` every `interval` through the host's probe agent, and keeps the
 * probe state (consecutive results, first-seen time) per container start.
 *
 * Observations pass through `annotate` before they are planned and reported, so the plan and the
 * status read health as observed data. A change of a container's health calls `onChange` (the
 * controller logs it and converges the stack: strategies act through the normal plan).
 * Decisions (thresholds, timeouts, words) are made by the pure status/health-check.ts.
 */
import type Docker from 'dockerode';
import type { HostConfig } from '../config/config.js';
import { type DesiredService, type DesiredStack, serviceNamed } from '../model/desired.js';
import type { ContainerRuntime, HealthCheckSpec, ProbeState } from '../model/health.js';
import type { ObservedContainer, ObservedState } from '../model/observed.js';
import { ProbeAgent } from '../observe/probe-agent.js';
import { stackNetworkName } from '../plan/container-spec.js';
import { type ContainerHealthReport, containerHealth } from '../status/container-health.js';
import { checkTimeouts, interpretProbe, recordProbe, restartProbe, startProbe } from '../status/health-check.js';
import { Slots } from './slots.js';

const INSPECTS_PER_HOST = 8;
const INSPECT_RETRY_MS = 5000;
/** How long an upgrade gate's last question keeps a container followed without an observation that has it. */
const GATE_PIN_MS = 10_000;

export interface HealthChange {
  stack: string;
  service: string;
  container: string;
  host: string;
  from: ProbeState['status'] | 'unknown';
  to: ProbeState['status'] | 'unknown';
  detail: string;
}

export interface HealthMonitorOptions {
  hosts: readonly HostConfig[];
  /** One client per host, without a request timeout (the probe agent's connection stays open). */
  clients: ReadonlyMap<string, Docker>;
  probeImage: string;
  onChange: (change: HealthChange) => void;
  /** An inspect found news the status shows (a restart count, Docker's check output): the stack's status needs a pass. */
  onNews?: (stack: string) => void;
  now?: () => number;
}

interface Inspected extends ContainerRuntime {
  pid: number;
  /** Where the probe connects inside the container's network namespace. */
  address: string;
}

interface Entry {
  id: string;
  name: string;
  host: string;
  stack: string;
  service: string;
  spec?: HealthCheckSpec;
  inspected?: Inspected;
  inspecting: boolean;
  inspectFailedMs?: number;
  probe?: ProbeState;
  timer?: NodeJS.Timeout;
  probing: boolean;
  /** An upgrade gate asked for it until then: not dropped by an observation that lacks it. */
  pinnedUntilMs?: number;
}

export class HealthMonitor {
  private readonly entries = new Map<string, Entry>();
  private readonly agents = new Map<string, ProbeAgent>();
  private readonly inspectQueues = new Map<string, Slots>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: HealthMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Follows an observation: starts watching new running containers, forgets gone ones, picks up changed checks. */
  track(observed: ObservedState, desired: readonly DesiredStack[]): void {
    if (this.stopped) return;
    const seen = new Set<string>();
    // The containers followed on a host that cannot be read are kept as they are: one look through them for all such hosts.
    const unreachable = new Set(observed.hosts.filter((host) => !host.reachable).map((host) => host.name));
    if (unreachable.size > 0) for (const entry of this.entries.values()) if (unreachable.has(entry.host)) seen.add(entry.id);
    const stacksByName = new Map(desired.map((stack) => [stack.name, stack]));
    for (const host of observed.hosts) {
      if (!host.reachable) continue;
      for (const container of host.containers) {
        if (!container.owner || (container.state !== 'running' && container.state !== 'restarting')) continue;
        seen.add(container.id);
        const stack = stacksByName.get(container.owner.stack);
        this.follow(container, stack && serviceNamed(stack, container.owner.service));
      }
    }
    const now = this.now();
    for (const [id, entry] of this.entries) if (!seen.has(id) && (entry.pinnedUntilMs ?? 0) <= now) this.forget(entry);
  }

  /** The observation with each watched container's runtime data and probe state. */
  annotate(observed: ObservedState): ObservedState {
    return {
      ...observed,
      hosts: observed.hosts.map((host) => ({ ...host, containers: host.containers.map((c) => this.annotateContainer(c)) })),
    };
  }

  annotateContainer(container: ObservedContainer): ObservedContainer {
    const entry = this.entries.get(container.id);
    if (!entry) return container;
    const { pid: _pid, address: _address, ...runtime } = entry.inspected ?? {};
    return {
      ...container,
      ...(entry.inspected ? { runtime: runtime as ContainerRuntime } : {}),
      ...(entry.probe && entry.spec ? { probe: checkTimeouts(entry.probe, entry.spec, this.now()) } : {}),
    };
  }

  /**
   * For an upgrade gate: follows a container the last observation may not have had (a new one), keeps
   * it followed while the gate asks (an observation taken before it existed does not drop it), and
   * returns it with its probe state.
   */
  watch(container: ObservedContainer, service: DesiredService | undefined): ObservedContainer {
    if (this.stopped) return container;
    this.follow(container, service);
    const entry = this.entries.get(container.id);
    if (entry) entry.pinnedUntilMs = this.now() + GATE_PIN_MS;
    return this.annotateContainer(container);
  }

  /** For an upgrade gate: is this container healthy, and for how long has it run without a restart. */
  healthOf(container: ObservedContainer, service: DesiredService | undefined): ContainerHealthReport | undefined {
    return containerHealth(this.annotateContainer(container), service, this.now());
  }

  /** A Docker event of a managed container: a (re)start is inspected again, a removal forgotten. */
  noteEvent(host: string, containerId: string, action: string): void {
    const entry = this.entries.get(containerId);
    if (!entry || entry.host !== host) return;
    if (action === 'destroy') this.forget(entry);
    else if (action === 'start' || action.startsWith('health_status')) this.inspect(entry);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
  }

  private follow(container: ObservedContainer, service: DesiredService | undefined): void {
    const owner = container.owner;
    if (!owner) return;
    let entry = this.entries.get(container.id);
    if (!entry) {
      entry = {
        id: container.id,
        name: container.name,
        host: container.host,
        stack: owner.stack,
        service: owner.service,
        inspecting: false,
        probing: false,
      };
      this.entries.set(container.id, entry);
    }
    const spec = service?.healthCheck;
    if (JSON.stringify(spec) !== JSON.stringify(entry.spec)) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.probe = undefined;
      if (spec) entry.spec = spec;
      else delete entry.spec;
    }
    // The (re)initializing timeout counts from when the monitor first saw this start of the container.
    if (entry.spec && !entry.probe) entry.probe = startProbe(this.now());
    const retryInspect = entry.inspectFailedMs !== undefined && this.now() - entry.inspectFailedMs >= INSPECT_RETRY_MS;
    if (!entry.inspected && !entry.inspecting && (entry.inspectFailedMs === undefined || retryInspect)) this.inspect(entry);
    else if (entry.inspected && entry.spec && !entry.timer && !entry.probing) this.schedule(entry, 0);
  }

  private forget(entry: Entry): void {
    clearTimeout(entry.timer);
    this.entries.delete(entry.id);
  }

  private inspect(entry: Entry): void {
    const client = this.options.clients.get(entry.host);
    if (!client) return;
    entry.inspecting = true;
    void this.limiter(entry.host)
      .run(() => client.getContainer(entry.id).inspect())
      .then(
        (info) => {
          entry.inspecting = false;
          delete entry.inspectFailedMs;
          if (this.entries.get(entry.id) !== entry) return;
          this.inspected(entry, info);
        },
        () => {
          entry.inspecting = false;
          entry.inspectFailedMs = this.now();
        },
      );
  }

  private inspected(entry: Entry, info: Docker.ContainerInspectInfo): void {
    const previous = entry.inspected;
    const output = info.State.Health?.Log?.at(-1)?.Output?.trim().split('\n')[0]?.slice(0, 160);
    entry.inspected = {
      pid: info.State.Pid,
      address: this.addressOf(entry, info),
      startedAt: info.State.StartedAt,
      restartCount: info.RestartCount,
      ...(info.State.Health?.Status === 'unhealthy' && output ? { dockerHealthOutput: output } : {}),
    };
    const shown = (runtime: Inspected | undefined) => `${runtime?.restartCount}|${runtime?.dockerHealthOutput ?? ''}`;
    if (shown(previous) !== shown(entry.inspected) && (previous || entry.inspected.dockerHealthOutput)) this.options.onNews?.(entry.stack);
    const restarted = previous !== undefined && previous.startedAt !== info.State.StartedAt;
    if (restarted && entry.probe) entry.probe = restartProbe(entry.probe, this.now());
    if (!entry.spec || !info.State.Running) return;
    if (restarted || !entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      if (!entry.probing) this.schedule(entry, 0);
    }
  }

  /** The stack network's address; on the host network the host's address; sharing a namespace, loopback. */
  private addressOf(entry: Entry, info: Docker.ContainerInspectInfo): string {
    const mode = info.HostConfig.NetworkMode ?? '';
    if (mode === 'host') {
      const address = this.options.hosts.find((h) => h.name === entry.host)?.address ?? '';
      return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? address : '127.0.0.1';
    }
    const networks = info.NetworkSettings.Networks ?? {};
    const own = networks[stackNetworkName(entry.stack)]?.IPAddress;
    return own || Object.values(networks).find((n) => n.IPAddress)?.IPAddress || '127.0.0.1';
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (this.stopped || !entry.spec) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.probe(entry);
    }, delayMs);
  }

  private async probe(entry: Entry): Promise<void> {
    const spec = entry.spec;
    const inspected = entry.inspected;
    if (!spec || !inspected || this.entries.get(entry.id) !== entry) return;
    entry.probing = true;
    const startedMs = Date.now();
    entry.probe ??= startProbe(this.now());
    const reply = await this.agent(entry.host).probe({
      pid: inspected.pid,
      address: inspected.address,
      port: spec.port,
      timeoutMs: spec.responseTimeoutMs,
      ...(spec.http ? { http: spec.http } : {}),
    });
    entry.probing = false;
    if (this.entries.get(entry.id) !== entry || entry.spec !== spec || !entry.probe) return;
    if (reply.kind === 'gone') {
      // It stopped or restarted: not a result of its check. The inspect tells which; a restart reinitializes.
      this.inspect(entry);
    } else {
      const before = entry.probe;
      entry.probe = recordProbe(before, spec, interpretProbe(reply, spec), this.now());
      this.reportChange(entry, before, entry.probe);
    }
    // Probes start `interval` apart (as haproxy's `inter`), however long each one took.
    this.schedule(entry, Math.max(0, spec.intervalMs - (Date.now() - startedMs)));
  }

  private reportChange(entry: Entry, before: ProbeState, after: ProbeState): void {
    const word = (p: ProbeState) => (p.unknown !== undefined ? 'unknown' : p.status);
    if (word(before) === word(after)) return;
    this.options.onChange({
      stack: entry.stack,
      service: entry.service,
      container: entry.name,
      host: entry.host,
      from: word(before),
      to: word(after),
      detail: after.unknown ?? after.lastResult ?? '',
    });
  }

  private agent(host: string): ProbeAgent {
    let agent = this.agents.get(host);
    if (!agent) {
      const client = this.options.clients.get(host);
      if (!client) throw new Error(`no Docker client for host ${host}`);
      agent = new ProbeAgent(host, client, this.options.probeImage, this.now);
      this.agents.set(host, agent);
    }
    return agent;
  }

  private limiter(host: string): Slots {
    let limiter = this.inspectQueues.get(host);
    if (!limiter) {
      limiter = new Slots(INSPECTS_PER_HOST);
      this.inspectQueues.set(host, limiter);
    }
    return limiter;
  }
}
