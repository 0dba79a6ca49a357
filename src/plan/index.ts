export { type ContainerPlanSpec, containerSpec, stackNetworkName, stackVolumeName } from './container-spec.js';
export { SpecCache } from './container-specs.js';
export { formatOperation, formatPlan } from './format.js';
export { stableJson } from './hash.js';
export { overlayNetworkName } from './networks.js';
export { type PlanOptions, plan } from './plan.js';
export { desiredStackDigest } from './stack-key.js';
export {
  type ContainerCreateSpec,
  type HostNote,
  type Operation,
  OperationKind,
  type Plan,
  type PlanNote,
  type StackPlan,
} from './types.js';
