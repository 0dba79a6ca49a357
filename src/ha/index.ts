/**
 * Leader election for `corral run` replicas (the config's `ha:` section): builds the etcd client
 * from the config (reading its TLS files) and the election. I/O: reads the TLS files.
 */
import { readFile } from 'node:fs/promises';
import type winston from 'winston';
import type { HaConfig, HaTlsFiles } from '../config/ha.js';
import { ConfigError } from '../config/load.js';
import { LeaderElection } from './election.js';
import { EtcdGateway, type EtcdTls } from './etcd.js';
import { requestTimeoutMs } from './fence.js';
import { keepInWorker } from './lease-keeper.js';

export { LeaderElection } from './election.js';
export type { Leadership, LeadershipChange, Role } from './leadership.js';
export { registerLeadershipMetrics } from './metrics.js';

/** The election for this replica, not started yet (start it once its listeners are in place). */
export async function createElection(config: HaConfig, options: { replica: string; logger: winston.Logger }): Promise<LeaderElection> {
  const tls = config.tls ? await readTls(config.tls) : undefined;
  const etcdOptions = { endpoints: config.endpoints, timeoutMs: requestTimeoutMs(config.leaseTtlSeconds), ...(tls ? { tls } : {}) };
  // The held lease is renewed from a worker thread, which the daemon's long synchronous work cannot stall.
  const keepLease = keepInWorker({ etcd: etcdOptions, safetyMarginMs: config.safetyMarginMs });
  return new LeaderElection({ config, replica: options.replica, etcd: new EtcdGateway(etcdOptions), logger: options.logger, keepLease });
}

async function readTls(files: HaTlsFiles): Promise<EtcdTls> {
  const tls: EtcdTls = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const path = files[key];
    if (path === undefined) continue;
    tls[key] = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(`ha.tls.${key}: cannot read ${path} (${err.code ?? err.message})`);
    });
  }
  return tls;
}
