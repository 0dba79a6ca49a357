/** Executes a parsed template against data, with Go's scoping and evaluation rules. */
import { TemplateError } from './errors.js';
import { FUNCTIONS, isTrue, LAZY_FUNCTIONS, printValue } from './functions.js';
import type { Arg, Command, Node, Pipeline, TemplateAst } from './parser.js';

export interface ExecuteOptions {
  /** Called with the text every action prints; returns what goes into the output. */
  escapeOutput?: (printed: string) => string;
}

interface Variable { name: string; value: unknown }

class State {
  readonly variables: Variable[];
  constructor(readonly root: unknown, readonly options: ExecuteOptions) {
    this.variables = [{ name: '$', value: root }];
  }

  lookup(name: string, line: number): Variable {
    for (let i = this.variables.length - 1; i >= 0; i -= 1) {
      const variable = this.variables[i];
      if (variable?.name === name) return variable;
    }
    throw new TemplateError(`undefined variable: ${name}`, line);
  }

  /** Runs `body` and forgets the variables it declared, as a Go block does. */
  scoped<T>(body: () => T): T {
    const mark = this.variables.length;
    try {
      return body();
    } finally {
      this.variables.length = mark;
    }
  }
}

export function executeTemplate(ast: TemplateAst, data: unknown, options: ExecuteOptions = {}): string {
  const out: string[] = [];
  walk(ast, data, new State(data, options), out);
  return out.join('');
}

function walk(nodes: Node[], dot: unknown, state: State, out: string[]): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text': out.push(node.text); break;
      case 'action': {
        const value = evalPipeline(node.pipeline, dot, state);
        if (node.pipeline.variables.length === 0) {
          const printed = printValue(value);
          out.push(state.options.escapeOutput ? state.options.escapeOutput(printed) : printed);
        }
        break;
      }
      case 'if': case 'with':
        state.scoped(() => {
          const value = evalPipeline(node.pipeline, dot, state);
          const chosen = isTrue(value) ? node.body : node.otherwise;
          const nextDot = node.kind === 'with' && isTrue(value) ? value : dot;
          state.scoped(() => walk(chosen, nextDot, state, out));
        });
        break;
      case 'range': state.scoped(() => walkRange(node, dot, state, out)); break;
    }
  }
}

function walkRange(node: Extract<Node, { kind: 'range' }>, dot: unknown, state: State, out: string[]): void {
  const pipeline = { ...node.pipeline, variables: [] };
  const collection = evalPipeline(pipeline, dot, state);
  const entries = rangeEntries(collection, node.pipeline.line);
  if (entries.length === 0) {
    state.scoped(() => walk(node.otherwise, dot, state, out));
    return;
  }
  const [first, second] = node.pipeline.variables;
  for (const [key, element] of entries) {
    state.scoped(() => {
      if (second !== undefined && first !== undefined) state.variables.push({ name: first, value: key }, { name: second, value: element });
      else if (first !== undefined) state.variables.push({ name: first, value: element });
      walk(node.body, element, state, out);
    });
  }
}

function rangeEntries(value: unknown, line: number): [unknown, unknown][] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((element, i) => [i, element]);
  if (typeof value === 'object') return Object.keys(value).sort().map((key) => [key, (value as Record<string, unknown>)[key]]);
  if (typeof value === 'number') return Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
  throw new TemplateError(`range can't iterate over ${printValue(value)}`, line);
}

function evalPipeline(pipeline: Pipeline, dot: unknown, state: State): unknown {
  let value: unknown;
  let hasFinal = false;
  for (const command of pipeline.commands) {
    value = evalCommand(command, dot, state, pipeline.line, hasFinal ? { value } : undefined);
    hasFinal = true;
  }
  if (pipeline.variables.length > 0) declare(pipeline, value, state);
  return value;
}

function declare(pipeline: Pipeline, value: unknown, state: State): void {
  const [name] = pipeline.variables;
  if (name === undefined) return;
  if (pipeline.assign) state.lookup(name, pipeline.line).value = value;
  else state.variables.push({ name, value });
}

function evalCommand(command: Command, dot: unknown, state: State, line: number, final?: { value: unknown }): unknown {
  const [first, ...rest] = command.args;
  if (!first) throw new TemplateError('empty command', line);
  if (first.kind === 'function') return callFunction(first.name, rest, dot, state, line, final);
  if (rest.length > 0 || final) throw new TemplateError(`can't give argument to non-function ${describe(first)}`, line);
  return evalArg(first, dot, state, line);
}

function callFunction(name: string, argNodes: Arg[], dot: unknown, state: State, line: number, final?: { value: unknown }): unknown {
  const evaluate = (arg: Arg) => evalArg(arg, dot, state, line);
  if (LAZY_FUNCTIONS.has(name)) {
    const thunks = [...argNodes.map((arg) => () => evaluate(arg)), ...(final ? [() => final.value] : [])];
    if (thunks.length === 0) throw new TemplateError(`wrong number of args for ${name}: want at least 1 got 0`, line);
    let value: unknown;
    for (const thunk of thunks) {
      value = thunk();
      if (name === 'and' ? !isTrue(value) : isTrue(value)) return value;
    }
    return value;
  }
  const fn = FUNCTIONS[name];
  if (!fn) throw new TemplateError(`function "${name}" not defined`, line);
  const args = argNodes.map(evaluate);
  if (final) args.push(final.value);
  return fn(args, line);
}

function evalArg(arg: Arg, dot: unknown, state: State, line: number): unknown {
  switch (arg.kind) {
    case 'literal': return arg.value;
    case 'field': return walkPath(dot, arg.path, line);
    case 'variable': return walkPath(state.lookup(arg.name, line).value, arg.path, line);
    case 'pipeline': return walkPath(state.scoped(() => evalPipeline(arg.pipeline, dot, state)), arg.path, line);
    case 'function': return callFunction(arg.name, [], dot, state, line);
  }
}

/** `.A.B` on a value: map keys; a missing key of a string map (like .Values) is "". */
function walkPath(value: unknown, path: string[], line: number): unknown {
  let current = value;
  for (const name of path) {
    if (current === null || current === undefined) throw new TemplateError(`nil pointer evaluating .${name}`, line);
    if (typeof current !== 'object' || Array.isArray(current)) {
      throw new TemplateError(`can't evaluate field ${name} in type ${Array.isArray(current) ? 'slice' : typeof current}`, line);
    }
    const map = current as Record<string, unknown>;
    current = name in map ? map[name] : isStringMap(map) ? '' : undefined;
  }
  return current;
}

function isStringMap(map: Record<string, unknown>): boolean {
  return Object.values(map).every((v) => typeof v === 'string');
}

function describe(arg: Arg): string {
  switch (arg.kind) {
    case 'field': return `.${arg.path.join('.')}`;
    case 'variable': return arg.name + (arg.path.length ? `.${arg.path.join('.')}` : '');
    case 'literal': return printValue(arg.value);
    case 'pipeline': return '(...)';
    case 'function': return arg.name;
  }
}
