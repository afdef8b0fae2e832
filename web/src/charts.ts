/**
 * Charts in the page: the library's Vega-Lite specs (loss, accuracy, confusion matrix) and the
 * comparison of runs, compiled with vega-lite and drawn as SVG by a vega View; the sketches
 * that stand in for a chart before its first epoch.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../src/index.js';
import { chartConfig } from '../../src/report/index.js';
import { h } from './dom.js';

const PAGE_FONT = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';

const SKETCHES = {
  down: '<polyline points="10,12 40,52 80,74 130,86 190,92 250,95" /><polyline class="second" points="10,40 40,62 80,76 130,82 190,84 250,86" />',
  up: '<polyline points="10,90 40,50 80,32 130,22 190,17 250,15" /><polyline class="second" points="10,70 40,42 80,30 130,26 190,25 250,25" />',
  runs: '<polyline points="10,90 50,50 100,34 160,26 250,22" /><polyline class="second" points="10,80 50,40 100,24 160,17 250,14" /><polyline class="third" points="10,95 50,70 100,55 160,45 250,40" />',
  scatter: '<line x1="40" y1="96" x2="220" y2="4" class="diagonal" />' + [[52, 84], [70, 80], [84, 66], [100, 70], [112, 52], [130, 50], [146, 44], [160, 30], [176, 34], [196, 16], [92, 58], [150, 26]].map(([x, y]) => `<circle cx="${x}" cy="${y}" r="4" />`).join(''),
  matrix: Array.from({ length: 25 }, (_, i) => `<rect x="${70 + (i % 5) * 24}" y="${4 + Math.floor(i / 5) * 19}" width="22" height="17" rx="2" class="${i % 6 === 0 ? 'on' : ''}" />`).join(''),
};

/** An empty chart: a faint sketch of what will appear, a title and a sentence. */
export function placeholder(el: HTMLElement, title: string, text: string, sketch: keyof typeof SKETCHES): void {
  el.innerHTML = `<div class="placeholder"><div><svg class="sketch ${sketch}" viewBox="0 0 260 100" aria-hidden="true">${SKETCHES[sketch]}</svg></div></div>`;
  el.querySelector('.placeholder > div')!.append(h('strong', {}, title), text);
  delete el.dataset.rendered;
}

/** Colours of the runs in the comparison chart (the first two match the library's series). */
export const RUN_COLORS = ['#2f6db5', '#e0762b', '#2a9d8f', '#c2417a', '#7b61c9', '#8a6d3b', '#d1495b', '#3d8f44', '#5c6b7a', '#e9a23b'];

interface Slot {
  view: View | null;
  pending: TopLevelSpec | null;
  busy: boolean;
}
const slots = new WeakMap<HTMLElement, Slot>();

/**
 * Draw a Vega-Lite spec into `el`, replacing what was there. Calls made while a drawing is in
 * progress are coalesced: only the latest spec is drawn next, so fast epochs never queue up.
 */
export async function renderChart(el: HTMLElement, spec: TopLevelSpec): Promise<void> {
  let slot = slots.get(el);
  if (!slot) slots.set(el, (slot = { view: null, pending: null, busy: false }));
  slot.pending = spec;
  if (slot.busy) return;
  slot.busy = true;
  try {
    while (slot.pending) {
      const next = slot.pending;
      slot.pending = null;
      const themed = { ...next, config: { ...(next.config ?? {}), font: PAGE_FONT } } as TopLevelSpec;
      const view = new View(parse(compile(themed).spec), { renderer: 'none' });
      const svg = await view.toSVG();
      slot.view?.finalize();
      slot.view = view;
      el.innerHTML = svg;
      el.dataset.rendered = String(Number(el.dataset.rendered ?? 0) + 1);
    }
  } finally {
    slot.busy = false;
  }
}

/** Plot-area width for a chart filling `el` (axis labels and padding take the rest). */
export function plotWidth(el: HTMLElement, reserve = 90, min = 220): number {
  return Math.max(min, Math.floor(el.clientWidth - reserve));
}

export interface RunCurve {
  label: string;
  color: string;
  history: EpochRecord[];
  live?: boolean;
}

/** What the comparison plots: validation accuracy (classification), R² (regression) or loss. */
export type CompareMetric = 'valAccuracy' | 'valR2' | 'valLoss';

/**
 * Validation accuracy, R² or loss of several runs on the same axes, one coloured line per run;
 * a run without a validation part (a small table) shows its training curve (loss or accuracy;
 * there is no training R²), and says so.
 */
export function compareChart(runs: RunCurve[], metric: CompareMetric, width: number, height = 260, note = ''): TopLevelSpec {
  const training = metric === 'valAccuracy' ? 'trainAccuracy' : metric === 'valLoss' ? 'trainLoss' : null;
  const onTraining = new Set(runs.filter((r) => r.history.length > 0 && !r.history.some((h) => Number.isFinite(h[metric]))).map((r) => r.label));
  const name = (r: RunCurve) => (onTraining.has(r.label) ? `${r.label} (${training ? 'training rows' : 'no R²'}: no validation part)` : r.label);
  const values = runs.flatMap((r) => {
    const key = onTraining.has(r.label) ? training : metric;
    return key ? r.history.filter((h) => Number.isFinite(h[key])).map((h) => ({ run: name(r), epoch: h.epoch, value: h[key] as number, live: r.live ? 'yes' : 'no' })) : [];
  });
  const title = { valAccuracy: 'validation accuracy', valR2: 'validation R²', valLoss: 'validation loss' }[metric];
  const maxEpoch = Math.max(2, ...values.map((v) => v.epoch));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${title[0].toUpperCase()}${title.slice(1)} by run`,
      subtitle: `each run labelled by what changed from the run before it${onTraining.size ? `; a run without a validation part ${training ? 'shows its training curve' : 'has no R² per epoch'}` : ''}${note ? `; ${note}` : ''}`,
    },
    width,
    height,
    data: { values },
    mark: { type: 'line', strokeWidth: 2.2, point: { size: 28, filled: true }, interpolate: 'linear' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [1, maxEpoch], nice: false }, axis: { tickMinStep: 1, format: 'd', grid: false } },
      y: { field: 'value', type: 'quantitative', title, scale: { zero: false, nice: true }, axis: { format: metric === 'valAccuracy' ? '.0%' : undefined, tickCount: 6 } },
      color: {
        field: 'run',
        type: 'nominal',
        title: null,
        sort: runs.map(name),
        scale: { domain: runs.map(name), range: runs.map((r) => r.color) },
        legend: { orient: 'bottom', direction: 'vertical', columns: 2, labelLimit: 420, symbolType: 'stroke', symbolStrokeWidth: 3 },
      },
      strokeDash: { field: 'live', type: 'nominal', scale: { domain: ['no', 'yes'], range: [[1, 0], [5, 3]] }, legend: null },
    },
    config: chartConfig(),
  } as TopLevelSpec;
}
