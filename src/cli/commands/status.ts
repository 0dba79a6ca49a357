/** `corral status`: what a running corral reports for every stack, for a person. */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { TOKEN_ENV } from '../../server/auth.js';
import { rescheduledText, type StackStatus, waitingText } from '../../status/stack-status.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

interface StatusArgs {
  server: string;
  format: string;
  stack?: string;
}

export const DEFAULT_SERVER = 'http://127.0.0.1:7480';

export const statusCommand: CommandBody<StatusArgs> = {
  builder: (yargs: Argv) =>
    yargs.positional('stack', { type: 'string', describe: 'Only this stack, with its endpoints and events' }).options({
      server: { type: 'string', default: DEFAULT_SERVER, describe: 'URL of the corral daemon' },
      ...formatOption(['text', 'json'], 'text'),
    }) as unknown as Argv<StatusArgs>,
  handler: async (args: ArgumentsCamelCase<StatusArgs>) => {
    const path = args.stack ? `/api/v1/stacks/${encodeURIComponent(args.stack)}` : '/api/v1/stacks';
    const body = await fetchJson(new URL(path, args.server).toString());
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return;
    }
    const stacks = (args.stack ? [body] : body) as StackStatus[];
    process.stdout.write(args.stack ? detail(stacks[0] as StackStatus) : summary(stacks));
    process.exitCode = stacks.every((s) => s.sync === 'Synced' && s.health === 'Healthy') ? 0 : 1;
  },
};

/** GET a daemon's JSON answer; one it cannot reach, or that refuses, is a UsageError saying so. */
export async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    // Sent when set: a daemon whose config says api.read: token wants it for reads too.
    const token = process.env[TOKEN_ENV];
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new UsageError(
      `cannot reach the corral daemon at ${new URL(url).origin} (${err instanceof Error ? err.message : String(err)}); is 'corral run' running? (--server URL)`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
  const hint = response.status === 401 || response.status === 403 ? ` (corral status sends ${TOKEN_ENV} when it is set)` : '';
  if (!response.ok) throw new UsageError(`${body?.error ?? `${url}: HTTP ${response.status}`}${hint}`);
  return body;
}

function summary(stacks: StackStatus[]): string {
  const rows = stacks.map((s) => [s.name, s.sync, s.health, s.revision?.slice(0, 8) ?? '-', endpointsText(s), s.message]);
  return table([['STACK', 'SYNC', 'HEALTH', 'REVISION', 'ENDPOINTS', 'MESSAGE'], ...rows]);
}

function detail(s: StackStatus): string {
  const lines = [
    `${s.name}: ${s.sync}, ${s.health}`,
    `template:  ${s.template ?? '-'} ${s.version ?? ''}`.trimEnd(),
    `revision:  ${s.revision ?? '-'}${s.appliedRevision && s.appliedRevision !== s.revision ? ` (running: ${s.appliedRevision})` : ''}`,
    `message:   ${s.message}`,
    '',
    table([
      ['SERVICE', 'HEALTH', 'DESIRED', 'RUNNING', 'HEALTHY', 'UNHEALTHY', 'STARTING', 'CHECKED BY'],
      ...s.services.map((svc) => [
        svc.name,
        svc.health,
        ...[svc.desired, svc.running, svc.healthy, svc.unhealthy, svc.starting].map(String),
        svc.checkedBy,
      ]),
    ]).trimEnd(),
    '',
    'containers:',
    ...containerLines(s),
    '',
    'endpoints:',
    ...(s.endpoints.length
      ? s.endpoints.map((e) => `  ${e.service}  ${e.address}:${e.port}/${e.protocol}  (host ${e.host}, container port ${e.containerPort})`)
      : ['  (none published)']),
    ...hostsDownLines(s),
    '',
    'recent events:',
    ...(s.events.length ? s.events.slice(-10).map((e) => `  ${e.time}  ${e.message}`) : ['  (none)']),
  ];
  return `${lines.join('\n')}\n`;
}

function containerLines(s: StackStatus): string[] {
  const containers = s.services.flatMap((svc) => svc.containers);
  if (containers.length === 0) return ['  (none)'];
  const rows = containers.map((c) => [
    c.name,
    c.host,
    c.state,
    c.health ?? '-',
    upFor(c.startedAt),
    c.restartCount === undefined ? '-' : String(c.restartCount),
    c.detail ?? '',
  ]);
  return table([['NAME', 'HOST', 'STATE', 'HEALTH', 'UP', 'RESTARTS', 'DETAIL'], ...rows])
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`);
}

/** `42s`, `17m`, `5h`, `3d` since the time given; `-` when unknown. */
function upFor(startedAt: string | undefined): string {
  const seconds = Math.floor((Date.now() - Date.parse(startedAt ?? '')) / 1000);
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 120) return `${Math.max(0, seconds)}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return seconds < 172_800 ? `${Math.floor(seconds / 3600)}h` : `${Math.floor(seconds / 86_400)}d`;
}

function endpointsText(s: StackStatus): string {
  return s.endpoints.map((e) => `${e.address}:${e.port}`).join(',') || '-';
}

/** Units waiting on hosts that are down, and units moved off them (none: nothing is shown). */
function hostsDownLines(s: StackStatus): string[] {
  const waiting = (s.waiting ?? []).map((w) => `  ${waitingText(w)}`);
  const moved = (s.rescheduled ?? []).map((r) => `  ${rescheduledText(r)}`);
  return [
    ...(waiting.length ? ['', 'waiting on hosts that are down:', ...waiting] : []),
    ...(moved.length ? ['', 'rescheduled:', ...moved] : []),
  ];
}
