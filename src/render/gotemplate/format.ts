/** Go's fmt.Sprint, Sprintln and Sprintf for the values templates handle. */
import { formatFloat, formatValue, kindOf, typeName } from './values.js';

export function sprint(args: unknown[]): string {
  return args
    .map((arg, i) => {
      const needsSpace = i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string';
      return (needsSpace ? ' ' : '') + formatValue(arg);
    })
    .join('');
}

export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

interface Directive {
  flags: string;
  width?: number;
  precision?: number;
  verb: string;
}

const DIRECTIVE = /%([-+# 0]*)([0-9]+)?(?:\.([0-9]*))?(.?)/gsu;

/** Verbs %v %s %d %q %t %f %e %g %x %X %c %%, with flags, width and precision. */
export function sprintf(format: string, args: unknown[]): string {
  // Go's fmt stops at a width or precision above a million: the rest of the format is dropped.
  const cut = firstTooLarge(format);
  let used = 0;
  const head = cut === undefined ? format : format.slice(0, cut);
  let out = head.replace(DIRECTIVE, (_, flags: string, width?: string, precision?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (!verb) return '%!(NOVERB)';
    if (used >= args.length) return `%!${verb}(MISSING)`;
    const directive: Directive = {
      flags,
      verb,
      width: width === undefined ? undefined : Number(width),
      precision: precision === undefined ? undefined : Number(precision || '0'),
    };
    return pad(formatArg(args[used++], directive), directive);
  });
  if (cut !== undefined) out += '%!(NOVERB)';
  if (used >= args.length) return out;
  const extra = args.slice(used).map((arg) => (arg === null || arg === undefined ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`));
  return `${out}%!(EXTRA ${extra.join(', ')})`;
}

const MAX_WIDTH = 1_000_000;

/** Index of the first directive whose width or precision is above a million (Go's tooLarge). */
function firstTooLarge(format: string): number | undefined {
  for (const match of format.matchAll(DIRECTIVE)) {
    const [, , width, precision] = match;
    if (Number(width ?? 0) > MAX_WIDTH || Number(precision ?? 0) > MAX_WIDTH) return match.index;
  }
  return undefined;
}

function formatArg(arg: unknown, directive: Directive): string {
  const { verb, precision, flags } = directive;
  const kind = kindOf(arg);
  switch (verb) {
    case 'v':
      return kind === 'string' ? truncate(arg as string, precision) : formatValue(arg);
    case 's':
      if (kind === 'string') return truncate(arg as string, precision);
      if (kind === 'slice' || kind === 'map') return formatValue(arg);
      break;
    case 'd':
      if (kind === 'int') return withSign(String(arg), flags);
      break;
    case 'q':
      if (kind === 'string') return quote(arg as string);
      if (kind === 'int') return `'${String.fromCodePoint(arg as number)}'`;
      break;
    case 't':
      if (kind === 'bool') return String(arg);
      break;
    case 'f':
    case 'F':
    case 'e':
    case 'g':
      if (kind === 'float') return withSign(formatFloatVerb(arg as number, verb, precision), flags);
      break;
    case 'x':
    case 'X': {
      const hex =
        kind === 'int' ? (arg as number).toString(16) : kind === 'string' ? Buffer.from(arg as string).toString('hex') : undefined;
      if (hex !== undefined) return verb === 'X' ? hex.toUpperCase() : hex;
      break;
    }
    case 'c':
      if (kind === 'int') return String.fromCodePoint(arg as number);
      break;
  }
  return badVerb(verb, arg);
}

function badVerb(verb: string, arg: unknown): string {
  return arg === null || arg === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(arg)}=${formatValue(arg)})`;
}

function truncate(text: string, precision: number | undefined): string {
  return precision === undefined ? text : [...text].slice(0, precision).join('');
}

function withSign(text: string, flags: string): string {
  if (text.startsWith('-')) return text;
  if (flags.includes('+')) return `+${text}`;
  return flags.includes(' ') ? ` ${text}` : text;
}

function formatFloatVerb(value: number, verb: string, precision: number | undefined): string {
  if (verb === 'g') return precision === undefined ? formatFloat(value) : twoDigitExponent(value.toPrecision(precision));
  if (verb === 'e') return twoDigitExponent(value.toExponential(precision ?? 6));
  return value.toFixed(precision ?? 6);
}

/** Go writes exponents with at least two digits: 1e+06. */
function twoDigitExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pad(text: string, { flags, width }: Directive): string {
  if (width === undefined || width <= text.length / 2) return text; // cannot be short of `width` code points
  const missing = width - [...text].length;
  if (missing <= 0) return text;
  if (flags.includes('-')) return text + ' '.repeat(missing);
  if (!flags.includes('0')) return ' '.repeat(missing) + text;
  const sign = /^[+\- ]/.test(text) ? text.slice(0, 1) : '';
  return sign + '0'.repeat(missing) + text.slice(sign.length);
}

const QUOTE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** Go's strconv.Quote: a double-quoted string with Go escapes. */
export function quote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const escaped = QUOTE_ESCAPES[char];
    if (escaped) out += escaped;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
