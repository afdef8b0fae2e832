// The command line's flags, parsed in this process: run options take their flags from their
// schemas (name, check, help, default), and a flag shared by several commands is declared once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { FLAGS } from '../../src/cli/options.js';
import { RUN_FLAGS, fieldSchema, runOptionsGiven, type RunFlagName } from '../../src/cli/run-flags.js';
import { specFromFlags } from '../../src/cli/train.js';
import { ConfigError } from '../../src/errors.js';
import { resolveRun } from '../../src/run/spec.js';

const ALL = Object.keys(RUN_FLAGS) as RunFlagName[];

/** Every command and subcommand of the program. */
function commands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...commands(c)]);
}

function command(path: string): { program: Command; cmd: Command } {
  const program = buildProgram();
  let cmd = program;
  for (const name of path.split(' ')) cmd = cmd.commands.find((c) => c.name() === name)!;
  return { program, cmd };
}

/** Parse a command's flags without running it: the run options given and the other flags. */
async function parseFlags(path: string, args: string[]): Promise<{ given: ReturnType<typeof runOptionsGiven>; flags: Record<string, unknown> }> {
  const { program, cmd } = command(path);
  let out: { given: ReturnType<typeof runOptionsGiven>; flags: Record<string, unknown> } | undefined;
  cmd.action((...a: unknown[]) => {
    const c = a[a.length - 1] as Command;
    out = { given: runOptionsGiven(c, ALL), flags: c.opts() };
  });
  await program.parseAsync([...path.split(' '), ...args], { from: 'user' });
  return out!;
}

function rejects(args: string[], field: string, value: unknown, message: string): Promise<void> {
  return assert.rejects(parseFlags('train', args), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.field, field);
    assert.deepEqual(e.value, value);
    assert.equal(e.message, message);
    return true;
  });
}

