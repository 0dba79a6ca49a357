/**
 * Catalogs named in the config, a git repository (extra) and a folder (team): `corral run`
 * converges a stack that uses a template of each, follows new commits of the git catalog, and
 * `corral validate` / `corral plan` read the same desired state as the daemon.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { HostConfig } from '../../src/config/config.js';
import { Daemon, freePort, GitRemote, ROOT, WEB_TEMPLATE, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, clientOf, fleetHosts, placementOf } from './sync-repo.js';

const INTERVAL_S = 2;
const STACK = 'ctl-extra';
const TEAM_STACK = 'ctl-team';
let hosts: HostConfig[];
let repo: GitRemote;
let catalog: GitRemote;
/** Its work tree is the folder catalog `team`. */
let teamCatalog: GitRemote;
let daemon: Daemon;
let configPath: string;

function corral(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'corral'), ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The stack's container and the environment it was created with. */
async function runningEnv(): Promise<string[] | undefined> {
  const [entry] = await placementOf(hosts, STACK);
  if (!entry) return undefined;
  const [hostName, name] = entry.split(':');
  const host = hosts.find((h) => h.name === hostName);
  if (!host || !name) return undefined;
  const info = await clientOf(host).getContainer(name).inspect();
  return info.State.Running ? info.Config.Env : undefined;
}

before(async () => {
  const fleet = await ensureFleet();
  hosts = await fleetHosts();
  await cleanup(hosts, [STACK, TEAM_STACK]);
  catalog = new GitRemote();
  catalog.webTemplate(IMAGES.busybox, '').push('a catalog of one template');
  teamCatalog = new GitRemote();
  teamCatalog.webTemplate(IMAGES.busybox, '');
  repo = new GitRemote();
  repo
    .write(`stacks/${STACK}/stack.yml`, 'template: extra:web\n')
    .write(`stacks/${TEAM_STACK}/stack.yml`, 'template: team:web\n')
    .push('a stack from each extra catalog');
  configPath = join(catalog.base, 'corral.yml');
  const catalogs =
    `catalogs:\n  - name: extra\n    url: ${pathToFileURL(catalog.bare).href}\n    branch: main\n` +
    `  - name: team\n    directory: ${teamCatalog.work}\n`;
  writeFileSync(configPath, `${readFileSync(fleet.configPath, 'utf8')}\n${catalogs}`);
  daemon = new Daemon({ repo: repo.bare, config: configPath, interval: INTERVAL_S, port: freePort() }).start();
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, [STACK, TEAM_STACK]);
  repo?.destroy();
  catalog?.destroy();
  teamCatalog?.destroy();
});

for (const [stack, kind] of [
  [STACK, 'a git repository'],
  [TEAM_STACK, 'a folder'],
] as const) {
  test(`a stack using a template of a catalog named in the config (${kind}) converges under corral run`, async () => {
    const status = await waitFor(`${stack} Synced and Healthy`, 30_000, async () => {
      const s = await daemon.stack(stack);
      return s?.sync === 'Synced' && s.health === 'Healthy' ? s : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${daemon.log.slice(-3000)}`);
    });
    assert.equal(status.template, 'web');
    assert.deepEqual(
      status.services.map(({ name, desired, running, healthy }) => ({ name, desired, running, healthy })),
      [{ name: 'web', desired: 1, running: 1, healthy: 1 }],
    );
    assert.equal((await placementOf(hosts, stack)).length, 1, 'one container on the fleet');
  });
}

test('validate and plan read the same desired state as the daemon: valid, nothing left to change', () => {
  const validate = corral('validate', '--repo', repo.work, '--config', configPath);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, /2 of 2 stacks valid; 0 errors/);
  const plan = corral('plan', '--repo', repo.work, '--config', configPath, '--exit-code');
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /^stack ctl-extra: no changes/m);
  assert.match(plan.stdout, /^stack ctl-team: no changes/m);
});

test('a new commit of the catalog is followed: the stack is recreated from the new template', async () => {
  catalog
    .write(
      'templates/web/0/docker-compose.yml',
      WEB_TEMPLATE.compose(IMAGES.busybox).replace('  ports:', '  environment:\n    EDITION: "2"\n  ports:'),
    )
    .push('the template gets an environment variable');
  const env = await waitFor('the container with EDITION=2', INTERVAL_S * 1000 + 20_000, async () =>
    (await runningEnv())?.includes('EDITION=2') ? await runningEnv() : undefined,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${daemon.log.slice(-3000)}`);
  });
  assert.ok(env?.includes('EDITION=2'));
  // The new container runs before the upgrade is over: its gate (min_ready) still holds the old one.
  let plan: ReturnType<typeof corral> | undefined;
  await waitFor('the upgrade done: no changes left', 30_000, async () => {
    plan = corral('plan', '--repo', repo.work, '--config', configPath, '--stack', STACK, '--exit-code');
    return plan.code === 0 ? plan : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${plan?.stdout}${plan?.stderr}\n${daemon.log.slice(-3000)}`);
  });
});
