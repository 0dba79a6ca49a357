/**
 * A leader's fence on the fleet, over each transport (unix socket, TCP+TLS, ssh): an operation
 * that apply let through, whose fence then closed before its request left (a leader paused
 * between the two), reaches no Docker daemon; it is recorded skipped with the fence's reason.
 * While the fence holds, operations are sent as usual. The checks read the host through its
 * unix socket, the ground truth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply } from '../../src/apply/index.js';
import type { HostConfig } from '../../src/config/config.js';
import { CorralLabel } from '../../src/model/labels.js';
import { dockerClient } from '../../src/observe/index.js';
import type { Operation } from '../../src/plan/types.js';
import type { Transport } from './fleet.js';
import { clientOf, fleetHosts, uniqueName } from './sync-repo.js';

/** Open for the first `opens` questions, closed from then on: a lease that ran out meanwhile. */
function fenceOpenFor(opens: number): () => string | undefined {
  let left = opens;
  return () => (left-- > 0 ? undefined : 'the lease ran out');
}

function createVolume(host: string, name: string): Operation {
  return {
    id: '#1',
    kind: 'CreateVolume',
    host,
    target: name,
    stack: 'fence-test',
    dependsOn: [],
    cause: 'test',
    volume: { Name: name, Driver: 'local', DriverOpts: {}, Labels: { [CorralLabel.stack]: 'fence-test' } },
  };
}

async function volumeExists(host: HostConfig, name: string): Promise<boolean> {
  const found = await clientOf(host).listVolumes({ filters: { name: [name] } });
  return (found.Volumes ?? []).some((v) => v.Name === name);
}

for (const transport of ['unix', 'tls', 'ssh'] as Transport[]) {
  test(`over ${transport}: the fence closing between apply's check and the request leaving sends nothing; an open one sends`, async () => {
    const host = (await fleetHosts()).at(0) as HostConfig;
    const reached = (await fleetHosts(transport)).at(0) as HostConfig;
    const refusedNew = uniqueName(`fence-${transport}-new`);
    const refusedKept = uniqueName(`fence-${transport}-kept`);
    const sent = uniqueName(`fence-${transport}-sent`);
    try {
      // A new connection: apply's own check (1st question) passes, the request's (2nd) is refused.
      const fenceOfNew = fenceOpenFor(1);
      const onNew = dockerClient(reached.docker, { fence: fenceOfNew });
      const [newResult] = await apply(
        { stacks: [], operations: [createVolume(host.name, refusedNew)] },
        {
          clients: new Map([[host.name, onNew]]),
          fence: fenceOfNew,
        },
      );
      assert.deepEqual([newResult?.status, newResult?.error], ['skipped', 'the lease ran out']);

      // A kept-alive connection: a ping opens it, apply's check passes, the create is refused.
      const fenceOfKept = fenceOpenFor(2);
      const onKept = dockerClient(reached.docker, { fence: fenceOfKept });
      await onKept.ping();
      const [keptResult] = await apply(
        { stacks: [], operations: [createVolume(host.name, refusedKept)] },
        {
          clients: new Map([[host.name, onKept]]),
          fence: fenceOfKept,
        },
      );
      assert.deepEqual([keptResult?.status, keptResult?.error], ['skipped', 'the lease ran out']);

      const open = dockerClient(reached.docker, { fence: () => undefined });
      const [sentResult] = await apply(
        { stacks: [], operations: [createVolume(host.name, sent)] },
        {
          clients: new Map([[host.name, open]]),
          fence: () => undefined,
        },
      );
      assert.equal(sentResult?.status, 'ok', sentResult?.error);

      assert.deepEqual(
        {
          [refusedNew]: await volumeExists(host, refusedNew),
          [refusedKept]: await volumeExists(host, refusedKept),
          [sent]: await volumeExists(host, sent),
        },
        { [refusedNew]: false, [refusedKept]: false, [sent]: true },
      );
    } finally {
      for (const name of [refusedNew, refusedKept, sent])
        await clientOf(host)
          .getVolume(name)
          .remove()
          .catch(() => undefined);
    }
  });
}
