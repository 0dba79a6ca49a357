/**
 * Runs rancher-compose health-check probes on a Docker host, inside each container's own network
 * namespace, without any tool in the app's image and without any port opened on the host.
 *
 * One probe agent per host and per corral process: a container from the configured probe image
 * (busybox: sh, nsenter, nc, timeout) started with the host's PID namespace and the capabilities
 * to enter other network namespaces (SYS_ADMIN, SYS_PTRACE), no network of its own. corral talks
 * to it over the Docker API connection it already has (an attached stdin/stdout), one line per
 * probe each way, so a probe costs a few process starts on the host and no Docker API call.
 * The agent lives as long as that connection: when corral stops or dies, its stdin closes, the
 * shell exits and Docker removes the container (AutoRemove, StdinOnce).
 *
 * Each probe: `nsenter -t <container pid> -n` then `nc` to the container's address and port —
 * a bare connect for a TCP check, or the request line for an HTTP check (the status line comes
 * back) — bounded by `timeout`. The agent reports; status/health-check.ts decides.
 */
import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { HttpRequestLine, ProbeReply } from '../model/health.js';
import { describeError } from './transport-errors.js';

export const PROBE_AGENT_LABEL = 'io.corral.probe-agent';

/** A probe gets this long beyond its own timeout to be answered before the agent counts as lost. */
const ANSWER_GRACE_MS = 3000;
/** After a failed start, wait this long before trying again (doubling up to the maximum). */
const RETRY_MS = 2000;
const MAX_RETRY_MS = 60_000;

/**
 * The agent's program. Per input line `<id> <pid> <address> <port> <seconds> <request|->` it probes in
 * the background and prints `<id> <exit code> <first line of output>`, or `<id> gone`. The request
 * comes as printf %b escapes, so no byte of it is ever read by the shell as syntax.
 */
const AGENT_SCRIPT = [
  "nl='",
  "'",
  'while read -r id pid addr port secs req; do',
  '  (',
  '    [ -e "/proc/$pid/ns/net" ] || { echo "$id gone"; exit 0; }',
  '    if [ "$req" = - ]; then',
  '      out=$(timeout "$secs" nsenter -F -t "$pid" -n nc "$addr" "$port" -e true 2>&1 </dev/null)',
  '    else',
  `      out=$(printf '%b' "$req" | timeout "$secs" nsenter -F -t "$pid" -n nc "$addr" "$port" 2>&1)`,
  '    fi',
  '    rc=$?',
  '    echo "$id $rc ${out%%"$nl"*}"',
  '  ) &',
  'done',
].join('\n');

export interface ProbeTarget {
  /** The container's main process, as the host sees it (`State.Pid`). */
  pid: number;
  /** Where to connect inside the container's network namespace. */
  address: string;
  port: number;
  timeoutMs: number;
  /** Absent: a TCP connect check. */
  http?: HttpRequestLine;
}

interface Pending {
  resolve: (reply: ProbeReply) => void;
  timer: NodeJS.Timeout;
}

interface Session {
  stream: Duplex;
  container: Docker.Container;
}

