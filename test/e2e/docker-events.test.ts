import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { type ContainerEvent, watchDockerEvents } from '../../src/daemon/docker-events.js';
import { CorralLabel } from '../../src/model/labels.js';
import { waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { clientOf, fleetHosts } from './sync-repo.js';

test('a lost event stream reconnects with growing backoff, then delivers events of managed containers only, a die once it lists as exited', async () => {
  await ensureFleet();
  const [h1] = await fleetHosts();
  assert.ok(h1 && h1.docker.kind === 'unix');
  const dir = mkdtempSync(join(tmpdir(), 'corral-events-'));
  const socketPath = join(dir, 'docker.sock');
  const host: HostConfig = { ...h1, docker: { kind: 'unix', url: `unix://${socketPath}`, socketPath } };
  const retries: number[] = [];
  const events: ContainerEvent[] = [];
  const docker = clientOf(h1);
  /** What a pass started on delivery would see: the container's state in the list. */
  const listedOnDelivery: Promise<string | undefined>[] = [];
  const stop = watchDockerEvents([host], {
    onEvent: (event) => {
      events.push(event);
      listedOnDelivery.push(docker.listContainers({ all: true, filters: { name: [event.container] } }).then((found) => found[0]?.State));
    },
    onStreamError: (_host, _message, retryInMs) => retries.push(retryInMs),
    initialBackoffMs: 50,
    maxBackoffMs: 200,
  });
  const names = ['events-managed', 'events-bystander'];
  try {
    await waitFor('four failed connects', 5000, async () => retries.length >= 4);
    assert.deepEqual(retries.slice(0, 4), [50, 100, 200, 200]);
    symlinkSync(h1.docker.socketPath, socketPath);
    await waitFor('the stream connected', 5000, async () => {
      const before = retries.length;
      await new Promise((r) => setTimeout(r, 300));
      return retries.length === before;
    });
    await new Promise((resolve, reject) =>
      docker.pull(IMAGES.busybox, (err: Error | null, stream: NodeJS.ReadableStream) =>
        err ? reject(err) : docker.modem.followProgress(stream, resolve),
      ),
    );
    const labels = { managed: { [CorralLabel.managed]: 'true', [CorralLabel.stack]: 'events-test' }, bystander: {} };
    const ids = new Map<string, string>();
    for (const [name, containerLabels] of [
      [names[0], labels.managed],
      [names[1], labels.bystander],
    ] as const) {
      const container = await docker.createContainer({
        name,
        Image: IMAGES.busybox,
        Cmd: ['sleep', '60'],
        Labels: containerLabels,
        // A published port: Docker then takes a few hundred ms after `die` to release the container.
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } },
      });
      ids.set(String(name), container.id);
      await container.start();
      await container.kill();
    }
    const died = await waitFor('the die event', 5000, async () => events.find((e) => e.action === 'die'));
    assert.deepEqual(died, {
      host: h1.name,
      stack: 'events-test',
      container: 'events-managed',
      id: ids.get('events-managed'),
      action: 'die',
    });
    assert.equal(await listedOnDelivery[events.indexOf(died)], 'exited', 'a die is delivered once the container lists as exited');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(
      events.every((e) => e.container === 'events-managed'),
      JSON.stringify(events),
    );
  } finally {
    stop();
    await Promise.all(
      names.map((name) =>
        docker
          .getContainer(name)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
});
