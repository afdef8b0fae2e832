import { Command, CommanderError } from 'commander';
import { MlplabError } from '../errors.js';
import { registerTrainCommands } from './train.js';
import { registerModelCommands } from './model-commands.js';
import { registerDataCommands } from './data.js';
import { registerStudyCommand } from './study.js';
import { registerExportCommands } from './export.js';
import { VERSION } from './version.js';

export { VERSION };

/** Build the command tree. Each command file adds its own commands. */
export function buildProgram(): Command {
  const program = new Command('mlplab')
    .description('Build, train, tune and explain multilayer-perceptron classifiers.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrainCommands(program);
  registerModelCommands(program);
  registerExportCommands(program);
  registerDataCommands(program);
  registerStudyCommand(program);
  return program;
}

/**
 * Run the command line and return the exit code. A user mistake (any MlplabError) prints one
 * line on stderr and exits 1, without a stack trace; anything else is a bug and shows one.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof MlplabError) {
      process.stderr.write(`mlplab: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
