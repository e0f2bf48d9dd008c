import { Command } from 'commander';
import { COMMANDS, commandsFor, registerCommands } from '../../../src/cli/command-table.js';

describe('command table', () => {
  it('loads only the command named first', () => {
    expect(commandsFor(['operator', '--concurrency', '4']).map((c) => c.name)).toEqual(['operator']);
    expect(commandsFor(['model-cache', 'serve']).map((c) => c.name)).toEqual(['model-cache']);
  });

  it('loads every command for help, no command or an unknown one', () => {
    for (const args of [[], ['--help'], ['help', 'operator'], ['-V'], ['operater']]) {
      expect(commandsFor(args)).toBe(COMMANDS);
    }
  });

  it('registers under each entry exactly the command its name says', async () => {
    for (const entry of COMMANDS) {
      const program = new Command();
      await registerCommands(program, [entry.name]);
      expect(program.commands.map((c) => c.name())).toEqual([entry.name]);
    }
    // Compiling every command's modules is slow on a loaded machine; nothing here is timed.
  }, 300_000);

  it('lists every command, each once, when all are loaded', async () => {
    const program = new Command();
    await registerCommands(program, ['--help']);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(COMMANDS.map((c) => c.name));
    expect(new Set(names).size).toBe(names.length);
  }, 300_000);
});
