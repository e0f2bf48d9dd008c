// `configspec process-kubelet`: registers the nodes of a fleet file as nodes of this machine and runs the pods
// bound to them as local processes (src/kubelet). For the demo and the end-to-end test on one machine; kwok
// runs the simulated rest of the fleet.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { parseFleet, renderFleet } from '../../fleet/render.js';
import { connectKubeletCluster } from '../../k8s/kubelet-cluster.js';
import { startProcessKubelet } from '../../kubelet/process-kubelet.js';
import { createLogger, parseLogLevel } from '../../observability/log.js';

/** bin/configspec.js of this checkout: what a container's `configspec` command runs. */
const CONFIGSPEC_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bin', 'configspec.js');

interface ProcessKubeletFlags {
  fleet: string;
  kubeconfig?: string;
  nodePrefix: string;
  root: string;
  podNetwork: string;
  logLevel: string;
}

export function registerProcessKubeletCommand(program: Command): void {
  program
    .command('process-kubelet')
    .description("Run the pods bound to this machine's nodes (from a fleet file) as local processes")
    .requiredOption(
      '-f, --fleet <fleet.yaml>',
      'the nodes to register (fleet format, e.g. config/fleet/demo-local.yaml)',
    )
    .option('--kubeconfig <path>', 'kubeconfig ($KUBECONFIG by default)')
    .option('--node-prefix <prefix>', 'prefix of the node names (keeps them apart from kwok nodes)', 'local-')
    .option('--root <dir>', 'pod directories, logs and emulated host paths', '.run/process-kubelet')
    .option('--pod-network <a.b>', 'pods get loopback addresses <a.b>.x.y', '127.77')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (flags: ProcessKubeletFlags) => {
      const log = createLogger({ level: parseLogLevel(flags.logLevel) }).child({ component: 'process-kubelet' });
      if (!/^127\.\d{1,3}$/.test(flags.podNetwork)) throw new Error('--pod-network must be 127.<n>');
      const nodes = renderFleet(parseFleet(parseDocument(readFileSync(flags.fleet, 'utf8')).toJS()));
      const root = resolve(flags.root);
      const kubelet = await startProcessKubelet({
        cluster: connectKubeletCluster({ kubeconfig: flags.kubeconfig }, log),
        nodes,
        nodePrefix: flags.nodePrefix,
        rootDir: root,
        programs: { configspec: [process.execPath, CONFIGSPEC_BIN] },
        // What an image's environment would hold; never the kubelet's own credentials (no KUBECONFIG).
        baseEnv: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? root,
          TMPDIR: join(root, 'tmp'),
        },
        podNetwork: flags.podNetwork,
        log,
      });
      const stop = (signal: string) => {
        log.info('stopping', { signal });
        void kubelet.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
