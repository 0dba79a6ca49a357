import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createApiServer } from '../../src/server/http.js';
import type { StackStatus } from '../../src/status/stack-status.js';

const corral = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'corral');
const TOKEN = 'status-reader-token';
const web: StackStatus = { name: 'web', sync: 'Synced', health: 'Healthy', message: 'converged', services: [], endpoints: [], events: [] };

async function status(server: string, token: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, CORRAL_API_TOKEN: token ?? '' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [corral, 'status', '--server', server, '--format', 'json'], {
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('corral status sends CORRAL_API_TOKEN when it is set, and says so when a daemon refuses it', async () => {
  const server = createApiServer(
    {
      stacks: () => [web],
      stack: () => web,
      requestSync: () => {},
      requestFetch: () => {},
      webhookSecret: () => undefined,
      metrics: async () => '',
      webhookDelivered: () => {},
    },
    { token: TOKEN, readAccess: 'token' },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const allowed = await status(url, TOKEN);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(JSON.parse(allowed.stdout), [web]);
    const refused = await status(url, undefined);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /needs the API token .*\(corral status sends CORRAL_API_TOKEN when it is set\)/);
    const wrong = await status(url, 'not-it');
    assert.match(wrong.stderr, /the bearer token does not match/);
    assert.ok(!wrong.stderr.includes(TOKEN));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
