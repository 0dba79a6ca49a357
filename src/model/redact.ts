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

/** Replaces every occurrence of a secret in any string of `value` (longest secrets first). */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactString(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets)]));
  }
  return value;
}

export function redactString(text: string, secrets: readonly string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).reduce((out, secret) => out.split(secret).join(MASK), text);
}