export class ProbeAgent {
  private session?: Promise<Session>;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private retryAtMs = 0;
  private retryMs = RETRY_MS;
  private lastError = '';
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly docker: Docker,
    private readonly image: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs one probe; never rejects: a probe that cannot be run is `unreachable`. */
  async probe(target: ProbeTarget): Promise<ProbeReply> {
    let session: Session;
    try {
      session = await this.ensureSession();
    } catch (err) {
      return { kind: 'unreachable', detail: `probe agent on ${this.host}: ${describeError(err)}` };
    }
    const id = String(this.nextId++);
    return new Promise<ProbeReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          kind: 'unreachable',
          detail: `probe agent on ${this.host} did not answer within ${target.timeoutMs + ANSWER_GRACE_MS} ms`,
        });
      }, target.timeoutMs + ANSWER_GRACE_MS);
      this.pending.set(id, { resolve, timer });
      session.stream.write(`${id} ${probeLine(target)}\n`);
    });
  }

  /** Ends the session: the agent container exits and is removed. */
  async close(): Promise<void> {
    this.closed = true;
    const session = await this.session?.catch(() => undefined);
    this.session = undefined;
    if (!session) return;
    session.stream.end();
    await session.container.remove({ force: true }).catch(() => undefined);
  }

  private ensureSession(): Promise<Session> {
    if (this.closed) return Promise.reject(new Error('closed'));
    if (this.session) return this.session;
    if (this.now() < this.retryAtMs) return Promise.reject(new Error(`${this.lastError} (retrying)`));
    this.session = this.startSession().then(
      (session) => {
        this.retryMs = RETRY_MS;
        return session;
      },
      (err: unknown) => {
        this.lastError = `cannot start (image ${this.image}): ${describeError(err)}`;
        this.retryAtMs = this.now() + this.retryMs;
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
        this.session = undefined;
        throw new Error(this.lastError);
      },
    );
    return this.session;
  }

  private async startSession(): Promise<Session> {
    await this.ensureImage();
    const container = await this.docker.createContainer({
      name: `corral-probe-${randomBytes(4).toString('hex')}`,
      Image: this.image,
      Cmd: ['sh', '-c', AGENT_SCRIPT],
      Labels: { [PROBE_AGENT_LABEL]: 'true' },
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: {
        AutoRemove: true,
        PidMode: 'host',
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        CapAdd: ['SYS_ADMIN', 'SYS_PTRACE'],
        RestartPolicy: { Name: '' },
      },
    });
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      this.listen(stream);
      await container.start();
      return { stream, container };
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  private async ensureImage(): Promise<void> {
    const present = await this.docker
      .getImage(this.image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (present) return;
    const progress = await this.docker.pull(this.image);
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  }

  private listen(stream: Duplex): void {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.docker.modem.demuxStream(stream, stdout, stderr);
    let buffered = '';
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.answer(line);
    });
    const lost = (why: string) => {
      this.session = undefined;
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.resolve({ kind: 'unreachable', detail: `probe agent on ${this.host} stopped: ${why}` });
        this.pending.delete(id);
      }
    };
    stream.on('end', () => lost('its connection ended'));
    stream.on('close', () => lost('its connection closed'));
    stream.on('error', (err: Error) => lost(err.message));
  }

  private answer(line: string): void {
    // An HTTP status line ends in \r, which `.` does not match.
    const match = /^(\d+) (gone|-?\d+)(?: (.*))?$/.exec(line.replace(/\r/g, ''));
    if (!match) return;
    const pending = this.pending.get(match[1] as string);
    if (!pending) return;
    this.pending.delete(match[1] as string);
    clearTimeout(pending.timer);
    if (match[2] === 'gone') return pending.resolve({ kind: 'gone' });
    const exitCode = Number(match[2]);
    // timeout(1) ends the check with SIGTERM: 143; 124 where it reports the timeout itself.
    pending.resolve({ kind: 'answer', exitCode, timedOut: exitCode === 143 || exitCode === 124, output: match[3] ?? '' });
  }
}

/** `<pid> <address> <port> <seconds> <request|->`, the agent's input after the id. */
export function probeLine(target: ProbeTarget): string {
  const seconds = (Math.max(1, target.timeoutMs) / 1000).toFixed(3).replace(/\.?0+$/, '');
  const request = target.http ? printfEscaped(httpRequest(target.http, target.address, target.port)) : '-';
  return `${target.pid} ${target.address} ${target.port} ${seconds} ${request}`;
}

/** The request as sent: request line, the smuggled headers, a blank line. */
export function httpRequest(http: HttpRequestLine, address: string, port: number): string {
  const hostHeader = http.version === 'HTTP/1.1' && !http.headers.some((h) => /^host:/i.test(h)) ? [`Host: ${address}:${port}`] : [];
  return [`${http.method} ${http.path} ${http.version}`, ...http.headers, ...hostHeader, 'Connection: close', '', ''].join('\r\n');
}

/** Every byte outside a safe set as a `\0NNN` octal escape for printf %b: nothing reaches the shell as syntax. */
function printfEscaped(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9/._:=?&-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `\\0${byte.toString(8).padStart(3, '0')}`,
    )
    .join('');
}
