/**
 * `corral sync --once`: converge the hosts to the repository, and say per stack what was done and
 * why (the steps of an upgrade on stderr as they happen); each stack's history gets its entry.
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { OperationResult } from '../../apply/index.js';
import { redactString } from '../../model/redact.js';
import { formatOperation } from '../../plan/index.js';
import { reconcile, type StackOutcome } from '../../reconcile/index.js';
import type { CommandBody } from '../command-body.js';
import { UsageError } from '../errors.js';
import { repoOption } from '../repo.js';
import { hostMemory, stackHistory, stateDirOption } from '../state.js';
import { readSyncInputs, renderFailures } from './plan.js';

interface SyncArgs {
  repo: string;
  config?: string;
  catalog: string[];
  stateDir: string;
  once: boolean;
  stack?: string[];
}

export const syncCommand: CommandBody<SyncArgs> = {
  builder: (yargs: Argv) =>
    yargs.options({
      ...repoOption,
      ...stateDirOption,
      once: { type: 'boolean', default: false, describe: 'Run one pass and exit (required: the continuous loop is `corral run`)' },
      stack: { type: 'string', array: true, describe: 'Only this stack (repeat for several)' },
    }) as unknown as Argv<SyncArgs>,
  handler: async (args: ArgumentsCamelCase<SyncArgs>) => {
    if (!args.once) throw new UsageError('sync runs one pass: pass --once (the continuous loop is the daemon)');
    const inputs = await readSyncInputs(args);
    const only = args.stack?.length ? args.stack : undefined;
    for (const name of only ?? []) {
      if (!inputs.state.stacks.some((s) => s.name === name) && !inputs.state.failed.some((f) => f.stack === name))
        process.stderr.write(`stack ${name} is not in ${args.repo}/stacks: its containers, if any, are removed\n`);
    }
    const shown = (text: string) => redactString(text, inputs.secrets);
    process.stderr.write(shown(renderFailures(inputs.state, only)));
    const result = await reconcile({
      hosts: inputs.config.hosts,
      desired: inputs.state.stacks,
      failed: inputs.state.failed,
      prune: inputs.prune,
      clients: inputs.early.clients,
      observation: inputs.early.observation,
      ...(only ? { only } : {}),
      memory: hostMemory(args.stateDir, true, inputs.config),
      history: stackHistory(args.stateDir, true),
      // An upgrade's steps as they happen: a long one is not silent until the end.
      onStep: (step) => process.stderr.write(shown(`stack ${step.stack}: ${step.message}\n`)),
    });
    if (result.memoryError) process.stderr.write(`warning: what corral knows of its hosts was not saved: ${result.memoryError}\n`);
    if (result.historyError) process.stderr.write(shown(`warning: a stack history was not saved: ${result.historyError}\n`));
    for (const host of result.observed.hosts.filter((h) => !h.reachable))
      process.stdout.write(shown(`host ${host.name} unreachable: ${host.error ?? 'no answer'}\n`));
    for (const note of result.plan.hosts ?? []) process.stdout.write(shown(`host ${note.host}: ${note.level}: ${note.message}\n`));
    process.stdout.write(shown(result.stacks.map(formatOutcome).join('')));
    process.exitCode = result.stacks.every((s) => s.converged) ? 0 : 1;
  },
};

function formatOutcome(outcome: StackOutcome): string {
  const { status } = outcome;
  const lines = [`stack ${outcome.stack}: ${status.sync}, ${status.health}${outcome.converged ? '' : ` — ${status.message}`}`];
  lines.push(...outcome.notes.map((n) => `  ${n.level}: ${n.message}`));
  lines.push(...outcome.operations.map((r) => `  ${formatOperation(r.operation)} — ${resultText(r)}`));
  if (status.endpoints.length > 0)
    lines.push(`  endpoints: ${status.endpoints.map((e) => `${e.service} ${e.address}:${e.port}/${e.protocol}`).join(', ')}`);
  return lines.map((line) => `${line}\n`).join('');
}

function resultText(result: OperationResult): string {
  return result.status === 'ok' ? 'ok' : `${result.status}: ${result.error ?? ''}`;
}
