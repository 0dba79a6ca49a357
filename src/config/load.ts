/** Reads `--config FILE` (or falls back to the local Docker daemon) for the CLI and the daemon. */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatDiagnostic } from '../model/diagnostics.js';
import { type CorralConfig, defaultConfig, type HostConfig, parseConfig } from './config.js';

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
  return { ...result.config, hosts: result.config.hosts.map((host) => withTlsPathsFrom(dirname(file), host)) };
}

/** TLS file paths in the config are relative to the config file. */
function withTlsPathsFrom(dir: string, host: HostConfig): HostConfig {
  if (host.docker.kind !== 'tcp' || !host.docker.tls) return host;
  const { ca, cert, key } = host.docker.tls;
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(dir, path));
  return { ...host, docker: { ...host.docker, tls: { ca: absolute(ca), cert: absolute(cert), key: absolute(key) } } };
}
