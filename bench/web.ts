/**
 * `npm run bench:web`: how fast the app store's pages answer with 500 stacks in the status.
 * The daemon's HTTP server (API + app store) runs in this process over loopback, fed by a
 * synthetic backend: 500 stacks (3 services, 2 endpoints and 20 events each) and the bundled
 * catalog plus 120 synthetic templates (about the size of the public community catalog).
 * Every page is asked for sequentially, after a warm-up; the figures go to docs/benchmarks.md.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDesiredState } from '../src/render/index.js';
import { createApiServer } from '../src/server/http.js';
import { readDirectoryTree } from '../src/source/index.js';
import type { StackStatus } from '../src/status/stack-status.js';
import { WebApp } from '../src/web/app.js';
import { serviceStatus } from '../test/fixtures/status.js';

const STACKS = Number(process.env['BENCH_WEB_STACKS'] ?? 500);
const TEMPLATES = 120;
const REQUESTS = Number(process.env['BENCH_WEB_REQUESTS'] ?? 200);
const WARMUP = 20;
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

function syntheticTemplate(files: Map<string, string>, index: number): void {
  const dir = `catalog/templates/synth-${index}`;
  files.set(
    `${dir}/config.yml`,
    `name: Synthetic ${index}\ndescription: A synthetic app number ${index}\ncategory: Category ${index % 9}\nversion: 1.1.0\n`,
  );
  const questions = Array.from(
    { length: 10 },
    (_, q) =>
      `    - variable: v${q}\n      label: Value ${q}\n      description: Question ${q} of template ${index}\n      type: ${['string', 'int', 'enum', 'boolean', 'multiline'][q % 5]}\n${q % 5 === 2 ? '      options: [a, b, c]\n' : ''}${q % 5 === 1 ? '      min: 1\n      max: 9\n' : ''}      default: ${['x', '3', 'a', 'true', 'y'][q % 5]}\n`,
  ).join('');
  for (const [folder, version] of [
    ['0', '1.0.0'],
    ['1', '1.1.0'],
  ]) {
    files.set(`${dir}/${folder}/docker-compose.yml`, 'app:\n  image: busybox\n  environment:\n    V0: ${v0}\n');
    files.set(
      `${dir}/${folder}/rancher-compose.yml`,
      `.catalog:\n  version: ${version}\n  questions:\n${questions}app:\n  scale: \${v1}\n`,
    );
    files.set(
      `${dir}/${folder}/README.md`,
      `# Synthetic ${index} ${version}\n\nSome **markdown** with a [link](https://example.com) and a list:\n\n- one\n- two\n`,
    );
  }
}

function syntheticStatus(index: number): StackStatus {
  const name = `stack-${String(index).padStart(3, '0')}`;
  return {
    name,
    sync: index % 50 === 0 ? 'OutOfSync' : 'Synced',
    health: index % 70 === 0 ? 'Degraded' : 'Healthy',
    revision: createHash('sha1').update(name).digest('hex'),
    template: `synth-${index % TEMPLATES}`,
    version: '1.1.0',
    message: 'converged',
    services: ['web', 'db', 'cache'].map((service) =>
      serviceStatus(service, 2, 2, {
        containers: [1, 2].map((i) => ({
          name: `${name}-${service}-${i}`,
          host: `h${i}`,
          state: 'running' as const,
          health: 'healthy' as const,
        })),
      }),
    ),
    endpoints: [0, 1].map((i) => ({
      service: 'web',
      host: `h${i + 1}`,
      address: `10.99.0.${11 + i}`,
      port: 30000 + index,
      containerPort: 80,
      protocol: 'tcp',
    })),
    events: Array.from({ length: 20 }, (_, i) => ({
      time: new Date(Date.UTC(2024, 4, 1, 12, 0, i)).toISOString(),
      message: `#${i + 1} h1 CreateContainer ${name}-web-${i + 1}: scale 0 → 2`,
    })),
  };
}

/** Wall-clock milliseconds of each request, and the CPU time this process spent per request (server and client). */
async function measure(url: string, init?: RequestInit): Promise<{ ms: number[]; cpuMs: number; bytes: number; status: number }> {
  const ms: number[] = [];
  let bytes = 0;
  let status = 0;
  let cpu = process.cpuUsage();
  for (let i = 0; i < WARMUP + REQUESTS; i += 1) {
    if (i === WARMUP) cpu = process.cpuUsage();
    const started = performance.now();
    const response = await fetch(url, init);
    const body = await response.arrayBuffer();
    const elapsed = performance.now() - started;
    status = response.status;
    bytes = body.byteLength;
    if (i >= WARMUP) ms.push(elapsed);
  }
  const used = process.cpuUsage(cpu);
  return { ms: ms.sort((a, b) => a - b), cpuMs: (used.user + used.system) / 1000 / REQUESTS, bytes, status };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const files = new Map(await readDirectoryTree(ROOT, ['catalog', 'stacks']));
for (let i = 0; i < TEMPLATES; i += 1) syntheticTemplate(files, i);
const state = loadDesiredState(files);
const statuses = Array.from({ length: STACKS }, (_, i) => syntheticStatus(i));
const backend = {
  desiredState: () => state,
  stacks: () => statuses,
  stack: (name: string) => statuses.find((s) => s.name === name),
};
const api = {
  ...backend,
  requestSync: () => undefined,
  requestFetch: () => undefined,
  webhookSecret: () => undefined,
  metrics: async () => '',
  webhookDelivered: () => undefined,
};
const web = new WebApp({ backend });
const server = createApiServer(api, { web });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const middle = statuses[Math.floor(STACKS / 2)]?.name ?? 'stack-000';
const badForm = 'stack=Bad+Name&version=1&answer.v1=99&answer.v2=z';
const pages: [string, string, RequestInit?][] = [
  ['catalog', '/catalog'],
  ['catalog, searched', '/catalog?q=synthetic+7&category=Category+7'],
  ['template (README + form)', '/catalog/library/synth-60'],
  [
    'form with errors (POST, 422)',
    '/catalog/library/synth-60',
    { method: 'POST', body: badForm, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  ],
  ['stacks', '/stacks'],
  ['stacks, live part', '/stacks?fragment=live'],
  ['stack', `/stacks/${middle}`],
  ['stack, live part', `/stacks/${middle}?fragment=live`],
];
const rows: { page: string; status: number; kB: number; cpu: number; p50: number; p95: number; p99: number; max: number }[] = [];
for (const [name, path, init] of pages) {
  const { ms, cpuMs, bytes, status } = await measure(`${base}${path}`, init);
  rows.push({
    page: name,
    status,
    kB: Math.round(bytes / 102.4) / 10,
    cpu: cpuMs,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    max: ms.at(-1) ?? Number.NaN,
  });
}
web.close();
await new Promise<void>((resolve) => server.close(() => resolve()));

const fixed = (n: number) => n.toFixed(1);
console.log(
  `app store pages, ${STACKS} stacks in the status, ${state.catalogs[0]?.templates.length} templates; ${REQUESTS} requests each after ${WARMUP} warm-up, loopback, sequential`,
);
console.log(
  `load average before: ${loadBefore}; after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (${cpus().length} CPUs)`,
);
console.log('| page | status | size kB | CPU ms/request | p50 ms | p95 ms | p99 ms | max ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.page} | ${r.status} | ${r.kB} | ${fixed(r.cpu)} | ${fixed(r.p50)} | ${fixed(r.p95)} | ${fixed(r.p99)} | ${fixed(r.max)} |`,
  );
const slowest = Math.max(...rows.map((r) => r.p50));
const costliest = Math.max(...rows.map((r) => r.cpu));
console.log(
  JSON.stringify({
    stacks: STACKS,
    requests: REQUESTS,
    slowestP50Ms: Number(fixed(slowest)),
    costliestCpuMs: Number(fixed(costliest)),
    under100ms: slowest < 100,
  }),
);
