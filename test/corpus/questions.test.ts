/** The questions of every version of the public corpus parse, and placeholder answers validate. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseQuestions, placeholderAnswer, resolveVariables, validateAnswers } from '../../src/catalog/questions.js';
import { corpusDir } from './corpus.js';

const CORPUS = corpusDir();

function rancherComposeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '.git' ? [] : rancherComposeFiles(path);
    return entry.name === 'rancher-compose.yml' ? [path] : [];
  });
}

function catalogSection(doc: unknown): Record<string, unknown> | undefined {
  const asMap = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const top = asMap(doc);
  const services = asMap(top?.['services']);
  return asMap(top?.['.catalog']) ?? asMap(top?.['catalog']) ?? asMap(services?.['.catalog']) ?? asMap(services?.['catalog']);
}

test('corpus: every question of rancher/community-catalog parses, and placeholder answers validate', (t) => {
  const files = rancherComposeFiles(CORPUS);
  let versions = 0;
  let questionCount = 0;
  let placeholders = 0;
  let oddDefaults = 0;
  const warnings: string[] = [];
  const types = new Map<string, number>();
  for (const path of files) {
    const shown = relative(CORPUS, path);
    const section = catalogSection(parse(readFileSync(path, 'utf8'), { uniqueKeys: false }));
    if (!section) continue;
    versions += 1;
    const { questions, diagnostics } = parseQuestions(section['questions'], shown);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
      shown,
    );
    warnings.push(...diagnostics.map((d) => `${d.file}: ${d.message}`));
    questionCount += questions.length;
    for (const q of questions) types.set(q.type, (types.get(q.type) ?? 0) + 1);
    const needed = questions.filter((q) => q.required && (q.default === undefined || q.default === ''));
    placeholders += needed.length;
    const answers = Object.fromEntries(needed.map((q) => [q.variable, placeholderAnswer(q)]));
    assert.deepEqual(validateAnswers(questions, answers, shown), [], shown);
    const resolved = resolveVariables(questions, answers);
    assert.deepEqual(Object.keys(resolved).sort(), questions.map((q) => q.variable).sort(), shown);
    // Defaults are not validated; count the ones that would fail as answers, to know the catalog.
    oddDefaults += questions.filter((q) => q.default && validateAnswers([q], { [q.variable]: q.default }, shown).length > 0).length;
  }
  t.diagnostic(
    `${files.length} rancher-compose.yml, ${versions} with a catalog section, ${questionCount} questions, ${placeholders} placeholders, ${warnings.length} warnings, ${oddDefaults} defaults that would fail as answers`,
  );
  t.diagnostic(`types: ${[...types].map(([type, n]) => `${type} ${n}`).join(', ')}`);
  for (const w of warnings) t.diagnostic(w);
  assert.ok(versions >= 350, `expected the whole corpus, found ${versions} version files`);
  assert.ok(questionCount >= 2900, `expected ~2958 questions, found ${questionCount}`);
});
