/** Go's literal syntax: numbers (as strconv parses them), quoted strings and characters. */

const DECIMAL_INT = /^[+-]?[0-9]+$/;
const PREFIXED_INT = /^([+-]?)0([xXbBoO])([0-9a-fA-F]+)$/;
const LEGACY_OCTAL = /^([+-]?)0([0-7]+)$/;
const FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const RADIX: Record<string, number> = { x: 16, b: 2, o: 8 };

/** A number or character literal; integers stay integers, `1.5` / `1e3` are floats. */
export function parseNumber(text: string): number {
  if (text.startsWith("'")) return parseChar(text);
  const digits = text.replace(/(?<=[0-9a-fA-F])_(?=[0-9a-fA-F])/g, '');
  if (digits.endsWith('i')) throw new Error(`complex number ${JSON.stringify(text)} is not supported`);
  const octal = LEGACY_OCTAL.exec(digits);
  if (octal) return signed(octal[1], Number.parseInt(octal[2] ?? '', 8));
  const prefixed = PREFIXED_INT.exec(digits);
  if (prefixed) {
    const radix = RADIX[(prefixed[2] ?? '').toLowerCase()] ?? 10;
    const body = prefixed[3] ?? '';
    if ([...body].some((char) => Number.isNaN(Number.parseInt(char, radix)))) throw illegal(text);
    return signed(prefixed[1], Number.parseInt(body, radix));
  }
  if (DECIMAL_INT.test(digits) || FLOAT.test(digits)) return Number(digits);
  throw illegal(text);
}

function signed(sign: string | undefined, magnitude: number): number {
  return sign === '-' ? -magnitude : magnitude;
}

function illegal(text: string): Error {
  return new Error(`illegal number syntax: ${JSON.stringify(text)}`);
}

function parseChar(text: string): number {
  const value = unquoteBody(text.slice(1, -1), "'");
  const chars = [...value];
  if (chars.length !== 1) throw new Error(`malformed character constant: ${text}`);
  return chars[0]?.codePointAt(0) ?? 0;
}

/** The value of a `"..."` or `` `...` `` literal. */
export function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1).replaceAll('\r', '');
  return unquoteBody(text.slice(1, -1), '"');
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

function unquoteBody(body: string, quote: string): string {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i] ?? '';
    if (char !== '\\') {
      out += char;
      continue;
    }
    const escapeChar = body[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[escapeChar];
    if (simple !== undefined || escapeChar === quote) {
      out += simple ?? quote;
      i += 1;
      continue;
    }
    const length = { x: 2, u: 4, U: 8 }[escapeChar] ?? (/[0-7]/.test(escapeChar) ? 3 : 0);
    const digits =
      escapeChar === 'x' || escapeChar === 'u' || escapeChar === 'U'
        ? body.slice(i + 2, i + 2 + length)
        : body.slice(i + 1, i + 1 + length);
    const radix = length === 3 && /[0-7]/.test(escapeChar) ? 8 : 16;
    if (length === 0 || digits.length !== length || !new RegExp(radix === 8 ? '^[0-7]+$' : '^[0-9a-fA-F]+$').test(digits)) {
      throw new Error(`invalid escapeChar \\${escapeChar} in ${quote}${body}${quote}: use \\n, \\t, \\\\, \\${quote}, \\xHH or \\uHHHH`);
    }
    const code = Number.parseInt(digits, radix);
    out += escapeChar === 'x' || radix === 8 ? String.fromCharCode(code) : String.fromCodePoint(code);
    i += (radix === 8 ? 0 : 1) + length;
  }
  return out;
}
