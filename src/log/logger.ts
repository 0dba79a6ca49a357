/**
 * Structured logs (winston): readable text on a terminal, JSON otherwise.
 * Every registered secret (password answers, tokens, webhook secrets) is scrubbed
 * from every line before it is written.
 */
import winston from 'winston';
import { redactValue } from '../model/redact.js';

export type LogFormat = 'text' | 'json';

const secrets = new Set<string>();
/** The registered secrets as one list, made again only when one is added: redaction indexes a list once (model/redact). */
let secretList: readonly string[] = [];

/** Registers values that must never appear in a log line. Short values are ignored (too many false hits). */
export function registerSecrets(values: Iterable<string>): void {
  const before = secrets.size;
  for (const value of values) if (value.length >= 4) secrets.add(value);
  if (secrets.size !== before) secretList = Object.freeze([...secrets]);
}

/** Every registered secret, replaced in every string of `value` (structurally: a secret with quotes or backslashes is found too). */
function scrubValue<T>(value: T): T {
  return redactValue(value, secretList) as T;
}

const scrubSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) info[key] = scrubValue(info[key]);
  return info;
});

export function createLogger(options: { format?: LogFormat; level?: string; stream?: NodeJS.WritableStream } = {}): winston.Logger {
  const format = options.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const lineFormat =
    format === 'json'
      ? winston.format.json()
      : winston.format.printf(({ level, message, timestamp, ...meta }) => {
          const fields = Object.entries(meta)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${fields ? ` ${fields}` : ''}`;
        });
  const stream = options.stream ?? process.stderr;
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(scrubSecrets(), winston.format.timestamp(), lineFormat),
    transports: [new winston.transports.Stream({ stream })],
  });
}
