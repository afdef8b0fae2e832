/**
 * Runs described in words, so the comparison chart can label each run by what changed from
 * the run before it ("dropout 0.5 → 0.2").
 */
import { PRESETS, mergeSpecs, resolveRun, type ResolvedRun } from '../../src/index.js';
import { formatCount } from '../../src/report/index.js';
import { shortNumber } from './dom.js';

/** Ordered settings of a run as (name, value) pairs people read. */
export type Settings = [string, string][];

/** What a run trained on: the data's name and its number of training rows. */
export interface DataInfo {
  name: string;
  rows: number;
}

const list = <T>(v: T | T[], n: number, show: (x: T) => string): string => {
  const items = Array.from({ length: n }, (_, i) => (Array.isArray(v) ? v[Math.min(i, v.length - 1)] : v));
  return `[${items.map(show).join(', ')}]`;
};
const uniform = <T>(v: T | T[]): T | null => {
  if (!Array.isArray(v)) return v;
  return v.every((x) => x === v[0]) ? (v[0] ?? null) : null;
};

/** The settings of a run, including where its data came from. */
export function describeRun(run: ResolvedRun, data: DataInfo): Settings {
  const n = run.network;
  const t = run.train;
  const d = run.data;
  const layers = n.layers ?? n.widths.length;
  const out: Settings = [['data', data.name], ['training rows', formatCount(data.rows)]];
  out.push(['model', run.auto ? 'chosen for the data' : 'set by hand']);
  out.push(['hidden layers', String(layers)]);
  if (layers > 0) {
    out.push(['widths', list(n.widths, layers, String)]);
    const act = uniform(n.activations);
    out.push(['activations', act !== null && layers > 1 ? `all ${act}` : list(n.activations, layers, String)]);
  }
  const bn = uniform(n.batchNorm);
  out.push(['batch norm', bn === null ? list(n.batchNorm, layers, (b) => (b ? 'on' : 'off')) : bn ? 'on' : 'off']);
  const dropout = uniform(n.dropout);
  out.push(['dropout', dropout === null ? list(n.dropout, layers, shortNumber) : shortNumber(dropout)]);
  out.push(['optimizer', t.optimizer]);
  out.push(['learning rate', shortNumber(t.learningRate)]);
  if (t.optimizer === 'sgd') out.push(['momentum', shortNumber(t.momentum)]);
  out.push(['weight decay', shortNumber(t.weightDecay)]);
  out.push(['batch size', String(t.batchSize)]);
  out.push(['epochs', String(t.epochs)]);
  out.push(['early stopping', t.earlyStopping === false ? 'off' : `patience ${t.earlyStopping.patience}`]);
  out.push(['seed', String(t.seed)]);
  if (t.ensemble > 1) out.push(['ensemble', `${t.ensemble} networks`]);
  out.push(['scaling', d.scale]);
  out.push(['PCA', d.pca === null ? 'off' : `${d.pca} components`]);
  out.push(['validation share', shortNumber(d.valFraction)]);
  return out;
}

/**
 * Settings that differ, as "name old → new". Width and activation lists are implied by a
 * change of the layer count, and momentum by a change of optimizer.
 */
export function differences(before: Settings, after: Settings): string[] {
  const a = new Map(before);
  const b = new Map(after);
  const layersChanged = a.get('hidden layers') !== b.get('hidden layers');
  const out: string[] = [];
  for (const [key, value] of after) {
    const old = a.get(key);
    if (old === value) continue;
    if (layersChanged && (key === 'widths' || key === 'activations')) {
      if (key === 'widths') out.push(`widths ${old ?? '[]'} → ${value}`);
      continue;
    }
    // A setting that only exists for one optimizer (momentum) comes and goes with it.
    if (old === undefined) continue;
    out.push(`${key} ${old} → ${value}`);
  }
  return out;
}

/** The model and optimiser in one line: "[64, 64] gelu, relu · batch norm on · dropout 0.5 · sgd lr 0.001 momentum 0.9 · ...". */
export function summarize(settings: Settings): string {
  const m = new Map(settings);
  const acts = (m.get('activations') ?? '').replace(/^\[|\]$/g, '');
  const parts = [
    m.get('widths') ? `${m.get('widths')} ${acts}` : 'no hidden layers',
    `batch norm ${m.get('batch norm')}`,
    `dropout ${m.get('dropout')}`,
    `${m.get('optimizer')} lr ${m.get('learning rate')}${m.has('momentum') ? ` momentum ${m.get('momentum')}` : ''}`,
    `weight decay ${m.get('weight decay')}`,
    `batch ${m.get('batch size')}`,
    `seed ${m.get('seed')}`,
  ];
  if (m.has('ensemble')) parts.push(`ensemble of ${m.get('ensemble')}`);
  if (m.get('PCA') !== 'off') parts.push(`PCA ${m.get('PCA')}`);
  return (m.get('model') === 'chosen for the data' ? 'chosen for the data: ' : '') + parts.join(' · ');
}

function presetSettings(name: keyof typeof PRESETS, like: ResolvedRun, data: DataInfo): Settings {
  // A preset with this run's epochs, seed and data options, so only the model and optimiser are compared.
  const spec = resolveRun(mergeSpecs(PRESETS[name], { train: { epochs: like.train.epochs, seed: like.train.seed, earlyStopping: like.train.earlyStopping }, data: like.data }));
  return describeRun(spec, data);
}

/**
 * A short label for a run and the full list of what changed. The first run is named after the
 * preset it matches, else after its layers; later runs by their differences from the previous one.
 */
export function labelRun(number: number, run: ResolvedRun, data: DataInfo, previous: Settings | null): { label: string; detail: string; settings: Settings } {
  const settings = describeRun(run, data);
  if (previous === null) {
    const map = new Map(settings);
    for (const name of ['default', 'final'] as const) {
      if (differences(presetSettings(name, run, data), settings).length === 0) {
        return { label: `#${number} study ${name}`, detail: `the study's ${name} model, ${map.get('epochs')} epochs`, settings };
      }
    }
    const chosen = map.get('model') === 'chosen for the data' ? 'chosen for the data: ' : '';
    return { label: `#${number} ${chosen}${map.get('widths') ?? 'no hidden layers'}, ${map.get('optimizer')} lr ${map.get('learning rate')}`, detail: 'first run', settings };
  }
  const diffs = differences(previous, settings);
  if (diffs.length === 0) return { label: `#${number} repeat (same settings)`, detail: 'same settings as the run before', settings };
  const shown = diffs.slice(0, 2).join(', ');
  const label = `#${number} ${shown}${diffs.length > 2 ? `, +${diffs.length - 2} more` : ''}`;
  return { label, detail: diffs.join('; '), settings };
}
