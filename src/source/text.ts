/** Which repository files the pure stages get as text, and which only by name (binary or huge). */

const MAX_TEXT_BYTES = 1024 * 1024;
const BINARY_EXTENSIONS = /\.(png|jpe?g|gif|ico|webp|bmp|tgz|gz|zip)$/i;
/** Git's own rule: a NUL byte in the first 8000 bytes means binary. */
const BINARY_SNIFF_BYTES = 8000;

/** True when a file's name alone says it is binary, so its content need not be read. */
export function isBinaryName(name: string): boolean {
  return BINARY_EXTENSIONS.test(name);
}

/** The file's text, or '' for binary and oversized files (they are listed, not read). */
export function textOf(name: string, content: Uint8Array): string {
  if (isBinaryName(name) || content.length > MAX_TEXT_BYTES) return '';
  if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return '';
  return Buffer.from(content.buffer, content.byteOffset, content.length).toString('utf8');
}
