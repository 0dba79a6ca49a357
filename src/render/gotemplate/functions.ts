/**
 * The functions a template can call: Go's builtins, Rancher's `splitPreserveQuotes`, and the
 * sprig functions (Rancher registered sprig's whole map) that catalog templates use or are
 * likely to: atoi, until, contains, hasPrefix, hasSuffix, default, empty, lower, upper,
 * trim, quote, replace. sprig puts the needle first: `contains "/" .Values.x` asks whether
 * .Values.x contains "/".
 *
 * `and` and `or` are listed here for their arity, but the executor evaluates them lazily.
 */
import { quote, sprint, sprintf, sprintln } from './format.js';
import { compareStrings, formatValue, type GoMap, isTrue, type Kind, kindOf, typeName } from './values.js';

/** An error from inside a function; the executor adds the function name and position. */
export class FunctionError extends Error {}

type ParamKind = 'any' | 'string' | 'int';

interface FunctionSpec {
  params: ParamKind[];
  /** The type of further arguments; absent when the function takes exactly `params`. */
  variadic?: ParamKind;
  call: (...args: never[]) => unknown;
}

export const LAZY_FUNCTIONS = new Set(['and', 'or']);

const FUNCTIONS: Record<string, FunctionSpec> = {
  // Go's builtins
  and: { params: ['any'], variadic: 'any', call: () => undefined },
  or: { params: ['any'], variadic: 'any', call: () => undefined },
  not: { params: ['any'], call: (value: unknown) => !isTrue(value) },
  len: { params: ['any'], call: length },
  index: { params: ['any'], variadic: 'any', call: index },
  print: { params: [], variadic: 'any', call: (...args: unknown[]) => sprint(args) },
  printf: { params: ['string'], variadic: 'any', call: (format: string, ...args: unknown[]) => sprintf(format, args) },
  println: { params: [], variadic: 'any', call: (...args: unknown[]) => sprintln(args) },
  eq: { params: ['any'], variadic: 'any', call: eq },
  ne: { params: ['any', 'any'], call: (a: unknown, b: unknown) => !eq(a, b) },
  lt: { params: ['any', 'any'], call: lt },
  le: { params: ['any', 'any'], call: (a: unknown, b: unknown) => lt(a, b) || eq(a, b) },
  gt: { params: ['any', 'any'], call: (a: unknown, b: unknown) => !lt(a, b) && !eq(a, b) },
  ge: { params: ['any', 'any'], call: (a: unknown, b: unknown) => !lt(a, b) },
  // Rancher's
  splitPreserveQuotes: { params: ['string'], call: splitPreserveQuotes },
  // sprig's
  atoi: { params: ['string'], call: atoi },
  until: { params: ['int'], call: until },
  contains: { params: ['string', 'string'], call: (needle: string, text: string) => text.includes(needle) },
  hasPrefix: { params: ['string', 'string'], call: (prefix: string, text: string) => text.startsWith(prefix) },
  hasSuffix: { params: ['string', 'string'], call: (suffix: string, text: string) => text.endsWith(suffix) },
  default: { params: ['any'], variadic: 'any', call: (fallback: unknown, ...given: unknown[]) => (isTrue(given[0]) ? given[0] : fallback) },
  empty: { params: ['any'], call: (value: unknown) => !isTrue(value) },
  lower: { params: ['string'], call: (text: string) => text.toLowerCase() },
  upper: { params: ['string'], call: (text: string) => text.toUpperCase() },
  trim: { params: ['string'], call: (text: string) => text.replace(/^\s+|\s+$/g, '') },
  quote: {
    params: [],
    variadic: 'any',
    call: (...args: unknown[]) =>
      args
        .filter((arg) => arg !== null && arg !== undefined)
        .map((arg) => quote(formatValue(arg)))
        .join(' '),
  },
  replace: {
    params: ['string', 'string', 'string'],
    call: (old: string, replacement: string, text: string) => text.replaceAll(old, replacement),
  },
};

export function isDefinedFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Checks the number of arguments a function is given, as Go does before evaluating them. */
export function checkArity(name: string, count: number): void {
  const spec = lookup(name);
  const fixed = spec.params.length;
  if (spec.variadic ? count >= fixed : count === fixed) return;
  const want = spec.variadic ? `at least ${fixed}` : String(fixed);
  throw new FunctionError(`wrong number of args for ${name}: want ${want} got ${count}`);
}

/**
 * Calls a (non-lazy) function with evaluated arguments; throws FunctionError. `maxLength` bounds
 * the strings a function may build, checked before building them where they could grow without end.
 */
export function callFunction(name: string, args: unknown[], maxLength = Number.POSITIVE_INFINITY): unknown {
  const spec = lookup(name);
  checkArity(name, args.length);
  for (const [i, arg] of args.entries()) checkType(arg, spec.params[i] ?? spec.variadic ?? 'any');
  if (name === 'replace') checkReplaceLength(args as [string, string, string], maxLength);
  return (spec.call as (...values: unknown[]) => unknown)(...args);
}

/** `replace "" $x $x` squares the length of $x: refuse before building a string past the budget. */
function checkReplaceLength([old, replacement, text]: [string, string, string], maxLength: number): void {
  const occurrences = old === '' ? text.length + 1 : text.split(old).length - 1;
  const length = text.length + occurrences * (replacement.length - old.length);
  if (length > maxLength) throw new FunctionError(`the result would be ${length} characters, more than the budget of ${maxLength}`);
}

function lookup(name: string): FunctionSpec {
  const spec = FUNCTIONS[name];
  if (!spec) throw new FunctionError(`function "${name}" not defined`);
  return spec;
}

