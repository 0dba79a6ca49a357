/** The template functions catalog templates use: Go's builtins plus Rancher's and sprig's few. */
import { TemplateError } from './errors.js';

export type TemplateFunction = (args: unknown[], line: number) => unknown;

/** Go's truth: zero values (false, 0, "", nil, empty list or map) are false. */
export function isTrue(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** How Go prints a value with %v / {{ . }}. */
export function printValue(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(printValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${printValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

function kindOf(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (Array.isArray(value)) return 'slice';
  return typeof value;
}

function comparable(a: unknown, b: unknown, name: string, line: number): void {
  const [ka, kb] = [kindOf(a), kindOf(b)];
  if (ka !== kb || !['string', 'number', 'boolean'].includes(ka)) {
    throw new TemplateError(`error calling ${name}: incompatible types for comparison (${ka} and ${kb})`, line);
  }
}

function arity(name: string, args: unknown[], min: number, max: number, line: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateError(`wrong number of args for ${name}: want ${want} got ${args.length}`, line);
  }
}

function compare(name: string, test: (a: never, b: never) => boolean): TemplateFunction {
  return (args, line) => {
    arity(name, args, 2, 2, line);
    comparable(args[0], args[1], name, line);
    return test(args[0] as never, args[1] as never);
  };
}

/** Go's fmt verbs the corpus needs: %s %v %d %q %t %f %x, with width and precision, and %%. */
export function sprintf(format: string, args: unknown[]): string {
  let next = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdqtfxX%])/g, (_, flags: string, width?: string, precision?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    let out: string;
    switch (verb) {
      case 'd': out = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${kindOf(arg)}=${printValue(arg)})`; break;
      case 'f': out = typeof arg === 'number' ? arg.toFixed(precision === undefined ? 6 : Number(precision)) : `%!f(${kindOf(arg)}=${printValue(arg)})`; break;
      case 'q': out = JSON.stringify(printValue(arg)); break;
      case 'x': case 'X': out = typeof arg === 'number' ? arg.toString(16) : Buffer.from(printValue(arg)).toString('hex'); if (verb === 'X') out = out.toUpperCase(); break;
      default: out = printValue(arg); if (precision !== undefined && (verb === 's' || verb === 'v')) out = [...out].slice(0, Number(precision)).join('');
    }
    const pad = Number(width ?? 0) - [...out].length;
    if (pad <= 0) return out;
    return flags.includes('-') ? out + ' '.repeat(pad) : (flags.includes('0') && verb !== 's' ? '0' : ' ').repeat(pad) + out;
  }) + (next < args.length ? `%!(EXTRA ${args.slice(next).map(printValue).join(', ')})` : '');
}

/** Rancher's splitPreserveQuotes: split on whitespace, keeping quoted substrings (and their quotes) whole. */
export function splitPreserveQuotes(text: string): string[] {
  return text.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

function asString(name: string, value: unknown, line: number): string {
  if (typeof value === 'string') return value;
  throw new TemplateError(`error calling ${name}: expected a string, got ${kindOf(value)}`, line);
}

export const FUNCTIONS: Record<string, TemplateFunction> = {
  not: (args, line) => { arity('not', args, 1, 1, line); return !isTrue(args[0]); },
  eq: (args, line) => {
    arity('eq', args, 2, Infinity, line);
    const [first, ...others] = args;
    return others.some((other) => { comparable(first, other, 'eq', line); return first === other; });
  },
  ne: compare('ne', (a, b) => a !== b),
  lt: compare('lt', (a, b) => a < b),
  le: compare('le', (a, b) => a <= b),
  gt: compare('gt', (a, b) => a > b),
  ge: compare('ge', (a, b) => a >= b),
  len: (args, line) => {
    arity('len', args, 1, 1, line);
    const [value] = args;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (Array.isArray(value)) return value.length;
    if (value && typeof value === 'object') return Object.keys(value).length;
    throw new TemplateError(`error calling len: len of ${kindOf(value)}`, line);
  },
  index: (args, line) => {
    arity('index', args, 1, Infinity, line);
    return args.slice(1).reduce((value, key) => {
      if (Array.isArray(value) && typeof key === 'number') {
        if (key < 0 || key >= value.length) throw new TemplateError(`error calling index: index out of range: ${key}`, line);
        return value[key];
      }
      if (value && typeof value === 'object' && typeof key === 'string') return (value as Record<string, unknown>)[key] ?? '';
      throw new TemplateError(`error calling index: cannot index ${kindOf(value)} with ${kindOf(key)}`, line);
    }, args[0]);
  },
  print: (args) => args.map((arg, i) => (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + printValue(arg)).join(''),
  println: (args) => `${args.map(printValue).join(' ')}\n`,
  printf: (args, line) => { arity('printf', args, 1, Infinity, line); return sprintf(asString('printf', args[0], line), args.slice(1)); },
  // Rancher's additions.
  atoi: (args, line) => { arity('atoi', args, 1, 1, line); const n = Number.parseInt(asString('atoi', args[0], line).trim(), 10); return /^[-+]?\d+$/.test(String(args[0]).trim()) && Number.isFinite(n) ? n : 0; },
  splitPreserveQuotes: (args, line) => { arity('splitPreserveQuotes', args, 1, 1, line); return splitPreserveQuotes(asString('splitPreserveQuotes', args[0], line)); },
  // sprig's, as Rancher shipped them (note sprig's argument order: contains SUBSTR STRING).
  until: (args, line) => {
    arity('until', args, 1, 1, line);
    const count = args[0];
    if (typeof count !== 'number') throw new TemplateError(`error calling until: expected a number, got ${kindOf(count)}`, line);
    return Array.from({ length: Math.max(0, Math.trunc(count)) }, (_, i) => i);
  },
  contains: (args, line) => { arity('contains', args, 2, 2, line); return asString('contains', args[1], line).includes(asString('contains', args[0], line)); },
  hasPrefix: (args, line) => { arity('hasPrefix', args, 2, 2, line); return asString('hasPrefix', args[1], line).startsWith(asString('hasPrefix', args[0], line)); },
  hasSuffix: (args, line) => { arity('hasSuffix', args, 2, 2, line); return asString('hasSuffix', args[1], line).endsWith(asString('hasSuffix', args[0], line)); },
  default: (args, line) => { arity('default', args, 1, 2, line); return args.length === 2 && isTrue(args[1]) ? args[1] : args[0]; },
  lower: (args, line) => { arity('lower', args, 1, 1, line); return asString('lower', args[0], line).toLowerCase(); },
  upper: (args, line) => { arity('upper', args, 1, 1, line); return asString('upper', args[0], line).toUpperCase(); },
  trim: (args, line) => { arity('trim', args, 1, 1, line); return asString('trim', args[0], line).trim(); },
  replace: (args, line) => { arity('replace', args, 3, 3, line); return asString('replace', args[2], line).split(asString('replace', args[0], line)).join(asString('replace', args[1], line)); },
  split: (args, line) => { arity('split', args, 2, 2, line); return asString('split', args[1], line).split(asString('split', args[0], line)); },
  join: (args, line) => { arity('join', args, 2, 2, line); const list = args[1]; return Array.isArray(list) ? list.map(printValue).join(asString('join', args[0], line)) : printValue(list); },
  quote: (args) => args.map((a) => JSON.stringify(printValue(a))).join(' '),
};

/** and / or are evaluated lazily by the executor (Go short-circuits them); listed for name checks. */
export const LAZY_FUNCTIONS = new Set(['and', 'or']);
