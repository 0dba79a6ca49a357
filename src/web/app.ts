/**
 * The app store over HTTP, served by the daemon beside its API: catalog and template pages,
 * the request form (checked, then committed on a request branch by the publisher), the stacks
 * pages with their live part, Server-Sent Events saying when the status changed, icons and
 * assets. Decides nothing about stacks: it reads the daemon's state and hands requests on.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import type { DesiredState } from '../render/desired-state.js';
import { encryptAnswer, parseRecipients } from '../secrets/age.js';
import { RECIPIENTS_FILE } from '../secrets/answers.js';
import type { StackStatus } from '../status/stack-status.js';
import { APP_CSS, APP_JS } from './assets.js';
import { catalogPage, defaultVersion, requestedPage, templatePage } from './catalog-pages.js';
import { buildForm, parseFormBody, type Submitted, stackFileText } from './form.js';
import type { Html } from './html.js';
import { type Author, type CheckedRequest, checkRequest, META, type MetaField, templateReference } from './request.js';
import { notFoundPage, stackLive, stackPage, stacksLive, stacksPage } from './stack-pages.js';

/** What the app store reads of the daemon. */
export interface WebBackend {
  /** The last desired state read from the repository (catalogs and stacks), if any yet. */
  desiredState(): DesiredState | undefined;
  stacks(): StackStatus[];
  stack(name: string): StackStatus | undefined;
  /** A file of the repository's last revision read (`.corral/recipients.txt`), if the backend has it. */
  repositoryText?(path: string): string | undefined;
  /** A number that changes whenever a stack's status does; without it the live feed compares the statuses. */
  statusVersion?(): number;
}

export interface PublishRequest {
  stackName: string;
  /** `stacks/<name>/stack.yml` */
  path: string;
  text: string;
  author: Author;
  message: string;
}

export interface PublishResult {
  branch: string;
  commit: string;
  /** The page that opens the merge request (GitLab, GitHub). */
  mergeRequestUrl?: string;
}

/** Writes requests to the writable remote (see ./request-branch.ts). */
export interface RequestPublisher {
  /** The remote, for people (no credentials). */
  describe(): string;
  /** The branch a request for this stack goes to. */
  branchFor(stackName: string): string;
  publish(request: PublishRequest): Promise<PublishResult>;
}

/** A request the remote refused; `field` says which form field it is about. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly field?: MetaField,
  ) {
    super(message);
  }
}

export interface WebOptions {
  backend: WebBackend;
  publisher?: RequestPublisher;
  /** Headers a trusted sign-in proxy sets: the user's name and e-mail. */
  proxyHeaders?: { user: string; email?: string };
  /** How often the live feed looks for a changed status; default 1000 ms. */
  liveIntervalMs?: number;
}

