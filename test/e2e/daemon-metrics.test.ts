/**
 * `/metrics` of a running daemon on the fleet, read with a strict text-format parser:
 * a sync moves the reconcile, Docker API and git fetch histograms and counts the operations.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/config.js';
import { type Family, parseMetrics, samples, total } from '../daemon/prometheus-text.js';
import { Daemon, freePort, GitRemote, WEB_TEMPLATE, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, fleetHosts, killOneContainer } from './sync-repo.js';

const STACK = 'mtr-web';
const SECRET = 'metrics-webhook-secret';
let hosts: HostConfig[];
let remote: GitRemote;
let daemon: Daemon;

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${daemon.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

before(async () => {
  const { configPath } = await ensureFleet();
  hosts = await fleetHosts();
  await cleanup(hosts, [STACK]);
  remote = new GitRemote();
  remote
    .write('catalog/templates/web/config.yml', WEB_TEMPLATE.config)
    .write('catalog/templates/web/0/docker-compose.yml', WEB_TEMPLATE.compose(IMAGES.busybox))
    .write('catalog/templates/web/0/rancher-compose.yml', WEB_TEMPLATE.rancher)
    .write(`stacks/${STACK}/stack.yml`, 'template: web\nanswers:\n  scale: 2\n')
    .push('one stack');
  daemon = new Daemon({ repo: remote.bare, config: configPath, interval: 60, port: freePort(), webhookSecret: SECRET }).start();
  await waitFor(`${STACK} Synced and Healthy`, 30_000, async () => {
    const status = await daemon.stack(STACK);
    return status?.sync === 'Synced' && status.health === 'Healthy';
  });
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await cleanup(hosts, [STACK]);
  remote?.destroy();
});

test('the stack, its services and the process are on /metrics', async () => {
  const families = await scrape();
  assert.equal(total(families, 'corral_stack_sync', { stack: STACK, status: 'Synced' }), 1);
  assert.equal(total(families, 'corral_stack_health', { stack: STACK, status: 'Healthy' }), 1);
  assert.equal(total(families, 'corral_service_desired_containers', { stack: STACK, service: 'web' }), 2);
  assert.equal(total(families, 'corral_service_running_containers', { stack: STACK, service: 'web' }), 2);
  assert.equal(total(families, 'corral_docker_operations_total', { kind: 'CreateContainer', result: 'ok' }), 2);
  assert.ok(total(families, 'corral_git_fetch_duration_seconds', { result: 'changed' }) >= 1);
  for (const host of hosts) assert.ok(total(families, 'corral_docker_api_request_duration_seconds', { host: host.name }) > 0, host.name);
  assert.ok(total(families, 'process_resident_memory_bytes') > 0);
});

test('a sync after a killed container moves the histograms and counts the new operations', async () => {
  const before = await scrape();
  const stackPasses = total(before, 'corral_reconcile_duration_seconds', { pass: 'stack' });
  const apiCalls = total(before, 'corral_docker_api_request_duration_seconds');
  const starts = total(before, 'corral_docker_operations_total', { kind: 'StartContainer', result: 'ok' });
  const { name, container } = await killOneContainer(hosts, STACK);
  await waitFor(`${name} exited`, 5000, async () => !(await container.inspect()).State.Running);
  const response = await daemon.sync(STACK);
  assert.equal(response.status, 202);
  await waitFor(`${name} running again`, 10_000, async () => (await container.inspect()).State.Running);
  const afterSync = await waitFor('the stack pass recorded', 10_000, async () => {
    const families = await scrape();
    const moved =
      total(families, 'corral_reconcile_duration_seconds', { pass: 'stack' }) > stackPasses &&
      total(families, 'corral_docker_operations_total', { kind: 'StartContainer', result: 'ok' }) > starts;
    return moved ? families : undefined;
  });
  assert.ok(total(afterSync, 'corral_docker_api_request_duration_seconds') > apiCalls);
  const [infinite] = samples(
    afterSync,
    'corral_reconcile_duration_seconds',
    { pass: 'stack', result: 'ok', le: '+Inf' },
    'corral_reconcile_duration_seconds_bucket',
  );
  assert.equal(infinite?.value, total(afterSync, 'corral_reconcile_duration_seconds', { pass: 'stack', result: 'ok' }));
  const [sum] = samples(
    afterSync,
    'corral_reconcile_duration_seconds',
    { pass: 'stack', result: 'ok' },
    'corral_reconcile_duration_seconds_sum',
  );
  assert.ok((sum?.value ?? 0) > 0);
});

test('webhook deliveries are counted by provider and result; an accepted one fetches', async () => {
  const fetches = total(await scrape(), 'corral_git_fetch_duration_seconds');
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-gitlab-token': 'wrong' }, body });
  await fetch(`${daemon.url}/api/v1/webhook`, { method: 'POST', headers: { 'x-gitlab-token': SECRET }, body });
  const families = await waitFor('the fetch after the webhook', 10_000, async () => {
    const scraped = await scrape();
    return total(scraped, 'corral_git_fetch_duration_seconds') > fetches ? scraped : undefined;
  });
  assert.equal(total(families, 'corral_webhook_deliveries_total', { provider: 'gitlab', result: 'rejected' }), 1);
  assert.equal(total(families, 'corral_webhook_deliveries_total', { provider: 'gitlab', result: 'accepted' }), 1);
  assert.ok(total(families, 'corral_git_fetch_duration_seconds', { result: 'unchanged' }) >= 1);
});
