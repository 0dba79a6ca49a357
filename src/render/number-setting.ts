/**
 * A whole-number setting of a rancher-compose service (health_check's intervals and thresholds,
 * upgrade_strategy's batch_size and interval_millis, min_ready), read one way with one message. Pure.
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { wholeNumber } from '../util/values.js';

export interface NumberSetting {
  file: string;
  /** As the message names it, e.g. `web.health_check.interval`. */
  field: string;
  min: number;
  /** What the number counts, e.g. `milliseconds`. */
  unit: string;
}

/** The value; undefined when absent (null or '' too) or wrong, an error naming the field pushed then. */
export function readNumberSetting(value: unknown, setting: NumberSetting, diagnostics: Diagnostic[]): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = wholeNumber(value);
  if (parsed !== undefined && parsed >= setting.min) return parsed;
  const { file, field, min, unit } = setting;
  diagnostics.push(error(file, `${field} must be a whole number ≥ ${min} (${unit}), got ${JSON.stringify(value)}`, { field }));
  return undefined;
}
