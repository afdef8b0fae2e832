/**
 * The live panels of a run: loss and accuracy per epoch, the comparison of runs, the confusion
 * matrix and per-class report, the prediction grid and the layer statistics, redrawn as
 * epochs arrive.
 */
import type { ClassificationReport } from '../../src/index.js';
import { accuracyChart, confusionChart, formatPercent, formatScientific, layerChart, lossChart, pngDataUrl, weightsPng } from '../../src/report/index.js';
import { compareChart, plotWidth, renderChart, type RunCurve } from './charts.js';
import { byId, count, fixed, h } from './dom.js';
import { tableGrid } from './columns.js';
import { rowCanvas } from './images.js';
import type { PageState, Run } from './state.js';

const SKETCHES = {
  down: '<polyline points="10,12 40,52 80,74 130,86 190,92 250,95" /><polyline class="second" points="10,40 40,62 80,76 130,82 190,84 250,86" />',
  up: '<polyline points="10,90 40,50 80,32 130,22 190,17 250,15" /><polyline class="second" points="10,70 40,42 80,30 130,26 190,25 250,25" />',
  runs: '<polyline points="10,90 50,50 100,34 160,26 250,22" /><polyline class="second" points="10,80 50,40 100,24 160,17 250,14" /><polyline class="third" points="10,95 50,70 100,55 160,45 250,40" />',
  matrix: Array.from({ length: 25 }, (_, i) => `<rect x="${70 + (i % 5) * 24}" y="${4 + Math.floor(i / 5) * 19}" width="22" height="17" rx="2" class="${i % 6 === 0 ? 'on' : ''}" />`).join(''),
};

/** An empty chart: a faint sketch of what will appear, a title and a sentence. */
function placeholder(el: HTMLElement, title: string, text: string, sketch: keyof typeof SKETCHES): void {
  el.innerHTML = `<div class="placeholder"><div><svg class="sketch ${sketch}" viewBox="0 0 260 100" aria-hidden="true">${SKETCHES[sketch]}</svg></div></div>`;
  el.querySelector('.placeholder > div')!.append(h('strong', {}, title), text);
  delete el.dataset.rendered;
}

/** The layer statistics of the latest epoch, the gradient norms over the epochs, and (when done) the findings and first-layer weights. */
function renderLayers(run: Run): void {
  const last = run.history[run.history.length - 1];
  const layers = last?.layers ?? [];
  const table = byId('layers-table');
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ...['layer', 'dead', 'saturated', '‖∂L/∂W‖', '‖ΔW‖/‖W‖'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...layers.map((l) => h('tr', {}, h('th', { scope: 'row' }, `${l.name} (${l.activation})`), h('td', {}, formatPercent(l.deadFraction, 0)), h('td', {}, formatPercent(l.saturatedFraction, 0)), h('td', {}, formatScientific(l.gradientNorm)), h('td', {}, formatScientific(l.updateRatio))))),
  );
  if (layers.length > 0) {
    const el = byId('layers-chart');
    void renderChart(el, layerChart(run.history, 'gradientNorm', { width: plotWidth(el), height: 180 }));
  }
  const findings = byId('layer-findings');
  findings.replaceChildren(...(run.done?.findings ?? []).map((f) => h('li', { class: 'finding' }, f.message)));
  if (run.done && run.done.findings.length === 0 && layers.length > 0) findings.append(h('li', { class: 'healthy' }, 'The layers look healthy: no dead units, saturation, vanishing or exploding gradients.'));
  const fl = run.done?.firstLayer ?? null;
  byId('weights-box').hidden = fl === null;
  if (fl) byId<HTMLImageElement>('weights-img').src = pngDataUrl(weightsPng(fl));
}

