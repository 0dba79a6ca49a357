/** The parsed form of a template, shaped like Go's text/template/parse tree. */
import type { Position } from './lexer.js';

export interface TemplateAst {
  nodes: Node[];
}

export type Node = TextNode | ActionNode | BranchNode;

export interface TextNode {
  type: 'text';
  text: string;
}

/** `{{pipeline}}`: prints the value unless the pipeline declares or assigns a variable. */
export interface ActionNode {
  type: 'action';
  pipe: PipeNode;
}

/** `{{if}}`, `{{range}}`, `{{with}}`, each with an optional `{{else}}` list. */
export interface BranchNode {
  type: 'if' | 'range' | 'with';
  pipe: PipeNode;
  list: Node[];
  elseList: Node[];
  position: Position;
}

/** `$x := a | b c`: declarations (or an assignment) and commands joined by `|`. */
export interface PipeNode {
  type: 'pipe';
  declarations: string[];
  isAssign: boolean;
  commands: CommandNode[];
  position: Position;
}

/** A function call or a single value: the first argument says which. */
export interface CommandNode {
  type: 'command';
  args: ArgNode[];
  position: Position;
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | PipeNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode;

/** `.A.B`: fields of dot. */
export interface FieldNode {
  type: 'field';
  fields: string[];
  position: Position;
}
/** `$x.A.B` (fields may be empty); `$` is the root data. */
export interface VariableNode {
  type: 'variable';
  name: string;
  fields: string[];
  position: Position;
}
/** `(pipeline).A.B`. */
export interface ChainNode {
  type: 'chain';
  target: PipeNode;
  fields: string[];
  position: Position;
}
/** A function name. */
export interface IdentifierNode {
  type: 'identifier';
  name: string;
  position: Position;
}
export interface DotNode {
  type: 'dot';
  position: Position;
}
export interface NilNode {
  type: 'nil';
  position: Position;
}
export interface BoolNode {
  type: 'bool';
  value: boolean;
  position: Position;
}
/** Integers are JavaScript integers; a number literal with a fraction or exponent is a float. */
export interface NumberNode {
  type: 'number';
  value: number;
  text: string;
  position: Position;
}
export interface StringNode {
  type: 'string';
  value: string;
  text: string;
  position: Position;
}

/** The node as it was written (normalised spacing), for error messages. */
export function describeNode(node: ArgNode | CommandNode): string {
  switch (node.type) {
    case 'command':
      return node.args.map(describeNode).join(' ');
    case 'pipe':
      return `(${describePipe(node)})`;
    case 'field':
      return `.${node.fields.join('.')}`;
    case 'variable':
      return [node.name, ...node.fields].join('.');
    case 'chain':
      return [describeNode(node.target), ...node.fields].join('.');
    case 'identifier':
      return node.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(node.value);
    case 'number':
    case 'string':
      return node.text;
  }
}

export function describePipe(pipe: PipeNode): string {
  const declared = pipe.declarations.length > 0 ? `${pipe.declarations.join(', ')} ${pipe.isAssign ? '=' : ':='} ` : '';
  return declared + pipe.commands.map(describeNode).join(' | ');
}
