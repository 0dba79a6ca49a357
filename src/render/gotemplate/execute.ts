/**
 * Runs a parsed template over data with Go's rules: dot and `$`, variables that live until
 * the end of the block declaring them, field chains over maps, pipelines passing their value
 * as the last argument, and `and` / `or` evaluating only the arguments they need.
 */
import {
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  describeNode,
  describePipe,
  type IdentifierNode,
  type Node,
  type PipeNode,
  type TemplateAst,
  type VariableNode,
} from './ast.js';
import { TemplateError } from './errors.js';
import { callFunction, checkArity, FunctionError, LAZY_FUNCTIONS } from './functions.js';
import type { Position } from './lexer.js';
import { formatValue, isMap, isTrue, kindOf, printValue, sortedKeys, typeName } from './values.js';

export interface ExecuteOptions {
  /** Called with the text each action prints; its result goes into the output instead. */
  escapeOutput?: (printed: string) => string;
  /** Most nodes and commands executed before the template fails (default DEFAULT_MAX_STEPS). */
  maxSteps?: number;
  /** Most UTF-16 units of output, and of any string a function returns (default DEFAULT_MAX_OUTPUT). */
  maxOutput?: number;
}

/** Far above any catalog template (every template of the community corpus renders its defaults within 2,000). */
export const DEFAULT_MAX_STEPS = 50_000;
/** 4 MiB of compose text: far above any real compose file. */
export const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;

/** Marks "no value came from a previous pipeline stage" (undefined is a value: Go's invalid). */
const NO_FINAL = Symbol('no final argument');
/** The value from the previous pipeline stage, or NO_FINAL. */
type Final = unknown;

/** Where an error happened and the source of the action part that failed. */
interface Site {
  position: Position;
  source: string;
}

function siteOf(node: ArgNode | CommandNode): Site {
  return { position: node.position, source: describeNode(node) };
}

interface Variable {
  name: string;
  value: unknown;
}

export function executeTemplate(ast: TemplateAst, data: unknown, options: ExecuteOptions = {}): string {
  const state = new State(data, options);
  state.walkList(ast.nodes, data);
  return state.output.join('');
}

class State {
  readonly output: string[] = [];
  private readonly variables: Variable[];
  private readonly maxSteps: number;
  private readonly maxOutput: number;
  private steps = 0;
  private outputLength = 0;
  /** Where execution is, for budget errors raised by text nodes. */
  private position: Position = { line: 1, column: 1 };

  constructor(
    root: unknown,
    private readonly options: ExecuteOptions,
  ) {
    this.variables = [{ name: '$', value: root }];
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    this.maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  }

  // ---- budget -------------------------------------------------------------

  private step(position?: Position): void {
    if (position) this.position = position;
    this.steps += 1;
    if (this.steps > this.maxSteps) this.failBudget(`the template ran more than ${this.maxSteps} steps (a loop too large?)`);
  }

  /** `counted`: the length the text stands for (a printed value may be replaced by a short token). */
  private emit(text: string, counted = text.length): void {
    this.outputLength += counted;
    if (this.outputLength > this.maxOutput) this.failBudget(`the template printed more than ${this.maxOutput} characters`);
    this.output.push(text);
  }

  /** A string a function returned counts against the output budget too: it may be printed. */
  private checkValue(value: unknown): unknown {
    if (typeof value === 'string' && value.length > this.maxOutput)
      this.failBudget(`a value of ${value.length} characters is larger than the output budget of ${this.maxOutput}`);
    return value;
  }

  private failBudget(problem: string): never {
    throw new TemplateError(`execution budget exceeded: ${problem}`, this.position.line, this.position.column);
  }

  // ---- walking the tree ---------------------------------------------------

  walkList(nodes: Node[], dot: unknown): void {
    for (const node of nodes) this.walkNode(node, dot);
  }

