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
  return secretMask(secrets).value(value);
}

export function redactString(text: string, secrets: readonly string[]): string {
  return secretMask(secrets).string(text);
}

/** The text without an access token, as written and as it appears URL-encoded (in a clone URL, in an error from git). */
export function redactToken(text: string, token: string | undefined): string {
  return token ? redactString(text, [token, encodeURIComponent(token)]) : text;
}

/**
 * The mask of a list of secrets, made once per list object: the daemon and the CLI hide the same
 * list (every stack's secrets) in every status, step and line they show.
 */
const masks = new WeakMap<readonly string[], SecretMask>();

function secretMask(secrets: readonly string[]): SecretMask {
  let mask = masks.get(secrets);
  if (!mask) masks.set(secrets, (mask = new SecretMask(secrets)));
  return mask;
}

/** How many first characters index a secret (shorter secrets are looked up whole). */
const PREFIX = 4;

/**
 * Finds secrets in a text in any letter case (compared lowercased: the scheduler quotes label
 * values lowercased, so a secret that reached a label must be found lowercased too), the longest
 * one first where several start at the same place. The secrets are indexed by their first
 * characters, so a text costs about its length whatever the number of secrets: one regular
 * expression alternating between them all cost the number of secrets at every position of the
 * text (10,000 secrets: 0.7 s per stack status, and past about 1,000 far worse).
 */
export class SecretMask {
  /** Lowercased secrets of PREFIX characters or more by their first PREFIX characters, longest first. */
  readonly #byPrefix = new Map<string, string[]>();
  /** Lowercased secrets shorter than PREFIX, and their lengths, longest first. */
  readonly #short = new Set<string>();
  readonly #shortLengths: number[] = [];
  /** The first character of every secret, lowercased: most places in a text start none. */
  readonly #firstCodes = new Set<number>();
  readonly #shortest: number;

  constructor(secrets: readonly string[]) {
    const distinct = [...new Set(secrets.filter((secret) => secret !== '').map(lowercased))].sort((a, b) => b.length - a.length);
    for (const secret of distinct) {
      this.#firstCodes.add(secret.charCodeAt(0));
      if (secret.length < PREFIX) {
        this.#short.add(secret);
        if (!this.#shortLengths.includes(secret.length)) this.#shortLengths.push(secret.length);
        continue;
      }
      const prefix = secret.slice(0, PREFIX);
      const group = this.#byPrefix.get(prefix);
      if (group) group.push(secret);
      else this.#byPrefix.set(prefix, [secret]);
    }
    this.#shortest = distinct.at(-1)?.length ?? Number.POSITIVE_INFINITY;
  }

  /** The text with every secret in it replaced by MASK. */
  string(text: string): string {
    if (text.length < this.#shortest) return text;
    const lower = lowercased(text);
    let shown = '';
    let copied = 0;
    for (let at = 0; at <= lower.length - this.#shortest; ) {
      const length = this.#firstCodes.has(lower.charCodeAt(at)) ? this.#secretAt(lower, at) : 0;
      if (length === 0) {
        at++;
        continue;
      }
      shown += text.slice(copied, at) + MASK;
      at += length;
      copied = at;
    }
    return copied === 0 ? text : shown + text.slice(copied);
  }

  /** Every string in the value masked (object keys are not), in a copy of the same shape. */
  value(value: unknown): unknown {
    if (this.#shortest === Number.POSITIVE_INFINITY) return value;
    if (typeof value === 'string') return this.string(value);
    if (Array.isArray(value)) return value.map((item) => this.value(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
    }
    return value;
  }

  /** The length of the longest secret that starts at `at` in the lowercased text; 0 for none. */
  #secretAt(lower: string, at: number): number {
    const candidates = at + PREFIX <= lower.length ? this.#byPrefix.get(lower.slice(at, at + PREFIX)) : undefined;
    if (candidates) for (const secret of candidates) if (lower.startsWith(secret, at)) return secret.length;
    for (const length of this.#shortLengths) if (this.#short.has(lower.slice(at, at + length))) return length;
    return 0;
  }
}

/**
 * The text lowercased with each character at its place: a character whose lowercase is longer
 * (İ) is kept as it is, so that places in the lowercased text are places in the text.
 */
function lowercased(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let kept = '';
  for (const character of text) {
    const characterLower = character.toLowerCase();
    kept += characterLower.length === character.length ? characterLower : character;
  }
  return kept;
}
