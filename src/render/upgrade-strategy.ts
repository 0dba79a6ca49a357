/**
 * A service's rancher-compose `upgrade_strategy` (batch_size, interval_millis, start_first) and
 * corral's `min_ready` (seconds a container without any health check must run, not restarting,
 * to pass an upgrade's gate) → UpgradeStrategySpec, with Rancher's defaults: batches of 1,
 * 2000 ms between batches, stop-first; min_ready 5 s. Bad values fail the stack naming the field. Pure.
 */

import { UPGRADE_DEFAULTS, type UpgradeStrategySpec } from '../model/desired.js';
import { type Diagnostic, error, warning } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { readNumberSetting } from './number-setting.js';

const KNOWN_KEYS = ['batch_size', 'interval_millis', 'start_first'];

/** The spec with defaults, or undefined when neither key is given (the defaults apply) or a value is wrong. */
export function parseUpgradeStrategy(
  raw: unknown,
  minReady: unknown,
  file: string,
  service: string,
  diagnostics: Diagnostic[],
): UpgradeStrategySpec | undefined {
  if ((raw === undefined || raw === null) && (minReady === undefined || minReady === null)) return undefined;
  const field = `${service}.upgrade_strategy`;
  const spec: UpgradeStrategySpec = { ...UPGRADE_DEFAULTS };
  const before = diagnostics.filter((d) => d.severity === 'error').length;
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) {
    diagnostics.push(error(file, `${field} must be a mapping of batch_size, interval_millis and start_first`, { field }));
    return undefined;
  }
  const block = (raw ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(block).filter((k) => !KNOWN_KEYS.includes(k)))
    diagnostics.push(
      warning(file, `${field}.${key} is kept but not acted on by corral; known: ${KNOWN_KEYS.join(', ')}`, { field: `${field}.${key}` }),
    );
  const number = (value: unknown, key: string, min: number, unit: string) =>
    readNumberSetting(value, { file, field: key, min, unit }, diagnostics);
  const batchSize = number(block['batch_size'], `${field}.batch_size`, 1, 'containers per batch');
  if (batchSize !== undefined) spec.batchSize = batchSize;
  const intervalMs = number(block['interval_millis'], `${field}.interval_millis`, 0, 'milliseconds between batches');
  if (intervalMs !== undefined) spec.intervalMs = intervalMs;
  const minReadySeconds = number(minReady, `${service}.min_ready`, 0, 'seconds');
  if (minReadySeconds !== undefined) spec.minReadyMs = minReadySeconds * 1000;
  const startFirst = block['start_first'];
  if (startFirst !== undefined && startFirst !== null) {
    const text = String(startFirst).toLowerCase();
    if (text !== 'true' && text !== 'false')
      diagnostics.push(
        error(file, `${field}.start_first must be true or false, got ${JSON.stringify(startFirst)}`, { field: `${field}.start_first` }),
      );
    else spec.startFirst = text === 'true';
  }
  return diagnostics.filter((d) => d.severity === 'error').length > before ? undefined : spec;
}