const MAX_FORM_BYTES = 256 * 1024;
const HEARTBEAT_MS = 15_000;
const SECRET_TYPES = new Set(['password', 'secret', 'certificate']);
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export class WebApp {
  private readonly live: LiveFeed;

  constructor(private readonly options: WebOptions) {
    const { backend } = options;
    const probe = backend.statusVersion
      ? () => String(backend.statusVersion?.())
      : () => createHash('sha1').update(JSON.stringify(backend.stacks())).digest('hex');
    this.live = new LiveFeed(probe, options.liveIntervalMs ?? 1000);
  }

  /** Answers the request if it is one of the app store's; false leaves it to the API. */
  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const parts = path.split('/').slice(1).map(safeDecode);
    if (parts.some((p) => p === undefined)) return false;
    const [top, first, second, ...rest] = parts as string[];
    if (method === 'POST' && top === 'catalog' && first && second && rest.length === 0) {
      await this.submit(request, response, first, second);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (path === '/') return redirect(response, '/catalog');
    if (top === 'assets' && first === 'app.css' && !second) return sendAsset(response, APP_CSS, 'text/css; charset=utf-8');
    if (top === 'assets' && first === 'app.js' && !second) return sendAsset(response, APP_JS, 'text/javascript; charset=utf-8');
    if (top === 'live' && !first && method === 'GET') return this.live.subscribe(request, response);
    if (top === 'catalog' && !first) return sendHtml(response, 200, this.catalog(url));
    if (top === 'catalog' && first && second && rest.length === 0) return this.template(response, first, second, url);
    if (top === 'icons' && first && second && rest.length === 0) return this.icon(response, first, second);
    if (top === 'stacks' && !first) {
      const statuses = this.options.backend.stacks();
      return sendHtml(response, 200, url.searchParams.get('fragment') === 'live' ? stacksLive(statuses) : stacksPage(statuses));
    }
    if (top === 'stacks' && first && !second) {
      const status = this.options.backend.stack(first);
      return sendHtml(response, 200, url.searchParams.get('fragment') === 'live' ? stackLive(first, status) : stackPage(first, status));
    }
    return false;
  }

  /** Ends the live streams, so that the server can close. */
  close(): void {
    this.live.close();
  }

  private catalog(url: URL): Html {
    const query = { q: url.searchParams.get('q') ?? '', category: url.searchParams.get('category') ?? '' };
    return catalogPage(this.options.backend.desiredState()?.catalogs ?? [], query, hasIcon);
  }

  private findTemplate(catalogName: string, id: string): CatalogTemplate | undefined {
    const catalog = this.options.backend.desiredState()?.catalogs.find((c) => c.name === catalogName);
    return catalog?.templates.find((t) => t.id === id && t.versions.length > 0);
  }

  private template(response: ServerResponse, catalogName: string, id: string, url: URL): true {
    const template = this.findTemplate(catalogName, id);
    if (!template) return this.notFound(response, `There is no template "${id}" in catalog "${catalogName}".`);
    const folder = url.searchParams.get('version');
    const version = folder === null ? defaultVersion(template) : template.versions.find((v) => v.folder === folder);
    if (!version) return this.notFound(response, `Template "${template.name}" has no version "${folder ?? ''}".`);
    return sendHtml(response, 200, this.templateView(template, version, undefined, undefined, undefined));
  }

  private templateView(
    template: CatalogTemplate,
    version: TemplateVersion,
    submitted: Submitted | undefined,
    checked: CheckedRequest | undefined,
    proxyAuthor: Author | undefined,
  ): Html {
    const value = (name: string) => submitted?.get(name)?.at(-1) ?? '';
    return templatePage({
      template,
      version,
      hasIcon: hasIcon(template),
      groups: buildForm({
        questions: version.questions,
        ...(submitted ? { submitted } : {}),
        ...(checked ? { errors: checked.answerErrors } : {}),
        services: this.serviceChoices(),
      }),
      meta: {
        [META.stack]: value(META.stack),
        [META.version]: version.folder,
        [META.authorName]: value(META.authorName),
        [META.authorEmail]: value(META.authorEmail),
      },
      metaErrors: checked?.metaErrors ?? new Map(),
      otherErrors: checked?.otherErrors ?? [],
      ...(proxyAuthor ? { proxyAuthor } : {}),
      askAuthor: this.options.publisher !== undefined && proxyAuthor === undefined,
      ...(this.options.publisher ? { destination: `a new branch of ${this.options.publisher.describe()}` } : {}),
    });
  }

  private async submit(request: IncomingMessage, response: ServerResponse, catalogName: string, id: string): Promise<void> {
    if (!sameOrigin(request)) return void sendText(response, 403, 'cross-site form posts are refused\n');
    const template = this.findTemplate(catalogName, id);
    if (!template) return void this.notFound(response, `There is no template "${id}" in catalog "${catalogName}".`);
    const body = await readBody(request, MAX_FORM_BYTES);
    if (body === undefined) return void sendText(response, 413, `the form is larger than ${MAX_FORM_BYTES} bytes\n`);
    const submitted = parseFormBody(body);
    const folder = submitted.get(META.version)?.at(-1);
    const version = template.versions.find((v) => v.folder === folder) ?? defaultVersion(template);
    if (!version) return void this.notFound(response, `Template "${template.name}" has no version "${folder ?? ''}".`);
    const proxyAuthor = this.proxyAuthor(request);
    const state = this.options.backend.desiredState();
    const recipients = this.recipients();
    const checked = checkRequest(
      {
        catalogs: state?.catalogs ?? [],
        ...(state ? { policy: state.policy } : {}),
        template,
        version,
        existingStacks: this.stackNames(),
        secretsSealed: recipients.length > 0,
        ...(proxyAuthor ? { proxyAuthor } : {}),
        authorRequired: this.options.publisher !== undefined,
      },
      submitted,
    );
    if (!checked.ok) return void sendHtml(response, 422, this.templateView(template, version, submitted, checked, proxyAuthor));
    const secretVariables = version.questions.filter((q) => SECRET_TYPES.has(q.type)).map((q) => q.variable);
    const written = await sealedFile(template, version, checked, secretVariables, recipients);
    const shown = this.shownFile(template, version, checked, written, secretVariables);
    const publisher = this.options.publisher;
    if (!publisher || !checked.author)
      return void sendHtml(
        response,
        200,
        requestedPage({ template, version, stackName: checked.stackName, file: shown.file, secretsMasked: shown.masked }),
      );
    try {
      const pushed = await publisher.publish({
        stackName: checked.stackName,
        path: checked.file.path,
        text: written.text,
        author: checked.author,
        message: `Request stack ${checked.stackName}: ${template.name} ${version.version}\n\nRequested in the corral app store by ${checked.author.name}.\n`,
      });
      sendHtml(
        response,
        201,
        requestedPage({
          template,
          version,
          stackName: checked.stackName,
          file: shown.file,
          secretsMasked: shown.masked,
          pushed: { ...pushed, remote: publisher.describe() },
        }),
      );
    } catch (err) {
      const refused = err instanceof PublishError ? err : new PublishError(`the request could not be pushed: ${errorText(err)}`);
      const withError: CheckedRequest = {
        ...checked,
        ok: false,
        metaErrors: new Map(refused.field ? [[refused.field, refused.message]] : []),
        otherErrors: refused.field ? [] : [refused.message],
      };
      sendHtml(response, refused.field ? 409 : 502, this.templateView(template, version, submitted, withError, proxyAuthor));
    }
  }

  /** The file as pages show it: a plaintext secret answer is never shown. */
  private shownFile(
    template: CatalogTemplate,
    version: TemplateVersion,
    checked: CheckedRequest,
    written: { text: string; sealed: boolean },
    secretVariables: string[],
  ): { file: { path: string; text: string }; masked: boolean } {
    const secrets = secretVariables.filter((v) => checked.answers[v] !== undefined);
    if (written.sealed || secrets.length === 0) return { file: { path: checked.file.path, text: written.text }, masked: false };
    const answers = { ...checked.answers };
    for (const variable of secrets) answers[variable] = `REPLACE-WITH-THE-${variable.toUpperCase()}-VALUE`;
    return {
      file: { path: checked.file.path, text: stackFileText({ template: templateReference(template), version: version.version, answers }) },
      masked: true,
    };
  }

  /** The public keys of `.corral/recipients.txt`; none when the file is missing or has a mistake. */
  private recipients(): string[] {
    const text = this.options.backend.repositoryText?.(RECIPIENTS_FILE);
    if (text === undefined) return [];
    const parsed = parseRecipients(text, RECIPIENTS_FILE);
    return parsed.diagnostics.some((d) => d.severity === 'error') ? [] : parsed.recipients;
  }

  private proxyAuthor(request: IncomingMessage): Author | undefined {
    const headers = this.options.proxyHeaders;
    if (!headers) return undefined;
    const user = headerText(request, headers.user);
    if (!user) return undefined;
    const email =
      (headers.email ? headerText(request, headers.email) : undefined) ?? (user.includes('@') ? user : `${user}@users.corral.invalid`);
    return { name: user, email };
  }

  private stackNames(): Set<string> {
    const state = this.options.backend.desiredState();
    return new Set([
      ...(state?.stacks.map((s) => s.name) ?? []),
      ...(state?.failed.map((f) => f.stack) ?? []),
      ...this.options.backend.stacks().map((s) => s.name),
    ]);
  }

  /** `<stack>/<service>` of every stack in the repository, for service questions. */
  private serviceChoices(): string[] {
    const stacks = this.options.backend.desiredState()?.stacks ?? [];
    return stacks.flatMap((s) => Object.keys(s.services).map((service) => `${s.name}/${service}`)).sort();
  }

  private icon(response: ServerResponse, catalogName: string, id: string): true {
    const svg = this.findTemplate(catalogName, id)?.iconSvg;
    if (!svg) return this.notFound(response, 'No such icon.');
    response.writeHead(200, {
      'content-type': 'image/svg+xml',
      'cache-control': 'max-age=300',
      // Icons come from the catalogs: shown as images, and never run as documents of this origin.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      'x-content-type-options': 'nosniff',
    });
    response.end(svg);
    return true;
  }

  private notFound(response: ServerResponse, what: string): true {
    return sendHtml(response, 404, notFoundPage(what, { href: '/catalog', label: 'Back to the app store' }));
  }
}

