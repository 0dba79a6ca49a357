/**
 * Container specs for one plan, worked out once per service where the instances can only
 * differ in name and labels: a service that refers to no container of its deployment unit
 * (no volumes_from, network_mode or net) gets the same config, key hashes, warnings and the
 * stable JSON of its request's other fields for every instance on hosts with the same networking
 * (network: setting, other stacks' networks to join) — a ServiceSpec; its config hash, of the
 * whole create request, is per instance, made from that JSON and the instance's name and labels
 * without building the request, which is built only for a container the plan creates. Each
 * instance gets its own top level of the create body and its own labels; the nested parts
 * (HostConfig, Cmd, …) are shared between the instances' operations, so nothing may change a
 * plan's create bodies in place (apply and redaction do not).
 *
 * A SpecCache keeps the specs between plans of the same desired stacks (the passes of `corral run`
 * between two revisions, the plan before and after an apply): a spec depends only on its stack,
 * service, instance and the host's networking, so a stack that was planned before is not built and
 * hashed again. It is keyed by the stack object, which must not change while the cache is in use
 * (a new revision renders new stacks, and the old ones' specs go with them). Pure.
 */
import type { DesiredService, DesiredStack } from '../model/desired.js';
import {
  type ContainerContext,
  type ContainerPlanSpec,
  containerSpec,
  hashedRequest,
  instanceSpec,
  type ServiceSpec,
  serviceSpec,
} from './container-spec.js';
import { HashMemo, type StableJsonTemplate } from './hash.js';

/** Keys whose value names containers of the unit, so that the spec depends on the instance. */
const UNIT_REFERENCES = ['volumes_from', 'network_mode', 'net'];

/** One service's specs. */
interface ServiceSpecs {
  /** `<networking>#<instance>` → the instance's spec. */
  byInstance: Map<string, ContainerPlanSpec>;
  /** The host's networking (networkingKey) → what the instances on such hosts share. */
  shared: Map<string, ServiceSpec>;
}

/** Specs by stack and service, kept from one plan to the next. */
export class SpecCache {
  private readonly byStack = new WeakMap<DesiredStack, Map<DesiredService, ServiceSpecs>>();

  of(stack: DesiredStack, service: DesiredService): ServiceSpecs {
    let byService = this.byStack.get(stack);
    if (!byService) this.byStack.set(stack, (byService = new Map()));
    let specs = byService.get(service);
    if (!specs) byService.set(service, (specs = { byInstance: new Map(), shared: new Map() }));
    return specs;
  }
}

export class ContainerSpecs {
  private readonly hashMemo = new HashMemo();
  /** The stable JSON of the hashed requests of the stack planned now, by ServiceSpec (the next stack's replace them). */
  private readonly hashed = new Map<ServiceSpec, StableJsonTemplate>();
  private hashedStack: DesiredStack | undefined;

  /** `cache`: specs of earlier plans of the same stacks; a new one (for this plan alone) by default. */
  constructor(private readonly cache: SpecCache = new SpecCache()) {}

  /** The spec `containerSpec(ctx)` gives: from the cache, or made (from what the service's instances share when it can) and cached. */
  spec(ctx: ContainerContext): ContainerPlanSpec {
    const networking = networkingKey(ctx);
    const specs = this.cache.of(ctx.stack, ctx.service);
    const key = `${networking}#${ctx.instance}`;
    let spec = specs.byInstance.get(key);
    if (!spec) specs.byInstance.set(key, (spec = this.make(ctx, specs.shared, networking)));
    return spec;
  }

  private make(ctx: ContainerContext, sharedByNetworking: Map<string, ServiceSpec>, networking: string): ContainerPlanSpec {
    if (refersToUnit(ctx.service)) return containerSpec(ctx, this.hashMemo);
    let shared = sharedByNetworking.get(networking);
    if (!shared) sharedByNetworking.set(networking, (shared = serviceSpec(ctx, this.hashMemo)));
    return instanceSpec(shared, ctx, this.hashedRequestOf(shared));
  }

  /** A stack's instances are planned together: the JSON is kept while they are, and not for the whole plan. */
  private hashedRequestOf(shared: ServiceSpec): StableJsonTemplate {
    if (shared.stack !== this.hashedStack) {
      this.hashed.clear();
      this.hashedStack = shared.stack;
    }
    let hashed = this.hashed.get(shared);
    if (!hashed) this.hashed.set(shared, (hashed = hashedRequest(shared)));
    return hashed;
  }
}

/**
 * What of a container's spec depends on its host: the kind of stack network and the other
 * stacks' networks it may join (and, the same on every host, the host-network names it gets).
 */
function networkingKey(ctx: ContainerContext): string {
  const external = ctx.externalNetworks ? [...ctx.externalNetworks].map(([stack, network]) => `${stack}=${network}`).join(',') : '';
  return `${ctx.networkDriver ?? 'bridge'}|${external}|${(ctx.hostNames ?? []).join(',')}`;
}

function refersToUnit(service: DesiredService): boolean {
  return UNIT_REFERENCES.some((key) => service.compose[key] !== undefined && service.compose[key] !== null);
}
