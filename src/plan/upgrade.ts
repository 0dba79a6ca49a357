/**
 * `upgrade_from`: a template version may declare the versions it can be upgraded from.
 * A stack running an older version outside that range is not touched. Rollbacks (to a
 * lower version) are never refused: reverting a bump in git must always work.
 */
import { compareVersions, upgradeAllowed } from '../catalog/versions.js';
import type { DesiredStack } from '../model/desired.js';
import type { ObservedContainer } from '../model/observed.js';

/** Why the stack must not be upgraded from what runs now, or undefined when it may. */
export function upgradeRefusal(stack: DesiredStack, live: readonly ObservedContainer[]): string | undefined {
  const target = stack.template;
  if (!target.upgradeFrom) return undefined;
  const templateLabel = `${target.catalog}/${target.template}`;
  const running = [
    ...new Set(
      live
        .filter((c) => c.owner?.template === undefined || c.owner.template === templateLabel)
        .map((c) => c.owner?.templateVersion)
        .filter((v): v is string => v !== undefined && v !== target.version),
    ),
  ];
  const refused = running.filter((current) => compareVersions(target.version, current) > 0 && !upgradeAllowed(target.upgradeFrom, current));
  if (refused.length === 0) return undefined;
  return `upgrade of ${target.template} from ${refused.join(', ')} to ${target.version} is not allowed: ${target.version} accepts upgrades only from "${target.upgradeFrom}"; nothing of the stack is changed (pin the running version in stack.yml, or upgrade through an allowed version)`;
}
