/**
 * Container specs for one plan, worked out once per service where the instances can only
 * differ in name and labels: a service that refers to no container of its deployment unit
 * (no volumes_from, network_mode or net) gets the same config, key hashes, warnings and the
 * stable JSON of its request (with slots for the name and the deployment unit label) for every
 * instance on hosts with the same networking (network: setting, other stacks' networks to join) —
 * a ServiceSpec; its config hash, of the whole create request, is per instance, made from that
 * JSON and the instance's name and deployment unit without building the request, which is built
 * only for a container the plan creates, from the service's request and labels templates. Each
 * instance gets its own top level of the create body and its own labels; the nested parts
 * (HostConfig, Cmd, …) are shared between the instances' operations, so nothing may change a
 * plan's create bodies in place (apply and redaction do not). The JSON is made when the first
 * instance's hash is read and kept while its stack is planned (`planning`); a hash read after that
 * (a create's, when its request is built) makes it again, so a cold plan, which compares nothing,
 * makes none and keeps none. Without a
 * SpecCache, a stack's specs are kept while it is planned, then only by the operations that refer
 * to them: a fresh plan's specs for containers it leaves alone die young.
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
  HashedRequests,
  instanceSpec,
  type ServiceSpec,
  serviceSpec,
} from './container-spec.js';
import { HashMemo } from './hash.js';

/** Keys whose value names containers of the unit, so that the spec depends on the instance. */
const UNIT_REFERENCES = ['volumes_from', 'network_mode', 'net'];

/** One service's specs on hosts of one networking. */
interface NetworkingSpecs {
  /** networkingKey of the hosts. */
  networking: string;
  /** What the instances share; undefined for a service whose spec is each instance's own (refersToUnit). */
  shared: ServiceSpec | undefined;
  /** Instance number → its spec (instances are whole numbers from 1). */
  byInstance: (ContainerPlanSpec | undefined)[];
}

/**
 * One stack's specs: by service, then networking. A service's containers are on hosts of one or
 * a few networkings, so these are a short list searched in turn, not a Map per service.
 */
class StackSpecs {
  readonly #byService = new Map<DesiredService, NetworkingSpecs[]>();

  /** The specs of the service's instances on hosts with the given networking. */
  of(service: DesiredService, networking: string): NetworkingSpecs {
    let ofService = this.#byService.get(service);
    if (!ofService) this.#byService.set(service, (ofService = []));
    for (const specs of ofService) if (specs.networking === networking) return specs;
    const specs: NetworkingSpecs = { networking, shared: undefined, byInstance: [] };
    ofService.push(specs);
    return specs;
  }
}

/** Specs by stack and service, kept from one plan to the next. */
export class SpecCache {
  readonly #byStack = new WeakMap<DesiredStack, StackSpecs>();

  /** The stack's specs. */
  of(stack: DesiredStack): StackSpecs {
    let specs = this.#byStack.get(stack);
    if (!specs) this.#byStack.set(stack, (specs = new StackSpecs()));
    return specs;
  }

  forget(stack: DesiredStack): void {
    this.#byStack.delete(stack);
  }
}

export class ContainerSpecs {
  private readonly hashMemo = new HashMemo();
  /**
   * The stack `planning` runs for, its specs, and the stable JSON of its services' hashed
   * requests, made as they are needed.
   */
  private planned: { stack: DesiredStack; specs: StackSpecs; hashed: HashedRequests } | undefined;

  private readonly cache: SpecCache;
  /** The specs are the caller's cache, kept for later plans; otherwise a stack's are forgotten when its planning ends. */
  private readonly keeps: boolean;

  /**
   * `cache`: specs of earlier plans of the same stacks, kept and added to. Without one, a stack's
   * specs are kept until its `planning` returns, and then only by what refers to them (the
   * operations of the containers it creates): most of a plan's specs then die young, where a
   * cache for the whole plan kept every one of them until the plan was done.
   */
  constructor(cache?: SpecCache) {
    this.cache = cache ?? new SpecCache();
    this.keeps = cache !== undefined;
  }

  /**
   * Runs `plan`, which asks for the specs of `stack`'s containers: the stable JSON of a service's
   * hashed request is made once for its instances whose hash is read while `plan` runs, and
   * dropped when it returns (HashedRequests). A hash read later, or of a spec made outside it,
   * makes it again.
   */
  planning<T>(stack: DesiredStack, plan: () => T): T {
    const outer = this.planned;
    const planned = { stack, specs: this.cache.of(stack), hashed: new HashedRequests() };
    this.planned = planned;
    try {
      return plan();
    } finally {
      planned.hashed.close();
      this.planned = outer;
      if (!this.keeps) this.cache.forget(stack);
    }
  }

  /** The spec `containerSpec(ctx)` gives: from the cache, or made (from what the service's instances share when it can) and cached. */
  spec(ctx: ContainerContext): ContainerPlanSpec {
    const specs = this.specsOf(ctx.stack).of(ctx.service, networkingKey(ctx));
    let spec = specs.byInstance[ctx.instance];
    if (!spec) specs.byInstance[ctx.instance] = spec = this.make(ctx, specs);
    return spec;
  }

  private specsOf(stack: DesiredStack): StackSpecs {
    return this.planned?.stack === stack ? this.planned.specs : this.cache.of(stack);
  }

  private make(ctx: ContainerContext, specs: NetworkingSpecs): ContainerPlanSpec {
    if (refersToUnit(ctx.service)) return containerSpec(ctx, this.hashMemo);
    specs.shared ??= serviceSpec(ctx, this.hashMemo);
    return instanceSpec(specs.shared, ctx, this.planned?.stack === ctx.stack ? this.planned.hashed : undefined);
  }
}

/**
 * What of a container's spec depends on its host: the kind of stack network and the other
 * stacks' networks it may join (and, the same on every host, the host-network names it gets).
 */
function networkingKey(ctx: ContainerContext): string {
  const driver = ctx.networkDriver ?? 'bridge';
  const external = ctx.externalNetworks;
  const hostNames = ctx.hostNames;
  if ((external === undefined || external.size === 0) && (hostNames === undefined || hostNames.length === 0))
    return driver === 'bridge' ? 'bridge||' : 'overlay||';
  let joined = '';
  if (external) for (const [stack, network] of external) joined += `${joined === '' ? '' : ','}${stack}=${network}`;
  return `${driver}|${joined}|${(hostNames ?? []).join(',')}`;
}

function refersToUnit(service: DesiredService): boolean {
  return UNIT_REFERENCES.some((key) => service.compose[key] !== undefined && service.compose[key] !== null);
}
