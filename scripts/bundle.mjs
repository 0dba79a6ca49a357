#!/usr/bin/env node
// Bundles the CLI for bin/corral (`npm run build`, after tsc has type-checked): dist/bundle/corral.cjs,
// one CommonJS file, and V8's code cache for it (corral.cjs.cache). bin/corral compiles the bundle
// from that cache, so a short command does not parse and compile its code again on every call
// (Node.js 20 has no compile cache of its own); a command's modules are evaluated only when it
// runs (esbuild wraps each module reached by import() in a function called on first use).
// Our code and the pure-JavaScript libraries the short commands use (yargs, yaml, semver) are
// bundled, and so is the Docker client (dockerode and docker-modem: ~50 small CommonJS files,
// found and compiled one by one on every `corral sync`/`plan`), without the three files of its
// tree that load gRPC, protobuf and ssh2 (below); the other dependencies (ssh, git, age,
// logging, metrics, file watching) stay in node_modules and are required from there by the
// commands that use them (the ES-module-only ones too: Node.js >= 20.19 requires ES modules).
// Source maps (dist/bundle/*.map) point to src/: `node --enable-source-maps bin/corral ...`
// gives stack traces in src/; `corral run` turns them on itself.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
const BUNDLED = new Set(['yargs', 'yaml', 'semver', 'dockerode']);

/**
 * The files of the Docker client's tree that corral never calls and that load heavy modules:
 * dockerode's BuildKit session and progress (gRPC, protobuf; corral builds no images) and
 * docker-modem's ssh:// transport (ssh2; corral's is src/observe/ssh.ts). Each is bundled as a
 * stand-in that loads the real file from node_modules when it is first called (`call`) or
 * required (`require`: dockerode requires buildkit inside the one function that uses it), as
 * src/observe/dockerode.ts does for tsc's output. `from` finds the package as dockerode does.
 */
const LEFT_IN_NODE_MODULES = [
  { importer: /[/\\]dockerode[/\\]lib[/\\]docker\.js$/, request: './session', file: './session.js', use: 'call', from: 'dockerode' },
  { importer: /[/\\]dockerode[/\\]lib[/\\]docker\.js$/, request: './buildkit', file: './buildkit.js', use: 'require', from: 'dockerode' },
  { importer: /[/\\]docker-modem[/\\]lib[/\\]modem\.js$/, request: './ssh', file: './ssh.js', use: 'call', from: 'docker-modem' },
];

const PACKAGE_MAIN = {
  dockerode: "createRequire(__filename).resolve('dockerode')",
  'docker-modem': "createRequire(createRequire(__filename).resolve('dockerode')).resolve('docker-modem')",
};

const replaced = new Set();

/** src/observe/dockerode.ts becomes a plain import of dockerode, whose heavy files become stand-ins. */
const dockerClient = {
  name: 'docker-client',
  setup(build) {
    build.onLoad({ filter: /[/\\]src[/\\]observe[/\\]dockerode\.ts$/ }, () => ({
      contents: "import Docker from 'dockerode';\nexport default Docker;\n",
      loader: 'ts',
    }));
    build.onResolve({ filter: /^\.\/(session|buildkit|ssh)$/ }, (args) => {
      const stub = LEFT_IN_NODE_MODULES.find((s) => s.request === args.path && s.importer.test(args.importer));
      if (stub) replaced.add(stub);
      return stub ? { path: `${stub.from}:${stub.file}`, namespace: 'left-in-node-modules', pluginData: stub } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'left-in-node-modules' }, ({ pluginData: stub }) => {
      const load = `createRequire(${PACKAGE_MAIN[stub.from]})(${JSON.stringify(stub.file)})`;
      const body =
        stub.use === 'call'
          ? `module.exports = function loadedOnCall(...args) { return ${load}.apply(this, args); };`
          : `module.exports = ${load};`;
      return { contents: `const { createRequire } = require('node:module');\n${body}\n`, loader: 'js' };
    });
  },
};

/**
 * string-width (the copies of yargs, cliui and wrap-ansi) builds an Intl.Segmenter and Unicode-property regular
 * expressions (one of them \p{RGI_Emoji}) when its module is evaluated: about 11 ms at every start
 * of every command, for the help text that most commands never print. Each importer gets a
 * stand-in whose first call evaluates the real module: esbuild evaluates a module reached by
 * require() when it is first required, not when its chunk loads.
 */
const EVALUATED_ON_FIRST_CALL = /^string-width$/;

const evaluatedOnFirstCall = {
  name: 'evaluated-on-first-call',
  setup(build) {
    build.onResolve({ filter: EVALUATED_ON_FIRST_CALL }, async ({ path, kind, resolveDir, pluginData }) => {
      if (pluginData?.real) return undefined;
      const real = await build.resolve(path, { kind, resolveDir, pluginData: { real: true } });
      return real.errors.length > 0 ? { errors: real.errors } : { path: real.path, namespace: 'evaluated-on-first-call' };
    });
    build.onLoad({ filter: /.*/, namespace: 'evaluated-on-first-call' }, ({ path }) => ({
      contents: `export default function firstCallEvaluates(...args) { return require(${JSON.stringify(path)}).default(...args); }\n`,
      loader: 'js',
      resolveDir: dirname(path),
    }));
  },
};

const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  external,
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: { corral: 'src/cli/main.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  plugins: [dockerClient, evaluatedOnFirstCall],
  // import() of our own modules becomes a call of their lazy initializer, and of a package a require().
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__corralBundleUrl' },
  banner: { js: "const __corralBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// The lease keeper's worker thread is a program of its own: src/ha/lease-keeper.ts starts it from the
// file next to the bundle, as it does next to itself in dist/src/ha. An ES module, as there.
await build({
  ...common,
  entryPoints: { 'lease-keeper-worker': 'src/ha/lease-keeper-worker.ts' },
  format: 'esm',
  // yaml's and semver's CommonJS files call require(); an ES module has none, so it gets one.
  banner: { js: "import { createRequire as __corralRequire } from 'node:module'; const require = __corralRequire(import.meta.url);" },
});

// A dockerode that moved these files would bundle gRPC, protobuf and ssh2 into every Docker command.
const missed = LEFT_IN_NODE_MODULES.filter((stub) => !replaced.has(stub)).map((stub) => `${stub.from} ${stub.file}`);
if (missed.length > 0) throw new Error(`scripts/bundle.mjs: not found where expected, so bundled whole: ${missed.join(', ')}`);

/**
 * V8's code cache of the bundle, for bin/corral: the bytecode of every function in it, compiled
 * eagerly (V8's --no-lazy), so that no command compiles any of its functions on the way. The flag
 * is set back before the cache is made: V8 refuses a cache made under flags other than its own.
 * (bin/corral makes the cache again, of what a run compiled, when V8 refuses it.)
 */
const bundleFile = join(outdir, 'corral.cjs');
setFlagsFromString('--no-lazy');
const eagerlyCompiled = new Script(Module.wrap(readFileSync(bundleFile, 'utf8')), { filename: bundleFile });
setFlagsFromString('--lazy');
writeFileSync(`${bundleFile}.cache`, eagerlyCompiled.createCachedData());
