import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestShape } from '../../src/daemon/docker-metrics.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { loadDesiredState } from '../../src/render/index.js';
import { type StackStatus, stackStatus } from '../../src/status/stack-status.js';
import { serviceStatus as service } from '../fixtures/status.js';
import { parseMetrics, samples, total } from './prometheus-text.js';

const ODD_SERVICE = 'we"b\\x\nnew';

function status(name: string, sync: StackStatus['sync'], health: StackStatus['health'], services: StackStatus['services']): StackStatus {
  return { name, sync, health, message: '', services, endpoints: [], events: [] };
}

function metricsWith(stacks: StackStatus[], fetchFailing = false): DaemonMetrics {
  return new DaemonMetrics({ stacks: () => stacks, fetchFailing: () => fetchFailing });
}

test('per-stack sync and health are state sets: 1 for the current word, 0 for the others', async () => {
  const metrics = metricsWith([status('a', 'Synced', 'Healthy', []), status('b', 'Failed', 'Degraded', [])]);
  const families = parseMetrics(await metrics.text());
  assert.equal(families.get('corral_stack_sync')?.type, 'gauge');
  assert.equal(total(families, 'corral_stack_sync', { stack: 'a', status: 'Synced' }), 1);
  assert.equal(total(families, 'corral_stack_sync', { stack: 'a' }), 1);
  assert.equal(total(families, 'corral_stack_sync', { stack: 'b', status: 'Failed' }), 1);
  assert.equal(total(families, 'corral_stack_sync', { stack: 'b', status: 'Synced' }), 0);
  assert.equal(total(families, 'corral_stack_health', { stack: 'b', status: 'Degraded' }), 1);
  assert.equal(samples(families, 'corral_stack_health', { stack: 'b' }).length > 1, true);
});

test('services: desired and running per stack and service; the gauges follow the status at each scrape', async () => {
  const stacks = [status('a', 'Synced', 'Healthy', [service('web', 3, 2)])];
  const metrics = metricsWith(stacks);
  let families = parseMetrics(await metrics.text());
  assert.equal(total(families, 'corral_service_desired_containers', { stack: 'a', service: 'web' }), 3);
  assert.equal(total(families, 'corral_service_running_containers', { stack: 'a', service: 'web' }), 2);
  stacks.pop();
  families = parseMetrics(await metrics.text());
  assert.equal(samples(families, 'corral_service_desired_containers', { stack: 'a' }).length, 0, 'a removed stack leaves no series');
});

test('services: health counts and the health word as a state set', async () => {
  const web = service('web', 3, 3, { healthy: 1, unhealthy: 1, starting: 1, health: 'Degraded', checkedBy: 'health_check' });
  const families = parseMetrics(await metricsWith([status('a', 'Synced', 'Degraded', [web])]).text());
  const at = { stack: 'a', service: 'web' };
  assert.equal(total(families, 'corral_service_healthy_containers', at), 1);
  assert.equal(total(families, 'corral_service_unhealthy_containers', at), 1);
  assert.equal(total(families, 'corral_service_starting_containers', at), 1);
  assert.equal(total(families, 'corral_service_unknown_containers', at), 0);
  assert.equal(total(families, 'corral_service_health', { ...at, status: 'Degraded' }), 1);
  assert.equal(total(families, 'corral_service_health', at), 1, 'one word at a time');
  assert.equal(samples(families, 'corral_service_health', at).length, 5);
});

test('label values from requesters are escaped: quotes, backslashes and newlines come back intact', async () => {
  const metrics = metricsWith([status('a', 'Synced', 'Healthy', [service(ODD_SERVICE, 1, 1)])]);
  const text = await metrics.text();
  assert.ok(!text.includes(ODD_SERVICE), 'the raw name is never written as is');
  const families = parseMetrics(text);
  const [sample] = samples(families, 'corral_service_running_containers', { stack: 'a' });
  assert.equal(sample?.labels['service'], ODD_SERVICE);
  assert.equal(sample?.value, 1);
});

