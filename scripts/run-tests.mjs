#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Runs the compiled test files with node's built-in test runner.
// --unit: only the pure-stage tests (no Docker fleet needed).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const unitOnly = process.argv.includes('--unit');
const root = 'dist/test';

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return path.endsWith('.test.js') ? [path] : [];
  });
}

const files = findTests(root)
  .filter((file) => !unitOnly || !file.includes(`${root}/e2e/`))
  .sort();
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
