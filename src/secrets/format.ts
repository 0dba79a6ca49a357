/**
 * How an encrypted answer is written in a stack request: `ENC[age,<base64 of an age file>]`,
 * one line, so that it reads the same in stack.yml and in answers.txt, needs no YAML tag
 * (the failsafe schema reads it as a plain string) and is recognisable in a merge request.
 * Pure: text in, bytes or a problem out; no keys involved.
 */

const PREFIX = 'ENC[age,';
const SUFFIX = ']';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const AGE_VERSION_LINE = 'age-encryption.org/v1\n';
const MAC_LINE = /\n--- [A-Za-z0-9+/]{43}\n/;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const CHUNK_BYTES = 64 * 1024;

/** Whether an answer is written as an encrypted answer (well-formed or not). */
export function isEncryptedAnswer(answer: string): boolean {
  return answer.trimStart().startsWith(PREFIX);
}

export function formatEncryptedAnswer(ageFile: Uint8Array): string {
  return `${PREFIX}${Buffer.from(ageFile).toString('base64')}${SUFFIX}`;
}

export type ParsedEncryptedAnswer = { ageFile: Uint8Array; plaintextBytes: number } | { problem: string };

/** The age file inside `ENC[age,...]`, checked as far as it can be without a key. */
export function parseEncryptedAnswer(answer: string): ParsedEncryptedAnswer {
  const text = answer.trim();
  if (!text.startsWith(PREFIX) || !text.endsWith(SUFFIX)) return { problem: `it must be one line, ${PREFIX}...${SUFFIX}` };
  const base64 = text.slice(PREFIX.length, -SUFFIX.length);
  if (!BASE64.test(base64) || base64.length % 4 !== 0) return { problem: 'the text between "ENC[age," and "]" is not base64' };
  const ageFile = new Uint8Array(Buffer.from(base64, 'base64'));
  const headerEnd = ageHeaderEnd(ageFile);
  if (headerEnd === undefined) return { problem: 'it does not hold an age file (no age-encryption.org/v1 header)' };
  const plaintextBytes = plaintextLength(ageFile.length - headerEnd);
  if (plaintextBytes === undefined) return { problem: 'the age file is truncated' };
  return { ageFile, plaintextBytes };
}

/** Offset just after the header's MAC line, or undefined when the bytes do not start with an age header. */
function ageHeaderEnd(ageFile: Uint8Array): number | undefined {
  // The header is ASCII; reading it as latin1 keeps byte offsets equal to string offsets.
  const text = Buffer.from(ageFile).toString('latin1');
  if (!text.startsWith(AGE_VERSION_LINE)) return undefined;
  const mac = MAC_LINE.exec(text);
  return mac ? mac.index + mac[0].length : undefined;
}

/**
 * The plaintext size of an age payload (nonce, then 64 KiB chunks, each with a 16-byte tag;
 * an empty plaintext is one empty chunk). The size is no secret: anyone can compute it.
 */
function plaintextLength(payloadBytes: number): number | undefined {
  const sealed = payloadBytes - NONCE_BYTES;
  if (sealed < TAG_BYTES) return undefined;
  const chunks = Math.max(1, Math.ceil(sealed / (CHUNK_BYTES + TAG_BYTES)));
  return sealed - chunks * TAG_BYTES;
}
