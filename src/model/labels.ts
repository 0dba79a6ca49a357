/** Every Docker label key corral reads or writes, in one place. */

/** corral's ownership labels, written at create time (Docker labels cannot change later). */
export const CorralLabel = {
  managed: 'io.corral.managed',
  stack: 'io.corral.stack',
  service: 'io.corral.service',
  instance: 'io.corral.instance',
  /** The primary service of the deployment unit the container belongs to. */
  unit: 'io.corral.unit',
  configHash: 'io.corral.config-hash',
  /** Short hash per compose key, so a replace can say which keys changed. */
  configKeys: 'io.corral.config-keys',
  template: 'io.corral.template',
  templateVersion: 'io.corral.template-version',
  revision: 'io.corral.revision',
} as const;

/** Rancher's system labels, written so that templates' container_label rules work unchanged. */
export const RancherLabel = {
  stackName: 'io.rancher.stack.name',
  stackServiceName: 'io.rancher.stack_service.name',
  deploymentUnit: 'io.rancher.service.deployment.unit',
  launchConfig: 'io.rancher.service.launch.config',
  primaryLaunchConfig: 'io.rancher.service.primary.launch.config',
} as const;

/** Labels on a service that steer scheduling and container behaviour. */
export const SchedulingLabel = {
  affinityPrefix: 'io.rancher.scheduler.affinity:',
  global: 'io.rancher.scheduler.global',
  sidekicks: 'io.rancher.sidekicks',
  requireAny: 'io.rancher.scheduler.require_any',
  pullImage: 'io.rancher.container.pull_image',
  startOnce: 'io.rancher.container.start_once',
  hostnameOverride: 'io.rancher.container.hostname_override',
} as const;
