/** Prometheus text exposition of the controller's state. */
import type { StackStatus } from '../status/stack-status.js';

export interface MetricsInput {
  stacks: StackStatus[];
  passes: number;
  failedPasses: number;
  lastPassSeconds: number;
  fetchFailing: boolean;
}

export function metricsText(input: MetricsInput): string {
  const lines = [
    '# HELP corral_stack_info Sync and health of each stack (value 1).',
    '# TYPE corral_stack_info gauge',
    ...input.stacks.map((s) => `corral_stack_info{stack="${s.name}",sync="${s.sync}",health="${s.health}"} 1`),
    '# HELP corral_service_running_containers Running containers per service.',
    '# TYPE corral_service_running_containers gauge',
    ...input.stacks.flatMap((s) =>
      s.services.map((svc) => `corral_service_running_containers{stack="${s.name}",service="${svc.name}"} ${svc.running}`),
    ),
    '# HELP corral_service_desired_containers Desired containers per service.',
    '# TYPE corral_service_desired_containers gauge',
    ...input.stacks.flatMap((s) =>
      s.services.map((svc) => `corral_service_desired_containers{stack="${s.name}",service="${svc.name}"} ${svc.desired}`),
    ),
    '# HELP corral_reconcile_passes_total Reconcile passes run.',
    '# TYPE corral_reconcile_passes_total counter',
    `corral_reconcile_passes_total ${input.passes}`,
    '# HELP corral_reconcile_failed_passes_total Passes that ended in an error.',
    '# TYPE corral_reconcile_failed_passes_total counter',
    `corral_reconcile_failed_passes_total ${input.failedPasses}`,
    '# HELP corral_reconcile_last_pass_seconds Duration of the last pass.',
    '# TYPE corral_reconcile_last_pass_seconds gauge',
    `corral_reconcile_last_pass_seconds ${input.lastPassSeconds}`,
    '# HELP corral_repository_fetch_failing 1 while the repository cannot be read.',
    '# TYPE corral_repository_fetch_failing gauge',
    `corral_repository_fetch_failing ${input.fetchFailing ? 1 : 0}`,
  ];
  return `${lines.join('\n')}\n`;
}
