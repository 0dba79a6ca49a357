/**
 * An upgrade's batches: units with a changed configuration, grouped by service in dependency order
 * and cut by upgrade_strategy.batch_size; held while an earlier batch left a new container not ready. Pure.
 */

import { type DesiredService, type DesiredStack, serviceNamed, UPGRADE_DEFAULTS } from '../model/desired.js';
import { checkedHealth } from '../status/container-health.js';
import { memoizedPerObject } from '../util/memo.js';
import { groupBy } from '../util/records.js';
import { isResumed, isUpgrading, type UnitDecision } from './decide.js';
import type { PlanNote } from './types.js';

export interface UpgradeBatch {
  /** The primary service whose units these are. */
  service: DesiredService;
  units: UnitDecision[];
  /** 1-based, of `batches` for this service. */
  batch: number;
  batches: number;
}

/**
 * Units with a container whose configuration changed, in batches of the service's
 * `upgrade_strategy.batch_size` (lowest instances first), services in dependency order (links,
 * depends_on, volumes_from). Recreating a dead or unhealthy container is not an upgrade: no batches.
 * An upgrade whose earlier batch left a new container that is not ready (stopped, restarting,
 * unhealthy) is held: no further batch starts until a new commit fixes or reverts it.
 */
const NO_UPGRADE = { batches: [], held: new Set<UnitDecision>() } as const;

export function upgradeBatches(
  stack: DesiredStack,
  units: UnitDecision[],
  notes: PlanNote[],
): { batches: readonly UpgradeBatch[]; held: ReadonlySet<UnitDecision> } {
  if (!units.some(isUpgrading)) return NO_UPGRADE; // most stacks of most plans: no list made
  const upgraded = units.filter(isUpgrading);
  const byService = groupBy(upgraded, (u) => u.instance.service);
  const batches: UpgradeBatch[] = [];
  const held = new Set<UnitDecision>();
  for (const name of serviceOrder(stack)) {
    const service = stack.services[name];
    const list = byService.get(name);
    if (!service || !list) continue;
    // A unit with kept predecessors is part of an upgrade that goes on: its gate is waited for again instead.
    const notReady = newButNotReady(units.filter((u) => u.instance.service === name && !list.includes(u) && !isResumed(u)));
    if (notReady) {
      notes.push({
        level: 'error',
        message: `upgrade of ${name} held: ${notReady} runs the new configuration but is not ready; ${list.length} unit${list.length === 1 ? '' : 's'} keep the old one until a new commit fixes or reverts it`,
      });
      for (const unit of list) held.add(unit);
      continue;
    }
    const size = service.upgrade?.batchSize ?? UPGRADE_DEFAULTS.batchSize;
    const sorted = [...list].sort((a, b) => a.instance.instance - b.instance.instance);
    const count = Math.ceil(sorted.length / size);
    for (let i = 0; i < count; i++) batches.push({ service, units: sorted.slice(i * size, (i + 1) * size), batch: i + 1, batches: count });
  }
  return { batches, held };
}

/** `web-app-1 (restarting)` for the first container already on the new configuration that is not ready. */
function newButNotReady(units: UnitDecision[]): string | undefined {
  for (const d of units.flatMap((u) => u.containers)) {
    const existing = d.existing;
    if (!existing || existing.owner?.configHash !== d.spec.hash || d.spec.shared.startOnce) continue;
    if (existing.state !== 'running') return `${existing.name} (${existing.state})`;
    const health = checkedHealth(existing, d.service);
    if (health?.word === 'unhealthy') return `${existing.name} (unhealthy: ${health.detail})`;
  }
  return undefined;
}

/** Primary services, each after those it depends on (through any member of its unit), otherwise by name. */
const serviceOrder = memoizedPerObject(primariesInDependencyOrder);

function primariesInDependencyOrder(stack: DesiredStack): readonly string[] {
  // The names include link and volumes_from targets, written by the template's author.
  const primaryOf = (name: string) => serviceNamed(stack, name)?.primary ?? name;
  const primaries = Object.values(stack.services)
    .filter((s) => s.primary === undefined)
    .map((s) => s.name)
    .sort();
  const dependencies = new Map<string, Set<string>>(primaries.map((p) => [p, new Set<string>()]));
  for (const service of Object.values(stack.services)) {
    const own = primaryOf(service.name);
    for (const target of serviceReferences(service)) {
      const other = primaryOf(target);
      if (other !== own && dependencies.has(other)) dependencies.get(own)?.add(other);
    }
  }
  const ordered: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return;
    path.add(name);
    for (const dependency of [...(dependencies.get(name) ?? [])].sort()) visit(dependency, path);
    ordered.push(name);
  };
  for (const name of primaries) visit(name, new Set());
  return ordered;
}

/** Services this one names in links, depends_on and volumes_from. */
function serviceReferences(service: DesiredService): string[] {
  const compose = service.compose;
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.map(String) : value && typeof value === 'object' ? Object.keys(value) : [];
  return [
    ...list(compose['links'])
      .filter((l) => !l.includes('/'))
      .map((l) => l.split(':')[0] ?? ''),
    ...list(compose['depends_on']),
    ...list(compose['volumes_from']).map((v) => (v.startsWith('container:') ? '' : (v.replace(/^service:/, '').split(':')[0] ?? ''))),
  ].filter(Boolean);
}
