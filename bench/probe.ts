/**
 * `npm run bench:probe`: the cost of one health-check probe on a fleet host, for corral's design
 * and the two simpler ones it was weighed against:
 *  (1) corral: the per-host probe agent, one line over its attached stdin per probe, which enters
 *      the container's network namespace with nsenter and connects with nc;
 *  (2) `docker exec` per probe into a long-running agent container (same command);
 *  (3) `docker run --rm --network container:<target>` per probe (a fresh busybox container).
 * Latency is measured from corral's side; CPU is what the host spends: the agent's cgroup,
 * dockerd, containerd and the containerd shims of that host (their reaped children included),
 * plus corral's own process. The figures go to docs/benchmarks.md (section "probe").
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { loadConfig } from '../src/config/load.js';
import { dockerClient } from '../src/observe/index.js';
import { PROBE_AGENT_LABEL, ProbeAgent } from '../src/observe/probe-agent.js';
import { IMAGES } from '../test/e2e/fleet.js';
import { writeSection } from './doc.js';

const FLEET_DIR = '/run/corral-fleet';
const IMAGE = IMAGES.busybox;
const RUNS = { agent: Number(process.env['BENCH_PROBES'] ?? 200), exec: 30, run: 15 };
const CLOCK_TICKS = 100;

const host = (await loadConfig(`${FLEET_DIR}/corral.yml`)).hosts[0];
if (host?.docker.kind !== 'unix') throw new Error(`${FLEET_DIR}/corral.yml: expected a fleet host on a unix socket (scripts/fleet up)`);
const docker = dockerClient(host.docker);

interface Sample {
  latencies: number[];
  cpuMs: number;
  failures: number;
}

/** CPU (ms) of every process of this fleet host's Docker (dockerd, containerd, shims), reaped children included. */
function dockerCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(`${FLEET_DIR}/${host?.name}/`)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    } catch {
      // The process ended while it was read.
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

async function cgroupCpuMs(container: Docker.Container): Promise<number> {
  const stats = (await container.stats({ stream: false })) as { cpu_stats: { cpu_usage: { total_usage: number } } };
  return stats.cpu_stats.cpu_usage.total_usage / 1e6;
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function measure(runs: number, probe: () => Promise<boolean>, agentCpu: () => Promise<number>): Promise<Sample> {
  for (let i = 0; i < 3; i += 1) await probe();
  const before = { docker: dockerCpuMs(), agent: await agentCpu(), own: ownCpuMs() };
  const latencies: number[] = [];
  let failures = 0;
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    if (!(await probe())) failures += 1;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const cpuMs = dockerCpuMs() - before.docker + ((await agentCpu()) - before.agent) + (ownCpuMs() - before.own);
  return { latencies, cpuMs: cpuMs / runs, failures };
}

async function outputOf(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const removeByName = (name: string) =>
  docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);

await removeByName('bench-probe-target');
await removeByName('bench-probe-exec');
const target = await docker.createContainer({
  name: 'bench-probe-target',
  Image: IMAGE,
  Cmd: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www'],
  HostConfig: { NetworkMode: 'bridge' },
});
await target.start();
const info = await target.inspect();
const pid = info.State.Pid;
const address = info.NetworkSettings.Networks['bridge']?.IPAddress ?? '';
const results: Record<string, Sample> = {};
const agent = new ProbeAgent(host.name, dockerClient(host.docker), IMAGE);
try {
  // (1) corral's agent: TCP and HTTP checks.
  const agentContainer = async () => {
    const [found] = await docker.listContainers({ filters: { label: [PROBE_AGENT_LABEL] } });
    if (!found) throw new Error('the probe agent is not running');
    return docker.getContainer(found.Id);
  };
  await agent.probe({ pid, address, port: 80, timeoutMs: 2000 });
  const agentCgroup = await agentContainer();
  const tcp = async () => {
    const reply = await agent.probe({ pid, address, port: 80, timeoutMs: 2000 });
    return reply.kind === 'answer' && reply.exitCode === 0;
  };
  const http = async () => {
    const reply = await agent.probe({
      pid,
      address,
      port: 80,
      timeoutMs: 2000,
      http: { method: 'GET', path: '/', version: 'HTTP/1.0', headers: [] },
    });
    return reply.kind === 'answer' && / 200 /.test(reply.output);
  };
  results['agent-tcp'] = await measure(RUNS.agent, tcp, () => cgroupCpuMs(agentCgroup));
  results['agent-http'] = await measure(RUNS.agent, http, () => cgroupCpuMs(agentCgroup));
  const parallel = Date.now();
  await Promise.all(Array.from({ length: 100 }, tcp));
  const parallelMs = Date.now() - parallel;

  // (2) docker exec per probe, into a long-running container with the same rights as the agent.
  const execHost = await docker.createContainer({
    name: 'bench-probe-exec',
    Image: IMAGE,
    Cmd: ['sleep', '2147483647'],
    HostConfig: { PidMode: 'host', NetworkMode: 'none', CapDrop: ['ALL'], CapAdd: ['SYS_ADMIN', 'SYS_PTRACE'] },
  });
  await execHost.start();
  results['exec'] = await measure(
    RUNS.exec,
    async () => {
      const exec = await execHost.exec({
        Cmd: ['timeout', '2', 'nsenter', '-F', '-t', String(pid), '-n', 'nc', address, '80', '-e', 'true'],
        AttachStdout: true,
        AttachStderr: true,
      });
      await outputOf(await exec.start({}));
      return (await exec.inspect()).ExitCode === 0;
    },
    () => cgroupCpuMs(execHost),
  );
  await execHost.remove({ force: true });

  // (3) docker run per probe in the target's network namespace.
  results['run'] = await measure(
    RUNS.run,
    async () => {
      const probe = await docker.createContainer({
        Image: IMAGE,
        Cmd: ['timeout', '2', 'nc', '127.0.0.1', '80', '-e', 'true'],
        HostConfig: { NetworkMode: `container:${info.Id}` },
      });
      await probe.start();
      const { StatusCode } = (await probe.wait()) as { StatusCode: number };
      await probe.remove({ force: true });
      return StatusCode === 0;
    },
    async () => 0,
  );

  const forkMs = forkExecCostMs();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const p90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;
  const row = (label: string, sample: Sample | undefined) =>
    sample
      ? `| ${label} | ${sample.latencies.length} | ${median(sample.latencies).toFixed(0)} ms | ${p90(sample.latencies).toFixed(0)} ms | ${sample.cpuMs.toFixed(1)} ms | ${(sample.cpuMs / forkMs).toFixed(1)} | ${((150 * sample.cpuMs) / 1000).toFixed(2)} |${sample.failures ? ` ${sample.failures} failed` : ''}`
      : '';
  const report = `## Health-check probes (\`npm run bench:probe\`)

One probe of a busybox httpd container on fleet host ${host.name} (bridge network), sequential runs.
CPU is the host's: the probe's cgroup, that host's dockerd, containerd and shims (reaped children
included) and corral's own process. Short-lived shims of \`docker run\` are not all counted, so (3)
is a lower bound. One fork+exec of \`/bin/true\` costs ${forkMs.toFixed(1)} ms of CPU on this machine; the
"× fork+exec" column scales the figures to another machine. The last column is the CPU needed
for 300 containers probed every 2 s (150 probes/s), in cores.

| design | probes | latency median | p90 | CPU per probe | × fork+exec | cores at 150 probes/s |
|---|---|---|---|---|---|---|
${row('(1) corral: per-host probe agent, TCP check', results['agent-tcp'])}
${row('(1) corral: per-host probe agent, HTTP check', results['agent-http'])}
${row('(2) `docker exec` per probe (nsenter + nc)', results['exec'])}
${row('(3) `docker run --network container:` per probe', results['run'])}

100 TCP probes sent at once through one agent: all answered in ${parallelMs} ms.

Measured ${new Date().toISOString().slice(0, 10)} on a 2-core machine shared with other work (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}).
`;
  writeSection('## Health-check probes (`npm run bench:probe`)', report);
  process.stdout.write(report);
} finally {
  await agent.close();
  await removeByName('bench-probe-exec');
  await removeByName('bench-probe-target');
}

/** CPU of one fork+exec of /bin/true, from bash's `times` over 200 of them. */
function forkExecCostMs(): number {
  const out = spawnSync('bash', ['-c', 'for i in $(seq 200); do /bin/true; done; times'], { encoding: 'utf8' }).stdout;
  const [, children = ''] = out.trim().split('\n');
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return (seconds * 1000) / 200;
}
