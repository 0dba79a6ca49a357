/**
 * The test fleet for end-to-end tests: `ensureFleet()` runs `scripts/fleet up` once per
 * process (idempotent, a few seconds when the fleet already runs) and describes the fleet
 * from the files the script writes: corral.yml (unix sockets), corral-tls.yml and
 * corral-ssh.yml (the same hosts over TCP+TLS and ssh), etcd-endpoints.
 *
 *   const fleet = await ensureFleet();
 *   const h2 = fleet.hosts[1];            // { name: 'h2', docker: 'unix://…/h2/docker.sock', address: '10.99.0.12', … }
 *   await loadConfig(fleet.configPath);   // the same hosts as corral's HostConfig
 *
 * Tests must remove every container they make; the fleet is shared by all tests.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

/** Tests run compiled, from dist/test/e2e/; the script is at the repository root. */
const FLEET_SCRIPT = fileURLToPath(new URL('../../../scripts/fleet', import.meta.url));
const UP_TIMEOUT_MS = 10 * 60_000;

export const FLEET_DIR = process.env['CORRAL_FLEET_DIR'] ?? '/run/corral-fleet';
export const REGISTRY = '10.99.0.2:5000';
export const IMAGES = {
  busybox: `${REGISTRY}/corral/busybox:1`,
  etcd: `${REGISTRY}/corral/etcd:3.4`,
  redis: `${REGISTRY}/corral/redis:7`,
  /** Debian's nodejs (node, npm), CA certificates, /bin/sh; user `node`. */
  node: `${REGISTRY}/corral/node:20`,
  /** Debian's MariaDB server and client; initialises from MARIADB_* variables, runs as user mysql. */
  mariadb: `${REGISTRY}/corral/mariadb:10`,
} as const;

export interface FleetHost {
  /** h1, h2, … */
  name: string;
  /** Docker endpoint URL, `unix://<dir>/h<i>/docker.sock`. */
  docker: string;
  /** Path of the Docker socket (the endpoint without `unix://`). */
  socket: string;
  /** The host's address on corral0, where its published ports answer: 10.99.0.(10+i). */
  address: string;
  /** The labels the host's dockerd was started with (`dockerd --label`). */
  labels: Record<string, string>;
}

export interface FleetInfo {
  /** `$CORRAL_FLEET_DIR/corral.yml`, a corral configuration listing every host. */
  configPath: string;
  /** The same hosts as corral.yml, reached over `tcp://10.99.0.1x:2376` with TLS and over `ssh://root@10.99.0.1x`. */
  transportConfigPaths: { tls: string; ssh: string };
  /** Client URLs of the 3-member etcd cluster for controllers, `http://10.99.0.2x:2379`. */
  etcdEndpoints: string[];
  /** `10.99.0.2:5000`, an insecure registry every host can pull from. */
  registry: string;
  images: typeof IMAGES;
  hosts: FleetHost[];
}

/** How corral reaches the fleet's hosts: their unix sockets, TCP with TLS, or ssh. */
export type Transport = 'unix' | 'tls' | 'ssh';

/** The fleet's corral config for a transport (corral.yml, corral-tls.yml, corral-ssh.yml). */
export async function fleetConfigPath(transport: Transport = 'unix'): Promise<string> {
  const info = await ensureFleet();
  return transport === 'unix' ? info.configPath : info.transportConfigPaths[transport];
}

let fleet: Promise<FleetInfo> | undefined;

/** Brings the fleet up (once per process) and describes it. */
export function ensureFleet(): Promise<FleetInfo> {
  fleet ??= bringUp();
  return fleet;
}

async function bringUp(): Promise<FleetInfo> {
  try {
    await run(FLEET_SCRIPT, ['up'], { timeout: UP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stderr = '', message } = err as { stderr?: string; message: string };
    throw new Error(`${FLEET_SCRIPT} up failed: ${stderr.trim() || message}`);
  }
  const configPath = `${FLEET_DIR}/corral.yml`;
  const etcdEndpoints = (await readFile(`${FLEET_DIR}/etcd-endpoints`, 'utf8')).split('\n').filter((line) => line !== '');
  return {
    configPath,
    transportConfigPaths: { tls: `${FLEET_DIR}/corral-tls.yml`, ssh: `${FLEET_DIR}/corral-ssh.yml` },
    etcdEndpoints,
    registry: REGISTRY,
    images: IMAGES,
    hosts: parseHosts(await readFile(configPath, 'utf8'), configPath),
  };
}

function parseHosts(text: string, file: string): FleetHost[] {
  const config = parse(text) as { hosts?: Array<{ name: string; docker: string; address: string; labels?: Record<string, unknown> }> };
  if (!config.hosts?.length) throw new Error(`${file}: expected a non-empty 'hosts' list, as scripts/fleet writes it`);
  return config.hosts.map((host) => ({
    name: host.name,
    docker: host.docker,
    socket: host.docker.replace(/^unix:\/\//, ''),
    address: host.address,
    labels: Object.fromEntries(Object.entries(host.labels ?? {}).map(([key, value]) => [key, String(value)])),
  }));
}
