/**
 * The config's `host_down_grace`: how long a host may stay unreachable before the units it
 * held are rescheduled on the other hosts (as Nomad's max_client_disconnect). Pure.
 *
 *   host_down_grace: 5m      # a duration: 90s, 5m, 1h30m, 250ms; or a number of seconds
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { parseDurationMs } from '../util/duration.js';

export const DEFAULT_HOST_DOWN_GRACE_MS = 5 * 60_000;

const ACCEPTED = 'expected a duration such as 30s, 5m or 1h30m, or a number of seconds (0 reschedules at once)';

/** Milliseconds; the default when absent; undefined (with a diagnostic) when the value is not a duration. */
export function parseHostDownGrace(
  raw: unknown,
  file: string,
  where: { field: string; line?: number },
  diagnostics: Diagnostic[],
): number | undefined {
  if (raw === undefined || raw === null) return DEFAULT_HOST_DOWN_GRACE_MS;
  const ms = parseDurationMs(raw);
  if (ms === undefined) diagnostics.push(error(file, `host_down_grace: ${JSON.stringify(raw)} is not a duration; ${ACCEPTED}`, where));
  return ms;
}
