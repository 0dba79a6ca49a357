/** Version rules of Rancher's catalog: default version, ordering, upgrade_from ranges. */
// One module per function: the whole of semver costs a CLI call noticeably more start-up time.
import type SemVer from 'semver/classes/semver.js';
import coerce from 'semver/functions/coerce.js';
import compare from 'semver/functions/compare.js';
import parse from 'semver/functions/parse.js';
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';

/** A comparable semver for a version string (`v1.2`, `1.0.0-rancher1` → 1.0.0-rancher1), or null. */
function toSemver(version: string): SemVer | null {
  const trimmed = version.trim().replace(/^v/i, '');
  return parse(trimmed, { loose: true }) ?? coerce(trimmed, { includePrerelease: true });
}

/** Orders version strings oldest first; strings that are no semver sort before the rest, by name. */
export function compareVersions(a: string, b: string): number {
  const sa = toSemver(a);
  const sb = toSemver(b);
  if (sa && sb) return compare(sa, sb) || a.localeCompare(b);
  if (!sa && !sb) return a.localeCompare(b);
  return sa ? 1 : -1;
}

/**
 * The default version: the first whose version string equals config.yml's `version`,
 * otherwise the highest by semver.
 */
export function pickDefaultVersion<V extends { version: string }>(versions: readonly V[], configured: string | undefined): V | undefined {
  const named = configured === undefined ? undefined : versions.find((v) => v.version === configured);
  if (named) return named;
  return [...versions].sort((a, b) => compareVersions(a.version, b.version)).at(-1);
}

/** Whether `range` is a semver range corral can evaluate. */
export function isValidUpgradeRange(range: string): boolean {
  return validRange(normaliseRange(range), { loose: true }) !== null;
}

/** An upgrade to a version with `upgradeFrom` is allowed only from a current version inside that range. */
export function upgradeAllowed(upgradeFrom: string | undefined, currentVersion: string): boolean {
  if (upgradeFrom === undefined || upgradeFrom.trim() === '') return true;
  const current = toSemver(currentVersion);
  if (!current) return false;
  return satisfies(current, normaliseRange(upgradeFrom), { loose: true, includePrerelease: true });
}

function normaliseRange(range: string): string {
  return range.replace(/(^|[\s<>=~^|])v(?=\d)/gi, '$1');
}
