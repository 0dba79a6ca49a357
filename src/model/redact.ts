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
export function stackSecretValues(stacks: readonly DesiredStack[]): readonly string[] {
  const values = stacks.flatMap((stack) => stack.secretVariables.map((name) => stack.variables[name] ?? ''));
  return Object.freeze([...new Set(values.filter((value) => value !== ''))]);
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
 * The mask of a frozen list of secrets, made once per list: the daemon and the CLI hide the same
 * list (every stack's secrets, frozen where it is made) in every status, step and line they show.
 * A list that is not frozen could change after its mask is made: it gets a mask of its own.
 */
const masks = new WeakMap<readonly string[], SecretMask>();

function secretMask(secrets: readonly string[]): SecretMask {
  // Only a frozen list cannot change after its mask is made.
  if (!Object.isFrozen(secrets)) return new SecretMask(secrets);
  let mask = masks.get(secrets);
  if (!mask) masks.set(secrets, (mask = new SecretMask(secrets)));
  return mask;
}

/** How many first characters index a secret (shorter secrets are looked up whole). */
const PREFIX = 4;

/**
 * Finds secrets in a text in any letter case (both case-folded: the scheduler quotes label values
 * lowercased, so a secret that reached a label must be found lowercased too), the longest one
 * first where several start at the same place. The secrets are indexed by their first PREFIX
 * folded characters, so a place in the text is compared only with the secrets that start as it
 * does: a text costs about its length times the secrets that share a prefix found in it (a few,
 * unless thousands share one, as tokens of one kind do). One regular expression alternating
 * between every secret cost the number of secrets at every place of the text (10,000 secrets:
 * 0.7 s per stack status, and past about 1,000 far worse).
 */
class SecretMask {
  /** Folded secrets of PREFIX characters or more by their first PREFIX characters, longest first. */
  readonly #byPrefix = new Map<string, string[]>();
  /** Folded secrets shorter than PREFIX, and their lengths, longest first. */
  readonly #short = new Set<string>();
  readonly #shortLengths: number[] = [];
  /** The first character of every folded secret: most places in a text start none. */
  readonly #firstCodes = new Set<number>();
  readonly #shortest: number;

  constructor(secrets: readonly string[]) {
    const distinct = [...new Set(secrets.filter((secret) => secret !== '').map(folded))].sort((a, b) => b.length - a.length);
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
    const fold = folded(text);
    let shown = '';
    let copied = 0;
    for (let at = 0; at <= fold.length - this.#shortest; ) {
      const length = this.#firstCodes.has(fold.charCodeAt(at)) ? this.#secretAt(fold, at) : 0;
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

  /** The length of the longest secret that starts at `at` in the folded text; 0 for none. */
  #secretAt(fold: string, at: number): number {
    const candidates = at + PREFIX <= fold.length ? this.#byPrefix.get(fold.slice(at, at + PREFIX)) : undefined;
    if (candidates) for (const secret of candidates) if (fold.startsWith(secret, at)) return secret.length;
    for (const length of this.#shortLengths) if (this.#short.has(fold.slice(at, at + length))) return length;
    return 0;
  }
}

/**
 * The text with each character case-folded on its own (uppercased, then lowercased), where that
 * keeps its length, else lowercased, else as it is; so that places in the folded text are places
 * in the text, and every spelling of a letter folds alike (Σ, σ and final ς; ſ and s; ẞ and ß),
 * as a case-insensitive pattern compares them. Not the whole text's toLowerCase: that writes Σ as
 * σ or ς depending on its neighbours. ASCII text, the usual, is lowercased at once; in other text,
 * the non-ASCII characters are folded one by one and the ASCII letters lowercased.
 */
function folded(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return text.replace(NON_ASCII_CHARACTERS, foldedCharacter).replace(ASCII_UPPERCASE, (letters) => letters.toLowerCase());
}

const NON_ASCII = /\P{ASCII}/u;
const NON_ASCII_CHARACTERS = /\P{ASCII}/gu;
const ASCII_UPPERCASE = /[A-Z]+/g;

/** Letters whose two forms fold apart character by character (each uppercases to several), which a case-insensitive pattern matches. */
const FOLD_EXCEPTIONS = new Map([
  ['\u1fd3', '\u0390'],
  ['\u1fe3', '\u03b0'],
  ['\ufb05', '\ufb06'],
]);

function foldedCharacter(character: string): string {
  const exception = FOLD_EXCEPTIONS.get(character);
  if (exception !== undefined) return exception;
  const upperLower = character.toUpperCase().toLowerCase();
  if (upperLower.length === character.length) return upperLower;
  const lower = character.toLowerCase();
  return lower.length === character.length ? lower : character;
}
