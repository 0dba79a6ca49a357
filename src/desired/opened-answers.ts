/**
 * The encrypted answers of a repository, opened a stack folder at a time and kept by folder: a new
 * revision reads again only the requests of the folders whose files changed, and opens only the
 * answers it has not opened before (opening one costs milliseconds; reading 10,000 requests to find
 * them cost seconds on every read). The event loop is handed back between folders.
 */
import type { FileTree } from '../model/files.js';
import { stackFolderFiles } from '../render/desired-state.js';
import { sameList } from '../render/stack-renders.js';
import type { Decrypted } from '../secrets/age.js';
import { decryptStackAnswers, type SecretAnswers } from '../secrets/answers.js';
import { inSlices, Slices } from './slices.js';

interface FolderAnswers {
  /** Path and text of each file of the folder, in turn. */
  files: readonly string[];
  answers: ReadonlyMap<string, Decrypted>;
}

export class OpenedAnswers {
  #byFolder = new Map<string, FolderAnswers>();
  /** Every answer of the last read, opened. */
  #opened: ReadonlyMap<string, Decrypted> = new Map();

  constructor(private readonly identities: readonly string[]) {}

  /** Every encrypted answer of the repository's stack requests, opened (as decryptStackAnswers does it for the whole tree). */
  async open(repo: FileTree): Promise<SecretAnswers> {
    const folders = await inSlices(stackFolderFiles(repo));
    const byFolder = new Map<string, FolderAnswers>();
    // Answers opened before or in this read: an answer written in several folders is opened once.
    const known = new Map(this.#opened);
    const slices = new Slices();
    for (const [name, files] of folders) {
      const kept = this.#byFolder.get(name);
      const answers = kept && sameList(kept.files, files) ? kept.answers : await this.openFolder(files, known);
      byFolder.set(name, { files, answers });
      for (const [written, opened] of answers) known.set(written, opened);
      await slices.pause();
    }
    this.#byFolder = byFolder;
    const answers = new Map<string, Decrypted>();
    for (const folder of byFolder.values()) for (const [written, opened] of folder.answers) answers.set(written, opened);
    this.#opened = answers;
    return { mode: 'decrypted', answers };
  }

  /** The answers written in one folder's files, opened (or taken from `known`). */
  private async openFolder(files: readonly string[], known: ReadonlyMap<string, Decrypted>): Promise<ReadonlyMap<string, Decrypted>> {
    const tree = new Map<string, string>();
    for (let index = 0; index < files.length; index += 2) tree.set(files[index] as string, files[index + 1] as string);
    const opened = await decryptStackAnswers(tree, this.identities, { mode: 'decrypted', answers: known });
    return opened.mode === 'decrypted' ? opened.answers : new Map();
  }
}
