/**
 * How JavaScript data stands in for Go values:
 * - `undefined` is Go's invalid value (a missing map key); an action prints it as `<no value>`.
 * - `null` is nil; an action prints it as `<no value>` too, fmt (print, printf) as `<nil>`.
 * - numbers are ints when they are integers, floats otherwise; strings and booleans as is.
 * - arrays are slices; any other object is a map with string keys (Go's struct fields read
 *   the same way as map keys, so `.Stack.Name` works on a plain object).
 */

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map';

export type GoMap = Record<string, unknown>;

export function kindOf(value: unknown): Kind {
  if (value === undefined) return 'invalid';
  if (value === null) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'string':
      return 'string';
    default:
      return Array.isArray(value) ? 'slice' : 'map';
  }
}

export function isMap(value: unknown): value is GoMap {
  return kindOf(value) === 'map';
}

/** Go's type name of a value, as its error messages show it. */
export function typeName(value: unknown): string {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'float':
      return 'float64';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'string':
      return 'string';
  }
}

/** Go's truth (for if, with, and, or, not): the zero value and empty collections are false. */
export function isTrue(value: unknown): boolean {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return value === true;
    case 'int':
    case 'float':
      return value !== 0;
    case 'string':
      return value !== '';
    case 'slice':
      return (value as unknown[]).length > 0;
    case 'map':
      return Object.keys(value as GoMap).length > 0;
  }
}

/** Keys of a map in Go's order (sorted), which range and printing use. */
export function sortedKeys(map: GoMap): string[] {
  return Object.keys(map).sort(compareStrings);
}

/** Byte order of the UTF-8 encodings, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** What `{{value}}` prints: like %v, except that nil and a missing value print as `<no value>`. */
export function printValue(value: unknown): string {
  return value === undefined || value === null ? '<no value>' : formatValue(value);
}

/** fmt's `%v`. */
export function formatValue(value: unknown): string {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'float':
      return formatFloat(value as number);
    case 'slice':
      return `[${(value as unknown[]).map(formatValue).join(' ')}]`;
    case 'map': {
      const map = value as GoMap;
      return `map[${sortedKeys(map)
        .map((key) => `${key}:${formatValue(map[key])}`)
        .join(' ')}]`;
    }
    default:
      return String(value);
  }
}

/** Go's `%v` of a float64 (strconv's shortest `%g`): an exponent below 1e-4 or from 1e6. */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}
