/** Which repository files the pure stages get as text, and which only by name (binary or huge). */
import { MAX_TEXT_BYTES, unreadText } from '../model/files.js';

export { MAX_TEXT_BYTES } from '../model/files.js';

const BINARY_EXTENSIONS = /\.(png|jpe?g|gif|ico|webp|bmp|tgz|gz|zip)$/i;
/** Git's own rule: a NUL byte in the first 8000 bytes means binary. */
const BINARY_SNIFF_BYTES = 8000;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** True when a file's name alone says it is binary, so its content need not be read. */
export function isBinaryName(name: string): boolean {
  return BINARY_EXTENSIONS.test(name);
}

/** The file's text; '' for a file binary by name; an unread marker (model/files.ts) for an oversized or non-UTF-8 file. */
export function textOf(name: string, content: Uint8Array): string {
  if (isBinaryName(name)) return '';
  if (content.length > MAX_TEXT_BYTES) return unreadText('oversized', content.length);
  if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return unreadText('binary', content.length);
  try {
    return UTF8.decode(content);
  } catch {
    return unreadText('binary', content.length);
  }
}
