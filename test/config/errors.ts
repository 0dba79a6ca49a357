/** For the config parser's tests: the error lines of a config that must not parse. */
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

export const FILE = 'corral.yml';

/** The formatted errors of `text`, after checking that it gives no config. */
export function errorsOf(text: string): string[] {
  const result = parseConfig(text, FILE);
  assert.equal(result.config, undefined);
  return result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}
