/**
 * Docker over ssh, as the docker CLI does it for ssh:// hosts: every HTTP connection is a
 * `docker system dial-stdio` session on the remote host. One keep-alive HTTP agent per host
 * and process (and one more for fenced clients) reuses those sessions (starting one costs a
 * process on the host), at most 8 at a time, over one SSH connection (opened on first use, closed after a few idle seconds; idle, it
 * never keeps the process alive). The host key is checked against known_hosts
 * (./known-hosts.ts) and the client signs in with the configured key or the ssh agent. Errors
 * name the endpoint and say what to fix; no key material is ever put in a message. I/O.
 */
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { type Socket, connect as tcpConnect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { ClientChannel, ConnectConfig, Client as SshClient } from 'ssh2';
import type { DockerEndpoint } from '../config/config.js';
import { briefly, type Fence, fencedAgentClass, withFence } from './fenced-agent.js';
import { checkHostKey } from './known-hosts.js';

type SshEndpoint = Extract<DockerEndpoint, { kind: 'ssh' }>;

/** What the remote side runs for each connection. */
const DIAL_STDIO = 'docker system dial-stdio';
const READY_TIMEOUT_MS = 10_000;
const IDLE_CLOSE_MS = 5_000;
const KEEPALIVE_MS = 15_000;
/** OpenSSH allows 10 sessions on one connection (MaxSessions); more requests wait for a free one. */
const MAX_CHANNELS = 8;

/** ssh2 (and its crypto binding) loads when a first ssh host is dialled, not with every command. */
const loadSsh2 = () => createRequire(import.meta.url)('ssh2') as typeof import('ssh2');

/** A connection problem with a sentence an operator can act on. */
export class SshTransportError extends Error {
  override readonly name = 'SshTransportError';
}

/** One SSH connection per endpoint and credentials, shared by every client of the process. */
const sessions = new Map<string, SshSession>();
/** One agent per SSH connection for the clients without a fence. */
const agents = new Map<SshSession, Agent>();

/**
 * An http.Agent for dockerode whose sockets are dial-stdio sessions on the endpoint's host. With
 * a fence, an agent of its own over the same SSH connection, whose requests ask it first.
 */
export function sshAgent(endpoint: SshEndpoint, fence?: Fence): Agent {
  const key = JSON.stringify([endpoint.username, endpoint.host, endpoint.port, endpoint.ssh?.identity, endpoint.ssh?.knownHosts]);
  let session = sessions.get(key);
  if (!session) {
    session = new SshSession(endpoint);
    sessions.set(key, session);
  }
  if (fence) return withFence(new FencedSshAgent(session), fence);
  let agent = agents.get(session);
  if (!agent) {
    agent = new SshAgent(session);
    agents.set(session, agent);
  }
  return agent;
}

class SshAgent extends Agent {
  constructor(private readonly session: SshSession) {
    // Sessions stay open between requests; an unused one closes after IDLE_CLOSE_MS.
    super({ keepAlive: true, maxSockets: MAX_CHANNELS, timeout: IDLE_CLOSE_MS });
  }

  [inspect.custom](): string {
    return briefly(this);
  }

  override createConnection(_options: unknown, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    this.session.openChannel().then(
      (channel) => callback(null, channel),
      (err: Error) => callback(err),
    );
    return undefined;
  }
}

const FencedSshAgent = fencedAgentClass(SshAgent);

class SshSession {
  private client: Promise<SshClient> | undefined;
  private socket: Socket | undefined;
  private openChannels = 0;
  /** Channels in use by a request (not idle in the agent's pool): these keep the process alive. */
  private busyChannels = 0;
  private readonly waiting: Array<() => void> = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly endpoint: SshEndpoint) {}

  private get where(): string {
    return `ssh ${this.endpoint.username ? `${this.endpoint.username}@` : ''}${this.endpoint.host}:${this.endpoint.port}`;
  }

  async openChannel(): Promise<Duplex> {
    await this.hold();
    try {
      const client = await this.connect();
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        client.exec(DIAL_STDIO, (err, stream) => (err ? reject(this.problem(err)) : resolve(stream))),
      );
      return asSocket(channel, {
        busy: (busy) => this.busy(busy),
        closed: () => this.release(),
      });
    } catch (err) {
      this.busy(false);
      this.release();
      throw err;
    }
  }

  /** Takes one of the connection's channels (busy until the agent pools it). */
  private async hold(): Promise<void> {
    if (this.openChannels >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.openChannels += 1;
    clearTimeout(this.idleTimer);
    this.busy(true);
  }

  /** While a channel serves a request, the connection keeps the process alive. */
  private busy(busy: boolean): void {
    this.busyChannels += busy ? 1 : -1;
    if (this.busyChannels > 0) this.socket?.ref();
    else this.socket?.unref();
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) return next(); // the channel passes to a waiting request
    this.openChannels -= 1;
    if (this.openChannels > 0) return;
    this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private close(): void {
    const client = this.client;
    this.client = undefined;
    this.socket = undefined;
    client?.then((c) => c.end()).catch(() => undefined);
  }

  private connect(): Promise<SshClient> {
    this.client ??= this.handshake().catch((err: unknown) => {
      this.client = undefined;
      this.socket = undefined;
      throw err;
    });
    return this.client;
  }

  private async handshake(): Promise<SshClient> {
    const knownHostsPath = this.endpoint.ssh?.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    const knownHosts = await readFile(knownHostsPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new SshTransportError(`${this.where}: cannot read the known_hosts file ${knownHostsPath} (${err.code ?? err.message})`);
    });
    const credentials = await this.credentials();
    // TCP keep-alive, not ssh2's keepaliveInterval: its timer would keep an idle process alive.
    const socket = tcpConnect(this.endpoint.port, this.endpoint.host).setKeepAlive(true, KEEPALIVE_MS);
    this.socket = socket;
    const client = new (loadSsh2().Client)();
    let hostKeyProblem: string | undefined;
    return new Promise<SshClient>((resolve, reject) => {
      const fail = (err: Error & { level?: string }) => {
        socket.destroy();
        reject(hostKeyProblem ? new SshTransportError(`${this.where}: ${hostKeyProblem}`) : this.problem(err));
      };
      client.once('ready', () => {
        client.removeListener('error', fail);
        client.on('error', () => this.close());
        client.once('close', () => {
          if (this.socket === socket) this.close();
        });
        resolve(client);
      });
      client.once('error', fail);
      try {
        client.connect({
          sock: socket,
          username: this.endpoint.username ?? process.env['USER'] ?? 'root',
          readyTimeout: READY_TIMEOUT_MS,
          hostVerifier: (offered: Buffer) => {
            const verdict = checkHostKey(knownHosts, knownHostsPath, this.endpoint.host, this.endpoint.port, offered);
            if (!verdict.trusted) hostKeyProblem = verdict.problem;
            return verdict.trusted;
          },
          ...credentials,
        });
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  private async credentials(): Promise<Pick<ConnectConfig, 'privateKey' | 'agent'>> {
    const identity = this.endpoint.ssh?.identity;
    if (identity === undefined) {
      const agent = process.env['SSH_AUTH_SOCK'];
      if (!agent)
        throw new SshTransportError(
          `${this.where}: no key to sign in with: set ssh.identity for this host, or run an ssh agent (SSH_AUTH_SOCK)`,
        );
      return { agent };
    }
    const privateKey = await readFile(identity).catch((err: NodeJS.ErrnoException) => {
      throw new SshTransportError(`${this.where}: cannot read the identity ${identity} (${err.code ?? err.message})`);
    });
    return { privateKey };
  }

  /** ssh2's errors, in words an operator can act on. */
  private problem(err: Error & { level?: string }): SshTransportError {
    const identity = this.endpoint.ssh?.identity;
    if (err.level === 'client-authentication')
      return new SshTransportError(
        `${this.where}: the server refused ${identity ? `the key ${identity}` : 'every key of the ssh agent'} (is its public key in the user's authorized_keys?)`,
      );
    if (/privateKey|private key|Cannot parse/i.test(err.message))
      return new SshTransportError(`${this.where}: cannot use the identity ${identity ?? ''} (${err.message})`);
    if (err.level === 'client-timeout') return new SshTransportError(`${this.where}: no SSH handshake within ${READY_TIMEOUT_MS / 1000} s`);
    const code = (err as NodeJS.ErrnoException).code;
    return new SshTransportError(`${this.where}: ${code && !err.message.includes(code) ? `${code}: ` : ''}${err.message}`);
  }
}

/**
 * Node's HTTP client treats its connection as a net.Socket: it sets timeouts and keep-alive on
 * it, and refs it while a request uses it and unrefs it in the agent's pool. A dial-stdio
 * channel gets those methods; its idle timeout works as a socket's does.
 */
function asSocket(channel: ClientChannel, session: { busy: (busy: boolean) => void; closed: () => void }): Duplex {
  let idleMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = true;
  let closed = false;
  const arm = () => {
    clearTimeout(timer);
    if (idleMs <= 0 || closed) return;
    timer = setTimeout(() => channel.emit('timeout'), idleMs);
    timer.unref();
  };
  const setBusy = (next: boolean) => {
    if (next === busy || closed) return;
    busy = next;
    session.busy(next);
  };
  const socket = channel as ClientChannel & Record<string, unknown>;
  socket['setTimeout'] = (ms: number, callback?: () => void) => {
    idleMs = ms;
    socket['timeout'] = ms;
    // As net.Socket: a zero timeout with a callback removes that listener (http does it when a
    // request ends on a kept-alive socket); otherwise the callback listens once.
    if (callback && ms === 0) channel.removeListener('timeout', callback);
    else if (callback) channel.once('timeout', callback);
    arm();
    return channel;
  };
  socket['setNoDelay'] = () => channel;
  socket['setKeepAlive'] = () => channel;
  socket['ref'] = () => {
    setBusy(true);
    return channel;
  };
  socket['unref'] = () => {
    setBusy(false);
    return channel;
  };
  channel.on('data', arm);
  channel.once('close', () => {
    clearTimeout(timer);
    // A stream destroyed without ssh2's destroy (a request its fence refused) closes its channel here.
    channel.close();
    if (closed) return;
    if (busy) session.busy(false);
    closed = true;
    session.closed();
  });
  return channel;
}
