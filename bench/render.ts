/**
 * `npm run bench:render -- --stacks N`: reading a repository of N stack requests through
 * DesiredStateSource, as `corral run` does at every new revision. The repository is in memory
 * (the repository format: catalog/templates/<t>/<v>/…, stacks/<s>/stack.yml), made of 10
 * templates (three services, questions, a Go-templated one in two), each used by a tenth of the
 * stacks. Timed, one after the other:
 *  - the first read (every stack rendered), and the longest event-loop delay during it (and the
 *    99th percentile: on a shared machine the longest is often a moment the process was not run);
 *  - a new revision that changes one stack's answers;
 *  - a new revision that changes one template (a tenth of the stacks use it).
 * The last line is JSON.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DesiredStateSource } from '../src/desired/index.js';
import type { FileTree } from '../src/model/files.js';
import type { RepoSnapshot, Source } from '../src/source/types.js';

const TEMPLATES = 10;

const { values } = parseArgs({ options: { stacks: { type: 'string', default: '1000' } } });
const stackCount = Number(values.stacks);

/** A repository held in memory: each commit is a new FileTree and revision. */
class MemorySource implements Source {
  private commits = 0;
  private snapshotNow: RepoSnapshot;

  constructor(files: FileTree) {
    this.snapshotNow = { revision: this.nextRevision(), files };
  }

  describe(): string {
    return 'memory';
  }

  commit(change: (files: Map<string, string>) => void): void {
    const files = new Map(this.snapshotNow.files);
    change(files);
    this.snapshotNow = { revision: this.nextRevision(), files };
  }

  async refresh(): Promise<{ changed: boolean; revision?: string }> {
    return { changed: true, ...(this.snapshotNow.revision ? { revision: this.snapshotNow.revision } : {}) };
  }

  async snapshot(): Promise<RepoSnapshot> {
    return this.snapshotNow;
  }

  private nextRevision(): string {
    this.commits += 1;
    return this.commits.toString(16).padStart(40, '0');
  }
}

function templateFiles(files: Map<string, string>, index: number, image: string): void {
  const dir = `catalog/templates/app${index}`;
  files.set(`${dir}/config.yml`, `name: App ${index}\nversion: 1.0.0\ncategory: Bench\n`);
  const templated = index % 5 === 0;
  const db = templated
    ? 'db:\n  image: ${DB_IMAGE}\n{{- if eq .Values.WITH_CACHE "true" }}\n  labels:\n    cache: "on"\n{{- end }}\n'
    : 'db:\n  image: ${DB_IMAGE}\n  volumes:\n    - data:/data\n';
  files.set(
    `${dir}/0/docker-compose.yml${templated ? '.tpl' : ''}`,
    `${db}web:\n  image: ${image}\n  ports:\n    - \${PORT}:8080\n  environment:\n    GREETING: \${GREETING}\n    STACK: \${NAME}\n  links:\n    - db:database\n  labels:\n    io.rancher.scheduler.affinity:host_label: zone=\${ZONE}\ncache:\n  image: \${DB_IMAGE}\n  command: [sleep, 1d]\n`,
  );
  files.set(
    `${dir}/0/rancher-compose.yml`,
    [
      '.catalog:',
      '  version: 1.0.0',
      '  questions:',
      '    - variable: PORT\n      label: Port\n      type: int\n      min: 1024\n      max: 65535\n      required: true',
      '    - variable: GREETING\n      label: Greeting\n      type: string\n      default: hello',
      '    - variable: NAME\n      label: Name\n      type: string\n      required: true',
      '    - variable: ZONE\n      label: Zone\n      type: enum\n      options: [a, b, c]\n      default: a',
      '    - variable: DB_IMAGE\n      label: Database image\n      type: string\n      default: registry.local/db:1',
      '    - variable: WITH_CACHE\n      label: Cache\n      type: boolean\n      default: "false"',
      'web:\n  scale: 2\n  health_check:\n    port: 8080\n    interval: 2000\n    response_timeout: 2000\n    healthy_threshold: 2\n    unhealthy_threshold: 3',
      'db:\n  scale: 1',
      '',
    ].join('\n'),
  );
}

function stackRequest(index: number, greeting: string): string {
  return [
    `template: app${index % TEMPLATES}`,
    'answers:',
    `  PORT: "${10_000 + (index % 50_000)}"`,
    `  GREETING: ${greeting}`,
    `  NAME: s${index}`,
    `  ZONE: ${['a', 'b', 'c'][index % 3]}`,
    `  WITH_CACHE: "${index % 2 === 0}"`,
    '',
  ].join('\n');
}

const stackPath = (index: number) => `stacks/s${String(index).padStart(6, '0')}/stack.yml`;

function repository(stacks: number): Map<string, string> {
  const files = new Map<string, string>();
  for (let index = 0; index < TEMPLATES; index++) templateFiles(files, index, 'registry.local/web:1');
  for (let index = 0; index < stacks; index++) files.set(stackPath(index), stackRequest(index, 'hello'));
  return files;
}

async function timedRead(source: DesiredStateSource): Promise<{ ms: number; stacks: number }> {
  const start = performance.now();
  const read = await source.read();
  const ms = performance.now() - start;
  if (read.state.failed.length > 0) throw new Error(`a stack failed: ${JSON.stringify(read.state.failed[0])}`);
  return { ms, stacks: read.state.stacks.length };
}

const repo = new MemorySource(repository(stackCount));
const source = await DesiredStateSource.open({ repo });
await source.refresh();

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
await setTimeout(20);
const first = await timedRead(source);
// The monitor samples on its own timer: a loop blocked for the whole read is seen only once it runs again.
await setTimeout(20);
delay.disable();
const maxEventLoopDelayMs = delay.max / 1e6;
const p99EventLoopDelayMs = delay.percentile(99) / 1e6;

repo.commit((files) => files.set(stackPath(Math.floor(stackCount / 2)), stackRequest(Math.floor(stackCount / 2), 'bonjour')));
const oneStack = await timedRead(source);

repo.commit((files) => templateFiles(files, 3, 'registry.local/web:2'));
const template = await timedRead(source);

const round = (ms: number) => Math.round(ms * 10) / 10;
console.log(
  `first read: ${first.stacks} stacks rendered in ${round(first.ms)} ms (event-loop delay: longest ${round(maxEventLoopDelayMs)} ms, 99th percentile ${round(p99EventLoopDelayMs)} ms)`,
);
console.log(`one stack changed: ${round(oneStack.ms)} ms`);
console.log(`one template changed (${Math.ceil(stackCount / TEMPLATES)} stacks use it): ${round(template.ms)} ms`);
console.log(
  JSON.stringify({
    stacks: stackCount,
    firstReadMs: round(first.ms),
    oneStackChangedMs: round(oneStack.ms),
    templateChangedMs: round(template.ms),
    maxEventLoopDelayMs: round(maxEventLoopDelayMs),
    p99EventLoopDelayMs: round(p99EventLoopDelayMs),
  }),
);
