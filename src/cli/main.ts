// Entry point of the single `configspec` program: the operator, the data-plane agent commands and the
// offline CLI share one binary and one image. Each command lives in its own module under ./commands and is
// imported only when it runs (./command-table.ts says why).
import { Command } from 'commander';
import { registerCommands } from './command-table.js';

const program = new Command()
  .name('configspec')
  .description('ConfigSpec: speculative decoding across edge and cloud, with its configuration kept right')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError();

await registerCommands(program, process.argv.slice(2));
await program.parseAsync(process.argv);
