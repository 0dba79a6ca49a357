/** Splits a Go text/template into text and action tokens, applying `{{-` / `-}}` trim markers. */
import { TemplateError } from './errors.js';

export type Segment =
  | { kind: 'text'; text: string; line: number }
  | { kind: 'action'; source: string; line: number };

const OPEN = '{{';
const CLOSE = '}}';

export function splitSegments(template: string): Segment[] {
  const segments: Segment[] = [];
  let position = 0;
  let trimNextText = false;
  while (position <= template.length) {
    const open = template.indexOf(OPEN, position);
    const textEnd = open < 0 ? template.length : open;
    let text = template.slice(position, textEnd);
    if (trimNextText) text = text.replace(/^\s+/, '');
    const trimsLeft = open >= 0 && /^\{\{-[ \t\r\n]/.test(template.slice(open, open + 4));
    if (trimsLeft) text = text.replace(/\s+$/, '');
    if (text !== '') segments.push({ kind: 'text', text, line: lineAt(template, position) });
    if (open < 0) break;
    const bodyStart = open + (trimsLeft ? 3 : 2);
    const close = findClose(template, bodyStart);
    if (close < 0) throw new TemplateError('unclosed action: "{{" without a matching "}}"', lineAt(template, open));
    const trimsRight = /[ \t\r\n]-$/.test(template.slice(bodyStart - 1, close));
    const source = template.slice(bodyStart, trimsRight ? close - 1 : close);
    segments.push({ kind: 'action', source, line: lineAt(template, open) });
    trimNextText = trimsRight;
    position = close + CLOSE.length;
  }
  return segments;
}

/** The `}}` closing an action, skipping over quoted strings and comments. */
function findClose(template: string, from: number): number {
  let i = from;
  while (i < template.length) {
    const c = template[i];
    if (template.startsWith('/*', i)) {
      const end = template.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 2;
    } else if (c === '"' || c === '`' || c === "'") {
      i = skipQuoted(template, i);
    } else if (template.startsWith(CLOSE, i)) {
      return i;
    } else {
      i += 1;
    }
  }
  return -1;
}

function skipQuoted(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    if (text[i] === '\\' && quote !== '`') i += 1;
    if (text[i] === '\n' && quote !== '`') return i;
    i += 1;
  }
  return i + 1;
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

export type Token =
  | { kind: 'ident'; value: string }
  | { kind: 'variable'; value: string }
  | { kind: 'field'; value: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'punct'; value: '(' | ')' | '|' | ':=' | '=' | ',' }
  /** `.X.Y` directly after a `)` or a variable: field access on that value. */
  | { kind: 'chain'; value: string[] };

/** Tokens of one action's source. */
export function tokenize(source: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string): never => { throw new TemplateError(message, line); };
  while (i < source.length) {
    const c = source[i] ?? '';
    const rest = source.slice(i);
    if (/\s/.test(c)) { i += 1; continue; }
    if (rest.startsWith('/*')) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail('unclosed comment');
      i = end + 2;
      continue;
    }
    if (rest.startsWith(':=')) { tokens.push({ kind: 'punct', value: ':=' }); i += 2; continue; }
    if ('()|=,'.includes(c)) { tokens.push({ kind: 'punct', value: c as '(' }); i += 1; continue; }
    if (c === '"') {
      const end = skipQuoted(source, i);
      if (source[end - 1] !== '"' || end - 1 === i) fail('unterminated quoted string');
      tokens.push({ kind: 'string', value: JSON.parse(source.slice(i, end).replace(/\\'/g, "'").replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string });
      i = end;
      continue;
    }
    if (c === '`') {
      const end = source.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw string');
      tokens.push({ kind: 'string', value: source.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const number = /^[-+]?(0[xX][0-9a-fA-F_]+|\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+)/.exec(rest);
    if (number && (c !== '.' || /^\.\d/.test(rest))) {
      tokens.push({ kind: 'number', value: Number(number[0].replace(/_/g, '')) });
      i += number[0].length;
      continue;
    }
    const field = /^(\.[A-Za-z_][A-Za-z0-9_]*)+|^\./.exec(rest);
    if (field) {
      const names = field[0] === '.' ? [] : field[0].slice(1).split('.');
      const previous = tokens.at(-1);
      const attached = i > 0 && !/\s/.test(source[i - 1] ?? '') && (previous?.kind === 'variable' || (previous?.kind === 'punct' && previous.value === ')'));
      tokens.push(attached ? { kind: 'chain', value: names } : { kind: 'field', value: names });
      i += field[0].length;
      continue;
    }
    const variable = /^\$[A-Za-z0-9_]*/.exec(rest);
    if (variable) { tokens.push({ kind: 'variable', value: variable[0] }); i += variable[0].length; continue; }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      const word = ident[0];
      if (word === 'true' || word === 'false') tokens.push({ kind: 'bool', value: word === 'true' });
      else if (word === 'nil') tokens.push({ kind: 'nil' });
      else tokens.push({ kind: 'ident', value: word });
      i += word.length;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)} in action`);
  }
  return tokens;
}
