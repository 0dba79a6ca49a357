/**
 * `corral sync --once` for the benchmark, as a process of its own (startup and module loading
 * count), limited to the stacks in the repository so that nothing else on the shared fleet is touched.
 * Usage: node dist/bench/corral-sync.js REPO CONFIG
 */
import { readSyncInputs } from '../src/cli/commands/plan.js';
import { reconcile } from '../src/reconcile/index.js';

const [repo = '.', config] = process.argv.slice(2);
const inputs = await readSyncInputs({ repo, config });
const result = await reconcile({
  hosts: inputs.config.hosts,
  desired: inputs.state.stacks,
  failed: inputs.state.failed,
  prune: inputs.prune,
  only: inputs.state.stacks.map((s) => s.name),
});
const failed = result.stacks.filter((s) => !s.converged).map((s) => `${s.stack}: ${s.status.message}`);
if (failed.length > 0) {
  process.stderr.write(`${failed.join('\n')}\n`);
  process.exitCode = 1;
}
process.stdout.write(`${result.plan.operations.length} operations\n`);