function checkType(arg: unknown, param: ParamKind): void {
  if (param === 'any' || kindOf(arg) === param) return;
  if (arg === undefined || arg === null) throw new FunctionError(`invalid value; expected ${param}`);
  throw new FunctionError(`wrong type for value; expected ${param}; got ${typeName(arg)}`);
}

// ---- builtins ---------------------------------------------------------------

function length(value: unknown): number {
  switch (kindOf(value)) {
    case 'string':
      return Buffer.byteLength(value as string);
    case 'slice':
      return (value as unknown[]).length;
    case 'map':
      return Object.keys(value as GoMap).length;
    case 'invalid':
    case 'nil':
      throw new FunctionError('len of nil pointer');
    default:
      throw new FunctionError(`len of type ${typeName(value)}`);
  }
}

function index(item: unknown, ...keys: unknown[]): unknown {
  if (item === undefined || item === null) throw new FunctionError('index of untyped nil');
  return keys.reduce<unknown>((current, key) => indexOnce(current, key), item);
}

function indexOnce(item: unknown, key: unknown): unknown {
  const kind = kindOf(item);
  if (kind === 'invalid' || kind === 'nil') throw new FunctionError('index of nil pointer');
  if (kind === 'slice' || kind === 'string') {
    const items = kind === 'string' ? [...Buffer.from(item as string)] : (item as unknown[]);
    if (kindOf(key) !== 'int') throw new FunctionError(`cannot index slice/array with type ${typeName(key)}`);
    const position = key as number;
    if (position < 0 || position >= items.length) throw new FunctionError(`index out of range: ${position}`);
    return items[position];
  }
  if (kind === 'map') {
    if (typeof key !== 'string') throw new FunctionError(`value has type ${typeName(key)}; should be string`);
    const map = item as GoMap;
    return Object.hasOwn(map, key) ? map[key] : zeroOfValues(map);
  }
  throw new FunctionError(`can't index item of type ${typeName(item)}`);
}

/** Go returns the zero value of the map's element type for a missing key; we infer that type. */
function zeroOfValues(map: GoMap): unknown {
  const kinds = new Set(Object.values(map).map(kindOf));
  if (kinds.size !== 1) return null;
  const zeros: Partial<Record<Kind, unknown>> = { string: '', int: 0, bool: false };
  const [kind] = kinds;
  return kind === undefined ? null : (zeros[kind] ?? null);
}

/** Kinds that compare with each other; nil and collections are 'none'. */
function comparisonKind(value: unknown): 'bool' | 'int' | 'float' | 'string' | 'none' {
  const kind = kindOf(value);
  return kind === 'bool' || kind === 'int' || kind === 'float' || kind === 'string' ? kind : 'none';
}

/** Go's eq: true if the first argument equals any of the others. */
function eq(first: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new FunctionError('missing argument for comparison');
  const firstKind = comparisonKind(first);
  return others.some((other) => {
    const otherKind = comparisonKind(other);
    const bothPresent = first !== undefined && first !== null && other !== undefined && other !== null;
    if (firstKind !== otherKind) {
      if (bothPresent) throw new FunctionError(`incompatible types for comparison: ${typeName(first)} and ${typeName(other)}`);
      return false;
    }
    if (firstKind !== 'none') return first === other;
    if (bothPresent) throw new FunctionError(`non-comparable type ${typeName(first)}`);
    return (first === undefined || first === null) && (other === undefined || other === null);
  });
}

function lt(a: unknown, b: unknown): boolean {
  const [kindA, kindB] = [comparisonKind(a), comparisonKind(b)];
  if (kindA === 'none' || kindA === 'bool' || kindB === 'none' || kindB === 'bool') {
    throw new FunctionError(`invalid type for comparison: ${typeName(kindA === 'none' || kindA === 'bool' ? a : b)} has no order`);
  }
  if (kindA !== kindB) throw new FunctionError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  return kindA === 'string' ? compareStrings(a as string, b as string) < 0 : (a as number) < (b as number);
}

// ---- Rancher and sprig ------------------------------------------------------

const QUOTATION_MARKS = /["'\u00ab\u00bb\u2018-\u201f\u2039\u203a\u2e42\u300c-\u300f\u301d-\u301f\ufe41-\ufe44\uff02\uff07\uff62\uff63]/u;
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/**
 * Rancher's splitPreserveQuotes: splits on whitespace outside quotes; the quotes stay in the
 * pieces (`--b='c d'` is one piece). Like Rancher's, each whitespace character ends a piece
 * (two spaces make an empty piece), and the last character always stays in the last piece.
 * Unlike Rancher's, a string ending in a non-ASCII character keeps its last piece.
 */
export function splitPreserveQuotes(text: string): string[] {
  const pieces: string[] = [];
  const chars = [...text];
  let piece = '';
  let inQuotes = false;
  chars.forEach((char, i) => {
    if (QUOTATION_MARKS.test(char)) inQuotes = !inQuotes;
    const isLast = i === chars.length - 1;
    if ((GO_SPACE.test(char) && !inQuotes) || isLast) {
      pieces.push(isLast ? piece + char : piece);
      piece = '';
    } else {
      piece += char;
    }
  });
  return pieces;
}

/** sprig's atoi: Go's strconv.Atoi, with 0 for anything that is not a decimal integer (or is too large to be exact). */
function atoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) return 0;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : 0;
}

/** More would be a typo in an answer, not a list anyone means to render. */
export const MAX_UNTIL = 10_000;

/** sprig's until: 0, 1, ... count-1 (or 0, -1, ... count+1 for a negative count). */
function until(count: number): number[] {
  if (Math.abs(count) > MAX_UNTIL) throw new FunctionError(`count ${count} is too large: at most ${MAX_UNTIL} items`);
  const step = count < 0 ? -1 : 1;
  return Array.from({ length: Math.abs(count) }, (_, i) => i * step);
}
