/**
 * age keys and encryption for secret answers (the `age-encryption` package, typage, by the
 * age authors). No I/O: identities and recipients come in as text, files are read by the
 * callers. Asynchronous only because the library is.
 *
 * Keys are X25519 (`AGE-SECRET-KEY-1...` / `age1...`): their encrypted answers fit on one
 * line (about 280 characters for a short password). Post-quantum hybrid keys (`age1pq1...`)
 * are accepted too, at about 2 KB per answer.
 */
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { type Diagnostic, error } from '../model/diagnostics.js';
import { formatEncryptedAnswer, parseEncryptedAnswer } from './format.js';

export interface KeyPair {
  identity: string;
  recipient: string;
}

export async function generateKeyPair(): Promise<KeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** An age identity file as age-keygen writes it: `#` comments, blank lines, one `AGE-SECRET-KEY-...` per line. */
export function identityFileText(pair: KeyPair, created: Date): string {
  return `# created: ${created.toISOString()}\n# public key: ${pair.recipient}\n${pair.identity}\n`;
}

/**
 * Parses an identity file. Messages name the line but never quote it: it may be a key.
 * Every identity is checked by deriving its recipient.
 */
export async function parseIdentities(text: string, file: string): Promise<{ identities: string[]; diagnostics: Diagnostic[] }> {
  const identities: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { line, value } of meaningfulLines(text)) {
    const valid = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/.test(value) && (await identityToRecipient(value).then(Boolean, () => false));
    if (valid) identities.push(value);
    else
      diagnostics.push(
        error(file, 'not an age identity (AGE-SECRET-KEY-1..., as `corral secret keygen` prints); the line is not shown', { line }),
      );
  }
  if (identities.length === 0 && diagnostics.length === 0)
    diagnostics.push(error(file, 'holds no age identity: put the AGE-SECRET-KEY-1... line that `corral secret keygen` printed in it'));
  return { identities, diagnostics };
}

/** Parses a recipients file: one `age1...` public key per line, `#` comments and blank lines skipped. */
export function parseRecipients(text: string, file: string): { recipients: string[]; diagnostics: Diagnostic[] } {
  const recipients: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { line, value } of meaningfulLines(text)) {
    if (isRecipient(value)) recipients.push(value);
    else if (value.toUpperCase().startsWith('AGE-SECRET-KEY-'))
      diagnostics.push(
        error(
          file,
          'this is an identity (a secret key), not a recipient: remove it, and make a new key pair — this one is in the git history now',
          { line },
        ),
      );
    else
      diagnostics.push(
        error(
          file,
          `${JSON.stringify(shorten(value))} is not an age recipient (a public key age1..., as \`corral secret keygen\` prints)`,
          {
            line,
          },
        ),
      );
  }
  if (recipients.length === 0 && diagnostics.length === 0)
    diagnostics.push(error(file, 'lists no recipient: add the public key (age1...) of the identity the daemon holds, one per line'));
  return { recipients, diagnostics };
}

function isRecipient(value: string): boolean {
  if (!value.startsWith('age1')) return false;
  try {
    new Encrypter().addRecipient(value);
    return true;
  } catch {
    return false;
  }
}

/** The answer to write in the stack request: `ENC[age,...]` for every recipient. */
export async function encryptAnswer(value: string, recipients: readonly string[]): Promise<string> {
  if (recipients.length === 0) throw new Error('no recipients to encrypt for');
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return formatEncryptedAnswer(await encrypter.encrypt(value));
}

export type Decrypted = { value: string } | { problem: string };

/**
 * Opens one encrypted answer with any of the identities. A problem says what is wrong
 * and what to do; it never holds any part of the plaintext (age authenticates before
 * it releases anything).
 */
export async function decryptAnswer(answer: string, identities: readonly string[]): Promise<Decrypted> {
  const parsed = parseEncryptedAnswer(answer);
  if ('problem' in parsed) return { problem: `the encrypted answer is malformed: ${parsed.problem}` };
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return { value: await decrypter.decrypt(parsed.ageFile, 'text') };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (/no identity matched/.test(reason))
      return {
        problem:
          "cannot be decrypted with the daemon's identity (CORRAL_AGE_IDENTITY): it was encrypted for other recipients; encrypt it again with `corral secret encrypt`, which uses the recipients of .corral/recipients.txt",
      };
    return { problem: `the encrypted answer is corrupt (${reason}); encrypt the value again with \`corral secret encrypt\`` };
  }
}

function meaningfulLines(text: string): { line: number; value: string }[] {
  return text
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, value: raw.trim() }))
    .filter(({ value }) => value !== '' && !value.startsWith('#'));
}

function shorten(text: string): string {
  return text.length > 20 ? `${text.slice(0, 17)}...` : text;
}
