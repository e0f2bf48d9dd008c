// `configspec fleet render -f <fleet.yaml> [--scale N]`: prints the fake Node manifests of a simulated fleet as
// multi-document YAML, for `kubectl apply --server-side -f -` (hack/cluster.sh does this on `make cluster-up`).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { parseAllDocuments, stringify } from 'yaml';
import { FleetError, parseFleet, renderFleet } from '../../fleet/render.js';

function parseScale(value: string): number {
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale <= 0) throw new InvalidArgumentError('must be a positive number');
  return scale;
}

export type FleetOutput = 'yaml' | 'json';

/** The fleet's Node manifests: multi-document YAML, or one JSON `v1 List` (faster to write and parse at scale). */
export async function renderFleetFile(file: string, scale: number, output: FleetOutput = 'yaml'): Promise<string> {
  const text = await readFile(file, 'utf8');
  const documents = parseAllDocuments(text);
  if (documents.length !== 1)
    throw new FleetError(file, `must hold exactly one YAML document, found ${documents.length}`);
  const [document] = documents;
  if (document!.errors.length > 0) throw new FleetError(file, `invalid YAML: ${document!.errors[0]!.message}`);
  const nodes = renderFleet(parseFleet(document!.toJS()), scale);
  if (output === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes })}\n`;
  return nodes.map((node) => `---\n${stringify(node, { lineWidth: 0 })}`).join('');
}

function parseOutput(value: string): FleetOutput {
  if (value !== 'yaml' && value !== 'json') throw new InvalidArgumentError('must be yaml or json');
  return value;
}

export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description('Simulated fleets of fake (kwok) nodes for tests and the demo');
  fleet
    .command('render')
    .description('Print the Node manifests of a fleet description as YAML (pipe into kubectl apply --server-side -f -)')
    .requiredOption('-f, --file <fleet.yaml>', 'fleet description, e.g. config/fleet/default.yaml')
    .option('--scale <factor>', 'multiply every node count (a listed class keeps at least one node)', parseScale, 1)
    .option('-o, --output <format>', 'yaml (multi-document) or json (one v1 List)', parseOutput, 'yaml')
    .action(async (options: { file: string; scale: number; output: FleetOutput }) => {
      try {
        process.stdout.write(await renderFleetFile(options.file, options.scale, options.output));
      } catch (error) {
        if (error instanceof FleetError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
          fleet.error(`fleet render: ${(error as Error).message}`);
        }
        throw error;
      }
    });
}
