/**
 * A small client for etcd's v3 gRPC-gateway JSON API (`POST /v3/...`, etcd 3.4 and later), with
 * just what leader election needs: leases (grant, keep-alive, revoke), a create-if-absent
 * transaction, a read and a watch of one key. I/O: HTTP(S) requests to the configured endpoints;
 * a request that fails on the network is tried on the next endpoint.
 *
 * The gateway speaks JSON over plain HTTP(S): keys and values are base64, 64-bit numbers are
 * decimal strings. A watch is one long response of newline-separated JSON messages.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface EtcdTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdOptions {
  endpoints: readonly string[];
  tls?: EtcdTls;
  /** Milliseconds one request may take on one endpoint. */
  timeoutMs: number;
}

/** The key's current holder, as stored. */
export interface KeyValue {
  value: string;
  lease: string;
  createRevision: string;
}

export type CreateResult = { created: true; revision: string } | { created: false; revision: string; holder?: KeyValue };

export type WatchEvent = { type: 'put'; kv: KeyValue; revision: string } | { type: 'delete'; revision: string };

/** An error etcd answered with (not a network problem): another endpoint would answer the same. */
export class EtcdAnswerError extends Error {}

interface RawKv {
  key?: string;
  value?: string;
  lease?: string;
  create_revision?: string;
  mod_revision?: string;
}

interface RawHeader {
  header?: { revision?: string };
}

export class EtcdGateway {
  private next = 0;
  private readonly agent: HttpAgent;

  constructor(private readonly options: EtcdOptions) {
    if (options.endpoints.length === 0) throw new Error('etcd: no endpoints');
    this.agent = this.secure ? new HttpsAgent({ keepAlive: true, ...options.tls }) : new HttpAgent({ keepAlive: true });
  }

  /** The endpoint the next request goes to first. */
  get endpoint(): string {
    return this.options.endpoints[this.next % this.options.endpoints.length] as string;
  }

  async grant(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number }> {
    const answer = await this.call<RawHeader & { ID?: string; TTL?: string; error?: string }>('lease/grant', { TTL: ttlSeconds });
    if (!answer.ID || answer.error) throw new EtcdAnswerError(`etcd did not grant a lease: ${answer.error ?? 'no lease id in the answer'}`);
    return { id: answer.ID, ttlSeconds: Number(answer.TTL ?? 0) };
  }

  /** Renews the lease once; answers its TTL in seconds, 0 when etcd no longer knows it. */
  async keepAlive(leaseId: string): Promise<number> {
    const answer = await this.call<{ result?: { TTL?: string } }>('lease/keepalive', { ID: leaseId });
    return Number(answer.result?.TTL ?? 0);
  }

  async revoke(leaseId: string): Promise<void> {
    try {
      await this.call('lease/revoke', { ID: leaseId });
    } catch (err) {
      if (err instanceof EtcdAnswerError && /lease not found/.test(err.message)) return;
      throw err;
    }
  }

