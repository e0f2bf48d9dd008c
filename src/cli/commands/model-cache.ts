// `configspec model-cache`: the node cache agent and its maintenance commands.
//   serve  the per-node agent (the model-cache DaemonSet): fetches into the host cache for restricted pods,
//          serves verified files, evicts least recently used files that no live pod or process pins;
//   gc     evict down to the budget now;      status  list entries and pins;
//   hold   run until stopped (the pre-fetch pod's container: its pod's pin keeps the file while it runs).
import type { Command } from 'commander';
import { DEFAULT_CACHE_DIR, ModelCache } from '../../agent/fetch/cache.js';
import { formatBytes } from '../../agent/fetch/download.js';
import { startNodeCacheServer } from '../../agent/fetch/node-cache-server.js';
import { livePodsFromCluster } from '../../k8s/node-pods.js';
import { buildModelCacheObjects } from '../../planner/model-cache.js';
import { stringify } from 'yaml';
import { parseSize } from './fetch.js';
import { positiveInteger } from './verify.js';

interface CacheFlags {
  dir: string;
  budget?: string;
}

function openCache(flags: CacheFlags): ModelCache {
  const nodeName = process.env.NODE_NAME;
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined && nodeName !== undefined;
  return new ModelCache(flags.dir, {
    budgetBytes: flags.budget ? parseSize(flags.budget) : undefined,
    livePods: inCluster ? livePodsFromCluster(nodeName) : undefined,
  });
}

export function registerModelCacheCommand(program: Command): void {
  const group = program.command('model-cache').description('The node-local model cache: agent, eviction, listing');
  const common = (command: Command) =>
    command
      .option(
        '--dir <dir>',
        'cache directory ($CONFIGSPEC_MODEL_CACHE_DIR)',
        process.env.CONFIGSPEC_MODEL_CACHE_DIR ?? DEFAULT_CACHE_DIR,
      )
      .option(
        '--budget <size>',
        'size budget, e.g. 20Gi ($CONFIGSPEC_MODEL_CACHE_BUDGET)',
        process.env.CONFIGSPEC_MODEL_CACHE_BUDGET,
      );

  common(group.command('serve').description('Run the node cache agent'))
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <n>', 'port', positiveInteger('--port'), 8090)
    .option('--gc-interval <seconds>', 'evict down to the budget this often (0: never)', '300')
    .action(async (flags: CacheFlags & { host: string; port: number; gcInterval: string }) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const cache = openCache(flags);
      const running = await startNodeCacheServer({
        cache,
        host: flags.host,
        port: flags.port,
        gcIntervalMs: Number(flags.gcInterval) * 1000,
        log,
      });
      log(
        `model-cache: serving ${cache.dir} on ${running.url} (budget ${Number.isFinite(cache.budgetBytes) ? formatBytes(cache.budgetBytes) : 'unlimited'})`,
      );
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  common(group.command('gc').description('Evict least recently used files not in use until the budget holds')).action(
    async (flags: CacheFlags) => {
      const result = await openCache(flags).evict();
      for (const r of result.removed) process.stderr.write(`gc: evicted ${r.file} (${formatBytes(r.sizeBytes)})\n`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.overBudgetBytes > 0) process.exitCode = 1;
    },
  );

  common(group.command('status').description('List cached files, their pins and the bytes used')).action(
    async (flags: CacheFlags) => {
      const cache = openCache(flags);
      const entries = await cache.list();
      process.stdout.write(
        `${JSON.stringify({ dir: cache.dir, usedBytes: await cache.usedBytes(), entries }, null, 2)}\n`,
      );
    },
  );

  group
    .command('manifests')
    .description(
      'Print the node cache agent (namespace, RBAC, DaemonSet with the hostPath, node-local Service) as YAML',
    )
    .requiredOption('--image <ref>', "image of the agent (this program's image)", process.env.CONFIGSPEC_IMAGE)
    .option(
      '--namespace <name>',
      'namespace of the agent (labelled privileged: it owns a hostPath)',
      'configspec-cache',
    )
    .option('--host-path <dir>', 'cache directory on each node', DEFAULT_CACHE_DIR)
    .option('--budget <size>', 'size budget per node, e.g. 20Gi')
    .action((flags: { image: string; namespace: string; hostPath: string; budget?: string }) => {
      const objects = buildModelCacheObjects({
        image: flags.image,
        namespace: flags.namespace,
        hostPath: flags.hostPath,
        budget: flags.budget,
      });
      process.stdout.write(objects.map((o) => stringify(o)).join('---\n'));
    });

  group
    .command('hold')
    .description('Run until stopped (keeps a pre-fetch pod, and with it its pin, alive)')
    .action(() => {
      process.stderr.write('model-cache: holding (the pod pins its model while it runs)\n');
      const timer = setInterval(() => {}, 1 << 30);
      const stop = () => {
        clearInterval(timer);
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
