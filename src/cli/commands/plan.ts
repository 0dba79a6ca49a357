/** `corral plan`: what a sync would change on the hosts, and why. Changes nothing. */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { CorralConfig } from '../../config/config.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import type { ObservedState } from '../../model/observed.js';
import { redactString, redactValue, stackSecretValues } from '../../model/redact.js';
import { closeClients } from '../../observe/index.js';
import { formatPlan } from '../../plan/index.js';
import { beginObservation, type DockerClients, reconcile } from '../../reconcile/index.js';
import type { DesiredState } from '../../render/index.js';
import { type CommandBody, formatOption } from '../command-body.js';
import { type RepoArgs, readConfig, readRepository, repoOption } from '../repo.js';
import { hostMemory, stateDirOption } from '../state.js';

interface PlanArgs {
  repo: string;
  config?: string;
  catalog: string[];
  stateDir: string;
  format: string;
  exitCode: boolean;
  stack?: string;
}

export const EXIT_NO_CHANGES = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES_PENDING = 2;

export interface SyncInputs {
  config: CorralConfig;
  /** The Docker clients of the pass, and its first observation of the hosts, begun once the config was read. */
  early: { clients: DockerClients; observation: Promise<ObservedState> };
  state: DesiredState;
  /** Prune only from a repository that was read: an empty tree (wrong --repo?) prunes nothing. */
  prune: boolean;
  /** Every secret value of the desired state: whatever is printed is scrubbed of them. */
  secrets: readonly string[];
}

/** The config and the desired state; the hosts are observed while the repository is read (reconcile's `observation`). */
export async function readSyncInputs(args: RepoArgs): Promise<SyncInputs> {
  const config = await readConfig(args.config);
  const early = beginObservation(config.hosts);
  try {
    const { state, files } = await readRepository(args, config, 'none');
    return { config, early, state, prune: files.size > 0, secrets: stackSecretValues(state.stacks) };
  } catch (err) {
    // The command ends with this error: the hosts' answers are not wanted, and a host that does not answer would hold it until its timeout.
    closeClients(early.clients.observe.values());
    throw err;
  }
}

export function renderFailures(state: DesiredState, only?: string | readonly string[]): string {
  const wanted = only === undefined ? undefined : new Set(typeof only === 'string' ? [only] : only);
  return state.failed
    .filter((f) => wanted === undefined || wanted.has(f.stack))
    .flatMap((f) => f.diagnostics.filter((d) => d.severity === 'error').map((d) => `stack ${f.stack}: ${formatDiagnostic(d)}\n`))
    .join('');
}

export const planCommand: CommandBody<PlanArgs> = {
  builder: (yargs: Argv) =>
    yargs.options({
      ...repoOption,
      ...stateDirOption,
      ...formatOption(['text', 'json'], 'text'),
      stack: { type: 'string', describe: 'Only this stack' },
      'exit-code': {
        type: 'boolean',
        default: false,
        describe: `Exit ${EXIT_NO_CHANGES} with no changes, ${EXIT_CHANGES_PENDING} with changes pending, ${EXIT_ERROR} on errors`,
      },
    }) as unknown as Argv<PlanArgs>,
  handler: async (args: ArgumentsCamelCase<PlanArgs>) => {
    const inputs = await readSyncInputs(args);
    const result = await reconcile({
      hosts: inputs.config.hosts,
      desired: inputs.state.stacks,
      failed: inputs.state.failed,
      prune: inputs.prune,
      clients: inputs.early.clients,
      observation: inputs.early.observation,
      dryRun: true,
      ...(args.stack ? { only: [args.stack] } : {}),
      // Read only: a plan changes nothing, not even what corral remembers.
      memory: hostMemory(args.stateDir, false, inputs.config),
    });
    const unreachable = result.observed.hosts.filter((h) => !h.reachable);
    // The create requests carry the decrypted answers: the plan shows them masked.
    if (args.format === 'json') {
      const shown = {
        plan: result.plan,
        failed: inputs.state.failed,
        unreachable: unreachable.map((h) => ({ host: h.name, error: h.error })),
      };
      process.stdout.write(`${JSON.stringify(redactValue(shown, inputs.secrets), null, 2)}\n`);
    } else {
      process.stderr.write(redactString(renderFailures(inputs.state, args.stack), inputs.secrets));
      process.stderr.write(
        redactString(unreachable.map((h) => `host ${h.name} unreachable: ${h.error ?? 'no answer'}\n`).join(''), inputs.secrets),
      );
      process.stdout.write(redactString(formatPlan(result.plan) || 'no stacks\n', inputs.secrets));
    }
    if (result.plan.stacks.some((s) => !s.actionable)) process.exitCode = EXIT_ERROR;
    else if (args.exitCode && result.plan.operations.length > 0) process.exitCode = EXIT_CHANGES_PENDING;
  },
};
