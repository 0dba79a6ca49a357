/**
 * A dockerode client for a configured host: a unix socket, tcp (with TLS when the host has
 * `tls:` files), or ssh (./ssh.ts: dial-stdio sessions over one checked SSH connection); with a
 * fence, every request asks it right before its bytes leave (./fenced-agent.ts). I/O: reads the
 * TLS files.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type Docker from 'dockerode';
import type { DockerEndpoint } from '../config/config.js';
import DockerClient from './dockerode.js';
import { type Fence, fencedHttpAgent, fencedHttpsAgent } from './fenced-agent.js';
import { sshAgent } from './ssh.js';

export interface ClientOptions {
  /** Milliseconds a request may stay idle before it fails; omit for long operations (pulls, stops). */
  timeoutMs?: number;
  /** Asked before each request is sent (leader election): a reason stops the request. */
  fence?: Fence;
}

export function dockerClient(endpoint: DockerEndpoint, options: ClientOptions = {}): Docker {
  const timeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };
  const { fence } = options;
  switch (endpoint.kind) {
    case 'unix': {
      const unix = { socketPath: endpoint.socketPath, ...timeout };
      return new DockerClient(fence ? viaAgent(unix, fencedHttpAgent(fence)) : unix);
    }
    case 'tcp': {
      if (!endpoint.tls) {
        const tcp = { protocol: 'http' as const, host: endpoint.host, port: endpoint.port, ...timeout };
        return new DockerClient(fence ? viaAgent(tcp, fencedHttpAgent(fence)) : tcp);
      }
      const tls = {
        protocol: 'https' as const,
        host: endpoint.host,
        port: endpoint.port,
        ca: readTlsFile(endpoint, 'ca'),
        cert: readTlsFile(endpoint, 'cert'),
        key: readTlsFile(endpoint, 'key'),
        ...timeout,
      };
      return new DockerClient(fence ? viaAgent(tls, fencedHttpsAgent(fence)) : tls);
    }
    case 'ssh':
      // Plain HTTP through an agent whose connections are ssh sessions; host and port only name the target.
      return new DockerClient(
        viaAgent({ protocol: 'http', host: endpoint.host, port: endpoint.port, ...timeout }, sshAgent(endpoint, fence)),
      );
  }
}

/** docker-modem passes `agent` on to http.request; dockerode's types do not list it. */
function viaAgent(options: Docker.DockerOptions, agent: Agent): Docker.DockerOptions {
  return { ...options, agent } as Docker.DockerOptions;
}

function readTlsFile(endpoint: Extract<DockerEndpoint, { kind: 'tcp' }>, which: 'ca' | 'cert' | 'key'): Buffer {
  const path = endpoint.tls?.[which] ?? '';
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${endpoint.url}: cannot read the TLS ${which} file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
