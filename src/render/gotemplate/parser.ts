/**
 * Builds the tree of a template from its tokens, with the checks Go's parser makes:
 * blocks closed by `{{end}}`, functions defined, variables declared before use.
 */
import type { ArgNode, BranchNode, CommandNode, Node, PipeNode, TemplateAst } from './ast.js';
import { TemplateError } from './errors.js';
import { isDefinedFunction } from './functions.js';
import { type Position, type Token, type TokenKind, tokenize } from './lexer.js';
import { parseNumber, unquote } from './literals.js';

type BranchKind = BranchNode['type'];

/** What ended a list of nodes. */
type ListEnd =
  | { kind: 'end' | 'eof'; token: Token }
  /** `{{else}}`, or `{{else if ...` / `{{else with ...` with `chained` naming the keyword. */
  | { kind: 'else'; token: Token; chained?: 'if' | 'with' };

const UNSUPPORTED_KEYWORDS: Record<string, string> = {
  define: 'catalog templates are one file; inline the text instead',
  template: 'catalog templates are one file; inline the text instead',
  block: 'catalog templates are one file; inline the text instead',
  break: 'use {{if}} inside the {{range}} instead',
  continue: 'use {{if}} inside the {{range}} instead',
};

export function parseTemplate(text: string): TemplateAst {
  return new Parser(tokenize(text)).parseRoot();
}

class Parser {
  private index = 0;
  /** Variables in scope, innermost last; `$` is always there. */
  private readonly variables: string[] = ['$'];

  constructor(private readonly tokens: Token[]) {}

  parseRoot(): TemplateAst {
    const { nodes, end } = this.parseList();
    if (end.kind !== 'eof') {
      this.fail(end.token, `unexpected {{${end.kind}}}: no open if/range/with block`);
    }
    return { nodes };
  }

  // ---- tokens -------------------------------------------------------------

  private next(): Token {
    const token = this.tokens[this.index] ?? this.eofToken();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.eofToken();
  }

  private eofToken(): Token {
    const last = this.tokens[this.tokens.length - 1];
    return { kind: 'eof', value: '', line: last?.line ?? 1, column: last?.column ?? 1 };
  }

  private skipSpace(): void {
    while (this.peek().kind === 'space') this.index += 1;
  }

  private nextNonSpace(): Token {
    this.skipSpace();
    return this.next();
  }

  private peekNonSpace(): Token {
    this.skipSpace();
    return this.peek();
  }

  private expect(kind: TokenKind, context: string): Token {
    const token = this.nextNonSpace();
    if (token.kind !== kind) this.unexpected(token, context);
    return token;
  }

  private fail(at: Position, message: string): never {
    throw new TemplateError(message, at.line, at.column);
  }

  private unexpected(token: Token, context: string): never {
    this.fail(token, `unexpected ${describeToken(token)} in ${context}`);
  }

  // ---- lists and actions --------------------------------------------------

