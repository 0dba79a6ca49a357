/**
 * Helpers for the sync end-to-end tests: a GitOps repository in a temp dir, one reconcile
 * pass limited to the test's own stacks (other people's stacks on the fleet are never
 * touched), and cleanup of every container, network and volume a test made.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { OperationResult } from '../../src/apply/index.js';
import type { HostConfig } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { CorralLabel } from '../../src/model/labels.js';
import { dockerClient } from '../../src/observe/index.js';
import { DEFAULT_POLICY, type Grant, type Policy, templateKey } from '../../src/policy/index.js';
import { type ReconcileInput, type ReconcileResult, reconcile } from '../../src/reconcile/index.js';
import { loadDesiredState } from '../../src/render/index.js';
import { readDirectoryTree } from '../../src/source/directory.js';
import { fleetConfigPath, IMAGES, type Transport } from './fleet.js';

export const BUSYBOX = IMAGES.busybox;

/** Template `spread`: service `app`, a sleeper, at most one a host (container_label_ne on itself); `scale` is asked. */
const SPREAD = `version: '2'
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    labels:
      io.rancher.scheduler.affinity:container_label_ne: io.rancher.stack_service.name=$\${stack_name}/$\${service_name}
`;

/** The fleet's hosts, reached over `transport`; brings the fleet up first if it is not running. */
export async function fleetHosts(transport: Transport = 'unix'): Promise<HostConfig[]> {
  return (await loadConfig(await fleetConfigPath(transport))).hosts;
}

/** The policy of the fleet's corral.yml, as `corral sync --config` would apply it. */
async function fleetPolicy(): Promise<Policy | undefined> {
  return (await loadConfig(await fleetConfigPath('unix'))).policy;
}

/** A short random suffix, so that concurrent runs on the shared fleet never share a stack name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}

export class TestRepo {
  readonly dir = mkdtempSync(join(tmpdir(), 'corral-e2e-'));
  /** Grants by template of this repository, on top of the fleet's policy. */
  private readonly grants = new Map<string, Grant[]>();

  /** The project's bundled catalog (etcd, hello-web, …). */
  withBundledCatalog(root: string): this {
    cpSync(join(root, 'catalog'), join(this.dir, 'catalog'), { recursive: true });
    return this;
  }

  /** The `spread` template (above). */
  withSpread(): this {
    return this.template('spread', SPREAD, 'app:\n  scale: ${scale}\n');
  }

  template(name: string, dockerCompose: string, rancherCompose = ''): this {
    const dir = join(this.dir, 'catalog', 'templates', name);
    mkdirSync(join(dir, '0'), { recursive: true });
    writeFileSync(join(dir, 'config.yml'), `name: ${name}\nversion: 1.0.0\n`);
    writeFileSync(join(dir, '0', 'docker-compose.yml'), dockerCompose);
    writeFileSync(
      join(dir, '0', 'rancher-compose.yml'),
      `.catalog:\n  version: 1.0.0\n  questions:\n    - variable: scale\n      type: int\n      default: 1\n${rancherCompose}`,
    );
    return this;
  }

  /** Lets the stacks of one of this repository's templates use `grants` (host_network, …), as an operator's policy would. */
  allow(template: string, ...grants: Grant[]): this {
    this.grants.set(templateKey('library', template), grants);
    return this;
  }

  stack(name: string, template: string, answers: Record<string, string | number> = {}): this {
    mkdirSync(join(this.dir, 'stacks', name), { recursive: true });
    const lines = Object.entries(answers).map(([k, v]) => `  ${k}: "${v}"`);
    writeFileSync(
      join(this.dir, 'stacks', name, 'stack.yml'),
      `template: ${template}\nanswers:\n${lines.join('\n') || '  {}'}\n`.replace('answers:\n  {}', 'answers: {}'),
    );
    return this;
  }

  removeStack(name: string): this {
    rmSync(join(this.dir, 'stacks', name), { recursive: true, force: true });
    return this;
  }

  /** One pass over the test's stacks; `extra` adds reconcile options (a memory of the hosts, a clock, a history, Docker clients, an observation). */
  async sync(
    hosts: HostConfig[],
    only: string[],
    dryRun = false,
    extra: Pick<ReconcileInput, 'memory' | 'now' | 'history' | 'clients' | 'observation'> = {},
  ): Promise<ReconcileResult> {
    const policy = this.withGrants(await fleetPolicy());
    const state = loadDesiredState(await readDirectoryTree(this.dir, ['catalog', 'stacks']), policy ? { policy } : {});
    return reconcile({ hosts, desired: state.stacks, failed: state.failed, prune: true, only, dryRun, ...extra });
  }

  private withGrants(policy: Policy | undefined): Policy | undefined {
    if (this.grants.size === 0) return policy;
    const base = policy ?? DEFAULT_POLICY;
    const templates = { ...base.templates };
    for (const [key, allow] of this.grants) templates[key] = { allow, bindMounts: templates[key]?.bindMounts ?? [] };
    return { ...base, templates };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function clientOf(host: HostConfig): Docker {
  return dockerClient(host.docker);
}

/** `h1:web-app-1` for every container of the stack, sorted. */
export async function placementOf(hosts: HostConfig[], stack: string): Promise<string[]> {
  const found = await Promise.all(
    hosts.map(async (host) => {
      const containers = await clientOf(host).listContainers({ all: true, filters: { label: [`${CorralLabel.stack}=${stack}`] } });
      return containers.map((c) => `${host.name}:${(c.Names[0] ?? '').replace(/^\//, '')}`);
    }),
  );
  return found.flat().sort();
}

/** `h1:corral-<stack>` for each of the stack's networks a host lists (bridges, and overlays where the swarm shows them), sorted. */
export async function networksOf(hosts: HostConfig[], stack: string): Promise<string[]> {
  const names = [`corral-${stack}`, `corral-${stack}_overlay`];
  const found = await Promise.all(
    hosts.map(async (host) => {
      const networks = await clientOf(host).listNetworks({ filters: { name: names } });
      return networks.filter((n) => names.includes(n.Name)).map((n) => `${host.name}:${n.Name}`);
    }),
  );
  return found.flat().sort();
}

/**
 * Removes every container, network and volume of the stacks, on every host: containers first,
 * everywhere, since an overlay network (removed through a swarm manager) goes only once no
 * container on any host uses it.
 */
export async function cleanup(hosts: HostConfig[], stacks: string[]): Promise<void> {
  const ignore = () => undefined;
  await Promise.all(
    hosts.map(async (host) => {
      const docker = clientOf(host);
      for (const stack of stacks) {
        const containers = await docker.listContainers({ all: true, filters: { label: [`${CorralLabel.stack}=${stack}`] } });
        await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(ignore)));
      }
    }),
  );
  await Promise.all(
    hosts.map(async (host) => {
      const docker = clientOf(host);
      const { Volumes: volumes } = await docker.listVolumes();
      for (const stack of stacks) {
        await docker.getNetwork(`corral-${stack}`).remove().catch(ignore);
        await Promise.all(
          (volumes ?? []).filter((v) => v.Name.startsWith(`${stack}_`)).map((v) => docker.getVolume(v.Name).remove().catch(ignore)),
        );
      }
    }),
  );
  await removeOverlays(hosts, stacks);
}

