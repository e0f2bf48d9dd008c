// Entry point of the single `configspec` program: the operator, the data-plane agent commands and the
// offline CLI share one binary and one image. Each command lives in its own module under ./commands.
import { Command } from 'commander';
import { registerProfileCommand } from './commands/profile.js';
import { registerDraftCommand } from './commands/draft.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerGenModelsCommand } from './commands/gen-models.js';
import { registerFleetCommand } from './commands/fleet.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerOperatorCommand } from './commands/operator.js';
import { registerProcessKubeletCommand } from './commands/process-kubelet.js';
import { registerFetchCommand } from './commands/fetch.js';
import { registerModelCacheCommand } from './commands/model-cache.js';
import { registerPlanCommand } from './commands/plan.js';

const program = new Command()
  .name('configspec')
  .description('ConfigSpec: speculative decoding across edge and cloud, with its configuration kept right')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError();

registerFleetCommand(program);
registerGenModelsCommand(program);
registerValidateCommand(program);
registerPlanCommand(program);
registerOperatorCommand(program);
registerVerifyCommand(program);
registerDraftCommand(program);
registerProfileCommand(program);
registerProcessKubeletCommand(program);
registerFetchCommand(program);
registerModelCacheCommand(program);

await program.parseAsync(process.argv);