  /** Puts `key` = `value` under the lease only if the key does not exist; otherwise reads its holder. */
  async createIfAbsent(key: string, value: string, leaseId: string): Promise<CreateResult> {
    const encodedKey = b64(key);
    const answer = await this.call<RawHeader & { succeeded?: boolean; responses?: { response_range?: { kvs?: RawKv[] } }[] }>('kv/txn', {
      compare: [{ key: encodedKey, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
      success: [{ request_put: { key: encodedKey, value: b64(value), lease: leaseId } }],
      failure: [{ request_range: { key: encodedKey } }],
    });
    const revision = answer.header?.revision ?? '0';
    if (answer.succeeded) return { created: true, revision };
    const kv = answer.responses?.[0]?.response_range?.kvs?.[0];
    return { created: false, revision, ...(kv ? { holder: keyValue(kv) } : {}) };
  }

  async get(key: string): Promise<{ revision: string; kv?: KeyValue }> {
    const answer = await this.call<RawHeader & { kvs?: RawKv[] }>('kv/range', { key: b64(key) });
    const kv = answer.kvs?.[0];
    return { revision: answer.header?.revision ?? '0', ...(kv ? { kv: keyValue(kv) } : {}) };
  }

  /**
   * Watches `key` from `fromRevision` on. `onEvent` gets each change; `onEnd` is called once when
   * the stream ends or fails (the caller reads the key again and watches anew). Returns a cancel function.
   */
  watch(key: string, fromRevision: string, onEvent: (event: WatchEvent) => void, onEnd: (reason: string) => void): () => void {
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      onEnd(reason);
    };
    const body = JSON.stringify({ create_request: { key: b64(key), start_revision: fromRevision } });
    const request = this.send('watch', body, { agent: false }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return end(`watch answered HTTP ${response.statusCode}`);
      }
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line === '') continue;
          const problem = deliverWatchMessage(line, onEvent);
          if (problem) {
            request.destroy();
            return end(problem);
          }
        }
      });
      response.on('end', () => end('the watch stream ended'));
      response.on('error', (err) => end(err.message));
    });
    request.on('error', (err) => end(describe(err)));
    return () => {
      ended = true;
      request.destroy();
    };
  }

  close(): void {
    this.agent.destroy();
  }

  // --- transport ------------------------------------------------------------

  private get secure(): boolean {
    return this.options.endpoints[0]?.startsWith('https:') ?? false;
  }

  /** One request, tried on each endpoint in turn (starting with the last one that answered) until one answers. */
  private async call<T>(path: string, body: unknown): Promise<T> {
    const text = JSON.stringify(body);
    const problems: string[] = [];
    for (let attempt = 0; attempt < this.options.endpoints.length; attempt++) {
      const endpoint = this.endpoint;
      try {
        return (await this.once(path, text)) as T;
      } catch (err) {
        if (err instanceof EtcdAnswerError) throw err;
        problems.push(`${endpoint}: ${describe(err)}`);
        this.next += 1;
      }
    }
    throw new Error(`etcd is unreachable (${problems.join('; ')})`);
  }

  private once(path: string, body: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = this.send(path, body, { agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          answered = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const answer = parseJson(text);
          if (response.statusCode === 200 && answer !== undefined) return resolve(answer);
          const status = response.statusCode ?? 0;
          const message = (answer as { message?: string } | undefined)?.message ?? text.trim().slice(0, 200);
          // 5xx: this member cannot answer now (no leader, timeout): another one may.
          if (status >= 500) return reject(new Error(`HTTP ${status}: ${message}`));
          reject(new EtcdAnswerError(`etcd answered HTTP ${status}: ${message}`));
        });
      });
      // After a stall of the event loop, timers run before the sockets are read: the answer may be
      // waiting. setImmediate runs after they were read, so a timely answer is not called late.
      const giveUp = () => {
        if (!answered) request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`));
      };
      const timer = setTimeout(() => setImmediate(giveUp), this.options.timeoutMs);
      request.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private send(
    path: string,
    body: string,
    extra: { agent: HttpAgent | false },
    onResponse: (response: IncomingMessage) => void,
  ): ReturnType<typeof httpRequest> {
    const url = new URL(`/v3/${path}`, this.endpoint);
    const make = this.secure ? httpsRequest : httpRequest;
    const tls = this.secure ? (this.options.tls ?? {}) : {};
    const request = make(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, ...extra, ...tls },
      onResponse,
    );
    request.end(body);
    return request;
  }
}

/** Hands a watch message's events to `onEvent`; answers a problem when the watch cannot go on. */
function deliverWatchMessage(line: string, onEvent: (event: WatchEvent) => void): string | undefined {
  const message = parseJson(line) as
    | {
        result?: RawHeader & {
          canceled?: boolean;
          cancel_reason?: string;
          compact_revision?: string;
          events?: { type?: string; kv?: RawKv }[];
        };
        error?: { message?: string };
      }
    | undefined;
  if (!message) return 'the watch sent something that is not JSON';
  if (message.error) return `the watch failed: ${message.error.message ?? 'unknown error'}`;
  const result = message.result;
  if (!result) return undefined;
  if (result.canceled) return `etcd cancelled the watch${result.cancel_reason ? `: ${result.cancel_reason}` : ''}`;
  for (const event of result.events ?? []) {
    const revision = event.kv?.mod_revision ?? result.header?.revision ?? '0';
    if (event.type === 'DELETE') onEvent({ type: 'delete', revision });
    else if (event.kv) onEvent({ type: 'put', kv: keyValue(event.kv), revision });
  }
  return undefined;
}

function keyValue(kv: RawKv): KeyValue {
  return {
    value: kv.value ? Buffer.from(kv.value, 'base64').toString('utf8') : '',
    lease: kv.lease ?? '0',
    createRevision: kv.create_revision ?? '0',
  };
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: string } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
