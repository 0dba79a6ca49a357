/**
 * A repository or catalog as the pure stages see it: file contents keyed by
 * POSIX path relative to its root. Files binary by name (icons) are listed with empty
 * content; a file that is too large, or not UTF-8 text, is listed with an unread marker
 * (`unreadText`), so that a parser can say so instead of reading an empty file.
 */
export type FileTree = ReadonlyMap<string, string>;

/** The largest file read as text. */
export const MAX_TEXT_BYTES = 1024 * 1024;

export type UnreadReason = 'oversized' | 'binary';

/** Starts with NUL, which no file read as text can (a NUL byte makes a file binary). */
const UNREAD_PREFIX = '\u0000corral-unread:';

/** The content a FileTree holds for a file that was not read as text. */
export function unreadText(reason: UnreadReason, bytes: number): string {
  return `${UNREAD_PREFIX}${reason}:${bytes}`;
}

/** Why a file was not read, as users read it, or undefined for a file read as text. */
export function unreadReason(text: string | undefined): string | undefined {
  if (text === undefined || !text.startsWith(UNREAD_PREFIX)) return undefined;
  const [reason, bytes] = text.slice(UNREAD_PREFIX.length).split(':');
  const size = Number(bytes);
  return reason === 'oversized'
    ? `the file is ${size} bytes, more than the ${MAX_TEXT_BYTES} (1 MiB) corral reads`
    : 'the file is not UTF-8 text (binary content or a NUL byte)';
}
