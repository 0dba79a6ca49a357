/** One Docker call (or two, to stay idempotent) per plan operation. */
import type Docker from 'dockerode';
import { CorralLabel } from '../model/labels.js';
import type { Operation } from '../plan/types.js';

const NOT_MODIFIED = 304;
const NOT_FOUND = 404;
const CONFLICT = 409;

export async function executeOperation(docker: Docker, op: Operation): Promise<void> {
  switch (op.kind) {
    case 'CreateNetwork':
      return createNetwork(docker, op.network.Name, op.network);
    case 'RemoveNetwork':
      return removeNetwork(docker, op.target);
    case 'CreateVolume':
      await docker.createVolume(op.volume);
      return;
    case 'PullImage':
      return pullImage(docker, op.target);
    case 'CreateContainer':
      return createContainer(docker, op.container, op.configHash);
    case 'ConnectNetwork':
      return retryingSwarmAttach(() => connectNetwork(docker, op.network, op.containerId ?? op.target, op.endpoint));
    case 'StartContainer':
      return retryingSwarmAttach(() => tolerate(docker.getContainer(op.containerId ?? op.target).start(), [NOT_MODIFIED]));
    case 'StopContainer':
      return tolerate(docker.getContainer(op.containerId).stop(), [NOT_MODIFIED, NOT_FOUND]);
    case 'RemoveContainer':
      return tolerate(docker.getContainer(op.containerId).remove({ force: true }), [NOT_FOUND]);
    case 'RenameContainer':
      return renameContainer(docker, op.containerId, op.newName);
    case 'AwaitReady':
      throw new Error('an upgrade gate is waited for by apply (./gate.ts), not sent to Docker');
  }
}

async function createNetwork(docker: Docker, name: string, spec: object): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  await tolerate(docker.createNetwork({ ...spec, Name: name, CheckDuplicate: true }), [CONFLICT]);
}

/**
 * A swarm manager frees an overlay network's endpoints on other hosts a moment after their
 * containers are gone ("network ... is in use by task ..."): the removal is tried again, with
 * growing pauses, for up to NETWORK_RELEASE_MS, then fails with Docker's message.
 */
const NETWORK_RELEASE_MS = 30_000;
const STILL_IN_USE = /is in use by task|has active endpoints/i;

async function removeNetwork(docker: Docker, name: string): Promise<void> {
  const deadline = Date.now() + NETWORK_RELEASE_MS;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
    try {
      await tolerate(docker.getNetwork(name).remove(), [NOT_FOUND]);
      return await networkGone(docker, name, deadline);
    } catch (err) {
      if (!STILL_IN_USE.test(messageOf(err)) || Date.now() + pause > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * A swarm manager accepts the removal of an overlay network and lists it for a moment more,
 * while the swarm frees its addresses; a bridge is gone at once. Waits (until the deadline)
 * for the network to be gone, so that the status read right after does not show it pending.
 */
async function networkGone(docker: Docker, name: string, deadline: number): Promise<void> {
  for (let pause = 100; Date.now() + pause <= deadline; pause = Math.min(pause * 2, 1000)) {
    const listed = await docker.listNetworks({ filters: { name: [name] } });
    if (!listed.some((n) => n.Name === name)) return;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * A container joining an overlay network waits for the swarm manager to allocate its address.
 * On a busy swarm, Docker gives up after 20 s ("attaching to network failed, ... context
 * deadline exceeded"), or the host does not know a just-created network yet ("network
 * <name or swarm id> not found"); the container is left as it was. Tried up to SWARM_ATTACH_TRIES
 * times, a few seconds apart.
 */
const SWARM_ATTACH_TRIES = 4;
const SWARM_ATTACH_TIMEOUT = /attaching to network failed.*deadline exceeded|network \S+ not found/i;

async function retryingSwarmAttach(call: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= SWARM_ATTACH_TRIES || !SWARM_ATTACH_TIMEOUT.test(messageOf(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A container of that name with the same config hash counts as created (an earlier apply got this far). */
async function createContainer(docker: Docker, spec: { name: string } & Record<string, unknown>, configHash: string): Promise<void> {
  try {
    await docker.createContainer(spec as Docker.ContainerCreateOptions);
  } catch (err) {
    if (statusOf(err) !== CONFLICT) throw err;
    const existing = await docker.getContainer(spec.name).inspect();
    if (existing.Config.Labels?.[CorralLabel.configHash] === configHash) return;
    throw new Error(`a container named ${spec.name} already exists with another configuration`);
  }
}

/** A container that has the new name already counts as renamed (an earlier apply got this far). */
async function renameContainer(docker: Docker, containerId: string, newName: string): Promise<void> {
  const container = docker.getContainer(containerId);
  try {
    await container.rename({ name: newName });
  } catch (err) {
    const info = await container.inspect().catch(() => undefined);
    if (info?.Name === `/${newName}`) return;
    throw err;
  }
}

/** A container already on the network counts as connected (an earlier apply got this far). */
async function connectNetwork(docker: Docker, network: string, container: string, endpoint: object): Promise<void> {
  try {
    await docker.getNetwork(network).connect({ Container: container, EndpointConfig: endpoint });
  } catch (err) {
    const info = await docker
      .getContainer(container)
      .inspect()
      .catch(() => undefined);
    if (info?.NetworkSettings?.Networks?.[network]) return;
    throw err;
  }
}

function pullImage(docker: Docker, image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.pull(image, (err: unknown, stream: NodeJS.ReadableStream) => {
      if (err) return reject(err);
      docker.modem.followProgress(stream, (error: unknown, output: { error?: string }[]) => {
        const failure = error ?? output.find((event) => event.error)?.error;
        if (failure) reject(failure instanceof Error ? failure : new Error(String(failure)));
        else resolve();
      });
    });
  });
}

async function tolerate(call: Promise<unknown>, statuses: number[]): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!statuses.includes(statusOf(err) ?? 0)) throw err;
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}