  private walkNode(node: Node, dot: unknown): void {
    this.step(node.type === 'text' ? undefined : node.type === 'action' ? node.pipe.position : node.position);
    switch (node.type) {
      case 'text':
        this.emit(node.text);
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.declarations.length > 0) return;
        const printed = printValue(value);
        this.checkValue(printed);
        this.emit(this.options.escapeOutput ? this.options.escapeOutput(printed) : printed, printed.length);
        return;
      }
      case 'if':
      case 'with':
        this.scoped(() => this.walkIfOrWith(node, dot));
        return;
      case 'range':
        this.scoped(() => this.walkRange(node, dot));
        return;
    }
  }

  /** Variables declared inside `body` are forgotten when it ends, as at a Go `{{end}}`. */
  private scoped(body: () => void): void {
    const mark = this.variables.length;
    try {
      body();
    } finally {
      this.variables.length = mark;
    }
  }

  private walkIfOrWith(node: BranchNode, dot: unknown): void {
    const value = this.evalPipeline(dot, node.pipe);
    if (isTrue(value)) this.walkList(node.list, node.type === 'with' ? value : dot);
    else this.walkList(node.elseList, dot);
  }

  private walkRange(node: BranchNode, dot: unknown): void {
    const collection = this.evalPipeline(dot, node.pipe);
    const entries = this.rangeEntries(collection, node);
    if (entries.length === 0) {
      this.walkList(node.elseList, dot);
      return;
    }
    const { declarations, isAssign } = node.pipe;
    for (const [key, element] of entries) {
      this.step(node.position);
      this.scoped(() => {
        // `range $e :=` sets $e to the element; `range $i, $e :=` sets $i to the index or key.
        const assigned = declarations.length === 2 ? [key, element] : [element];
        declarations.forEach((name, i) => {
          if (isAssign) this.setVariable(name, assigned[i], siteOfPipe(node.pipe));
          else this.setTopVariable(declarations.length - i, assigned[i]);
        });
        this.walkList(node.list, element);
      });
    }
  }

  private rangeEntries(collection: unknown, node: BranchNode): [unknown, unknown][] {
    switch (kindOf(collection)) {
      case 'invalid':
      case 'nil':
        return [];
      case 'slice':
        return (collection as unknown[]).map((element, i) => [i, element]);
      case 'map': {
        const map = collection as Record<string, unknown>;
        return sortedKeys(map).map((key) => [key, map[key]]);
      }
      default:
        this.fail(
          { position: node.position, source: `range ${describePipe(node.pipe)}` },
          `range can't iterate over ${formatValue(collection)}: expected a list or a map`,
        );
    }
  }

  // ---- variables ----------------------------------------------------------

  private findVariable(name: string, at: Site): Variable {
    for (let i = this.variables.length - 1; i >= 0; i -= 1) {
      const variable = this.variables[i];
      if (variable?.name === name) return variable;
    }
    this.fail(at, `undefined variable: ${name}`);
  }

  private setVariable(name: string, value: unknown, at: Site): void {
    this.findVariable(name, at).value = value;
  }

  /** Sets the n-th variable from the top of the stack (1 is the last declared). */
  private setTopVariable(n: number, value: unknown): void {
    const variable = this.variables[this.variables.length - n];
    if (variable) variable.value = value;
  }

  // ---- pipelines and commands ---------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: Final = NO_FINAL;
    for (const command of pipe.commands) value = this.evalCommand(dot, command, value);
    for (const name of pipe.declarations) {
      if (pipe.isAssign) this.setVariable(name, value, siteOfPipe(pipe));
      else this.variables.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, command: CommandNode, final: Final): unknown {
    this.step(command.position);
    const [first] = command.args;
    if (!first) this.fail(siteOf(command), 'empty command');
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, first.fields, first, command.args, final);
      case 'chain':
        return this.evalChain(dot, first, command.args, final);
      case 'variable':
        return this.evalVariable(dot, first, command.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, command, command.args, final);
      case 'pipe':
        this.notAFunction(command.args, final);
        return this.evalPipeline(dot, first);
      case 'nil':
        this.fail(siteOf(first), 'nil is not a command');
    }
    this.notAFunction(command.args, final);
    return this.evalArg(dot, first);
  }

  /** Only a function (or Go method) takes arguments; Go reports anything else so. */
  private notAFunction(args: ArgNode[], final: Final): void {
    const [first] = args;
    if (!first || (args.length === 1 && final === NO_FINAL)) return;
    this.fail(
      siteOf(first),
      `can't give argument to non-function ${describeNode(first)}: put the function name first, as in "and (eq .a 1) .b"`,
    );
  }

  private evalArg(dot: unknown, node: ArgNode): unknown {
    switch (node.type) {
      case 'field':
        return this.evalFieldChain(dot, node.fields, node, [node], NO_FINAL);
      case 'chain':
        return this.evalChain(dot, node, [node], NO_FINAL);
      case 'variable':
        return this.evalVariable(dot, node, [node], NO_FINAL);
      case 'identifier':
        return this.evalFunction(dot, node, node, [node], NO_FINAL);
      case 'pipe':
        return this.evalPipeline(dot, node);
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'bool':
      case 'number':
      case 'string':
        return node.value;
    }
  }

  private evalFunction(dot: unknown, node: IdentifierNode, command: CommandNode | IdentifierNode, args: ArgNode[], final: Final): unknown {
    const argNodes = args.slice(1);
    const count = argNodes.length + (final === NO_FINAL ? 0 : 1);
    try {
      checkArity(node.name, count);
      if (LAZY_FUNCTIONS.has(node.name)) return this.evalAndOr(dot, node.name === 'or', argNodes, final);
      const values = argNodes.map((arg) => this.evalArg(dot, arg));
      if (final !== NO_FINAL) values.push(final);
      return this.checkValue(callFunction(node.name, values, this.maxOutput));
    } catch (err) {
      if (!(err instanceof FunctionError)) throw err;
      this.fail(siteOf(command), `error calling ${node.name}: ${err.message}`);
    }
  }

  /** `and` returns the first false argument or the last; `or` the first true one or the last. */
  private evalAndOr(dot: unknown, isOr: boolean, argNodes: ArgNode[], final: Final): unknown {
    let value: unknown;
    for (const arg of argNodes) {
      value = this.evalArg(dot, arg);
      if (isTrue(value) === isOr) return value;
    }
    return final === NO_FINAL ? value : final;
  }

  // ---- fields -------------------------------------------------------------

  private evalVariable(_dot: unknown, node: VariableNode, args: ArgNode[], final: Final): unknown {
    const value = this.findVariable(node.name, siteOf(node)).value;
    if (node.fields.length === 0) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, node.fields, node, args, final);
  }

  private evalChain(dot: unknown, node: ChainNode, args: ArgNode[], final: Final): unknown {
    return this.evalFieldChain(this.evalPipeline(dot, node.target), node.fields, node, args, final);
  }

  /** `.A.B.C` from a receiver; only the last field sees the command's arguments. */
  private evalFieldChain(receiver: unknown, fields: string[], node: ArgNode, args: ArgNode[], final: Final): unknown {
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    return fields.reduce<unknown>(
      (current, field, i) => this.evalField(current, field, node, hasArgs && i === fields.length - 1),
      receiver,
    );
  }

  private evalField(receiver: unknown, field: string, node: ArgNode, hasArgs: boolean): unknown {
    // A missing key gives Go's invalid value, and a field of that is invalid too, silently.
    if (receiver === undefined) return undefined;
    if (receiver === null) this.fail(siteOf(node), `nil pointer evaluating interface {}.${field}`);
    if (!isMap(receiver)) this.fail(siteOf(node), `can't evaluate field ${field} in type ${typeName(receiver)}`);
    if (hasArgs) this.fail(siteOf(node), `${field} is not a method but has arguments`);
    return Object.hasOwn(receiver, field) ? receiver[field] : undefined;
  }

  private fail(at: Site, problem: string): never {
    const { line, column } = at.position;
    throw new TemplateError(`at <${at.source}>: ${problem}`, line, column);
  }
}

function siteOfPipe(pipe: PipeNode): Site {
  return { position: pipe.position, source: describePipe(pipe) };
}
