/**
 * Compose-style variable interpolation on string values of an already parsed document:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
 * and `$$` for a literal `$`. Keys and non-string values are left alone, so an answer can
 * only ever become (part of) one string: it cannot add YAML structure.
 */

export interface InterpolationProblem {
  /** Dotted path of the value, e.g. `web.environment.DB_HOST`. */
  field: string;
  variable: string;
  kind: 'unset' | 'required';
  message: string;
}

const REFERENCE = /\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const BRACED = /^([A-Za-z_][A-Za-z0-9_.]*)(?:(:?)([-?])(.*))?$/s;

export function interpolate(
  value: unknown,
  variables: Readonly<Record<string, string>>,
  problems: InterpolationProblem[],
  path: string[] = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, variables, problems, path.join('.'));
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, variables, problems, [...path, String(i)]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, variables, problems, [...path, key])]));
  }
  return value;
}

export function interpolateString(
  text: string,
  variables: Readonly<Record<string, string>>,
  problems: InterpolationProblem[],
  field: string,
): string {
  if (!text.includes('$')) return text;
  return text.replace(REFERENCE, (whole, dollar: string | undefined, braced: string | undefined, bare: string | undefined) => {
    if (dollar) return '$';
    if (bare) return lookup(bare, variables, problems, field);
    const match = BRACED.exec(braced ?? '');
    if (!match) return whole;
    const [, name = '', colon, operator, argument = ''] = match;
    const value = variables[name];
    const missing = value === undefined || (colon === ':' && value === '');
    if (!operator) return lookup(name, variables, problems, field);
    if (!missing) return value ?? '';
    if (operator === '-') return argument;
    problems.push({ field, variable: name, kind: 'required', message: `\${${name}} is required here${argument ? `: ${argument}` : ''}` });
    return '';
  });
}

function lookup(name: string, variables: Readonly<Record<string, string>>, problems: InterpolationProblem[], field: string): string {
  const value = variables[name];
  if (value !== undefined) return value;
  problems.push({
    field,
    variable: name,
    kind: 'unset',
    message: `variable ${name} is not set (no answer and no question with a default): using ""`,
  });
  return '';
}
