#!/usr/bin/env node
// Bundles the CLI for bin/corral (`npm run build`, after tsc has type-checked): dist/bundle/corral.js
// and one chunk per command, loaded when the command runs, so that `corral --help` reads one file
// and `corral validate` a few, instead of ~75 of ours and ~100 of yargs, yaml and semver one by
// one (Node.js 20 has no compile cache: every module is found, read and compiled on each call).
// Our code and the pure-JavaScript libraries the short commands use (yargs, yaml, semver) are
// bundled; the other dependencies (Docker, ssh, git, age, logging, metrics, file watching) stay
// in node_modules and are loaded from there by the commands that use them, as before.
// Source maps (dist/bundle/*.js.map) point to src/: `node --enable-source-maps bin/corral ...`
// gives stack traces in src/; `corral run` turns them on itself.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
const BUNDLED = new Set(['yargs', 'yaml', 'semver']);

const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { corral: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  sourcesContent: false,
  external,
  // yaml's and semver's CommonJS files call require() (yaml: require('process')); an ES module
  // has none, so each output file gets one.
  banner: { js: "import { createRequire as __corralRequire } from 'node:module'; const require = __corralRequire(import.meta.url);" },
  logLevel: 'warning',
});