test('a service named by an answer reaches /metrics escaped: the requester cannot add a series or a line', async () => {
  // A template that names its service after an answer, and an answer made to break the exposition format.
  const hostileName = 'web"} 1\ncorral_up{x="y\\';
  const files = new Map(
    Object.entries({
      'catalog/templates/named/config.yml': 'name: named\n',
      'catalog/templates/named/0/docker-compose.yml': '{{ .Values.svc }}:\n  image: busybox\n',
      'catalog/templates/named/0/rancher-compose.yml':
        '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: svc\n      type: string\n      required: true\n',
      'stacks/s/stack.yml': `template: named\nanswers:\n  svc: ${JSON.stringify(hostileName)}\n`,
    }),
  );
  const state = loadDesiredState(files);
  const [desired] = state.stacks;
  assert.deepEqual(Object.keys(desired?.services ?? {}), [hostileName], 'the answer is the service name, unchanged');
  const metrics = metricsWith([stackStatus({ name: 's', ...(desired ? { desired } : {}), observed: { hosts: [] }, nowMs: 0 })]);
  const text = await metrics.text();
  assert.ok(!text.includes(hostileName), 'the raw name is never written as is');
  assert.doesNotMatch(text, /^corral_up\{x=/m, 'no series of its own');
  const families = parseMetrics(text);
  const [sample] = samples(families, 'corral_service_desired_containers', { stack: 's' });
  assert.equal(sample?.labels['service'], hostileName);
  assert.equal(sample?.value, 1);
  assert.equal(samples(families, 'corral_service_desired_containers', {}).length, 1);
});

test('passes are timed in a histogram by kind and result; a failing pass counts as an error and rethrows', async () => {
  const metrics = metricsWith([]);
  await metrics.timePass('stack', async () => undefined);
  await metrics.timePass('stack', async () => undefined);
  await assert.rejects(
    metrics.timePass('check', async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  const families = parseMetrics(await metrics.text());
  assert.equal(families.get('corral_reconcile_duration_seconds')?.type, 'histogram');
  assert.equal(total(families, 'corral_reconcile_duration_seconds', { pass: 'stack', result: 'ok' }), 2);
  assert.equal(total(families, 'corral_reconcile_duration_seconds', { pass: 'check', result: 'error' }), 1);
  const [infinite] = samples(
    families,
    'corral_reconcile_duration_seconds',
    { pass: 'stack', le: '+Inf' },
    'corral_reconcile_duration_seconds_bucket',
  );
  assert.equal(infinite?.value, 2);
});

test('counters for Docker operations, git fetches and webhooks; the fetch-failing gauge; process metrics', async () => {
  const metrics = metricsWith([], true);
  metrics.dockerOperations.inc({ kind: 'CreateContainer', result: 'ok' });
  metrics.gitFetchDuration.observe({ result: 'failed' }, 0.2);
  metrics.webhookDeliveries.inc({ provider: 'gitlab', result: 'rejected' });
  metrics.dockerApiErrors.inc({ host: 'h1', request: 'GET /info', reason: 'ECONNREFUSED' });
  const families = parseMetrics(await metrics.text());
  assert.equal(total(families, 'corral_docker_operations_total', { kind: 'CreateContainer', result: 'ok' }), 1);
  assert.equal(total(families, 'corral_git_fetch_duration_seconds', { result: 'failed' }), 1);
  assert.equal(total(families, 'corral_webhook_deliveries_total', { provider: 'gitlab', result: 'rejected' }), 1);
  assert.equal(total(families, 'corral_docker_api_errors_total', { host: 'h1' }), 1);
  assert.equal(total(families, 'corral_repository_fetch_failing'), 1);
  assert.ok(families.has('process_cpu_user_seconds_total'));
  assert.ok(families.has('nodejs_heap_size_used_bytes'));
});

test('two controllers keep their own registries', async () => {
  const first = metricsWith([]);
  const second = metricsWith([]);
  first.dockerOperations.inc({ kind: 'StopContainer', result: 'ok' });
  assert.equal(total(parseMetrics(await second.text()), 'corral_docker_operations_total'), 0);
});

test('Docker requests are named by method and path shape, never by id or image name', () => {
  assert.equal(requestShape('GET', '/info'), 'GET /info');
  assert.equal(requestShape('GET', '/v1.43/containers/json?'), 'GET /containers/json');
  assert.equal(requestShape('POST', '/containers/3f2a9c/start?'), 'POST /containers/{id}/start');
  assert.equal(requestShape('DELETE', '/containers/dmn-a-web-1?'), 'DELETE /containers/{id}');
  assert.equal(requestShape('POST', '/images/create?fromImage=x'), 'POST /images/create');
  assert.equal(requestShape('GET', '/images/10.99.0.2:5000/corral/busybox:1/json'), 'GET /images/{id}/json');
  assert.equal(requestShape(undefined, ''), 'GET /');
});
