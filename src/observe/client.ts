/**
 * A dockerode client for a configured host: a unix socket, tcp (with TLS when the host has
 * `tls:` files), or ssh (./ssh.ts: dial-stdio sessions over one checked SSH connection); with a
 * fence, every request asks it right before its bytes leave (./fenced-agent.ts); with a timeout,
 * a request idle that long fails saying it timed out (./request-timeout.ts). I/O: reads the
 * TLS files.
 */
import { readFileSync } from 'node:fs';
import { type Agent, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type Docker from 'dockerode';
import type { DockerEndpoint } from '../config/config.js';
import DockerClient from './dockerode.js';
import { type Fence, fencedHttpAgent, fencedHttpsAgent } from './fenced-agent.js';
import { timingOut } from './request-timeout.js';
import { sshAgent } from './ssh.js';

export interface ClientOptions {
  /** Milliseconds a request may stay idle before it fails; omit for long operations (pulls, stops). */
  timeoutMs?: number;
  /** Asked before each request is sent (leader election): a reason stops the request. */
  fence?: Fence;
}

export function dockerClient(endpoint: DockerEndpoint, options: ClientOptions = {}): Docker {
  const { fence, timeoutMs } = options;
  // The timeout is the agent's (docker-modem's own would report it as "socket hang up").
  const via = (target: Docker.DockerOptions, agent: Agent | undefined) =>
    new DockerClient(viaAgent(target, agent, timeoutMs, target.protocol === 'https' ? HttpsAgent : HttpAgent));
  switch (endpoint.kind) {
    case 'unix':
      return via({ socketPath: endpoint.socketPath }, fence && fencedHttpAgent(fence));
    case 'tcp': {
      if (!endpoint.tls) return via({ protocol: 'http', host: endpoint.host, port: endpoint.port }, fence && fencedHttpAgent(fence));
      const tls = {
        protocol: 'https' as const,
        host: endpoint.host,
        port: endpoint.port,
        ca: readTlsFile(endpoint, 'ca'),
        cert: readTlsFile(endpoint, 'cert'),
        key: readTlsFile(endpoint, 'key'),
      };
      return via(tls, fence && fencedHttpsAgent(fence));
    }
    case 'ssh':
      // Plain HTTP through an agent whose connections are ssh sessions; host and port only name the target.
      return via({ protocol: 'http', host: endpoint.host, port: endpoint.port }, sshAgent(endpoint, fence));
  }
}

/**
 * The options with `agent` (docker-modem passes it on to http.request; dockerode's types do not
 * list it). With a timeout and no agent, a keep-alive one as Node's global agent gets it.
 */
function viaAgent(
  options: Docker.DockerOptions,
  agent: Agent | undefined,
  timeoutMs: number | undefined,
  Plain: typeof HttpAgent | typeof HttpsAgent,
): Docker.DockerOptions {
  if (timeoutMs === undefined) return agent ? ({ ...options, agent } as Docker.DockerOptions) : options;
  const timed = timingOut(agent ?? new Plain({ keepAlive: true }), timeoutMs);
  return { ...options, agent: timed } as Docker.DockerOptions;
}

/**
 * Ends every request and connection of the clients (their agents'): a command that failed before it
 * needed the hosts' answers ends at once, instead of waiting for an unreachable host's timeout.
 * Each request ends with an error, which observeHost reports as the host unreachable.
 */
export function closeClients(clients: Iterable<Docker>): void {
  for (const docker of clients) (docker.modem as { agent?: Agent }).agent?.destroy();
}

function readTlsFile(endpoint: Extract<DockerEndpoint, { kind: 'tcp' }>, which: 'ca' | 'cert' | 'key'): Buffer {
  const path = endpoint.tls?.[which] ?? '';
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${endpoint.url}: cannot read the TLS ${which} file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
