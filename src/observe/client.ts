/** A dockerode client for a configured host (unix socket, tcp with optional TLS, or ssh). */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { DockerEndpoint } from '../config/config.js';

export interface ClientOptions {
  /** Milliseconds a request may stay idle before it fails; omit for long operations (pulls, stops). */
  timeoutMs?: number;
}

export function dockerClient(endpoint: DockerEndpoint, options: ClientOptions = {}): Docker {
  const timeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };
  switch (endpoint.kind) {
    case 'unix':
      return new Docker({ socketPath: endpoint.socketPath, ...timeout });
    case 'tcp':
      if (!endpoint.tls) return new Docker({ protocol: 'http', host: endpoint.host, port: endpoint.port, ...timeout });
      return new Docker({
        protocol: 'https',
        host: endpoint.host,
        port: endpoint.port,
        ca: readFileSync(endpoint.tls.ca),
        cert: readFileSync(endpoint.tls.cert),
        key: readFileSync(endpoint.tls.key),
        ...timeout,
      });
    case 'ssh':
      return new Docker({
        protocol: 'ssh',
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
        sshOptions: { agent: process.env['SSH_AUTH_SOCK'] },
        ...timeout,
      } as Docker.DockerOptions);
  }
}
