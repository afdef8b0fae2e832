import { Command, CommanderError } from 'commander';
import { ConfigError, MlplabError } from '../errors.js';
import { RUN_FLAGS } from './run-flags.js';
import { registerTrainCommands } from './train.js';
import { registerModelCommands } from './model-commands.js';
import { registerDataCommands } from './data.js';
import { registerStudyCommand } from './study.js';
import { registerDashboardCommand } from './dashboard.js';
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
  registerDashboardCommand(program);
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
      // A run option found wrong once the data is known is named by its flag, as the flags' own checks name it.
      const flagName = e instanceof ConfigError ? flagOf(e.field) : undefined;
      const message = e instanceof ConfigError && flagName ? new ConfigError(flagName, e.value, e.expected).message : e.message;
      process.stderr.write(`mlplab: error: ${message}\n`);
      return 1;
    }
    throw e;
  }
}

/** The flag of a run option's path (`train.cv` -> `--cv`), when it has one. */
function flagOf(path: string): string | undefined {
  for (const [name, spec] of Object.entries(RUN_FLAGS)) {
    if (spec.path === path) return `--${'name' in spec && spec.name ? spec.name : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  }
  return undefined;
}
