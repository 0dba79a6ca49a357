/** `corral run`: the GitOps daemon — follow the repository, converge on every change, serve status. */
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { DEFAULT_API_CONFIG } from '../../config/api.js';
import type { CorralConfig } from '../../config/config.js';
import { loadConfig } from '../../config/load.js';
import { Controller } from '../../daemon/controller.js';
import { runDaemon } from '../../daemon/triggers.js';
import { DesiredStateSource } from '../../desired/index.js';
import { createElection, registerLeadershipMetrics } from '../../ha/index.js';
import { createLogger, type LogFormat, registerSecrets } from '../../log/logger.js';
import { TOKEN_ENV } from '../../server/auth.js';
import { createApiServer } from '../../server/http.js';
import { DirectorySource, openSource } from '../../source/index.js';
import { WebApp } from '../../web/app.js';
import { RequestBranchPublisher } from '../../web/request-branch.js';
import type { CommandBody } from '../command-body.js';
import { UsageError } from '../errors.js';
import { readIdentities } from '../secrets.js';
import { hostMemory, stackHistory, stateDirOption } from '../state.js';

interface RunArgs {
  repo: string;
  branch: string;
  config?: string;
  listen: string;
  interval: number;
  logFormat?: LogFormat;
  directory: boolean;
  replicaName: string;
  stateDir: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:7480';
const GIT_TOKEN_ENV = 'CORRAL_GIT_TOKEN';
const GIT_USER_ENV = 'CORRAL_GIT_USERNAME';
const WEBHOOK_SECRET_ENV = 'CORRAL_WEBHOOK_SECRET';

export const runCommand: CommandBody<RunArgs> = {
  builder: (yargs: Argv) =>
    yargs
      .options({
        repo: { type: 'string', default: '.', describe: 'A directory, a local git repository, or an http(s) git URL' },
        branch: { type: 'string', default: 'main', describe: 'Branch to follow (git repositories)' },
        config: { type: 'string', describe: 'Config file listing the Docker hosts (default: the local Docker daemon)' },
        listen: { type: 'string', default: DEFAULT_LISTEN, describe: 'HOST:PORT of the status API and webhook' },
        interval: { type: 'number', default: 30, describe: 'Seconds between full checks (fetch + converge every stack)' },
        'log-format': { choices: ['text', 'json'] as const, describe: 'Log format (default: text on a terminal, JSON otherwise)' },
        ...stateDirOption,
        directory: {
          type: 'boolean',
          default: false,
          describe: 'Serve --repo as a plain directory (its files as they are), even if it is a git checkout',
        },
        'replica-name': {
          type: 'string',
          default: `${hostname()}-${process.pid}`,
          defaultDescription: 'host name and process id',
          describe: "This replica's name in the leader election (the config's ha: section)",
        },
      })
      .epilogue(
        `Credentials for https repositories come from ${GIT_TOKEN_ENV} (and ${GIT_USER_ENV}); the webhook secret from the variable named by the config's webhook.secret_env, or ${WEBHOOK_SECRET_ENV}.`,
      ) as unknown as Argv<RunArgs>,
  handler: async (args: ArgumentsCamelCase<RunArgs>) => {
    if (!(args.interval >= 1)) throw new UsageError(`--interval ${args.interval}: expected a number of seconds ≥ 1`);
    const [host, port] = parseListen(args.listen);
    const logger = createLogger(args.logFormat ? { format: args.logFormat } : {});
    const config = await loadConfig(args.config);
    const token = process.env[GIT_TOKEN_ENV];
    const webhookSecret = process.env[config.webhookSecretEnv ?? WEBHOOK_SECRET_ENV] || undefined;
    const identities = await readIdentities();
    const apiToken = process.env[TOKEN_ENV] || undefined;
    registerSecrets([token ?? '', webhookSecret ?? '', apiToken ?? '', ...(identities ?? [])].filter(Boolean));
    const source = args.directory
      ? new DirectorySource(resolve(args.repo))
      : await openSource({
          repo: args.repo,
          branch: args.branch,
          ...(token ? { credentials: { token, ...(process.env[GIT_USER_ENV] ? { username: process.env[GIT_USER_ENV] } : {}) } } : {}),
        });
    const repository = await DesiredStateSource.open({
      repo: source,
      catalogs: config.catalogs,
      withoutIdentity: 'none',
      ...(config.policy ? { policy: config.policy } : {}),
      ...(identities ? { identities } : {}),
    });
    const election = config.ha ? await createElection(config.ha, { replica: args.replicaName, logger }) : undefined;
    const controller = new Controller({
      repository,
      config,
      logger,
      memory: hostMemory(args.stateDir, true, config),
      history: stackHistory(args.stateDir, true),
      ...(webhookSecret ? { webhookSecret } : {}),
      ...(election ? { leadership: election } : {}),
    });
    if (election) registerLeadershipMetrics(controller.metricsRegistry.registry, election);
    const web = appStore(controller, config.requests);
    const api = config.api ?? DEFAULT_API_CONFIG;
    const apiServer = createApiServer(controller, {
      web,
      ...(apiToken ? { token: apiToken } : {}),
      readAccess: api.read,
      limits: { maxConnections: api.maxConnections },
    });
    const server = await listen(apiServer, host, port);
    logger.info('corral is running', {
      repo: source.describe(),
      catalogs: repository.describeCatalogs(),
      hosts: config.hosts.map((h) => h.name),
      stateDir: resolve(args.stateDir),
      api: `http://${args.listen}/api/v1/stacks`,
      interval: args.interval,
      webhook: webhookSecret ? 'enabled' : 'disabled',
      apiToken: apiToken
        ? `set; reads ${api.read === 'open' ? 'open' : 'need it too'}`
        : `unset (${TOKEN_ENV}): POST /api/v1/sync is disabled`,
      encryptedAnswers: identities
        ? `${identities.length} age identities`
        : 'no identity (CORRAL_AGE_IDENTITY unset): stacks with encrypted answers fail',
      leaderElection: config.ha
        ? { replica: args.replicaName, endpoints: config.ha.endpoints, leaseTtl: config.ha.leaseTtlSeconds, key: config.ha.electionKey }
        : 'off: this replica changes the hosts',
    });
    election?.start();

    await runDaemon({ controller, repository, hosts: config.hosts, intervalMs: args.interval * 1000, logger });
    await election?.stop();
    web.close();
    await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    logger.info('stopped');
    process.exitCode = 0;
  },
};

/** The app store's pages; request branches go to the config's writable remote, when there is one. */
function appStore(controller: Controller, requests: CorralConfig['requests']): WebApp {
  if (!requests) return new WebApp({ backend: controller });
  const token = process.env[requests.tokenEnv] || undefined;
  if (token) registerSecrets([token]);
  const { userHeader, emailHeader } = requests;
  return new WebApp({
    backend: controller,
    publisher: new RequestBranchPublisher({ config: requests, ...(token ? { token } : {}) }),
    ...(userHeader ? { proxyHeaders: { user: userHeader, ...(emailHeader ? { email: emailHeader } : {}) } } : {}),
  });
}

function parseListen(listen: string): [string, number] {
  const match = /^(.*):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match?.[1] || port > 65535) throw new UsageError(`--listen ${listen}: expected HOST:PORT, e.g. ${DEFAULT_LISTEN}`);
  return [match[1].replace(/^\[|\]$/g, ''), port];
}

function listen(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UsageError(`--listen ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
    );
    server.listen(port, host, () => resolveListen(server));
  });
}
