/** Version rules of Rancher's catalog: default version, ordering, upgrade_from ranges. */
import semver from 'semver';

/** A comparable semver for a version string (`v1.2`, `1.0.0-rancher1` → 1.0.0-rancher1), or null. */
export function toSemver(version: string): semver.SemVer | null {
  const trimmed = version.trim().replace(/^v/i, '');
  return semver.parse(trimmed, { loose: true }) ?? semver.coerce(trimmed, { includePrerelease: true });
}

/** Orders version strings oldest first; strings that are no semver sort before the rest, by name. */
export function compareVersions(a: string, b: string): number {
  const sa = toSemver(a);
  const sb = toSemver(b);
  if (sa && sb) return semver.compare(sa, sb) || a.localeCompare(b);
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
  return semver.validRange(normaliseRange(range), { loose: true }) !== null;
}

/** An upgrade to a version with `upgradeFrom` is allowed only from a current version inside that range. */
export function upgradeAllowed(upgradeFrom: string | undefined, currentVersion: string): boolean {
  if (upgradeFrom === undefined || upgradeFrom.trim() === '') return true;
  const current = toSemver(currentVersion);
  if (!current) return false;
  return semver.satisfies(current, normaliseRange(upgradeFrom), { loose: true, includePrerelease: true });
}

function normaliseRange(range: string): string {
  return range.replace(/(^|[\s<>=~^|])v(?=\d)/gi, '$1');
}
