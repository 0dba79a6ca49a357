/**
 * corral's image on the fleet, for the image test and `npm run bench:ha`: the build context (a
 * fresh clone of the checked-out commit), the image built by a fleet host's Docker from the
 * fleet's Node.js 20 base, and corral run from it as a container that reaches every host over TLS.
 *
 * The fleet cannot reach the npm registry, so the context carries npm's cache of this machine in
 * docker/npm-cache/ (the Dockerfile's way for offline builds); `npm ci` filled it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { GitRemote, ROOT } from './daemon-harness.js';
import { FLEET_DIR, REGISTRY } from './fleet.js';

const run = promisify(execFile);

/** The fleet's Node.js 20 base image (Debian's nodejs, served by the fleet's registry). */
const NODE_BASE = `${REGISTRY}/corral/node:20`;
/** The user the image runs as (Dockerfile ARG CORRAL_UID). */
export const IMAGE_UID = 10001;
const BUILD_TIMEOUT_MS = 20 * 60_000;

/** `docker -H <endpoint> ...args`: its output (stderr too, for `docker logs`), with Docker's own message on failure. */
export async function docker(endpoint: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker', ['-H', endpoint, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return args[0] === 'logs' ? `${stdout}${stderr}`.trim() : stdout.trim();
  } catch (err) {
    const { stderr = '', stdout = '', message } = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker ${args.slice(0, 2).join(' ')}: ${(stderr || stdout).trim().split('\n').slice(-15).join('\n') || message}`);
  }
}

/**
 * The build context: a fresh clone of this repository's checked-out commit (`git clone` into a
 * temporary folder: only what is committed), plus npm's cache of this machine in docker/npm-cache/.
 */
export function buildContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-image-'));
  execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const npmCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  cpSync(join(npmCache, '_cacache'), join(dir, 'docker', 'npm-cache', '_cacache'), { recursive: true });
  return dir;
}

/**
 * Builds the image on the host's Docker; answers how long it took. The build stage's image, which
 * Docker's classic builder leaves behind untagged, is removed.
 */
export async function buildImage(endpoint: string, tag: string, context: string): Promise<number> {
  const started = Date.now();
  const untaggedBefore = new Set(await untaggedImages(endpoint));
  try {
    await docker(
      endpoint,
      ['build', '--build-arg', `NODE_IMAGE=${NODE_BASE}`, '--label', 'corral-test=image', '-t', tag, context],
      BUILD_TIMEOUT_MS,
    );
    return Date.now() - started;
  } finally {
    const leftBehind = (await untaggedImages(endpoint)).filter((id) => !untaggedBefore.has(id));
    if (leftBehind.length > 0) await removeQuietly(endpoint, ['rmi', ...leftBehind]);
  }
}

async function untaggedImages(endpoint: string): Promise<string[]> {
  return (await docker(endpoint, ['images', '--quiet', '--filter', 'dangling=true'])).split('\n').filter(Boolean);
}

export async function imageFacts(
  endpoint: string,
  tag: string,
): Promise<{ size: number; user: string; entrypoint: string[]; healthcheck: string[] }> {
  const [facts] = JSON.parse(await docker(endpoint, ['image', 'inspect', tag])) as {
    Size: number;
    Config: { User: string; Entrypoint: string[]; Healthcheck?: { Test: string[] } };
  }[];
  if (!facts) throw new Error(`no image ${tag}`);
  return {
    size: facts.Size,
    user: facts.Config.User,
    entrypoint: facts.Config.Entrypoint,
    healthcheck: facts.Config.Healthcheck?.Test ?? [],
  };
}

/**
 * /etc/corral for the container: the hosts and the health probe image of the fleet's corral-tls.yml
 * as corral.yml (the probe agent cannot come from Docker Hub here), and copies
 * of its TLS files, owned by the image's user and readable by it alone (mounted read-only).
 */
export function tlsConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-image-etc-'));
  chmodSync(dir, 0o755);
  // Its hosts and probe image only: what else the fleet writes there belongs to other tests.
  const fleetConfig = parse(readFileSync(join(FLEET_DIR, 'corral-tls.yml'), 'utf8')) as { hosts: unknown[]; health: unknown };
  writeFileSync(join(dir, 'corral.yml'), stringify({ hosts: fleetConfig.hosts, health: fleetConfig.health }));
  mkdirSync(join(dir, 'tls'), { mode: 0o755 });
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) {
    const copy = join(dir, 'tls', file);
    copyFileSync(join(FLEET_DIR, 'tls', file), copy);
    chownSync(copy, IMAGE_UID, IMAGE_UID);
    chmodSync(copy, 0o400);
  }
  return dir;
}

/** A repository with the bundled catalog and one stack (`stacks/<stack>/stack.yml`), readable by the image's user. */
export function demoRemote(stack: string, stackYml: string): GitRemote {
  const remote = new GitRemote();
  try {
    remote.copy(`${ROOT}/catalog`, 'catalog').write(`stacks/${stack}/stack.yml`, stackYml).push('the demo stack');
    readableByAll(remote.base);
    return remote;
  } catch (error) {
    remote.destroy();
    throw error;
  }
}

/** Makes a directory and the folders above it (up to /tmp) readable by the image's user. */
function readableByAll(dir: string): void {
  execFileSync('chmod', ['-R', 'a+rX', dir]);
}

export interface CorralContainer {
  id: string;
  /** Where its API answers, from this machine: http://10.99.0.1x:PORT */
  url: string;
}

/** Runs corral from the image on the host: /etc/corral and /repo mounted read-only, its API published. */
export async function runCorral(
  endpoint: string,
  options: { name: string; image: string; address: string; configDir: string; repo: string; extraArgs?: string[] },
): Promise<CorralContainer> {
  const id = await docker(endpoint, [
    'run',
    '--detach',
    '--name',
    options.name,
    '--label',
    'corral-test=image',
    '--volume',
    `${options.configDir}:/etc/corral:ro`,
    '--volume',
    `${options.repo}:/repo:ro`,
    '--publish',
    '7480',
    options.image,
    ...(options.extraArgs ?? []),
  ]);
  const port = (await docker(endpoint, ['port', id, '7480/tcp'])).split('\n')[0]?.split(':').at(-1);
  return { id, url: `http://${options.address}:${port}` };
}

export async function removeQuietly(endpoint: string, args: string[]): Promise<void> {
  await docker(endpoint, args).catch(() => undefined);
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
