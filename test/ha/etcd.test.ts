import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { EtcdGateway } from '../../src/ha/etcd.js';

/**
 * A stand-in for etcd's JSON gateway in another process, so that it answers while this one is
 * stalled; it touches the file named by its argument once an answer has left.
 */
const SERVER = `
const { writeFileSync } = require('node:fs');
const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end(JSON.stringify({ header: { revision: '7' } }), () => writeFileSync(process.argv[1], '')));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

let child: ChildProcess | undefined;

after(() => {
  child?.kill();
});

test('an answer that came while the event loop was stalled past the request timeout counts: the timeout gives it a look first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-etcd-'));
  const answered = join(dir, 'answered');
  child = spawn(process.execPath, ['-e', SERVER, answered], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const timeoutMs = 100;
  const etcd = new EtcdGateway({ endpoints: [`http://127.0.0.1:${String(port).trim()}`], timeoutMs });
  try {
    await etcd.get('warm-up');
    rmSync(answered, { force: true });
    const sentAt = performance.now();
    const read = etcd.get('corral-test/stalled');
    // The request leaves in this turn of the event loop; then synchronous work on a starved CPU:
    // the answer arrives meanwhile, and the timeout is due before it is read.
    await new Promise((resolve) => setImmediate(resolve));
    const stalledAtLeast = sentAt + timeoutMs * 2;
    const stalledAtMost = performance.now() + 10_000;
    while ((performance.now() < stalledAtLeast || !existsSync(answered)) && performance.now() < stalledAtMost);
    assert.ok(existsSync(answered), 'the stand-in answered during the stall');
    assert.deepEqual(await read, { revision: '7' });
  } finally {
    etcd.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
