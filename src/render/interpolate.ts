/**
 * Compose-style variable interpolation on string values of an already parsed document:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
 * and `$$` for a literal `$`. Keys and non-string values are left alone, so an answer can
 * only ever become (part of) one string: it cannot add YAML structure. The values put in are
 * never scanned again, and their total size has a budget (a reference repeated many times to a
 * large answer fails the stack instead of filling memory).
 */
import { ownValue } from '../util/records.js';

export interface InterpolationProblem {
  /** Dotted path of the value, e.g. `web.environment.DB_HOST`. */
  field: string;
  variable: string;
  kind: 'unset' | 'required';
  message: string;
}

/** 16 MiB of text put in by interpolation, per file. */
export const DEFAULT_INTERPOLATION_BUDGET = 16 * 1024 * 1024;

export class InterpolationBudgetError extends Error {
  constructor(readonly field: string) {
    super(
      `interpolation would put in more than ${DEFAULT_INTERPOLATION_BUDGET} characters (a reference to a large answer repeated many times?)`,
    );
  }
}

/** What is left of the budget; shared by every value of a file. */
export interface InterpolationBudget {
  remaining: number;
}

const REFERENCE = /\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const BRACED = /^([A-Za-z_][A-Za-z0-9_.]*)(?:(:?)([-?])(.*))?$/s;

/** Throws InterpolationBudgetError when the values put in exceed the budget. */
export function interpolate(
  value: unknown,
  variables: Readonly<Record<string, string>>,
  problems: InterpolationProblem[],
  path: string[] = [],
  budget: InterpolationBudget = { remaining: DEFAULT_INTERPOLATION_BUDGET },
): unknown {
  if (typeof value === 'string') return interpolateString(value, variables, problems, path.join('.'), budget);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, variables, problems, [...path, String(i)], budget));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, variables, problems, [...path, key], budget)]),
    );
  }
  return value;
}

export function interpolateString(
  text: string,
  variables: Readonly<Record<string, string>>,
  problems: InterpolationProblem[],
  field: string,
  budget: InterpolationBudget = { remaining: DEFAULT_INTERPOLATION_BUDGET },
): string {
  if (!text.includes('$')) return text;
  const spend = (put: string): string => {
    budget.remaining -= put.length;
    if (budget.remaining < 0) throw new InterpolationBudgetError(field);
    return put;
  };
  return text.replace(REFERENCE, (whole, dollar: string | undefined, braced: string | undefined, bare: string | undefined) => {
    if (dollar) return '$';
    if (bare) return spend(lookup(bare, variables, problems, field));
    const match = BRACED.exec(braced ?? '');
    if (!match) return whole;
    const [, name = '', colon, operator, argument = ''] = match;
    const value = ownValue(variables, name);
    const missing = value === undefined || (colon === ':' && value === '');
    if (!operator) return spend(lookup(name, variables, problems, field));
    if (!missing) return spend(value ?? '');
    if (operator === '-') return argument;
    problems.push({ field, variable: name, kind: 'required', message: `\${${name}} is required here${argument ? `: ${argument}` : ''}` });
    return '';
  });
}

function lookup(name: string, variables: Readonly<Record<string, string>>, problems: InterpolationProblem[], field: string): string {
  const value = ownValue(variables, name);
  if (value !== undefined) return value;
  problems.push({
    field,
    variable: name,
    kind: 'unset',
    message: `variable ${name} is not set (no answer and no question with a default): using ""`,
  });
  return '';
}