export function clearLivePanels(): void {
  for (const id of ['tile-epoch', 'tile-train-acc', 'tile-val-acc', 'tile-val-loss', 'tile-final']) byId(id).textContent = '–';
  byId('tile-final-label').textContent = 'Test accuracy';
  byId('progress').style.width = '0';
  byId('run-facts').textContent = '';
  byId('prep-steps').replaceChildren();
  byId('prep-box').hidden = true;
  delete document.body.dataset.epoch;
  placeholder(byId('loss-chart'), 'Loss per epoch', 'Training and validation loss appear here after the first epoch.', 'down');
  placeholder(byId('accuracy-chart'), 'Accuracy per epoch', 'Training and validation accuracy appear here after the first epoch.', 'up');
  placeholder(byId('confusion-chart'), 'Confusion matrix', 'Which classes the model mixes up: on the validation set while training, on the test set at the end.', 'matrix');
  byId('report').replaceChildren();
  byId('layers-table').replaceChildren();
  byId('layer-findings').replaceChildren();
  byId('layers-chart').replaceChildren();
  byId('weights-box').hidden = true;
  byId('report-caption').textContent = 'Precision, recall and F1 per class appear after the first epoch.';
  byId('grid-title').textContent = 'Predictions';
  byId('grid-score').textContent = '';
  byId('prediction-grid').replaceChildren(h('p', { class: 'muted grid-note' }, 'Predicted vs actual labels of test images appear after the first epoch, updated as the model learns.'));
}

/** Fastest redraw of the live panels: short epochs must not keep the page busy drawing. */
const LIVE_INTERVAL_MS = 400;

/** Redraw the live panels soon, at most once per LIVE_INTERVAL_MS, always ending on the latest state. */
export function scheduleLive(state: PageState, run: Run): void {
  if (state.liveTimer) return;
  const wait = Math.max(0, state.lastLive + LIVE_INTERVAL_MS - performance.now());
  state.liveTimer = window.setTimeout(() => {
    state.liveTimer = 0;
    state.lastLive = performance.now();
    if (state.current === run) renderLive(state, run);
  }, wait);
}

export function renderLive(state: PageState, run: Run): void {
  window.clearTimeout(state.liveTimer);
  state.liveTimer = 0;
  const lossEl = byId('loss-chart');
  const accEl = byId('accuracy-chart');
  void renderChart(lossEl, lossChart(run.history, { title: 'Loss per epoch', subtitle: `training vs validation · ${run.label}`, width: plotWidth(lossEl), height: 230 }));
  void renderChart(accEl, accuracyChart(run.history, { title: 'Accuracy per epoch', subtitle: `training vs validation · ${run.label}`, width: plotWidth(accEl), height: 230 }));
  renderCompare(state);
  if (run.scores) {
    const el = byId('confusion-chart');
    const k = run.scores.confusion.length;
    const cell = Math.max(14, Math.min(46, Math.floor((el.clientWidth - 170) / k)));
    void renderChart(el, confusionChart(run.scores.confusion, run.data.classNames, { subtitle: `${run.scoresCaption}; rows actual, columns predicted`, cellSize: cell }));
    renderReport(run.scores.report, run.scoresCaption);
  }
  renderGrid(run);
  renderLayers(run);
}

export function renderCompare(state: PageState): void {
  const el = byId('compare-chart');
  const curves: RunCurve[] = state.finished.map((r) => ({ label: r.label, color: r.color, history: r.history }));
  if (state.current && !state.current.done && state.current.history.length > 0) curves.push({ label: `${state.current.label} (running)`, color: state.current.color, history: state.current.history, live: true });
  if (curves.length === 0) {
    placeholder(el, 'Compare runs', 'Every finished run stays here on the same axes, labelled by what changed from the run before. Change one setting, train again, and see the curves move.', 'runs');
    return;
  }
  void renderChart(el, compareChart(curves, state.compareMetric, plotWidth(el, 90), 240));
}

