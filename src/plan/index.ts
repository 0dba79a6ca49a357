export { plan, type PlanOptions } from './plan.js';
export { formatPlan, formatOperation } from './format.js';
export { containerSpec, stackNetworkName, stackVolumeName, type ContainerPlanSpec } from './container-spec.js';
export { configHash, stableJson } from './hash.js';
export { OperationKind, type Operation, type Plan, type PlanNote, type StackPlan, type ContainerCreateSpec } from './types.js';
