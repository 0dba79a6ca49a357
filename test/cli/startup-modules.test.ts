/**
 * What a short `corral` call loads (bin/corral runs the bundle, scripts/bundle.mjs): `--help`,
 * `validate` and `plan` (the path of `sync --once`) no file of node_modules (yargs, yaml, semver
 * and the Docker client are bundled, without gRPC, protobuf or ssh2; no git, age or logging
 * library) and nothing compiled by tsc. bin/corral reads the bundle and compiles it from V8's code
 * cache, which this Node.js must accept. A command that was not asked for help renders no help
 * text (yargs would, as the command starts). Every module file loaded is recorded by a module hook
 * (ES modules) and read from require's cache at exit (CommonJS).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corral = join(root, 'bin', 'corral');
const traceDir = mkdtempSync(join(tmpdir(), 'corral-modules-'));

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.CORRAL_MODULE_TRACE, url + '\\n');
  return next(url, context);
}
`;
const PRELOAD = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url));
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(process.env.CORRAL_MODULE_TRACE, Object.keys(require('node:module')._cache).join('\\n') + '\\n'));
`;
writeFileSync(join(traceDir, 'hooks.mjs'), HOOKS);
writeFileSync(join(traceDir, 'preload.mjs'), PRELOAD);

after(() => rmSync(traceDir, { recursive: true, force: true }));

/** The files of the project (relative to its root) that `corral ...args` loads as modules; it must exit with `status`. */
function loadedFiles(args: string[], status = 0): string[] {
  const trace = join(traceDir, `${args.join('-').replace(/\W/g, '_')}.txt`);
  writeFileSync(trace, '');
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(join(traceDir, 'preload.mjs')).href, corral, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CORRAL_MODULE_TRACE: trace },
  });
  assert.equal(result.status, status, result.stderr);
  const files = readFileSync(trace, 'utf8')
    .split('\n')
    .map((line) => (line.startsWith('file:') ? fileURLToPath(line) : line))
    .filter((file) => file.startsWith(root))
    .map((file) => relative(root, file));
  return [...new Set(files)].sort();
}

test('corral --help, validate and plan load no module but bin/corral: nothing from node_modules or from tsc output', () => {
  assert.deepEqual(loadedFiles(['--help']), ['bin/corral']);
  assert.deepEqual(loadedFiles(['validate', '--repo', root]), ['bin/corral']);
  // A host whose socket does not exist: the pass observes it (unreachable) and plans; exit 1 as nothing can be placed.
  const config = join(traceDir, 'dead-host.yml');
  writeFileSync(config, `hosts:\n  - name: h1\n    docker: unix://${join(traceDir, 'none.sock')}\n    address: 127.0.0.1\n`);
  assert.deepEqual(loadedFiles(['plan', '--repo', root, '--config', config, '--state-dir', join(traceDir, 'state')], 1), ['bin/corral']);
});

/** Whether V8 takes `cacheFile` as the code cache of `bundleFile`, as bin/corral compiles it. */
function cacheAccepted(bundleFile: string, cacheFile: string): boolean {
  const script = new Script(Module.wrap(readFileSync(bundleFile, 'utf8')), { filename: bundleFile, cachedData: readFileSync(cacheFile) });
  return !script.cachedDataRejected;
}

test("the bundle's code cache is accepted by this Node.js; one it refuses is made again by the next command", () => {
  assert.ok(cacheAccepted(join(root, 'dist', 'bundle', 'corral.cjs'), join(root, 'dist', 'bundle', 'corral.cjs.cache')));

  const copy = join(traceDir, 'copy');
  mkdirSync(join(copy, 'dist'), { recursive: true });
  cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(root, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true });
  cpSync(join(root, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  const bundleFile = join(copy, 'dist', 'bundle', 'corral.cjs');
  const cacheFile = `${bundleFile}.cache`;
  writeFileSync(cacheFile, 'not a code cache');
  const help = spawnSync(process.execPath, [join(copy, 'bin', 'corral'), '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^corral <command>/);
  assert.ok(cacheAccepted(bundleFile, cacheFile), 'the refused cache was made again');
});

/** How many strings yargs measured for a help text (cliui's string width segments each one) in `corral ...args`. */
function helpStringsMeasured(args: string[]): number {
  const counter = join(traceDir, 'count-segments.mjs');
  writeFileSync(
    counter,
    `const segment = Intl.Segmenter.prototype.segment;
let count = 0;
Intl.Segmenter.prototype.segment = function (...args) { count++; return segment.apply(this, args); };
process.on('exit', () => process.stderr.write('segmented ' + count + '\\n'));
`,
  );
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(counter).href, corral, ...args], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return Number(/segmented (\d+)/.exec(result.stderr)?.[1]);
}

test('a command renders no help text unless asked for it', () => {
  assert.equal(helpStringsMeasured(['validate', '--repo', root]), 0);
  assert.ok(helpStringsMeasured(['validate', '--help']) > 0);
});
