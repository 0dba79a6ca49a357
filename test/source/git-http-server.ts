/**
 * A real smart-HTTP git server on loopback for tests: a node http server that
 * runs `git http-backend` as a CGI program, as GitLab and GitHub serve git.
 * Optionally requires HTTP basic auth with a token, and can stall (accept
 * requests and never answer) to test timeouts. Serves every repository under
 * `projectRoot` at `<url>/<name>`.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface GitHttpServerOptions {
  /** The folder holding the served repositories. */
  projectRoot: string;
  /** When set, every request needs basic auth whose password is this token (any user name). */
  token?: string;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The URL of the repository at `<projectRoot>/<name>`. */
  repoUrl(name: string): string;
  /** While true, requests are accepted and never answered. */
  stall: boolean;
  /** Requests received so far. */
  readonly requestCount: number;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const sockets = new Set<Socket>();
  let requestCount = 0;
  const state = { stall: false };
  const server = createServer((request, response) => {
    requestCount += 1;
    if (state.stall) return;
    if (options.token !== undefined && !hasToken(request, options.token)) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' }).end('authentication required\n');
      return;
    }
    runHttpBackend(options.projectRoot, request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    repoUrl: (name) => `${url}/${name}`,
    get stall() {
      return state.stall;
    },
    set stall(value: boolean) {
      state.stall = value;
    },
    get requestCount() {
      return requestCount;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function hasToken(request: IncomingMessage, token: string): boolean {
  const match = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

function runHttpBackend(projectRoot: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: request.method ?? 'GET',
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
  };
  if (request.headers['content-length']) env.CONTENT_LENGTH = request.headers['content-length'];
  if (request.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = request.headers['content-encoding'];
  const gitProtocol = request.headers['git-protocol'];
  if (typeof gitProtocol === 'string') env.GIT_PROTOCOL = gitProtocol;
  const backend = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  request.pipe(backend.stdin);
  backend.stdin.on('error', () => undefined); // the backend may exit before reading everything
  let stderr = '';
  backend.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  forwardCgiOutput(backend.stdout, response);
  backend.on('error', (err) => failResponse(response, `cannot run git http-backend: ${err.message}`));
  backend.on('close', (code) => {
    if (code !== 0 && !response.headersSent) failResponse(response, `git http-backend exited with ${code}: ${stderr}`);
  });
}

/** Turns CGI output (header lines, a blank line, the body) into the HTTP response. */
function forwardCgiOutput(stdout: NodeJS.ReadableStream, response: ServerResponse): void {
  let head = Buffer.alloc(0);
  let bodyStarted = false;
  stdout.on('data', (chunk: Buffer) => {
    if (bodyStarted) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (!end) return;
    bodyStarted = true;
    writeCgiHeaders(head.subarray(0, end.index).toString('latin1'), response);
    response.write(head.subarray(end.index + end.length));
  });
  stdout.on('end', () => {
    if (!bodyStarted) failResponse(response, 'git http-backend wrote no headers');
    else response.end();
  });
}

function headerEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  return lf >= 0 ? { index: lf, length: 2 } : undefined;
}

function writeCgiHeaders(text: string, response: ServerResponse): void {
  let status = 200;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else response.setHeader(name, value);
  }
  response.writeHead(status);
}

function failResponse(response: ServerResponse, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
}
