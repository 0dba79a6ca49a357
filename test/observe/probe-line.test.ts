/** What corral sends the probe agent: one line per probe, nothing in it the agent's shell could read as syntax. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpRequest, probeLine } from '../../src/observe/probe-agent.js';

test('a TCP probe: pid, address, port, timeout in seconds, and - for no request', () => {
  assert.equal(probeLine({ pid: 4242, address: '172.20.0.2', port: 6379, timeoutMs: 2000 }), '4242 172.20.0.2 6379 2 -');
  assert.equal(probeLine({ pid: 1, address: '10.99.0.11', port: 2379, timeoutMs: 1500 }), '1 10.99.0.11 2379 1.5 -');
});

test('an HTTP probe sends the request line, the smuggled headers and Connection: close; HTTP/1.1 gets a Host', () => {
  const http10 = { method: 'GET', path: '/healthz', version: 'HTTP/1.0', headers: [] };
  assert.equal(httpRequest(http10, '172.20.0.2', 80), 'GET /healthz HTTP/1.0\r\nConnection: close\r\n\r\n');
  const http11 = { method: 'HEAD', path: '/', version: 'HTTP/1.1', headers: ['X-Check: 1'] };
  assert.equal(httpRequest(http11, '10.0.0.1', 8080), 'HEAD / HTTP/1.1\r\nX-Check: 1\r\nHost: 10.0.0.1:8080\r\nConnection: close\r\n\r\n');
  const hosted = { ...http11, headers: ['Host: www.example.com'] };
  assert.doesNotMatch(httpRequest(hosted, '10.0.0.1', 8080), /10\.0\.0\.1/);
});

test('the request travels as printf escapes: no space, quote, $ or backquote reaches the shell', () => {
  const line = probeLine({
    pid: 7,
    address: '172.20.0.2',
    port: 80,
    timeoutMs: 2000,
    http: { method: 'GET', path: '/a?b=$(reboot)&c=`id`;"x"', version: 'HTTP/1.0', headers: [] },
  });
  const request = line.split(' ').slice(4);
  assert.equal(request.length, 1, 'one word');
  assert.doesNotMatch(request[0] ?? '', /[\s"'`$;()|<>\\]*[\s"'`$;()|<>]/);
  assert.match(
    request[0] ?? '',
    /^GET\\0040\/a\?b=\\0044\\0050reboot\\0051&c=\\0140id\\0140\\0073\\0042x\\0042\\0040HTTP\/1\.0\\0015\\0012/,
  );
});