/** The file to commit: password, secret and certificate answers encrypted when there are recipients. */
async function sealedFile(
  template: CatalogTemplate,
  version: TemplateVersion,
  checked: CheckedRequest,
  secretVariables: string[],
  recipients: string[],
): Promise<{ text: string; sealed: boolean }> {
  const secrets = secretVariables.filter((v) => checked.answers[v] !== undefined && checked.answers[v] !== '');
  if (recipients.length === 0 || secrets.length === 0) return { text: checked.file.text, sealed: false };
  const answers = { ...checked.answers };
  for (const variable of secrets) answers[variable] = await encryptAnswer(answers[variable] ?? '', recipients);
  return { text: stackFileText({ template: templateReference(template), version: version.version, answers }), sealed: true };
}

function hasIcon(template: CatalogTemplate): boolean {
  return Boolean(template.iconSvg);
}

/** Says "status" to every subscriber when the stacks' status changed (`probe` answers something new); looks only while someone listens. */
class LiveFeed {
  private readonly subscribers = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private fingerprint = '';
  private version = 0;

  constructor(
    private readonly probe: () => string,
    private readonly intervalMs: number,
  ) {}

  subscribe(request: IncomingMessage, response: ServerResponse): true {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 2000\n\n');
    this.subscribers.add(response);
    request.on('close', () => this.unsubscribe(response));
    if (!this.timer) {
      this.fingerprint = this.probe();
      this.timer = setInterval(() => this.look(), this.intervalMs);
      this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), HEARTBEAT_MS);
    }
    return true;
  }

  close(): void {
    for (const response of this.subscribers) response.end();
    this.subscribers.clear();
    this.stop();
  }

  private unsubscribe(response: ServerResponse): void {
    this.subscribers.delete(response);
    if (this.subscribers.size === 0) this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
  }

  private look(): void {
    const fingerprint = this.probe();
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    this.version += 1;
    this.broadcast(`event: status\ndata: ${this.version}\n\n`);
  }

  private broadcast(text: string): void {
    for (const response of this.subscribers) response.write(text);
  }
}

function sendHtml(response: ServerResponse, status: number, body: Html): true {
  response.writeHead(status, HTML_HEADERS);
  response.end(body.text);
  return true;
}

function sendText(response: ServerResponse, status: number, text: string): true {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
  return true;
}

function sendAsset(response: ServerResponse, text: string, type: string): true {
  response.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=300', 'x-content-type-options': 'nosniff' });
  response.end(text);
  return true;
}

function redirect(response: ServerResponse, location: string): true {
  response.writeHead(303, { location, 'cache-control': 'no-store' });
  response.end();
  return true;
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function headerText(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text && !/[<>\r\n]/.test(text) && text.length <= 200 ? text : undefined;
}

/** Browsers say where a form post comes from; a post from another site is refused. */
function sameOrigin(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return origin !== 'null';
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
