/**
 * The config's `health:` section: how the daemon runs rancher-compose health checks. Pure.
 *
 *   health:
 *     probe_image: registry.example.com/busybox:1.36   # any image with busybox's sh, nsenter, nc and timeout
 */
import { type Diagnostic, error } from '../model/diagnostics.js';
import { isPlainObject } from '../util/values.js';
import { reportUnknownKeys } from './sections.js';

/** Docker Hub's busybox; fleets without Docker Hub set their own copy. */
export const DEFAULT_PROBE_IMAGE = 'busybox:1.36';

export interface HealthConfig {
  /** The image of the per-host probe agent. */
  probeImage: string;
}

const KEYS = ['probe_image'];
const IMAGE_REFERENCE = /^[a-z0-9]+([._\-/:@][a-zA-Z0-9]+)*$/;

export function parseHealthSection(
  raw: unknown,
  file: string,
  where: { field: string; line?: number },
  diagnostics: Diagnostic[],
): HealthConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const accepted = 'expected `health: {probe_image: IMAGE}` (an image with busybox sh, nsenter, nc and timeout)';
  if (!isPlainObject(raw)) {
    diagnostics.push(error(file, `health: ${accepted}`, where));
    return undefined;
  }
  reportUnknownKeys(raw, KEYS, (key, message) => diagnostics.push(error(file, `health.${key}: ${message}`, where)));
  const image = raw['probe_image'];
  if (image === undefined) return { probeImage: DEFAULT_PROBE_IMAGE };
  if (typeof image !== 'string' || !IMAGE_REFERENCE.test(image)) {
    diagnostics.push(error(file, `health.probe_image: ${JSON.stringify(image)} is not an image reference; ${accepted}`, where));
    return undefined;
  }
  return { probeImage: image };
}
