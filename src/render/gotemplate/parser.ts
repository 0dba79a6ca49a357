/** Parses a Go text/template into a tree: text, actions, if / range / with blocks. */
import { TemplateError } from './errors.js';
import { splitSegments, tokenize, type Token } from './lexer.js';

export type Arg =
  | { kind: 'field'; path: string[] }
  | { kind: 'variable'; name: string; path: string[] }
  | { kind: 'function'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'pipeline'; pipeline: Pipeline; path: string[] };

export interface Command { args: Arg[] }

export interface Pipeline {
  /** Variables declared (`:=`) or assigned (`=`) by the pipeline. */
  variables: string[];
  assign: boolean;
  commands: Command[];
  line: number;
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with'; pipeline: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: 'range'; pipeline: Pipeline; body: Node[]; otherwise: Node[] };

export type TemplateAst = Node[];

type Control = { kind: 'end' | 'else'; line: number; elseIf?: { keyword: 'if' | 'with'; tokens: Token[] } };

interface Cursor { segments: ReturnType<typeof splitSegments>; index: number }

export function parseTemplate(text: string): TemplateAst {
  const cursor: Cursor = { segments: splitSegments(text), index: 0 };
  const { nodes, stop } = parseList(cursor);
  if (stop) throw new TemplateError(`unexpected "${stop.kind}": no open if/range/with block`, stop.line);
  return nodes;
}

/** Parses nodes until `end` / `else` (returned as `stop`) or the end of the template. */
function parseList(cursor: Cursor): { nodes: Node[]; stop?: Control } {
  const nodes: Node[] = [];
  while (cursor.index < cursor.segments.length) {
    const segment = cursor.segments[cursor.index++];
    if (!segment) break;
    if (segment.kind === 'text') { nodes.push({ kind: 'text', text: segment.text }); continue; }
    const tokens = tokenize(segment.source, segment.line);
    const head = tokens[0];
    if (!head) continue;
    if (head.kind === 'ident' && head.value === 'end') return { nodes, stop: { kind: 'end', line: segment.line } };
    if (head.kind === 'ident' && head.value === 'else') {
      const next = tokens[1];
      const elseIf = next?.kind === 'ident' && (next.value === 'if' || next.value === 'with') ? { keyword: next.value as 'if' | 'with', tokens: tokens.slice(2) } : undefined;
      if (!elseIf && tokens.length > 1) throw new TemplateError('unexpected tokens after "else"', segment.line);
      return { nodes, stop: { kind: 'else', line: segment.line, ...(elseIf ? { elseIf } : {}) } };
    }
    if (head.kind === 'ident' && (head.value === 'if' || head.value === 'with' || head.value === 'range')) {
      nodes.push(parseBlock(head.value, tokens.slice(1), segment.line, cursor));
      continue;
    }
    if (head.kind === 'ident' && ['define', 'template', 'block', 'break', 'continue'].includes(head.value)) {
      throw new TemplateError(`"${head.value}" is not supported in catalog templates`, segment.line);
    }
    nodes.push({ kind: 'action', pipeline: parsePipeline(tokens, segment.line) });
  }
  return { nodes };
}

function parseBlock(keyword: 'if' | 'with' | 'range', tokens: Token[], line: number, cursor: Cursor): Node {
  if (tokens.length === 0) throw new TemplateError(`missing value for ${keyword}`, line);
  const pipeline = parsePipeline(tokens, line);
  const { nodes: body, stop } = parseList(cursor);
  if (!stop) throw new TemplateError(`unclosed ${keyword}: missing {{ end }}`, line);
  if (stop.kind === 'end') return { kind: keyword, pipeline, body, otherwise: [] };
  if (stop.elseIf) {
    if (keyword === 'range') throw new TemplateError('"else if" is not allowed in range', stop.line);
    return { kind: keyword, pipeline, body, otherwise: [parseBlock(stop.elseIf.keyword, stop.elseIf.tokens, stop.line, cursor)] };
  }
  const { nodes: otherwise, stop: end } = parseList(cursor);
  if (!end) throw new TemplateError(`unclosed ${keyword}: missing {{ end }}`, line);
  if (end.kind === 'else') throw new TemplateError(`more than one "else" in ${keyword}`, end.line);
  return { kind: keyword, pipeline, body, otherwise };
}

function parsePipeline(tokens: Token[], line: number): Pipeline {
  let rest = tokens;
  const variables: string[] = [];
  let assign = false;
  const declaration = declarationLength(tokens);
  if (declaration > 0) {
    for (const token of tokens.slice(0, declaration - 1)) if (token.kind === 'variable') variables.push(token.value);
    assign = tokens[declaration - 1]?.kind === 'punct' && (tokens[declaration - 1] as { value: string }).value === '=';
    rest = tokens.slice(declaration);
  }
  const commands = splitOn(rest, '|').map((part) => parseCommand(part, line));
  if (commands.some((c) => c.args.length === 0)) throw new TemplateError('missing command in pipeline', line);
  return { variables, assign, commands, line };
}

/** `$x :=`, `$x =`, `$i, $e :=`: the number of tokens of the declaration, or 0. */
function declarationLength(tokens: Token[]): number {
  const [a, b, c, d] = tokens;
  const isOp = (t?: Token) => t?.kind === 'punct' && (t.value === ':=' || t.value === '=');
  if (a?.kind === 'variable' && isOp(b)) return 2;
  if (a?.kind === 'variable' && b?.kind === 'punct' && b.value === ',' && c?.kind === 'variable' && isOp(d)) return 4;
  return 0;
}

function splitOn(tokens: Token[], separator: '|'): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'punct' && token.value === '(') depth += 1;
    if (token.kind === 'punct' && token.value === ')') depth -= 1;
    if (depth === 0 && token.kind === 'punct' && token.value === separator) parts.push([]);
    else parts.at(-1)?.push(token);
  }
  return parts;
}

function parseCommand(tokens: Token[], line: number): Command {
  const args: Arg[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.kind === 'punct' && token.value === '(') {
      const close = matchingParen(tokens, i, line);
      const inner = parsePipeline(tokens.slice(i + 1, close), line);
      const chain = tokens[close + 1];
      const path = chain?.kind === 'chain' ? chain.value : [];
      args.push({ kind: 'pipeline', pipeline: inner, path });
      i = close + (chain?.kind === 'chain' ? 2 : 1);
      continue;
    }
    if (token.kind === 'variable') {
      const chain = tokens[i + 1];
      const path = chain?.kind === 'chain' ? chain.value : [];
      args.push({ kind: 'variable', name: token.value, path });
      i += chain?.kind === 'chain' ? 2 : 1;
      continue;
    }
    args.push(simpleArg(token, line));
    i += 1;
  }
  return { args };
}

function simpleArg(token: Token, line: number): Arg {
  switch (token.kind) {
    case 'field': return { kind: 'field', path: token.value };
    case 'ident': return { kind: 'function', name: token.value };
    case 'string': case 'number': case 'bool': return { kind: 'literal', value: token.value };
    case 'nil': return { kind: 'literal', value: null };
    default: throw new TemplateError(`unexpected ${token.kind === 'punct' ? `"${token.value}"` : token.kind} in command`, line);
  }
}

function matchingParen(tokens: Token[], open: number, line: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const t = tokens[i];
    if (t?.kind === 'punct' && t.value === '(') depth += 1;
    if (t?.kind === 'punct' && t.value === ')') depth -= 1;
    if (depth === 0) return i;
  }
  throw new TemplateError('unclosed left paren', line);
}
