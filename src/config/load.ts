/** Reads `--config FILE` (or falls back to the local Docker daemon) for the CLI and the daemon. */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatDiagnostic } from '../model/diagnostics.js';
import { type CorralConfig, defaultConfig, type HostConfig, parseConfig } from './config.js';
import type { HaTlsFiles } from './ha.js';

/** A config that cannot be used; the message names the file, the key and what is accepted. */
export class ConfigError extends Error {}

export async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CorralConfig> {
  if (file === undefined) return defaultConfig(env['DOCKER_HOST']);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`${file}: cannot read the config (${err.code ?? err.message})`);
  });
  const result = parseConfig(text, file);
  if (!result.config)
    throw new ConfigError(
      result.diagnostics
        .filter((d) => d.severity === 'error')
        .map(formatDiagnostic)
        .join('\n'),
    );
  const hosts = result.config.hosts.map((host) => withPathsFrom(dirname(file), host));
  const unreadable = (await Promise.all(hosts.flatMap((host, index) => transportFiles(host, index).map(readableOrProblem)))).filter(
    (problem) => problem !== undefined,
  );
  if (unreadable.length > 0) throw new ConfigError(unreadable.map((problem) => `${file}: ${problem}`).join('\n'));
  const catalogs = result.config.catalogs.map((catalog) =>
    'directory' in catalog ? { ...catalog, directory: absoluteFrom(dirname(file), catalog.directory) } : catalog,
  );
  const { ha } = result.config;
  return {
    ...result.config,
    hosts,
    catalogs,
    ...(ha?.tls ? { ha: { ...ha, tls: haTlsPathsFrom(dirname(file), ha.tls) } } : {}),
  };
}

/** The `ha.tls` file paths, relative to the config file like the hosts' TLS files. */
function haTlsPathsFrom(dir: string, tls: HaTlsFiles): HaTlsFiles {
  return Object.fromEntries(Object.entries(tls).map(([key, path]) => [key, absoluteFrom(dir, path)]));
}

/** Paths in the config (TLS and ssh files, catalog folders) are relative to the config file. */
function absoluteFrom(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

function withPathsFrom(dir: string, host: HostConfig): HostConfig {
  const absolute = (path: string) => absoluteFrom(dir, path);
  const docker = host.docker;
  if (docker.kind === 'tcp' && docker.tls) {
    const { ca, cert, key } = docker.tls;
    return { ...host, docker: { ...docker, tls: { ca: absolute(ca), cert: absolute(cert), key: absolute(key) } } };
  }
  if (docker.kind === 'ssh' && docker.ssh) {
    const { identity, knownHosts } = docker.ssh;
    const ssh = {
      ...(identity === undefined ? {} : { identity: absolute(identity) }),
      ...(knownHosts === undefined ? {} : { knownHosts: absolute(knownHosts) }),
    };
    return { ...host, docker: { ...docker, ssh } };
  }
  return host;
}

/** The files a host's transport reads, with the config field that names each. */
function transportFiles(host: HostConfig, index: number): Array<{ field: string; path: string }> {
  const docker = host.docker;
  const field = (name: string) => `hosts[${index}].${name}`;
  if (docker.kind === 'tcp' && docker.tls)
    return (['ca', 'cert', 'key'] as const).map((name) => ({ field: field(`tls.${name}`), path: docker.tls?.[name] ?? '' }));
  if (docker.kind === 'ssh' && docker.ssh) {
    const files = [];
    if (docker.ssh.identity !== undefined) files.push({ field: field('ssh.identity'), path: docker.ssh.identity });
    if (docker.ssh.knownHosts !== undefined) files.push({ field: field('ssh.known_hosts'), path: docker.ssh.knownHosts });
    return files;
  }
  return [];
}

async function readableOrProblem({ field, path }: { field: string; path: string }): Promise<string | undefined> {
  return access(path, constants.R_OK).then(
    () => undefined,
    (err: NodeJS.ErrnoException) => `${field}: cannot read ${path} (${err.code ?? err.message})`,
  );
}
