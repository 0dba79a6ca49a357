/** Hides secret answers (password, secret types) wherever they ended up in a rendered stack. */
import type { DesiredStack } from './desired.js';

export const MASK = '********';

export function redactStack(stack: DesiredStack): DesiredStack {
  const secrets = stack.secretVariables
    .map((name) => stack.variables[name])
    .filter((value): value is string => typeof value === 'string' && value !== '');
  const redacted = redactValue(stack, secrets) as DesiredStack;
  const variables = Object.fromEntries(
    Object.entries(stack.variables).map(([name, value]) => [
      name,
      stack.secretVariables.includes(name) && value !== '' ? MASK : redactString(value, secrets),
    ]),
  );
  return { ...redacted, variables };
}

/** The values of every stack's secret variables (decrypted answers among them), for scrubbing output. */
export function stackSecretValues(stacks: readonly DesiredStack[]): string[] {
  const values = stacks.flatMap((stack) => stack.secretVariables.map((name) => stack.variables[name] ?? ''));
  return [...new Set(values.filter((value) => value !== ''))];
}

/** Replaces every occurrence of a secret in any string of `value` (longest secrets first, in any letter case). */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  const pattern = secretPattern(secrets);
  return pattern ? redactWith(value, pattern) : value;
}

export function redactString(text: string, secrets: readonly string[]): string {
  const pattern = secretPattern(secrets);
  return pattern ? text.replace(pattern, MASK) : text;
}

/** The text without an access token, as written and as it appears URL-encoded (in a clone URL, in an error from git). */
export function redactToken(text: string, token: string | undefined): string {
  return token ? redactString(text, [token, encodeURIComponent(token)]) : text;
}

function redactWith(value: unknown, pattern: RegExp): unknown {
  if (typeof value === 'string') return value.replace(pattern, MASK);
  if (Array.isArray(value)) return value.map((item) => redactWith(item, pattern));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactWith(v, pattern)]));
  }
  return value;
}

/**
 * One pattern for every secret, longest first, in any letter case: the scheduler quotes label
 * values lowercased, so a secret that reached a label must be found lowercased too.
 */
function secretPattern(secrets: readonly string[]): RegExp | undefined {
  const distinct = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  if (distinct.length === 0) return undefined;
  return new RegExp(distinct.map((secret) => secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'giu');
}
