// `configspec operator`: runs the controller. Flags parse into an OperatorConfig (tested on its own); the
// process exits 0 after SIGTERM/SIGINT (Lease released, reconciles in flight finished) and 1 when it lost
// leadership, so a restarted pod campaigns afresh instead of acting on a stale belief that it leads.
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { currentNamespace } from '../../k8s/client.js';
import { validateTimings } from '../../controller/leader-election.js';
import { startOperator, type OperatorConfig } from '../../controller/operator.js';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, DEFAULT_SCRAPE_TIMEOUT_MS } from '../../controller/serving-scraper.js';
import { createLogger, parseLogLevel } from '../../observability/log.js';

export interface OperatorFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  operatorNamespace?: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  httpHost: string;
  httpPort: number;
  metricsAuth?: boolean;
  concurrency: number;
  resync: number;
  leaderElect: boolean;
  leaseName: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  identity?: string;
  logLevel: string;
  /** commander's --no-serving-observer: false turns the closed loop's scraping off (default true). */
  servingObserver?: boolean;
  /** Seconds between scrape passes of the drafter and verifier /metrics. */
  servingScrapeInterval?: number;
  /** Seconds one /metrics GET may take. */
  servingScrapeTimeout?: number;
}

/** Turns flags and environment into a validated OperatorConfig; throws with a clear message on bad input. */
export function operatorConfig(
  flags: OperatorFlags,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string | undefined,
): Omit<OperatorConfig, 'log'> {
  const image = flags.image ?? env.CONFIGSPEC_IMAGE;
  if (!image)
    throw new Error('The operator needs its image for the workloads it creates: pass --image or set CONFIGSPEC_IMAGE');
  const timings = {
    leaseDurationMs: flags.leaseDuration * 1000,
    renewDeadlineMs: flags.renewDeadline * 1000,
    retryPeriodMs: flags.retryPeriod * 1000,
  };
  if (flags.leaderElect) validateTimings(timings);
  return {
    connection: { kubeconfig: flags.kubeconfig, context: flags.context },
    watchNamespace: flags.namespace,
    operatorNamespace: flags.operatorNamespace ?? env.POD_NAMESPACE ?? currentNamespace('configspec-system', readFile),
    image,
    imagePullPolicy: flags.imagePullPolicy,
    httpHost: flags.httpHost,
    httpPort: flags.httpPort,
    metricsAuth: flags.metricsAuth ?? false,
    concurrency: flags.concurrency,
    resyncIntervalMs: flags.resync * 1000,
    leaderElection: flags.leaderElect
      ? {
          enabled: true,
          leaseName: flags.leaseName,
          identity: flags.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`,
          ...timings,
        }
      : { enabled: false },
    servingObserver:
      flags.servingObserver === false
        ? { enabled: false }
        : {
            enabled: true,
            intervalMs: (flags.servingScrapeInterval ?? DEFAULT_SCRAPE_INTERVAL_SECONDS) * 1000,
            timeoutMs: (flags.servingScrapeTimeout ?? DEFAULT_SCRAPE_TIMEOUT_MS / 1000) * 1000,
          },
  };
}

const positiveInteger = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return parsed;
};
const port = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('not a TCP port');
  return parsed;
};
const seconds = (value: string) => {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new InvalidArgumentError('must be a positive number of seconds');
  return parsed;
};

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description('Run the ConfigSpec operator: reconcile SpecDecodeDeployments and DeviceClasses')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--namespace <name>', 'watch SpecDecodeDeployments in this namespace only (default: all)')
    .option('--operator-namespace <name>', 'namespace of the Lease and profiling Jobs (default: the pod namespace)')
    .option('--image <ref>', 'image for verifier, drafter and profiler pods (default: $CONFIGSPEC_IMAGE)')
    .option('--image-pull-policy <policy>', 'Always, IfNotPresent or Never')
    .option('--http-host <address>', 'address of /metrics, /healthz and /readyz', '0.0.0.0')
    .option('--http-port <port>', 'port of /metrics, /healthz and /readyz', port, 8080)
    .option(
      '--metrics-auth',
      'serve /metrics only to bearer tokens allowed to get it (TokenReview + SubjectAccessReview)',
    )
    .option('--concurrency <n>', 'SpecDecodeDeployments reconciled at once', positiveInteger('--concurrency'), 2)
    .option('--resync <seconds>', 'queue every object again this often', seconds, 600)
    .option('--no-leader-elect', 'run without leader election (one replica only)')
    .option('--lease-name <name>', 'name of the leader-election Lease', 'configspec-operator')
    .option('--lease-duration <seconds>', 'how long a Lease stays valid without renewal', seconds, 15)
    .option('--renew-deadline <seconds>', 'how long the leader keeps trying to renew before giving up', seconds, 10)
    .option('--retry-period <seconds>', 'time between acquire and renew attempts', seconds, 2)
    .option('--identity <name>', 'leader-election identity (default: $POD_NAME)')
    .option(
      '--no-serving-observer',
      'do not read the drafter and verifier /metrics (the closed loop then re-plans on profiles only)',
    )
    .option(
      '--serving-scrape-interval <seconds>',
      "seconds between reads of the drafters' and verifiers' /metrics (at most 8 drafters per class each time)",
      seconds,
      DEFAULT_SCRAPE_INTERVAL_SECONDS,
    )
    .option(
      '--serving-scrape-timeout <seconds>',
      'seconds one /metrics read may take',
      seconds,
      DEFAULT_SCRAPE_TIMEOUT_MS / 1000,
    )
    .option(
      '--profiling-timeout <seconds>',
      'stop a profiling Job after this long (its activeDeadlineSeconds; default 1800)',
      positiveInteger('--profiling-timeout'),
    )
    .option(
      '--profiling-attempts <n>',
      'Jobs per profile when Jobs time out or lose their node (default 3)',
      positiveInteger('--profiling-attempts'),
    )
    .option(
      '--profiling-retry-backoff <seconds>',
      'wait before the next attempt after a time-out, doubled per attempt (default 60)',
      seconds,
    )
    .option('--log-level <level>', 'debug, info, warn or error', process.env.LOG_LEVEL ?? 'info')
    .action(async (flags: OperatorFlags) => {
      const log = createLogger({ level: parseLogLevel(flags.logLevel) });
      const config = operatorConfig(flags, process.env, (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return undefined;
        }
      });
      const operator = await startOperator({ ...config, log });
      const shutdown = (signal: string) => {
        log.info('Shutting down', { signal });
        operator.shutdown();
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      const code = await operator.done;
      process.exit(code);
    });
}
