/**
 * Where the public corpus (rancher/community-catalog) is: the directory named by
 * CORRAL_CORPUS. Only `npm run test:corpus` runs the tests that read it; `.ci/run`
 * sets the variable. Unset or wrong, the tests fail with a message saying so.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS_ENV = 'CORRAL_CORPUS';

/** The corpus directory, or an Error naming the variable and what it must point at. */
export function corpusDir(env: NodeJS.ProcessEnv = process.env): string {
  const value = env[CORPUS_ENV];
  if (!value) throw new Error(`${CORPUS_ENV} is not set: point it at a copy of rancher/community-catalog (the folder with templates/)`);
  const dir = resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${CORPUS_ENV}=${value}: no such directory`);
  if (!existsSync(join(dir, 'templates'))) throw new Error(`${CORPUS_ENV}=${value}: not a Rancher catalog (it has no templates/ folder)`);
  return dir;
}
