/** rancher-compose `health_check` → HealthCheckSpec: Rancher's defaults, request_line as haproxy read it, clear errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Diagnostic, formatDiagnostic } from '../../src/model/diagnostics.js';
import { parseHealthCheck } from '../../src/render/health-check.js';
import { loadDesiredState } from '../../src/render/index.js';

const FILE = 'catalog/templates/web/0/rancher-compose.yml';

function parse(raw: unknown) {
  const diagnostics: Diagnostic[] = [];
  const spec = parseHealthCheck(raw, FILE, 'web', diagnostics);
  return { spec, messages: diagnostics.map(formatDiagnostic) };
}

test("Rancher's defaults fill what is not written; a TCP check without request_line", () => {
  assert.deepEqual(parse({ port: 6379 }), {
    spec: {
      port: 6379,
      intervalMs: 2000,
      responseTimeoutMs: 2000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      initializingTimeoutMs: 60_000,
      reinitializingTimeoutMs: 60_000,
      strategy: 'recreate',
    },
    messages: [],
  });
  assert.equal(parse({ port: 80, request_line: '' }).spec?.http, undefined);
});

test('every setting is read, numbers written as strings too (interpolated answers are strings)', () => {
  const { spec, messages } = parse({
    port: '8080',
    request_line: 'GET "/healthz" "HTTP/1.0"',
    interval: 5000,
    response_timeout: '1500',
    healthy_threshold: 1,
    unhealthy_threshold: 5,
    initializing_timeout: 90000,
    reinitializing_timeout: 30000,
    strategy: 'recreateOnQuorum',
    recreate_on_quorum_strategy_config: { quorum: 2 },
  });
  assert.deepEqual(messages, []);
  assert.deepEqual(spec, {
    port: 8080,
    http: { method: 'GET', path: '/healthz', version: 'HTTP/1.0', headers: [] },
    intervalMs: 5000,
    responseTimeoutMs: 1500,
    healthyThreshold: 1,
    unhealthyThreshold: 5,
    initializingTimeoutMs: 90000,
    reinitializingTimeoutMs: 30000,
    strategy: 'recreateOnQuorum',
    quorum: 2,
  });
});

test('request_line forms found in the community catalog', () => {
  const http = (line: string) => parse({ port: 80, request_line: line }).spec?.http;
  assert.deepEqual(http('GET / HTTP/1.0'), { method: 'GET', path: '/', version: 'HTTP/1.0', headers: [] });
  assert.deepEqual(http('/health'), { method: 'GET', path: '/health', version: 'HTTP/1.0', headers: [] });
  assert.deepEqual(http('GET /'), { method: 'GET', path: '/', version: 'HTTP/1.0', headers: [] });
  assert.deepEqual(http('GET / # HTTP/1.0'), { method: 'GET', path: '/', version: 'HTTP/1.0', headers: [] }, 'haproxy: # starts a comment');
  assert.deepEqual(http('GET /dashboard/# HTTP/1.0'), { method: 'GET', path: '/dashboard/', version: 'HTTP/1.0', headers: [] });
  assert.deepEqual(http('OPTIONS * HTTP/1.1'), { method: 'OPTIONS', path: '*', version: 'HTTP/1.1', headers: [] });
  assert.deepEqual(http('GET "/" "HTTP/1.1\\r\\nHost: www.example.com"'), {
    method: 'GET',
    path: '/',
    version: 'HTTP/1.1',
    headers: ['Host: www.example.com'],
  });
});

test('bad settings are errors naming the file, the field and what is accepted', () => {
  assert.deepEqual(parse({ request_line: 'GET / HTTP/1.0' }).messages, [
    `${FILE}: error: web.health_check.port must be the container port to check (1-65535), got null`,
  ]);
  assert.deepEqual(parse({ port: 80, interval: '2s' }).messages, [
    `${FILE}: error: web.health_check.interval must be a whole number ≥ 1 (milliseconds), got "2s"`,
  ]);
  assert.deepEqual(parse({ port: 80, strategy: 'restart' }).messages, [
    `${FILE}: error: web.health_check.strategy must be one of recreate, none, recreateOnQuorum, got "restart"`,
  ]);
  assert.match(
    parse({ port: 80, strategy: 'recreateOnQuorum' }).messages[0] ?? '',
    /recreate_on_quorum_strategy_config\.quorum must be a whole number ≥ 1/,
  );
  assert.deepEqual(parse({ port: 80, request_line: 'get /x HTTP/2' }).messages, [
    `${FILE}: error: web.health_check.request_line "get /x HTTP/2": the method "get" is not an HTTP method such as GET or HEAD; the version "HTTP/2" is not HTTP/1.0 or HTTP/1.1; expected e.g. GET "/healthz" "HTTP/1.0", or '' for a TCP check`,
  ]);
  assert.equal(parse({ port: 80, strategy: 'x' }).spec, undefined, 'nothing half-applied');
  assert.deepEqual(parse({ port: 80, name: 'check' }).messages, [
    `${FILE}: warning: web.health_check.name is kept but not acted on by corral; known: port, request_line, strategy, recreate_on_quorum_strategy_config, interval, response_timeout, healthy_threshold, unhealthy_threshold, initializing_timeout, reinitializing_timeout`,
  ]);
});

test('a rendered stack carries the check on its service; a bad check fails the stack with the field named', () => {
  const files = (check: string) =>
    new Map([
      ['catalog/templates/web/config.yml', 'name: web\nversion: 1.0.0\n'],
      ['catalog/templates/web/0/docker-compose.yml', 'web:\n  image: busybox\n'],
      [
        'catalog/templates/web/0/rancher-compose.yml',
        `.catalog:\n  version: 1.0.0\n  questions:\n    - variable: port\n      type: int\n      default: 8080\nweb:\n  health_check:\n${check}`,
      ],
      ['stacks/s1/stack.yml', 'template: web\n'],
    ]);
  const good = loadDesiredState(files('    port: ${port}\n    request_line: GET /healthz HTTP/1.0\n    strategy: none\n'));
  const web = good.stacks[0]?.services['web'];
  assert.deepEqual([web?.healthCheck?.port, web?.healthCheck?.http?.path, web?.healthCheck?.strategy], [8080, '/healthz', 'none']);
  assert.ok(!good.stacks[0]?.ignoredKeys.some((d) => d.message.includes('health_check')), 'health_check is acted on');
  const bad = loadDesiredState(files('    port: http\n'));
  assert.equal(bad.stacks.length, 0);
  assert.match(bad.failed[0]?.diagnostics.map(formatDiagnostic).join('\n') ?? '', /web\.health_check\.port must be the container port/);
});
