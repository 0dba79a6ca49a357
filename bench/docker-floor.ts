/**
 * The raw Docker API floor for `npm run bench`, as a process of its own like the tools it is
 * compared with: 10 busybox containers created and started in parallel with dockerode, nothing
 * else (no reading, no planning). With NETWORK, a bridge network of that name is created first and
 * the containers join it, as a stack's (and a compose project's) containers do; without, they are on
 * Docker's default bridge. Prints the milliseconds the API calls took inside the process.
 * Usage: node dist/bench/docker-floor.js DOCKER_SOCKET IMAGE LABEL [NETWORK]
 */
import Docker from 'dockerode';

const COUNT = 10;
const [socketPath, image, label, network] = process.argv.slice(2);
if (!socketPath || !image || !label) throw new Error('usage: docker-floor.js DOCKER_SOCKET IMAGE LABEL [NETWORK]');

const docker = new Docker({ socketPath });
const started = performance.now();
if (network) await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { [label]: 'true' } });
await Promise.all(
  Array.from({ length: COUNT }, async (_, index) => {
    const container = await docker.createContainer({
      name: `${label}-${index + 1}`,
      Image: image,
      Cmd: ['sleep', '86400'],
      StopSignal: 'SIGKILL',
      Labels: { [label]: 'true' },
      ...(network ? { HostConfig: { NetworkMode: network } } : {}),
    });
    await container.start();
  }),
);
process.stdout.write(`${(performance.now() - started).toFixed(1)}\n`);
