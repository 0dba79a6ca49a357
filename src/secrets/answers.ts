/**
 * Encrypted answers on the way into rendering. Pure apart from the decryption itself, which
 * needs no I/O: the identities come in as text.
 *
 * - decryptStackAnswers opens every `ENC[age,...]` answer of the repository once (async);
 * - openAnswers, per stack, puts the opened values in place of the encrypted ones (sync), so
 *   that validation and rendering see plain answers and stay as they are.
 *
 * Rules:
 * - only password, secret and certificate answers may be encrypted: reviewers must be able to
 *   read every other answer of a merge request;
 * - a non-empty plaintext answer to a password or secret question is an error, unless the
 *   operators' policy says `plaintext_secrets: allow`;
 * - without an identity, `corral validate` checks what it can (well-formed age file, empty or
 *   not) and says which constraints it could not check; plan, sync and the daemon fail the stack.
 */
import { constraintsOf, isSecretType, placeholderAnswer, type Question, type QuestionType } from '../catalog/questions.js';
import { type Diagnostic, error, warning } from '../model/diagnostics.js';
import type { FileTree } from '../model/files.js';
import { readStackRequests, type StackRequest } from '../stacks/request.js';
import { setOwn } from '../util/records.js';
import type { Decrypted } from './age.js';
import { isEncryptedAnswer, parseEncryptedAnswer } from './format.js';

export const IDENTITY_ENV = 'CORRAL_AGE_IDENTITY';
/** Where the repository lists its recipients (the public keys answers are encrypted for), relative to its root. */
export const RECIPIENTS_FILE = '.corral/recipients.txt';

/** What the desired-state path can do with encrypted answers. */
export type SecretAnswers =
  /** Opened with the daemon's identity; keyed by the answer as written (trimmed). */
  | { mode: 'decrypted'; answers: ReadonlyMap<string, Decrypted> }
  /** No identity (a merge-request check): checked as far as possible, rendered with placeholders. */
  | { mode: 'unchecked' }
  /** No identity where one is needed (plan, sync, the daemon): a stack with encrypted answers fails. */
  | { mode: 'none' };

export type PlaintextSecrets = 'allow' | 'deny';

const MUST_BE_ENCRYPTED: ReadonlySet<QuestionType> = new Set(['password', 'secret']);

/**
 * Opens every encrypted answer of every stack request in the repository, each once. Answers
 * already opened in `previous` (with the same identities) are taken from it: an answer is the
 * same ciphertext from one revision to the next, and opening one costs milliseconds.
 */
export async function decryptStackAnswers(
  files: FileTree,
  identities: readonly string[],
  previous?: SecretAnswers,
): Promise<SecretAnswers> {
  const known = previous?.mode === 'decrypted' ? previous.answers : new Map<string, Decrypted>();
  const written = new Set(
    readStackRequests(files)
      .flatMap((result) => Object.values(result.request?.answers ?? {}))
      .filter(isEncryptedAnswer)
      .map((answer) => answer.trim()),
  );
  const answers = new Map<string, Decrypted>();
  for (const answer of written) answers.set(answer, known.get(answer) ?? (await openAnswer(answer, identities)));
  return { mode: 'decrypted', answers };
}

/** Opens one answer. age and its ciphers load only here: a repository without encrypted answers does without them. */
async function openAnswer(answer: string, identities: readonly string[]): Promise<Decrypted> {
  const { decryptAnswer } = await import('./age.js');
  return decryptAnswer(answer, identities);
}

export interface OpenedAnswers {
  /** The answers with every encrypted one replaced by its value (or a placeholder, unchecked). */
  answers: Record<string, string>;
  diagnostics: Diagnostic[];
  /** Values of the stack's secret answers, to be scrubbed from anything shown. */
  secretValues: readonly string[];
  /** Encrypted answers that could not be opened (already reported): not to be checked further. */
  unopened: string[];
}

export function openAnswers(
  request: StackRequest,
  questions: readonly Question[],
  secrets: SecretAnswers,
  plaintextSecrets: PlaintextSecrets = 'deny',
): OpenedAnswers {
  const answers: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  const secretValues: string[] = [];
  const unopened: string[] = [];
  for (const [variable, written] of Object.entries(request.answers)) {
    const question = questions.find((q) => q.variable === variable);
    const report = (make: typeof error, message: string) =>
      diagnostics.push(make(request.file, `answers.${variable}: ${message}`, { field: `answers.${variable}` }));
    if (!isEncryptedAnswer(written)) {
      if (question && MUST_BE_ENCRYPTED.has(question.type) && written !== '' && plaintextSecrets !== 'allow')
        report(error, plaintextMessage(question));
      if (question && isSecretType(question.type)) secretValues.push(written);
      setOwn(answers, variable, written);
      continue;
    }
    const opened = openOne(question, written, secrets);
    if ('problem' in opened) {
      report(error, opened.problem);
      unopened.push(variable);
      continue;
    }
    if (opened.unchecked) report(warning, opened.unchecked);
    else secretValues.push(opened.value);
    setOwn(answers, variable, opened.value);
  }
  return { answers, diagnostics, secretValues: Object.freeze(secretValues.filter((v) => v !== '')), unopened };
}

type Opened = { value: string; unchecked?: string } | { problem: string };

function openOne(question: Question | undefined, written: string, secrets: SecretAnswers): Opened {
  if (!question || !isSecretType(question.type))
    return {
      problem: `only password, secret and certificate answers may be encrypted, and this is ${question ? `a ${question.type} question` : 'no question of the template'}: reviewers must be able to read it, so write it in plain text`,
    };
  const parsed = parseEncryptedAnswer(written);
  if ('problem' in parsed)
    return { problem: `the encrypted answer is malformed: ${parsed.problem}; encrypt the value again with \`corral secret encrypt\`` };
  if (secrets.mode === 'none')
    return {
      problem: `the answer is encrypted and no identity was given to decrypt it: set ${IDENTITY_ENV} to the path of the daemon's age identity file`,
    };
  if (secrets.mode === 'unchecked') {
    const value = parsed.plaintextBytes === 0 ? '' : placeholderAnswer(question);
    return { value, unchecked: uncheckedMessage(question) };
  }
  const decrypted = secrets.answers.get(written.trim()) ?? { problem: 'the encrypted answer was not decrypted' };
  return 'problem' in decrypted ? decrypted : { value: decrypted.value };
}

function uncheckedMessage(question: Question): string {
  const checked = `checked that it is a well-formed age file${question.required ? ' and not empty' : ''}`;
  const unchecked = [...constraintsOf(question), "whether the daemon's identity opens it"].join(', ');
  return `encrypted: ${checked}; not checked without ${IDENTITY_ENV}: ${unchecked}`;
}

function plaintextMessage(question: Question): string {
  return `a ${question.type} answer must be encrypted: run \`corral secret encrypt\`, give it the value on stdin, and put the ENC[age,...] line it prints here (the operators' policy can allow plain text with plaintext_secrets: allow). The value is now in the git history: change it`;
}
