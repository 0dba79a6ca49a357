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
      return tolerate(docker.getNetwork(op.target).remove(), [NOT_FOUND]);
    case 'CreateVolume':
      await docker.createVolume(op.volume);
      return;
    case 'PullImage':
      return pullImage(docker, op.target);
    case 'CreateContainer':
      return createContainer(docker, op.container, op.configHash);
    case 'StartContainer':
      return tolerate(docker.getContainer(op.containerId ?? op.target).start(), [NOT_MODIFIED]);
    case 'StopContainer':
      return tolerate(docker.getContainer(op.containerId).stop(), [NOT_MODIFIED, NOT_FOUND]);
    case 'RemoveContainer':
      return tolerate(docker.getContainer(op.containerId).remove({ force: true }), [NOT_FOUND]);
  }
}

async function createNetwork(docker: Docker, name: string, spec: object): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  await tolerate(docker.createNetwork({ ...spec, Name: name, CheckDuplicate: true }), [CONFLICT]);
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