describe('run options from their schemas', () => {
  test('every flag of every command is a run option or one of the declared flags', () => {
    const known = new Set<string>([...ALL, ...Object.keys(FLAGS)]);
    for (const c of commands(buildProgram())) {
      for (const o of c.options) assert.ok(known.has(o.attributeName()), `${c.name()} ${o.long}`);
    }
  });

  test('a flag has one help text wherever it appears (a command says only what its --out is)', () => {
    const help = new Map<string, Set<string>>();
    for (const c of commands(buildProgram())) {
      for (const o of c.options) {
        if (o.long === '--out' || (c.name() === 'worker' && o.long === '--data')) continue;
        // The default shown may differ from command to command; the text may not.
        help.set(o.long!, (help.get(o.long!) ?? new Set()).add(o.description.replace(/ \(default [^)]*\)$/, '')));
      }
    }
    for (const [flag, texts] of help) assert.equal(texts.size, 1, `${flag}: ${[...texts].join(' / ')}`);
    for (const flag of ['--backend', '--threads', '--overwrite', '--seed', '--epochs', '--label-column', '--skip-rows', '--max-inflated']) assert.ok(help.has(flag), flag);
  });

  test('every run option with a flag describes itself in its schema (and a switch that turns it off says what off does)', () => {
    for (const [name, spec] of Object.entries(RUN_FLAGS)) {
      const meta = fieldSchema(spec.path).meta() as { description?: string; off?: string } | undefined;
      assert.ok(meta?.description, `${name}: ${spec.path} has no description`);
      if ('switch' in spec && spec.switch !== 'on') assert.ok(meta.off, `${name}: no text for --no-`);
    }
  });

  test("the help is the schema's description with its default", () => {
    const { cmd } = command('train');
    const option = (long: string) => cmd.options.find((o) => o.long === long)!;
    assert.equal(option('--lr').description, `${fieldSchema('train.learningRate').description} (default 0.001)`);
    assert.equal(option('--patience').description, 'early stopping: epochs without improvement before stopping (default 10)');
    assert.match(option('--schedule').description, /\(default constant\)$/);
    assert.match(option('--pca').description, /\(default none\)$/);
    // train chooses the model from the data unless told otherwise: what the data decides says so.
    assert.match(option('--epochs').description, /\(default chosen from the data\)$/);
    assert.match(option('--widths').description, /\(default chosen from the data\)$/);
    assert.match(option('--activations').description, /\(default relu\)$/);
    assert.match(option('--optimizer').description, /\(default adam\)$/);
    // reproduce runs the study's models: their epochs are the defaults shown.
    const reproduce = command('reproduce').cmd;
    assert.match(reproduce.options.find((o) => o.long === '--epochs')!.description, /\(default 100\)$/);
    assert.equal(option('--no-early-stopping').description, 'train for all epochs');
    // data export pre-processes as a run does unless told otherwise.
    const exporter = command('data export').cmd.options.find((o) => o.long === '--scale')!;
    assert.match(exporter.description, /\(default standard\)$/);
  });

  test('values are read as the schema takes them', async () => {
    const { given } = await parseFlags('train', [
      '--widths', '128,64', '--dropout', '0.5,0.2', '--activations', 'relu', '--lr', '0.05', '--pca', 'none',
      '--schedule', 'step:30:0.1', '--patience', '5', '--no-restore-best', '--label-column', '-1', '--delimiter', '\\t', '--no-header',
    ]);
    assert.deepEqual(given, {
      network: { widths: [128, 64], dropout: [0.5, 0.2], activations: 'relu' },
      train: { learningRate: 0.05, schedule: { type: 'step', every: 30, gamma: 0.1 }, earlyStopping: { patience: 5, restoreBest: false } },
      data: { pca: null },
      load: { labelColumn: -1, delimiter: '\t', header: false },
    });
    const name = await parseFlags('train', ['--label-column', 'year']);
    assert.deepEqual(name.given, { load: { labelColumn: 'year' } });
  });

  test('flags left out set nothing, and --no-early-stopping wins over the options inside it', async () => {
    const { given, flags } = await parseFlags('train', []);
    assert.deepEqual(given, {});
    assert.equal(flags.backend, 'auto');
    assert.equal(flags.threads, 'auto');
    const off = await parseFlags('train', ['--no-early-stopping', '--patience', '3']);
    assert.deepEqual(off.given, { train: { earlyStopping: false } });
  });

  test('a bad value names the flag, the value and what the schema allows', async () => {
    await rejects(['--lr', '-1'], '--lr', -1, '--lr: got -1, expected a learning rate > 0');
    await rejects(['--lr', 'fast'], '--lr', 'fast', '--lr: got "fast", expected a learning rate > 0');
    await rejects(['--widths', '64,0'], '--widths[1]', 0, '--widths[1]: got 0, expected a whole number of units from 1 to 65536');
    await rejects(['--batch-size', '1.5'], '--batch-size', 1.5, '--batch-size: got 1.5, expected a whole number >= 1');
    await rejects(['--monitor', 'loss'], '--monitor', 'loss', `--monitor: got "loss", expected 'valLoss', 'valAccuracy' or 'trainLoss'`);
    await rejects(['--delimiter', ';;'], '--delimiter', ';;', '--delimiter: got ";;", expected one character');
    await rejects(['--schedule', 'linear'], '--schedule', 'linear', '--schedule: got "linear", expected constant, step:EVERY:GAMMA (e.g. step:30:0.1) or cosine[:MIN_LR]');
  });

  test('flags and a config file with the same values give the same run', async () => {
    const { given } = await parseFlags('train', ['--widths', '32', '--lr', '0.01', '--patience', '7', '--pca', '5', '--epochs', '3']);
    const fromFlags = await specFromFlags({ preset: 'default' }, given);
    const fromFile = resolveRun({
      network: { widths: [32], activations: ['gelu', 'relu'], batchNorm: true, dropout: 0.5 },
      train: { epochs: 3, learningRate: 0.01, batchSize: 32, weightDecay: 0.001, momentum: 0.9, earlyStopping: { patience: 7 } },
      data: { pca: 5 },
    });
    assert.deepEqual(fromFlags, fromFile);
  });
});
