/**
 * Daemon latencies on the fleet (part of `npm run bench`), 10 runs each, medians:
 *  - commit to running: push a commit that adds a hello-web-like stack, announce it with a
 *    webhook, until its container answers on its published port;
 *  - self-heal: `docker kill` of a managed container until it runs again.
 */

import { Daemon, freePort, GitRemote, WEB_TEMPLATE, waitFor } from '../test/e2e/daemon-harness.js';
import { ensureFleet, IMAGES } from '../test/e2e/fleet.js';
import { cleanup, fleetHosts, killOneContainer } from '../test/e2e/sync-repo.js';

export interface DaemonLatencies {
  commitToRunning: number[];
  selfHeal: number[];
}

const SECRET = 'bench-webhook-secret';
const RUNS = 10;

export async function measureDaemon(): Promise<DaemonLatencies> {
  const configPath = (await ensureFleet()).configPath;
  const hosts = await fleetHosts();
  const stacks = Array.from({ length: RUNS }, (_, i) => `lat-${i + 1}`);
  await cleanup(hosts, stacks);
  const remote = new GitRemote();
  remote
    .write('catalog/templates/web/config.yml', WEB_TEMPLATE.config)
    .write('catalog/templates/web/0/docker-compose.yml', WEB_TEMPLATE.compose(IMAGES.busybox))
    .write('catalog/templates/web/0/rancher-compose.yml', WEB_TEMPLATE.rancher)
    .push('catalog');
  const daemon = new Daemon({ repo: remote.bare, config: configPath, interval: 300, port: freePort(), webhookSecret: SECRET }).start();
  const result: DaemonLatencies = { commitToRunning: [], selfHeal: [] };
  try {
    await waitFor('the daemon API', 20_000, async () => (await fetch(`${daemon.url}/healthz`)).ok);
    for (const stack of stacks) {
      const started = Date.now();
      const revision = remote.write(`stacks/${stack}/stack.yml`, 'template: web\n').push(`add ${stack}`);
      const body = JSON.stringify({ ref: 'refs/heads/main', after: revision });
      await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-gitlab-token': SECRET }, body });
      await waitFor(
        `${stack} answering`,
        30_000,
        async () => {
          const endpoint = (await daemon.stack(stack))?.endpoints[0];
          return endpoint !== undefined && (await fetch(`http://${endpoint.address}:${endpoint.port}/`)).ok;
        },
        10,
      );
      result.commitToRunning.push(Date.now() - started);
    }
    for (const stack of stacks) {
      const { name, container } = await killOneContainer(hosts, stack);
      const started = Date.now();
      await waitFor(`${name} running again`, 30_000, async () => (await container.inspect()).State.Running, 10);
      result.selfHeal.push(Date.now() - started);
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await daemon.stop('SIGKILL');
    await cleanup(hosts, stacks);
    remote.destroy();
  }
  return result;
}
