// The commands of the `configspec` program, each loaded only when it runs. One program serves very different
// processes (the operator, the drafter and verifier agents, the offline CLI): importing every command up front
// would load every command's dependencies into each of them (measured: the operator process held about 20 MiB
// more RSS from modules only other commands use). `configspec <command> …` imports that command alone; help,
// an unknown command or no command at all loads the whole table so commander can list and suggest.
import type { Command } from 'commander';

export interface CommandEntry {
  /** The command name as typed (`configspec <name>`). */
  name: string;
  register(program: Command): Promise<void>;
}

/** In the order `configspec --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'fleet', register: async (p) => (await import('./commands/fleet.js')).registerFleetCommand(p) },
  { name: 'gen-models', register: async (p) => (await import('./commands/gen-models.js')).registerGenModelsCommand(p) },
  { name: 'validate', register: async (p) => (await import('./commands/validate.js')).registerValidateCommand(p) },
  { name: 'plan', register: async (p) => (await import('./commands/plan.js')).registerPlanCommand(p) },
  { name: 'operator', register: async (p) => (await import('./commands/operator.js')).registerOperatorCommand(p) },
  { name: 'verify', register: async (p) => (await import('./commands/verify.js')).registerVerifyCommand(p) },
  { name: 'draft', register: async (p) => (await import('./commands/draft.js')).registerDraftCommand(p) },
  { name: 'profile', register: async (p) => (await import('./commands/profile.js')).registerProfileCommand(p) },
  {
    name: 'process-kubelet',
    register: async (p) => (await import('./commands/process-kubelet.js')).registerProcessKubeletCommand(p),
  },
  { name: 'fetch', register: async (p) => (await import('./commands/fetch.js')).registerFetchCommand(p) },
  {
    name: 'model-cache',
    register: async (p) => (await import('./commands/model-cache.js')).registerModelCacheCommand(p),
  },
];

/**
 * The commands to load for these arguments (process.argv without node and the script): the one named first, or
 * all of them when the first argument names none (an option such as --help, `help`, a typo, nothing).
 */
export function commandsFor(args: readonly string[]): readonly CommandEntry[] {
  const first = args[0];
  const named = COMMANDS.find((c) => c.name === first);
  return named ? [named] : COMMANDS;
}

export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  for (const entry of commandsFor(args)) await entry.register(program);
}
