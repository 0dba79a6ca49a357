#!/usr/bin/env node
// Runs the compiled test files with node's built-in test runner.
//   (no flag)  every test except the corpus tests: unit and end-to-end (the fleet);
//   --unit     only the pure-stage tests (no Docker fleet needed);
//   --corpus   only the tests that read the public corpus named by CORRAL_CORPUS.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const mode = process.argv.includes('--corpus') ? 'corpus' : process.argv.includes('--unit') ? 'unit' : 'all';
const root = 'dist/test';
const e2eDir = `${root}/e2e/`;
const corpusTests = `${root}/corpus/`;

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return path.endsWith('.test.js') ? [path] : [];
  });
}

function selected(file) {
  if (mode === 'corpus') return file.startsWith(corpusTests);
  if (file.startsWith(corpusTests)) return false;
  return mode === 'all' || !file.startsWith(e2eDir);
}

/** Checks CORRAL_CORPUS once, with the same rule the corpus tests use, before any test runs. */
async function requireCorpus() {
  const { corpusDir } = await import(resolve(corpusTests, 'corpus.js'));
  try {
    corpusDir();
  } catch (err) {
    process.stderr.write(
      `test:corpus: ${err.message}\n  e.g. CORRAL_CORPUS=../shared/corpus/rancher-community-catalog npm run test:corpus\n`,
    );
    process.exit(1);
  }
}

if (mode === 'corpus') await requireCorpus();
const files = findTests(root).filter(selected).sort();
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