/** The stacks' overlay networks, through whichever host is a swarm manager; the swarm frees a removed container's endpoint a moment later, so this tries for up to 30 s. */
async function removeOverlays(hosts: HostConfig[], stacks: string[]): Promise<void> {
  const names = stacks.map((stack) => `corral-${stack}_overlay`);
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
    const left = await Promise.all(
      hosts.map(async (host) => {
        const docker = clientOf(host);
        const found = (await docker.listNetworks({ filters: { name: names } }).catch(() => [])).filter((n) => names.includes(n.Name));
        const failed = await Promise.all(
          found.map((n) =>
            docker
              .getNetwork(n.Id)
              .remove()
              .then(
                () => false,
                () => true,
              ),
          ),
        );
        return failed.some(Boolean);
      }),
    );
    if (!left.some(Boolean)) return;
  }
}

export function summary(result: ReconcileResult, stack: string): { converged: boolean; sync: string; health: string; ops: string[] } {
  const outcome = result.stacks.find((s) => s.stack === stack);
  if (!outcome) throw new Error(`no outcome for ${stack}: ${JSON.stringify(result.stacks.map((s) => s.stack))}`);
  return {
    converged: outcome.converged,
    sync: outcome.status.sync,
    health: outcome.status.health,
    ops: outcome.operations.map(operationLine),
  };
}

/** `CreateContainer h1:web-app-1 ok`, with the error after a failure. */
export function operationLine(result: OperationResult): string {
  const { operation } = result;
  return `${operation.kind} ${operation.host}:${operation.target} ${result.status}${result.error ? ` ${result.error}` : ''}`;
}

/** Kills (`docker kill`) the first container of the stack; returns it to watch it come back. */
export async function killOneContainer(hosts: HostConfig[], stack: string): Promise<{ name: string; container: Docker.Container }> {
  const [hostName, name] = ((await placementOf(hosts, stack))[0] ?? '').split(':');
  const host = hosts.find((h) => h.name === hostName);
  if (!host || !name) throw new Error(`no container of ${stack} on the fleet`);
  const container = clientOf(host).getContainer(name);
  await container.kill();
  return { name, container };
}
