/**
 * The config hash of a container: what forces a recreate when it changes. It is the SHA-256 of
 * the final Docker create request (name, config, HostConfig, networking, labels) without
 * corral's own labels (ownership, config hash, template version, revision), and with the other
 * stacks' networks the container joins for its external_links, as compose hashes
 * the whole service: anything that reaches Docker — a compose key, a resolved volume source after
 * a top-level volume declaration changed, a system label — changes it, and nothing else does.
 * Beside it, a short hash per compose key (and per top-level volume declaration used) is stored
 * in a label, so a replace can say which keys changed. The instances of a service hash the stable
 * JSON of their request made once with slots for what differs — the name (and Hostname, when it
 * is the name) and the deployment unit label (StableJsonTemplate) — which is the same text, so the
 * hash means the same as when each request was built and hashed whole. Pure (the `"key":` texts
 * of object keys are remembered, bounded, for every plan).
 */
import * as crypto from 'node:crypto';
import { memoizedPerText } from '../util/memo.js';
import { sortInPlace } from '../util/sort.js';

const KEY_HASH_LENGTH = 8;

/** A short SHA-256 of each key's stable JSON; undefined values are left out. */
export function keyHashes(input: Record<string, unknown>, memo: HashMemo = new HashMemo()): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const key of sortedKeys(input)) {
    const value = input[key];
    if (value === undefined) continue;
    keys[key] = memo.sha256(stableJson(value)).slice(0, KEY_HASH_LENGTH);
  }
  return keys;
}

/**
 * SHA-256 digests of single keys' stable JSON, remembered by text while one plan is computed: the
 * stacks of one template share most of their compose values. (The JSON itself is not remembered
 * per value object: at 10,000 stacks such a map held half a million objects, and keeping it up
 * cost more than making the text again.)
 */
export class HashMemo {
  readonly #digests = new Map<string, string>();

  sha256(text: string): string {
    let digest = this.#digests.get(text);
    if (digest === undefined) this.#digests.set(text, (digest = sha256(text)));
    return digest;
  }
}

/** `command=1a2b3c4d,image=…` for the label. */
export function formatKeyHashes(keys: Record<string, string>): string {
  return Object.entries(keys)
    .map(([key, hash]) => `${key}=${hash}`)
    .join(',');
}

export function parseKeyHashes(label: string | undefined): Record<string, string> | undefined {
  if (!label) return undefined;
  return Object.fromEntries(
    label.split(',').map((item) => {
      const separator = item.lastIndexOf('=');
      return [item.slice(0, separator), item.slice(separator + 1)];
    }),
  );
}

/** Keys added, removed or changed between two per-key hash maps, sorted. */
export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const all = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...all].filter((key) => before[key] !== after[key]).sort();
}

/**
 * JSON with object keys sorted at every level, so equal values hash equally. Written as loops
 * that append to one string (no entries, filter, map and join arrays per object): a plan makes
 * this text for every container it hashes.
 */
export function stableJson(value: unknown): string {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value !== 'object' || value === null) return scalarJson(value);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + stableJson(value[i] ?? null);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let text = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    text += keyText(key, first) + stableJson(item);
    first = false;
  }
  return `${text}}`;
}

/** A value that is neither a string nor an object (nor null) as JSON.stringify writes it; numbers and booleans without its cost. */
function scalarJson(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value ?? null);
}

/** The record's keys in code-unit order, as `Array#sort` orders strings (sortInPlace: most records a plan writes have a few keys). */
export function sortedKeys(record: object): string[] {
  return sortInPlace(Object.keys(record));
}

/** What JSON.stringify escapes in a string: a quote, a backslash, a control character, a (lone) surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`, without its cost (several times a quoted copy) where nothing needs escaping. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** A key's text in an object: as its first key, and after another. */
interface KeyTexts {
  first: string;
  next: string;
}

/**
 * `"key":` and `,"key":` by key, remembered: the keys of the objects a plan writes come from a
 * small vocabulary (Docker's fields, label keys, compose keys), written again for every container
 * and service. Bounded (memoizedPerText), so that keys a user invents cannot grow it without end.
 */
const keyTexts = memoizedPerText((key: string): KeyTexts => {
  const text = `${jsonString(key)}:`;
  return { first: text, next: `,${text}` };
});

/** `"key":` for the object's first key, `,"key":` for the others. */
function keyText(key: string, first: boolean): string {
  const texts = keyTexts(key);
  return first ? texts.first : texts.next;
}

/** Where a StableJsonTemplate's record has a value that `fill` gives: the string `values[index]`. */
export class JsonSlot {
  constructor(readonly index: number) {}
}

/** A value of a StableJsonTemplate's record given as its stable JSON text. */
export class JsonText {
  constructor(readonly json: string) {}
}

/**
 * The stable JSON of records that share all but a few string values: the record is written once
 * with JsonSlot markers where those values go, and `fill` puts the strings in. The result is
 * exactly `stableJson` of the record with each slot replaced by its string, so a hash of it means
 * what the hash of the whole record means. Slots are values of the record itself; one deeper is in
 * a template of its own made for the record that holds it (a value of the record), as the
 * deployment unit label is in the Labels of a service's hashed request. Used for the instances of
 * one service, which differ only in their name and deployment unit.
 */
export class StableJsonTemplate {
  /** The text around the slots: one more than `#slots`. */
  readonly #texts: string[] = [];
  /** The slot between `#texts[i]` and `#texts[i + 1]`. */
  readonly #slots: number[] = [];
  /** `#texts` are flattened (on the first fill: a template inside another is never filled, and its texts are copied into the outer's). */
  #flat = false;

  constructor(record: Readonly<Record<string, unknown>>) {
    let text = '{';
    let first = true;
    for (const key of sortedKeys(record)) {
      const value = record[key];
      if (value === undefined) continue;
      // A key and its value are joined before they are added: a short piece added to a long text copies the text.
      const head = keyText(key, first);
      first = false;
      if (value instanceof JsonSlot) {
        this.#texts.push(text + head);
        this.#slots.push(value.index);
        text = '';
      } else if (value instanceof StableJsonTemplate) {
        text += head + value.#texts[0];
        for (let i = 0; i < value.#slots.length; i++) {
          this.#texts.push(text);
          this.#slots.push(value.#slots[i] as number);
          text = value.#texts[i + 1] as string;
        }
      } else {
        text += head + (value instanceof JsonText ? value.json : stableJson(value));
      }
    }
    this.#texts.push(`${text}}`);
  }

  /** The stable JSON of the record with `values[slot.index]` in each slot. */
  fill(values: readonly string[]): string {
    const texts = this.#texts;
    const slots = this.#slots;
    if (!this.#flat) {
      for (const piece of texts) flatten(piece);
      this.#flat = true;
    }
    let text = texts[0] as string;
    for (let i = 0; i < slots.length; i++) text += jsonString(values[slots[i] as number] as string) + (texts[i + 1] as string);
    return text;
  }
}

/**
 * Makes V8 store a text built by `+=` as one string. Such a text is a tree of its pieces; reading
 * a character turns the tree into one string in place, once. Unflattened, a template's text is
 * walked again within every instance's text that is hashed.
 */
function flatten(text: string): void {
  text.charCodeAt(0);
}

// crypto.hash (Node ≥ 20.12) digests in one call, without a Hash object per text.
const oneShot = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;

export function sha256(text: string): string {
  return oneShot ? oneShot('sha256', text) : crypto.createHash('sha256').update(text).digest('hex');
}
