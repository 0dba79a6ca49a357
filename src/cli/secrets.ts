/**
 * Reading the age keys for the commands: the identity file named by CORRAL_AGE_IDENTITY
 * (the daemon's private key, kept outside the repository) and the repository's recipients
 * (.corral/recipients.txt, the public keys answers are encrypted for). File I/O only; the
 * parsing is in src/secrets.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDiagnostic } from '../model/diagnostics.js';
import type { parseRecipients } from '../secrets/age.js';
import { IDENTITY_ENV, RECIPIENTS_FILE } from '../secrets/answers.js';
import { UsageError } from './errors.js';

export { RECIPIENTS_FILE };

/** The identities of CORRAL_AGE_IDENTITY, or undefined when it is not set. Never quotes the file. */
export async function readIdentities(env: NodeJS.ProcessEnv = process.env): Promise<string[] | undefined> {
  const path = env[IDENTITY_ENV];
  if (path === undefined || path === '') return undefined;
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${IDENTITY_ENV}=${path}: cannot read the age identity file (${err.code ?? err.message})`);
  });
  const { parseIdentities } = await import('../secrets/age.js');
  const { identities, diagnostics } = await parseIdentities(text, `${IDENTITY_ENV}=${path}`);
  if (diagnostics.length > 0) throw new UsageError(diagnostics.map(formatDiagnostic).join('\n'));
  return identities;
}

/** The recipients listed in the repository; the problems of the file when it is broken; undefined when there is none. */
export async function readRecipientsFile(repo: string): Promise<ReturnType<typeof parseRecipients> | undefined> {
  const text = await readFile(join(repo, RECIPIENTS_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new UsageError(`${join(repo, RECIPIENTS_FILE)}: cannot read (${err.code ?? err.message})`);
  });
  if (text === undefined) return undefined;
  const age = await import('../secrets/age.js');
  return age.parseRecipients(text, RECIPIENTS_FILE);
}
