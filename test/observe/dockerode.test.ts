import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const clientModule = fileURLToPath(new URL('../../src/observe/client.js', import.meta.url));

/** Runs `body` in a fresh node process that imported the client module; returns what it printed. */
function afterImport(body: string): string {
  const script = `import { createRequire } from 'node:module';
const { dockerClient } = await import(${JSON.stringify(clientModule)});
const require = createRequire(import.meta.url);
${body}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
}

test('a Docker client loads neither gRPC, protobuf nor ssh2 (BuildKit sessions and ssh:// in docker-modem are never called)', () => {
  const loaded = afterImport(`dockerClient({ kind: 'unix', socketPath: '/nonexistent.sock' });
console.log(Object.keys(require.cache).filter((path) => /[/]node_modules[/](@grpc|protobufjs|ssh2)[/]/.test(path)).join(' '));`);
  assert.equal(loaded, '');
});

test('a module left out loads when it is first called', () => {
  const loaded =
    afterImport(`const session = require.resolve('./session.js', { paths: [require.resolve('dockerode').replace(/[^/]*$/, '')] });
const before = require.cache[session]?.exports.name;
try { require.cache[session].exports({ modem: { dial: () => { throw new Error('dialled'); } } }, undefined, () => {}); } catch (err) { console.log(before, err.message); }
console.log(Object.keys(require.cache).some((path) => path.includes('/@grpc/grpc-js/')));`);
  assert.deepEqual(loaded.split('\n'), ['loadedOnCall dialled', 'true']);
});