function renderReport(report: ClassificationReport, caption: string): void {
  byId('report-caption').textContent = `On the ${caption}.`;
  const row = (name: string, p: number, r: number, f: number, support: number, cls = '') =>
    h('tr', { class: cls },
      h('td', {}, name),
      h('td', { class: 'num' }, fixed(p, 2)),
      h('td', { class: 'num' }, fixed(r, 2)),
      h('td', { class: 'num bar-cell' }, h('div', { class: 'bar', style: `width:${Math.max(0, Math.min(1, f)) * 100}%` }), h('span', {}, fixed(f, 2))),
      h('td', { class: 'num' }, count(support)),
    );
  const total = report.macro.support;
  const table = h('table', { class: 'report' },
    h('thead', {}, h('tr', {}, h('th', {}, 'class'), h('th', { class: 'num' }, 'precision'), h('th', { class: 'num' }, 'recall'), h('th', { class: 'num' }, 'F1'), h('th', { class: 'num' }, 'support'))),
    h('tbody', {},
      ...report.classes.map((c) => row(c.label, c.precision, c.recall, c.f1, c.support)),
      h('tr', { class: 'sep' }, h('td', {}, 'accuracy'), h('td', {}), h('td', {}), h('td', { class: 'num' }, fixed(report.accuracy, 2)), h('td', { class: 'num' }, count(total))),
      row('macro avg', report.macro.precision, report.macro.recall, report.macro.f1, total),
      row('weighted avg', report.weighted.precision, report.weighted.recall, report.weighted.f1, total),
    ),
  );
  byId('report').replaceChildren(table);
}

/**
 * What was chosen for the data and why, in the Model card, where the hand-set model's controls
 * are otherwise; null while the run is choosing. Settings the page gave override their line.
 */
export function renderChoices(run: Run | null): void {
  const table = byId('choices-table');
  const note = byId('auto-model-note');
  if (!run?.choices) {
    note.textContent = 'Choosing the model for the data…';
    return;
  }
  const t = run.spec.train;
  note.textContent = `Chosen for run ${run.label.split(' ')[0]} on ${run.data.source} (${count(run.data.train.rows)} training rows), seed ${t.seed}. An epoch count typed in the page overrides its line.`;
  const given = (option: string, value: string) => (option === 'epochs' && value !== `up to ${t.epochs}` ? h('strong', { class: 'given' }, ` → up to ${t.epochs}, as typed in the page`) : null);
  table.replaceChildren(h('tbody', {}, ...run.choices.map((c) => h('tr', { 'data-option': c.option }, h('th', { scope: 'row' }, c.option), h('td', {}, h('span', {}, c.value), given(c.option, c.value), h('span', { class: 'why' }, c.why))))));
  table.hidden = false;
}

function renderGrid(run: Run): void {
  const p = run.prepared;
  if (!p || run.grid.length === 0) return;
  const names = run.data.classNames;
  const onTest = p.gridSet === 'test';
  const source = onTest ? run.data.test! : run.data.train;
  const epoch = run.done ? `final model${run.member.of > 1 ? `, ${run.member.of} networks averaged` : ''}` : `epoch ${run.history.length}`;
  const setName = { test: 'Test', validation: 'Validation', training: 'Training' }[p.gridSet];
  byId('grid-title').textContent = `${setName} ${run.data.image ? 'images' : 'rows'}: predicted vs actual (${epoch})`;
  let right = 0;
  const container = byId('prediction-grid');
  if (source.table) {
    container.replaceChildren(tableGrid(run, source, p.gridRows, p.gridLabels));
    run.grid.forEach((pred, i) => (right += pred === p.gridLabels[i] ? 1 : 0));
    byId('grid-score').textContent = `${right} of ${run.grid.length} right`;
    return;
  }
  const drawable = run.data.image !== null && p.gridRows.length === run.grid.length;
  const cards = run.grid.map((pred, i) => {
    const actual = p.gridLabels[i];
    const ok = pred === actual;
    if (ok) right++;
    return h('figure', { class: `prediction ${ok ? 'right' : 'wrong'}`, style: 'margin:0' },
      drawable ? rowCanvas(source.features, p.gridRows[i], run.data.image!, 2) : h('div', { class: 'row-index' }, `row ${p.gridRows[i] ?? i}`),
      h('div', { class: 'pred' }, `${ok ? '✓' : '✗'} `, h('bdi', {}, names[pred])),
      h('div', { class: 'actual' }, ...(ok ? ['correct'] : ['actual: ', h('bdi', {}, names[actual])])));
  });
  container.replaceChildren(...cards);
  byId('grid-score').textContent = `${right} of ${run.grid.length} right`;
}
