/**
 * dockerode, loaded without the two modules of its tree that corral never calls and that load
 * heavy dependencies when they are required: dockerode's BuildKit session (`lib/session.js`,
 * which requires gRPC and protobuf; corral builds no images) and docker-modem's ssh:// transport
 * (`lib/ssh.js`, which requires ssh2; corral's ssh transport is ./ssh.ts, which loads ssh2 only
 * when it connects). Each is put in the require cache as a function that loads the real module
 * and calls it on first use, so nothing changes should it ever be called. Together they were most
 * of dockerode's load time: about 350 ms of CPU, against about 100 ms without them (docs/benchmarks.md).
 * If a later dockerode moves these files, it is loaded as it is. I/O: reads modules.
 * This is the module as tsc compiles it (tests, benchmarks); the CLI bundle (scripts/bundle.mjs)
 * replaces it with a plain import of dockerode, bundled, and those two files (and BuildKit's
 * progress reader) replaced by the same kind of stand-ins at build time.
 */
import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type DockerType from 'dockerode';

const require = createRequire(import.meta.url);

/** Modules loaded only when called, each beside its package's main file (lib/). */
const LOADED_ON_CALL = [
  { main: () => require.resolve('dockerode'), file: 'session.js' },
  // docker-modem as dockerode resolves it.
  { main: () => require.resolve('docker-modem', { paths: [dirname(require.resolve('dockerode'))] }), file: 'ssh.js' },
];

for (const { main, file } of LOADED_ON_CALL) {
  const path = besideMain(main, file);
  if (path) loadOnCall(path);
}

function besideMain(main: () => string, file: string): string | undefined {
  try {
    const path = join(dirname(main()), file);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function loadOnCall(path: string): void {
  if (require.cache[path]) return;
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = function loadedOnCall(this: unknown, ...args: unknown[]): unknown {
    if (require.cache[path] === stub) delete require.cache[path];
    const real = require(path) as (...args: unknown[]) => unknown;
    return real.apply(this, args);
  };
  require.cache[path] = stub;
}

const Docker = require('dockerode') as typeof DockerType;
export default Docker;
