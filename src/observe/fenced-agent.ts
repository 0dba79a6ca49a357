/**
 * Fenced connections: an HTTP agent whose requests leave the process only while a fence lets
 * them through, asked at the last moment a request's bytes could still be held back. A leader
 * that checks its lease before an operation and is then paused (SIGSTOP, a VM freeze, a long
 * GC) would otherwise send that operation when it resumes, after another replica took over:
 * between the check and the first byte written lie several turns of the event loop (building
 * the request, connecting). Here each request's bytes wait in its corked socket, and the fence
 * is asked in the same synchronous step that writes them: on a new connection once it is
 * connected (for TLS, once its handshake is done), on a kept-alive one after the request has
 * been written into it. A refusal destroys the socket; nothing of the request is sent, and the
 * request fails with a FencedError carrying the fence's reason. What remains is the step from
 * that check to the kernel's write, which no client can close (only the server could, with
 * fencing tokens). I/O.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';

/** Undefined lets a request through; a reason stops it. */
export type Fence = () => string | undefined;

/** A request the fence stopped before any of it was sent. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

export function isFencedError(err: unknown): err is FencedError {
  return err instanceof Error && err.name === 'FencedError';
}

type Callback = (err: Error | null, socket?: Duplex) => void;
// biome-ignore lint/suspicious/noExplicitAny: TypeScript's rule for a mixin's base constructor
type AgentClass = new (...args: any[]) => HttpAgent;

/** `Base` (an http, https or custom agent class) whose every request first asks `fence`. */
export function fencedAgentClass<T extends AgentClass>(Base: T) {
  return class FencedAgent extends Base {
    fence: Fence = () => undefined;
    // A request the agent queues gets a freed socket without reuseSocket, past the fence: none is
    // queued. (A transport that bounds its connections makes createConnection wait instead: ./ssh.ts.)
    override maxSockets = Number.POSITIVE_INFINITY;

    [inspect.custom](): string {
      return briefly(this);
    }

    override createConnection(options: unknown, callback: Callback): Duplex | undefined {
      // A transport either returns its socket or hands it to the callback later (ssh channels).
      const handOver: Callback = (err, socket) => {
        if (socket) holdUntilAsked(socket, this.fence, whenConnected(socket));
        callback(err, socket);
      };
      const create = super.createConnection as (options: unknown, callback: Callback) => Duplex | undefined;
      const socket = create.call(this, options, handOver);
      if (socket) holdUntilAsked(socket, this.fence, whenConnected(socket));
      return socket;
    }

    override reuseSocket(socket: Socket, request: Parameters<HttpAgent['reuseSocket']>[1]): void {
      super.reuseSocket(socket, request);
      // The request's bytes reach the socket a few ticks after it is handed over; the next turn
      // of the event loop comes after them.
      holdUntilAsked(socket, this.fence, setImmediate);
    }
  };
}

const FencedHttpAgent = fencedAgentClass(HttpAgent);
const FencedHttpsAgent = fencedAgentClass(HttpsAgent);

/** A keep-alive http agent (as Node's global one) whose requests ask `fence` first. */
export function fencedHttpAgent(fence: Fence): HttpAgent {
  return withFence(new FencedHttpAgent({ keepAlive: true }), fence);
}

/** The same for https; the TLS options travel with each request, as without an agent. */
export function fencedHttpsAgent(fence: Fence): HttpsAgent {
  return withFence(new FencedHttpsAgent({ keepAlive: true }), fence);
}

/**
 * An agent as `util.inspect` shows it: its class and how many sockets it holds. docker-modem
 * inspects every request's options, agent included, with `showHidden` and no depth limit for a
 * debug line, even with that log off: the whole agent, its sockets and their TLS state, about
 * 0.1 ms (8.5 kB of text) per request with one kept-alive unix socket, more with TLS.
 */
export function briefly(agent: HttpAgent): string {
  const count = (lists: NodeJS.ReadOnlyDict<readonly unknown[]>) =>
    Object.values(lists).reduce((sum, list) => sum + (list?.length ?? 0), 0);
  return `${agent.constructor.name} { sockets: ${count(agent.sockets)}, free: ${count(agent.freeSockets)} }`;
}

export function withFence<A extends { fence: Fence }>(agent: A, fence: Fence): A {
  agent.fence = fence;
  return agent;
}

/**
 * Holds what is written to `socket` until `when` says it would leave at once, then asks the
 * fence: its bytes go out in that same step, or the socket is destroyed with them.
 */
function holdUntilAsked(socket: Duplex, fence: Fence, when: (then: () => void) => void): void {
  socket.cork();
  when(() => {
    const refusal = fence();
    // A stream's own destroy drops what is held; ssh2's channel overrides it with an end() that
    // would send it first.
    if (refusal) Duplex.prototype.destroy.call(socket, new FencedError(refusal));
    else socket.uncork();
  });
}

/**
 * Until a new socket is connected (and for TLS, its handshake done), its writes would wait in
 * Node or in the TLS layer, past the cork; after, a write reaches the kernel in the call that
 * makes it. A transport that hands over an open stream (an ssh channel) is like a kept-alive one.
 */
function whenConnected(socket: Duplex): (then: () => void) => void {
  if (socket instanceof TLSSocket) return (then) => socket.once('secureConnect', then);
  if ((socket as Socket).connecting) return (then) => socket.once('connect', then);
  return setImmediate;
}
