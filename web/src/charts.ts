/**
 * Charts in the page: the library's Vega-Lite specs (loss, accuracy, confusion matrix) and the
 * comparison of runs, compiled with vega-lite and drawn as SVG by a vega View.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../src/index.js';
import { chartConfig } from '../../src/report/index.js';

const PAGE_FONT = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';

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

/**
 * Validation accuracy (or loss) of several runs on the same axes, one coloured line per run;
 * a run without a validation part (a small table) shows its training curve, and says so.
 */
export function compareChart(runs: RunCurve[], metric: 'valAccuracy' | 'valLoss', width: number, height = 260): TopLevelSpec {
  const training = metric === 'valAccuracy' ? 'trainAccuracy' : 'trainLoss';
  const onTraining = new Set(runs.filter((r) => r.history.length > 0 && !r.history.some((h) => Number.isFinite(h[metric]))).map((r) => r.label));
  const name = (r: RunCurve) => (onTraining.has(r.label) ? `${r.label} (training rows: no validation part)` : r.label);
  const values = runs.flatMap((r) => {
    const key = onTraining.has(r.label) ? training : metric;
    return r.history.filter((h) => Number.isFinite(h[key])).map((h) => ({ run: name(r), epoch: h.epoch, value: h[key], live: r.live ? 'yes' : 'no' }));
  });
  const isAcc = metric === 'valAccuracy';
  const maxEpoch = Math.max(2, ...values.map((v) => v.epoch));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: isAcc ? 'Validation accuracy by run' : 'Validation loss by run',
      subtitle: `each run labelled by what changed from the run before it${onTraining.size ? '; a run without a validation part shows its training curve' : ''}`,
    },
    width,
    height,
    data: { values },
    mark: { type: 'line', strokeWidth: 2.2, point: { size: 28, filled: true }, interpolate: 'linear' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [1, maxEpoch], nice: false }, axis: { tickMinStep: 1, format: 'd', grid: false } },
      y: { field: 'value', type: 'quantitative', title: isAcc ? 'validation accuracy' : 'validation loss', scale: { zero: false, nice: true }, axis: { format: isAcc ? '.0%' : undefined, tickCount: 6 } },
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
