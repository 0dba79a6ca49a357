/**
 * Requests that say they timed out. docker-modem's own `timeout` ends an idle request with
 * `req.destroy()` and no reason, which Node reports as "ECONNRESET: socket hang up", as if
 * Docker had closed the connection. An agent given to `timingOut` ends each of its requests that
 * stays idle for the time given with a RequestTimeoutError, which names that time. I/O (sockets).
 */
import type { Agent, ClientRequest } from 'node:http';

/** A request to Docker that had no answer (no byte) for `timeoutMs`. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'ETIMEDOUT';

  constructor(readonly timeoutMs: number) {
    super(`request timed out: no answer within ${Math.round(timeoutMs / 100) / 10} s`);
  }
}

/** http.Agent's hook for each request it is given (Node calls it from the request's constructor). */
interface RequestHook {
  addRequest(request: ClientRequest, options: unknown): void;
}

/**
 * `agent` as seen by requests made with the result: each fails with a RequestTimeoutError once idle
 * for `timeoutMs`. The agent itself is not changed (an ssh agent is shared by the clients of its
 * host): the result passes every request on to it and reads everything else from it.
 */
export function timingOut<A extends Agent>(agent: A, timeoutMs: number): A {
  const real = agent as A & RequestHook;
  const timed = Object.create(real) as A & RequestHook;
  timed.addRequest = (request: ClientRequest, options: unknown) => {
    request.setTimeout(timeoutMs, () => request.destroy(new RequestTimeoutError(timeoutMs)));
    real.addRequest(request, options);
  };
  return timed;
}