  /** Text and actions up to `{{end}}`, `{{else}}` or the end of the template. */
  private parseList(): { nodes: Node[]; end: ListEnd } {
    const nodes: Node[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind === 'eof') return { nodes, end: { kind: 'eof', token } };
      if (token.kind === 'text') {
        nodes.push({ type: 'text', text: token.value });
        continue;
      }
      if (token.kind !== 'leftDelim') this.unexpected(token, 'input');
      const action = this.parseAction();
      if ('kind' in action) return { nodes, end: action };
      nodes.push(action);
    }
  }

  /** After `{{`: a block, an `{{end}}` / `{{else}}`, or a pipeline to print. */
  private parseAction(): Node | ListEnd {
    const token = this.peekNonSpace();
    if (token.kind === 'keyword') {
      this.next();
      switch (token.value) {
        case 'if':
        case 'range':
        case 'with':
          return this.parseBranch(token.value, token);
        case 'end':
          this.expect('rightDelim', 'end');
          return { kind: 'end', token };
        case 'else':
          return this.parseElse(token);
        default:
          this.fail(token, `{{${token.value}}} is not supported: ${UNSUPPORTED_KEYWORDS[token.value] ?? 'remove it'}`);
      }
    }
    return { type: 'action', pipe: this.parsePipeline('command', 'rightDelim') };
  }

  private parseElse(token: Token): ListEnd {
    const next = this.peekNonSpace();
    if (next.kind === 'keyword' && (next.value === 'if' || next.value === 'with')) {
      return { kind: 'else', token, chained: next.value };
    }
    this.expect('rightDelim', 'else');
    return { kind: 'else', token };
  }

  /** `{{if pipeline}} list [{{else}} list] {{end}}`, likewise range and with. */
  private parseBranch(type: BranchKind, opening: Token): BranchNode {
    const scopeMark = this.variables.length;
    const pipe = this.parsePipeline(type, 'rightDelim');
    const { nodes: list, end } = this.parseList();
    let elseList: Node[] = [];
    if (end.kind === 'else') elseList = this.parseElseList(type, opening, end);
    else if (end.kind === 'eof') this.failUnclosed(type, opening);
    this.variables.length = scopeMark;
    return { type, pipe, list, elseList, position: { line: opening.line, column: opening.column } };
  }

  private parseElseList(type: BranchKind, opening: Token, elseEnd: Extract<ListEnd, { kind: 'else' }>): Node[] {
    if (elseEnd.chained) {
      if (elseEnd.chained !== type)
        this.fail(elseEnd.token, `{{else ${elseEnd.chained}}} is only allowed inside {{${elseEnd.chained}}}, not {{${type}}}`);
      // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}`: one {{end}} closes both.
      const chainedOpening = this.next();
      return [this.parseBranch(type, chainedOpening)];
    }
    const { nodes, end } = this.parseList();
    if (end.kind === 'eof') this.failUnclosed(type, opening);
    if (end.kind === 'else')
      this.fail(end.token, `unexpected {{else}}: {{${type}}} on line ${opening.line} already has an {{else}}; expected {{end}}`);
    return nodes;
  }

  private failUnclosed(type: BranchKind, opening: Token): never {
    this.fail(opening, `unexpected end of template: {{${type}}} on line ${opening.line} has no matching {{end}}`);
  }

  // ---- pipelines ----------------------------------------------------------

  /** `[$x :=] command [| command]...` up to `end` (`}}` or `)`). */
  private parsePipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = {
      type: 'pipe',
      declarations: [],
      isAssign: false,
      commands: [],
      position: { line: start.line, column: start.column },
    };
    this.parseDeclarations(pipe, context);
    for (;;) {
      const token = this.peekNonSpace();
      if (token.kind === end) {
        this.next();
        this.checkPipeline(pipe, context, token);
        return pipe;
      }
      if (token.kind === 'pipe') this.fail(token, `missing command before "|" in ${context}`);
      if (!STARTS_OPERAND.has(token.kind)) this.unexpected(this.next(), context);
      pipe.commands.push(this.parseCommand());
    }
  }

  /** `$x :=`, `$x =`, or (in range) `$i, $e :=`; leaves the tokens alone if there is none. */
  private parseDeclarations(pipe: PipeNode, context: string): void {
    const mark = this.index;
    const first = this.peekNonSpace();
    if (first.kind !== 'variable') return;
    this.next();
    const after = this.peekNonSpace();
    if (after.kind === 'comma') {
      if (context !== 'range') this.fail(after, `too many declarations in ${context}: only {{range}} declares two variables`);
      this.next();
      const second = this.nextNonSpace();
      if (second.kind !== 'variable') this.fail(second, 'range can only initialize variables: expected "$index, $element :="');
      const operator = this.nextNonSpace();
      if (operator.kind !== 'declare' && operator.kind !== 'assign') this.unexpected(operator, 'range declaration');
      this.declare(pipe, [first.value, second.value], operator.kind === 'assign');
      return;
    }
    if (after.kind === 'declare' || after.kind === 'assign') {
      this.next();
      this.declare(pipe, [first.value], after.kind === 'assign');
      return;
    }
    this.index = mark;
  }

  private declare(pipe: PipeNode, names: string[], isAssign: boolean): void {
    pipe.declarations = names;
    pipe.isAssign = isAssign;
    this.variables.push(...names);
  }

  private checkPipeline(pipe: PipeNode, context: string, at: Token): void {
    if (pipe.commands.length === 0) this.fail(at, `missing value for ${context}`);
    pipe.commands.forEach((command, i) => {
      const first = command.args[0];
      if (i > 0 && first && NOT_EXECUTABLE.has(first.type)) {
        this.fail(command.position, `non executable command in pipeline stage ${i + 1}: what follows "|" must be a function to call`);
      }
    });
  }

  private parseCommand(): CommandNode {
    const start = this.peekNonSpace();
    const command: CommandNode = { type: 'command', args: [], position: { line: start.line, column: start.column } };
    for (;;) {
      this.skipSpace();
      const operand = this.parseOperand();
      if (operand) command.args.push(operand);
      const token = this.peek();
      if (token.kind === 'space') continue;
      if (token.kind === 'rightDelim' || token.kind === 'rightParen') break;
      if (token.kind === 'pipe') {
        this.next();
        const following = this.peekNonSpace();
        if (!STARTS_OPERAND.has(following.kind))
          this.fail(following, `missing command after "|": expected a function name, found ${describeToken(following)}`);
        break;
      }
      this.unexpected(this.next(), 'operand');
    }
    if (command.args.length === 0)
      this.fail(start, 'missing value for command: expected a function, field, variable or literal before "|"');
    return command;
  }

  /** A term, with `.Field` chained directly after it. */
  private parseOperand(): ArgNode | undefined {
    const term = this.parseTerm();
    if (!term || this.peek().kind !== 'field') return term;
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(this.next().value.slice(1));
    switch (term.type) {
      case 'field':
        return { ...term, fields: [...term.fields, ...fields] };
      case 'variable':
        return { ...term, fields: [...term.fields, ...fields] };
      case 'pipe':
        return { type: 'chain', target: term, fields, position: term.position };
      default:
        this.fail(term.position, `unexpected . after term ${JSON.stringify(termText(term))}`);
    }
  }

  private parseTerm(): ArgNode | undefined {
    const token = this.peek();
    const position = { line: token.line, column: token.column };
    switch (token.kind) {
      case 'identifier':
        this.next();
        if (!isDefinedFunction(token.value)) this.fail(token, `function "${token.value}" not defined`);
        return { type: 'identifier', name: token.value, position };
      case 'dot':
        this.next();
        return { type: 'dot', position };
      case 'nil':
        this.next();
        return { type: 'nil', position };
      case 'bool':
        this.next();
        return { type: 'bool', value: token.value === 'true', position };
      case 'field':
        this.next();
        return { type: 'field', fields: [token.value.slice(1)], position };
      case 'variable':
        this.next();
        if (!this.variables.includes(token.value))
          this.fail(token, `undefined variable "${token.value}": declare it with ${token.value} := ... first`);
        return { type: 'variable', name: token.value, fields: [], position };
      case 'number':
      case 'char':
        this.next();
        return { type: 'number', value: this.literal(token, parseNumber), text: token.value, position };
      case 'string':
      case 'rawString':
        this.next();
        return { type: 'string', value: this.literal(token, unquote), text: token.value, position };
      case 'leftParen':
        this.next();
        return this.parsePipeline('parenthesized pipeline', 'rightParen');
      default:
        return undefined;
    }
  }

  private literal<T>(token: Token, convert: (text: string) => T): T {
    try {
      return convert(token.value);
    } catch (err) {
      this.fail(token, err instanceof Error ? err.message : String(err));
    }
  }
}

const STARTS_OPERAND = new Set<TokenKind>([
  'bool',
  'char',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);
const NOT_EXECUTABLE = new Set<ArgNode['type']>(['bool', 'dot', 'nil', 'number', 'string']);

function termText(term: ArgNode): string {
  return 'text' in term ? term.text : term.type === 'bool' ? String(term.value) : term.type === 'nil' ? 'nil' : '.';
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of template';
    case 'rightDelim':
      return '"}}"';
    case 'leftDelim':
      return '"{{"';
    case 'space':
      return 'space';
    case 'keyword':
      return `keyword "${token.value}"`;
    default:
      return JSON.stringify(token.value);
  }
}
