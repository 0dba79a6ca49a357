/** `corral secret keygen|encrypt`: the age key pair of a daemon, and encrypted answers for stack requests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { encryptAnswer, generateKeyPair, identityFileText, parseRecipients } from '../../secrets/age.js';
import { IDENTITY_ENV } from '../../secrets/answers.js';
import type { CommandBody } from '../command-body.js';
import { UsageError } from '../errors.js';
import { RECIPIENTS_FILE, readRecipientsFile } from '../secrets.js';

interface KeygenArgs {
  output?: string;
}

interface EncryptArgs {
  repo: string;
  recipient: string[];
}

/** More than any password or certificate; keeps a mistaken pipe from filling memory. */
const MAX_VALUE_BYTES = 1024 * 1024;

const keygenCommand: CommandModule<object, KeygenArgs> = {
  command: 'keygen',
  describe: `Print a new age identity (for ${IDENTITY_ENV}) and its recipient (for ${RECIPIENTS_FILE})`,
  builder: (yargs: Argv) =>
    yargs.options({
      output: { alias: 'o', type: 'string', describe: 'Write the identity to this new file (mode 0600) instead of stdout' },
    }) as unknown as Argv<KeygenArgs>,
  handler: async (args: ArgumentsCamelCase<KeygenArgs>) => {
    const pair = await generateKeyPair();
    const text = identityFileText(pair, new Date());
    if (args.output) {
      await writeFile(args.output, text, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(
          `--output ${args.output}: ${err.code === 'EEXIST' ? 'the file exists; corral never overwrites a key' : err.message}`,
        );
      });
    } else {
      process.stdout.write(text);
    }
    process.stderr.write(
      `public key: ${pair.recipient}\n` +
        `Add the public key to ${RECIPIENTS_FILE} in the repository. Keep the identity out of git: the daemon reads it from the file ${IDENTITY_ENV} names.\n`,
    );
  },
};

const encryptCommand: CommandModule<object, EncryptArgs> = {
  command: 'encrypt',
  describe: "Encrypt a value read on stdin for the repository's recipients; print the answer to write (ENC[age,...])",
  builder: (yargs: Argv) =>
    yargs.options({
      repo: { type: 'string', default: '.', describe: `GitOps repository directory (its ${RECIPIENTS_FILE} lists the recipients)` },
      recipient: {
        alias: 'r',
        type: 'string',
        array: true,
        default: [] as string[],
        describe: `Encrypt for this public key (age1...) instead of ${RECIPIENTS_FILE}; repeatable`,
      },
    }) as unknown as Argv<EncryptArgs>,
  handler: async (args: ArgumentsCamelCase<EncryptArgs>) => {
    const recipients = args.recipient.length > 0 ? givenRecipients(args.recipient) : await repositoryRecipients(args.repo);
    if (process.stdin.isTTY) process.stderr.write('Type the value, then Enter and Ctrl-D:\n');
    const value = await readValue();
    process.stdout.write(`${await encryptAnswer(value, recipients)}\n`);
  },
};

export const secretCommand: CommandBody<object> = {
  builder: (yargs: Argv) => yargs.command(keygenCommand).command(encryptCommand).demandCommand(1),
  handler: () => {},
};

function givenRecipients(values: readonly string[]): string[] {
  const { recipients, diagnostics } = parseRecipients(values.join('\n'), '--recipient');
  if (diagnostics.length > 0) throw new UsageError(diagnostics.map((d) => d.message).join('; '));
  return recipients;
}

async function repositoryRecipients(repo: string): Promise<string[]> {
  const read = await readRecipientsFile(repo);
  if (!read)
    throw new UsageError(
      `no ${join(repo, RECIPIENTS_FILE)}: list the daemon's public key there (corral secret keygen prints it), pass --repo, or give --recipient age1...`,
    );
  if (read.diagnostics.length > 0)
    throw new UsageError(read.diagnostics.map((d) => formatDiagnostic({ ...d, file: join(repo, d.file) })).join('\n'));
  return read.recipients;
}

/** stdin, less one final newline (what `echo` and a terminal add). */
async function readValue(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_VALUE_BYTES) throw new UsageError(`the value on stdin is larger than ${MAX_VALUE_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new UsageError("nothing to encrypt: give the value on stdin, e.g. printf %s 'VALUE' | corral secret encrypt");
  return value;
}
