/**
 * Splits a template into tokens, the way Go's text/template lexer does: text between
 * actions, `{{` / `}}` delimiters, and the words inside actions. Trim markers (`{{- ` and
 * ` -}}`) remove the whitespace next to them here, and comments are dropped here, so the
 * parser never sees either.
 */
import { TemplateError } from './errors.js';

export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'dot'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Position {
  /** 1-based line of the token's first character. */
  line: number;
  /** 1-based column (in UTF-16 units) of the token's first character. */
  column: number;
}

export interface Token extends Position {
  kind: TokenKind;
  /** The token's text as written (for `text`: after trimming). */
  value: string;
}

export const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const ALPHANUMERIC = /[\p{L}\p{Nd}_]/u;

/** Go trims these characters next to a trim marker. */
function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

/** Maps offsets of the template text to 1-based lines and columns. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  at(offset: number): Position {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }
}

export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}

class Lexer {
  private readonly tokens: Token[] = [];
  private readonly lines: LineIndex;
  private pos = 0;
  /** Set by ` -}}`: the next text loses its leading whitespace. */
  private trimNextText = false;
  private parenDepth = 0;

  constructor(private readonly input: string) {
    this.lines = new LineIndex(input);
  }

  run(): Token[] {
    while (this.pos < this.input.length) {
      const actionStart = this.input.indexOf(LEFT_DELIM, this.pos);
      const textEnd = actionStart === -1 ? this.input.length : actionStart;
      const trimBefore = actionStart !== -1 && this.hasLeftTrimMarker(actionStart + LEFT_DELIM.length);
      this.emitText(this.pos, textEnd, trimBefore);
      if (actionStart === -1) break;
      this.lexAction(actionStart, trimBefore);
    }
    this.emit('eof', '', this.input.length);
    return this.tokens;
  }

  private emit(kind: TokenKind, value: string, offset: number): void {
    this.tokens.push({ kind, value, ...this.lines.at(offset) });
  }

  private fail(message: string, offset: number): never {
    const { line, column } = this.lines.at(offset);
    throw new TemplateError(message, line, column);
  }

  private emitText(start: number, end: number, trimEnd: boolean): void {
    let from = start;
    let to = end;
    if (this.trimNextText) while (from < to && isSpace(this.input[from])) from += 1;
    if (trimEnd) while (to > from && isSpace(this.input[to - 1])) to -= 1;
    this.trimNextText = false;
    if (to > from) this.emit('text', this.input.slice(from, to), from);
  }

  /** `{{-` followed by whitespace; `{{-3}}` is the number -3, not a trim marker. */
  private hasLeftTrimMarker(at: number): boolean {
    return this.input[at] === '-' && isSpace(this.input[at + 1]);
  }

  /** Whitespace, `-`, then `}}`. */
  private atRightTrimMarker(at: number): boolean {
    return isSpace(this.input[at]) && this.input[at + 1] === '-' && this.input.startsWith(RIGHT_DELIM, at + 2);
  }

  private lexAction(actionStart: number, trimBefore: boolean): void {
    this.pos = actionStart + LEFT_DELIM.length + (trimBefore ? 2 : 0);
    if (this.input.startsWith(LEFT_COMMENT, this.pos)) {
      this.lexComment(actionStart);
      return;
    }
    this.emit('leftDelim', LEFT_DELIM, actionStart);
    this.parenDepth = 0;
    while (!this.lexRightDelim(true)) {
      if (this.pos >= this.input.length) this.fail('unclosed action: "{{" has no matching "}}"', actionStart);
      this.lexInsideAction();
    }
  }

  private lexComment(actionStart: number): void {
    const end = this.input.indexOf(RIGHT_COMMENT, this.pos + LEFT_COMMENT.length);
    if (end === -1) this.fail('unclosed comment: "/*" has no matching "*/}}"', actionStart);
    this.pos = end + RIGHT_COMMENT.length;
    if (!this.lexRightDelim(false)) this.fail('comment ends before closing delimiter: write "*/}}" or "*/ -}}"', end);
  }

  /** Consumes `}}` or ` -}}` if it is next (emitting a token unless it ends a comment); returns whether it did. */
  private lexRightDelim(emit: boolean): boolean {
    const trimAfter = this.atRightTrimMarker(this.pos);
    if (!trimAfter && !this.input.startsWith(RIGHT_DELIM, this.pos)) return false;
    if (this.parenDepth > 0) this.fail('unclosed left paren: "(" has no matching ")" before "}}"', this.pos);
    const delimStart = this.pos + (trimAfter ? 2 : 0);
    if (emit) this.emit('rightDelim', RIGHT_DELIM, delimStart);
    this.pos = delimStart + RIGHT_DELIM.length;
    this.trimNextText = trimAfter;
    return true;
  }

  private lexInsideAction(): void {
    const start = this.pos;
    const char = this.input[start] ?? '';
    const next = this.input[start + 1];
    if (isSpace(char)) return this.lexSpace(start);
    if (char === ':') {
      if (next !== '=') this.fail('expected ":="', start);
      return this.single('declare', start, 2);
    }
    if (char === '=') return this.single('assign', start, 1);
    if (char === '|') return this.single('pipe', start, 1);
    if (char === ',') return this.single('comma', start, 1);
    if (char === '(') {
      this.parenDepth += 1;
      return this.single('leftParen', start, 1);
    }
    if (char === ')') {
      if (this.parenDepth === 0) this.fail('unexpected right paren: no "(" to close', start);
      this.parenDepth -= 1;
      return this.single('rightParen', start, 1);
    }
    if (char === '"') return this.lexQuoted(start, '"', 'string', 'unterminated quoted string');
    if (char === '`') return this.lexRawString(start);
    if (char === "'") return this.lexQuoted(start, "'", 'char', 'unterminated character constant');
    if (char === '$') return this.lexWord(start, 'variable', start + 1);
    if (char === '.') {
      if (next !== undefined && /[0-9]/.test(next)) return this.lexNumber(start);
      if (next !== undefined && ALPHANUMERIC.test(next)) return this.lexWord(start, 'field', start + 1);
      return this.single('dot', start, 1);
    }
    if (/[0-9]/.test(char) || ((char === '+' || char === '-') && next !== undefined && /[0-9.]/.test(next))) return this.lexNumber(start);
    if (ALPHANUMERIC.test(char)) return this.lexIdentifier(start);
    this.fail(`bad character ${describeChar(char)} in action`, start);
  }

  private single(kind: TokenKind, start: number, length: number): void {
    this.emit(kind, this.input.slice(start, start + length), start);
    this.pos = start + length;
  }

  private lexSpace(start: number): void {
    let end = start;
    while (isSpace(this.input[end]) && !this.atRightTrimMarker(end)) end += 1;
    this.single('space', start, end - start);
  }

  private scanAlphanumeric(from: number): number {
    let end = from;
    while (end < this.input.length && ALPHANUMERIC.test(this.input[end] ?? '')) end += 1;
    return end;
  }

  /** A word must end at a space, a delimiter or punctuation, as in Go's lexer. */
  private checkTerminator(at: number): void {
    const char = this.input[at];
    if (char === undefined || isSpace(char) || '.,|:)(='.includes(char) || this.input.startsWith(RIGHT_DELIM, at)) return;
    this.fail(`bad character ${describeChar(char)} in action`, at);
  }

  private lexWord(start: number, kind: 'variable' | 'field', from: number): void {
    const end = this.scanAlphanumeric(from);
    this.checkTerminator(end);
    this.single(kind, start, end - start);
  }

  private lexIdentifier(start: number): void {
    const end = this.scanAlphanumeric(start);
    this.checkTerminator(end);
    const word = this.input.slice(start, end);
    const kind: TokenKind = KEYWORDS.has(word)
      ? 'keyword'
      : word === 'true' || word === 'false'
        ? 'bool'
        : word === 'nil'
          ? 'nil'
          : 'identifier';
    this.single(kind, start, end - start);
  }

  private lexNumber(start: number): void {
    const match = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/.exec(
      this.input.slice(start),
    );
    const end = start + (match?.[0].length ?? 0);
    const following = this.input[end] ?? '';
    if (following === '.' || ALPHANUMERIC.test(following)) {
      this.fail(`bad number syntax: ${JSON.stringify(this.input.slice(start, this.scanAlphanumeric(end + 1)))}`, start);
    }
    this.single('number', start, end - start);
  }

  private lexQuoted(start: number, quote: string, kind: TokenKind, unterminated: string): void {
    let end = start + 1;
    for (;;) {
      const char = this.input[end];
      if (char === undefined || char === '\n') this.fail(unterminated, start);
      if (char === '\\') end += 2;
      else if (char === quote) break;
      else end += 1;
    }
    this.single(kind, start, end + 1 - start);
  }

  private lexRawString(start: number): void {
    const end = this.input.indexOf('`', start + 1);
    if (end === -1) this.fail('unterminated raw quoted string', start);
    this.single('rawString', start, end + 1 - start);
  }
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(char)}`;
}
