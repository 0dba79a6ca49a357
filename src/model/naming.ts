/** Names and system labels of the containers corral creates. */
import { RancherLabel } from './labels.js';

/** `<stack>-<service>-<n>`, or `<stack>-<primary>-<sidekick>-<n>` for a sidekick. */
export function containerName(stack: string, service: string, instance: number, primary?: string): string {
  return containerNamePrefix(stack, service, primary) + instance;
}

/** A container's name without its instance number: `<stack>-<service>-`, or `<stack>-<primary>-<sidekick>-`. */
export function containerNamePrefix(stack: string, service: string, primary?: string): string {
  return primary === undefined || primary === service ? `${stack}-${service}-` : `${stack}-${primary}-${service}-`;
}

/**
 * During an upgrade a replaced container is kept (stopped, or running under start_first) until
 * the whole stack is upgraded and its gates passed, under its own name plus this suffix, so that
 * the new container can take the name. Container names always end in the instance number, so no
 * container corral creates can be mistaken for a kept one. Its labels (created with it) still say
 * which unit instance, configuration and revision it belongs to.
 */
export const KEPT_SUFFIX = '-prev';

/** The name a replaced container is kept under during an upgrade. */
export function keptName(name: string): string {
  return `${name}${KEPT_SUFFIX}`;
}

/** The deployment unit id shared by a primary and its sidekicks. */
export function deploymentUnitId(stack: string, primary: string, instance: number): string {
  return containerName(stack, primary, instance);
}

/** Rancher's system labels, so that templates' container_label rules work unchanged. */
export function rancherSystemLabels(stack: string, service: string, instance: number, primary?: string): Record<string, string> {
  const unit = primary ?? service;
  return {
    [RancherLabel.stackName]: stack,
    // Sidekicks are launch configs of their primary's service, as in Cattle.
    [RancherLabel.stackServiceName]: `${stack}/${unit}`,
    [RancherLabel.deploymentUnit]: deploymentUnitId(stack, unit, instance),
    [RancherLabel.launchConfig]: unit === service ? RancherLabel.primaryLaunchConfig : service,
  };
}
