/**
 * The model mlplab chooses when none is given: network and training from the data's size
 * (training rows, features once encoded, classes), each choice with its reason. The rule is
 * documented as a table in docs/TABLES.md; options the user gives override it one by one.
 * The study's two models stay available by name (`study-default`, `study-final`).
 */
import { formatCount } from '../format.js';
import type { ResolvedRun, RunInput, RunSpec } from './spec.js';

/** What the choice depends on. */
export interface DataFacts {
  /** Training rows (the whole training set, before a validation part is held out). */
  rows: number;
  /** Features the network takes (after encoding, scaling and PCA). */
  features: number;
  classes: number;
  /** Regression: one output, predictions averaged over an ensemble. */
  regress?: boolean;
}

/** One choice, for the terminal and the report: "hidden layers", "1 of 64", "258 rows: ...". */
export interface Choice {
  option: string;
  value: string;
  why: string;
}

/** scikit-learn's rule, for training without a validation part: stop when the training loss improves by less than 0.0001 for 10 epochs. */
export const TRAIN_LOSS_STOPPING = { monitor: 'trainLoss', patience: 10, minDelta: 0.0001, restoreBest: false } as const;

/** Below this many validation rows, early stopping on the validation loss is a coin toss. */
export const MIN_VALIDATION_ROWS = 100;
/** The validation fraction the rule holds out when there are rows enough. */
const VAL_FRACTION = 0.1;

/** Whether the data is too small for a validation part: then all rows train and the training loss decides when to stop. */
export function smallData(rows: number): boolean {
  return Math.round(rows * VAL_FRACTION) < MIN_VALIDATION_ROWS;
}

const pow2 = (x: number) => 2 ** Math.round(Math.log2(Math.max(1, x)));
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The chosen run for data of this size: a partial run spec (network, train, data.valFraction)
 * the given options are merged over, and the reasons.
 */
export function chooseRun(f: DataFacts): { spec: RunSpec; choices: Choice[] } {
  const { rows, features, classes } = f;
  const small = smallData(rows);
  const width = clamp(pow2(Math.max(2 * features, 8 * classes)), 64, 512);
  const layers = rows < 2000 ? 1 : 2;
  const widths = layers === 1 ? [width] : [width, Math.max(32, width / 2)];
  const dropout = rows >= 10_000 ? 0.1 : 0;
  const batchSize = clamp(pow2(rows / 50), 32, 256);
  const epochs = clamp(Math.round(3e6 / rows), 30, 300);
  const ensemble = rows < 10_000 ? 5 : rows < 50_000 ? 3 : 1;
  const choices: Choice[] = [
    { option: 'hidden layers', value: widths.join(', '), why: `${layers === 1 ? 'one layer for fewer than 2,000 rows' : 'two layers for 2,000 rows or more'}; width from the ${features} inputs${f.regress ? ' (twice the inputs, 64 to 512)' : ` and ${classes} classes (twice the inputs or 8 per class, 64 to 512)`}` },
    { option: 'activation', value: 'relu, He initialisation', why: 'the usual pair for a feed-forward network' },
    { option: 'batch norm', value: 'off', why: 'tables train well without it, and small batches give noisy statistics' },
    { option: 'dropout', value: String(dropout), why: dropout ? '10,000 rows or more: a little dropout regularises' : 'fewer than 10,000 rows: weight decay regularises, dropout would slow learning' },
    { option: 'optimiser', value: 'adam, learning rate 0.001, weight decay 0.0001', why: 'Adam adapts each step; the rates scikit-learn and PyTorch users start from' },
    { option: 'batch size', value: String(batchSize), why: 'a 50th of the rows, as a power of two from 32 to 256' },
    { option: 'epochs', value: `up to ${epochs}`, why: '3,000,000 divided by the rows, from 30 to 300' },
    {
      option: 'ensemble',
      value: ensemble === 1 ? '1 network' : `${ensemble} networks (seeds seed to seed+${ensemble - 1}), ${f.regress ? 'predictions' : 'probabilities'} averaged`,
      why: ensemble === 1 ? '50,000 rows or more: one network is stable, and more would cost more than they add' : `averaging seeds steadies a model trained on ${rows < 10_000 ? 'fewer than 10,000' : 'fewer than 50,000'} rows, at ${ensemble} times the training time`,
    },
    small
      ? { option: 'stopping', value: 'on the training loss (no validation part)', why: `${formatCount(rows)} rows would leave a validation part of ${Math.round(rows * VAL_FRACTION)}, too few to judge by: all rows train, and training stops when its loss improves by less than 0.0001 for 10 epochs (scikit-learn's rule)` }
      : { option: 'stopping', value: 'on the validation loss, patience 10, best epoch kept', why: `a validation part of ${formatCount(Math.round(rows * VAL_FRACTION))} rows (10%) is enough to judge by` },
  ];
  const spec: RunSpec = {
    network: { widths, activations: 'relu', batchNorm: false, dropout, init: 'he' },
    train: {
      optimizer: 'adam',
      learningRate: 0.001,
      weightDecay: 0.0001,
      batchSize,
      epochs,
      ensemble,
      earlyStopping: small ? { ...TRAIN_LOSS_STOPPING } : { monitor: 'valLoss', patience: 10, minDelta: 0, restoreBest: true },
    },
    data: { valFraction: small ? 0 : VAL_FRACTION },
  };
  return { spec, choices };
}

/** "Chosen for the data: hidden layers 64; ..." as lines for a terminal. */
export function formatChoices(choices: Choice[]): string[] {
  const w = Math.max(...choices.map((c) => c.option.length));
  return choices.map((c) => `${c.option.padEnd(w)}  ${c.value}  (${c.why})`);
}

/** The run options behind each choice: a choice any of them was given for is the user's, not the rule's. */
const GIVEN_BY: Record<string, string[]> = {
  'hidden layers': ['network.widths', 'network.layers'],
  activation: ['network.activations', 'network.init'],
  'batch norm': ['network.batchNorm'],
  dropout: ['network.dropout'],
  optimiser: ['train.optimizer', 'train.learningRate', 'train.weightDecay'],
  'batch size': ['train.batchSize'],
  epochs: ['train.epochs'],
  ensemble: ['train.ensemble'],
  stopping: ['train.earlyStopping', 'data.valFraction'],
};

/**
 * The choices as the run will train: a line whose option the user gave shows the value given
 * (from the resolved run) and says so, instead of the rule's value.
 */
export function markGiven(choices: Choice[], given: RunInput, spec: ResolvedRun): Choice[] {
  const has = (path: string) => path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), given) !== undefined;
  const n = spec.network, t = spec.train;
  const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));
  const es = t.earlyStopping;
  const values: Record<string, string> = {
    'hidden layers': n.widths.slice(0, n.layers ?? n.widths.length).join(', ') || 'none',
    activation: `${list(n.activations)}, ${n.init} initialisation`,
    'batch norm': list(n.batchNorm).replace(/true/g, 'on').replace(/false/g, 'off'),
    dropout: list(n.dropout),
    optimiser: `${t.optimizer}, learning rate ${t.learningRate}, weight decay ${t.weightDecay}`,
    'batch size': String(t.batchSize),
    epochs: `up to ${t.epochs}`,
    ensemble: t.ensemble === 1 ? '1 network' : `${t.ensemble} networks`,
    stopping: es === false ? 'off: every epoch trains' : `on ${es.monitor}, patience ${es.patience}${es.restoreBest ? ', best epoch kept' : ''}`,
  };
  return choices.map((c) => (GIVEN_BY[c.option]?.some(has) ? { option: c.option, value: values[c.option], why: 'given' } : c));
}
