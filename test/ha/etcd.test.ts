import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { EtcdGateway } from '../../src/ha/etcd.js';

/** A stand-in for etcd's JSON gateway in another process, so that it answers while this one is stalled. */
const SERVER = `
const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end(JSON.stringify({ header: { revision: '7' } })));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

let child: ChildProcess | undefined;

after(() => {
  child?.kill();
});

test('an answer that came while the event loop was stalled past the request timeout counts: the timeout gives it a look first', async () => {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const timeoutMs = 100;
  const etcd = new EtcdGateway({ endpoints: [`http://127.0.0.1:${String(port).trim()}`], timeoutMs });
  try {
    await etcd.get('warm-up');
    const read = etcd.get('corral-test/stalled');
    // Synchronous work on a starved CPU: the answer arrives meanwhile, the timeout is due before it is read.
    const stalledUntil = performance.now() + timeoutMs * 3;
    while (performance.now() < stalledUntil);
    assert.deepEqual(await read, { revision: '7' });
  } finally {
    etcd.close();
  }
});
