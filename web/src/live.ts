/**
 * The live panels of a run: loss and accuracy per epoch, the comparison of runs, the confusion
 * matrix and per-class report, the prediction grid and the layer statistics, redrawn as
 * epochs arrive. A regression shows validation R² per epoch, its predicted-against-actual
 * figure and scores (regress/panels.ts) instead of accuracy and classes.
 */
import type { ClassificationReport } from '../../src/index.js';
import { accuracyChart, confusionChart, formatPercent, formatScientific, layerChart, lossChart, pngDataUrl, r2Chart, weightsPng } from '../../src/report/index.js';
import { compareChart, placeholder, plotWidth, renderChart, type RunCurve } from './charts.js';
import { byId, count, fixed, h, shown } from './dom.js';
import { tableGrid } from './columns.js';
import { regressionGrid, renderRegression, showTask, value } from './regress/panels.js';
import { rowCanvas } from './images.js';
import type { PageState, Run } from './state.js';

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

/** Empty the run's panels, named for the task of the data the next run trains on. */
export function clearLivePanels(task: 'classify' | 'regress'): void {
  const regress = task === 'regress';
  showTask(task);
  for (const id of ['tile-epoch', 'tile-train-acc', 'tile-val-acc', 'tile-val-loss', 'tile-final']) byId(id).textContent = '–';
  byId('tile-final-label').textContent = regress ? 'Test R²' : 'Test accuracy';
  byId('progress').style.width = '0';
  byId('run-facts').textContent = '';
  byId('prep-steps').replaceChildren();
  byId('prep-box').hidden = true;
  delete document.body.dataset.epoch;
  placeholder(byId('loss-chart'), 'Loss per epoch', 'Training and validation loss appear here after the first epoch.', 'down');
  if (regress) placeholder(byId('accuracy-chart'), 'R² per epoch', 'The validation rows\' R² appears here after the first epoch: 1 is perfect, 0 is no better than predicting the mean.', 'up');
  else placeholder(byId('accuracy-chart'), 'Accuracy per epoch', 'Training and validation accuracy appear here after the first epoch.', 'up');
  placeholder(byId('confusion-chart'), 'Confusion matrix', 'Which classes the model mixes up: on the validation set while training, on the test set at the end.', 'matrix');
  byId('report').replaceChildren();
  byId('layers-table').replaceChildren();
  byId('layer-findings').replaceChildren();
  byId('layers-chart').replaceChildren();
  byId('weights-box').hidden = true;
  byId('report-caption').textContent = 'Precision, recall and F1 per class appear after the first epoch.';
  byId('grid-title').textContent = 'Predictions';
  byId('grid-score').textContent = '';
  const what = regress ? 'values of test rows' : 'labels of test images';
  byId('prediction-grid').replaceChildren(h('p', { class: 'muted grid-note' }, `Predicted vs actual ${what} appear after the first epoch, updated as the model learns.`));
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
  const regress = run.data.task === 'regress';
  const yTitle = regress ? `${LOSS_NAMES[run.spec.train.loss] ?? run.spec.train.loss} (standardised target)` : undefined;
  void renderChart(lossEl, lossChart(run.history, { title: 'Loss per epoch', subtitle: `training vs validation · ${run.label}`, yTitle, width: plotWidth(lossEl), height: 230 }));
  if (!regress) void renderChart(accEl, accuracyChart(run.history, { title: 'Accuracy per epoch', subtitle: `training vs validation · ${run.label}`, width: plotWidth(accEl), height: 230 }));
  else if (run.history.some((r) => Number.isFinite(r.valR2))) void renderChart(accEl, r2Chart(run.history, { title: 'R² per epoch', width: plotWidth(accEl), height: 230 }));
  else if (run.history.length) placeholder(accEl, 'R² per epoch', 'This run has no validation part (every training row trains the model), so there is no R² per epoch: the final model is scored at the end.', 'up');
  renderCompare(state);
  if (regress) renderRegression(run);
  else if (run.scores) {
    const el = byId('confusion-chart');
    const k = run.scores.confusion.length;
    const cell = Math.max(14, Math.min(46, Math.floor((el.clientWidth - 170) / k)));
    void renderChart(el, confusionChart(run.scores.confusion, run.data.classNames, { subtitle: `${run.scoresCaption}; rows actual, columns predicted`, cellSize: cell }));
    renderReport(run.scores.report, run.scoresCaption);
  }
  renderGrid(run);
  renderLayers(run);
}

/** The regression losses by name, for the loss chart's axis. */
const LOSS_NAMES: Record<string, string> = { auto: 'mean squared error', mse: 'mean squared error', huber: 'Huber loss', mae: 'mean absolute error' };

/**
 * The runs on the same axes: those of the task of the run shown (else of the last run), as
 * accuracies and R² do not share an axis; the score button says which.
 */
export function renderCompare(state: PageState): void {
  const el = byId('compare-chart');
  const running = state.current && !state.current.done && state.current.history.length > 0 ? state.current : null;
  const task = (state.current ?? state.finished[state.finished.length - 1])?.data.task ?? 'classify';
  byId('compare-acc').textContent = task === 'regress' ? 'R²' : 'Accuracy';
  const curves: RunCurve[] = state.finished.filter((r) => r.data.task === task).map((r) => ({ label: r.label, color: r.color, history: r.history }));
  if (running) curves.push({ label: `${running.label} (running)`, color: running.color, history: running.history, live: true });
  if (curves.length === 0) {
    placeholder(el, 'Compare runs', 'Every finished run stays here on the same axes, labelled by what changed from the run before. Change one setting, train again, and see the curves move.', 'runs');
    return;
  }
  const metric = state.compareMetric === 'valLoss' ? 'valLoss' : task === 'regress' ? 'valR2' : 'valAccuracy';
  const others = state.finished.length - curves.filter((c) => !c.live).length;
  const note = others ? `${others} ${task === 'regress' ? 'classification' : 'regression'} run${others === 1 ? '' : 's'} not drawn: another task` : '';
  void renderChart(el, compareChart(curves, metric, plotWidth(el, 90), 240, note));
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
  note.textContent = shown(`Chosen for run ${run.label.split(' ')[0]} on ${run.data.source} (${count(run.data.train.rows)} training rows), seed ${t.seed}. An epoch count typed in the page is the most any network (or measuring fold) trains.`);
  // The library marks a line the run's options gave (the epochs typed in the page) 'given', with the value given.
  const line = (c: { value: string; why: string }) =>
    c.why === 'given' ? [h('span', {}, c.value), h('strong', { class: 'given' }, ', as typed in the page')] : [h('span', {}, c.value), h('span', { class: 'why' }, c.why)];
  table.replaceChildren(h('tbody', {}, ...run.choices.map((c) => h('tr', { 'data-option': c.option }, h('th', { scope: 'row' }, c.option), h('td', {}, ...line(c))))));
  table.hidden = false;
}

function renderGrid(run: Run): void {
  const p = run.prepared;
  if (!p || run.grid.length === 0) return;
  if (p.task === 'regress') {
    renderValueGrid(run, p);
    return;
  }
  const names = run.data.classNames;
  const onTest = p.gridSet === 'test';
  const source = onTest ? run.data.test! : run.data.train;
  const epoch = run.done ? `final model${run.member.of > 1 ? `, ${run.member.of} networks averaged` : ''}` : `epoch ${run.history.length}`;
  const setName = { test: 'Test', validation: 'Validation', training: 'Training' }[p.gridSet];
  byId('grid-title').textContent = shown(`${setName} ${run.data.image ? 'images' : 'rows'}: predicted vs actual (${epoch})`);
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

/** A regression's prediction grid: the rows' cells with the predicted and actual values, and the mean absolute error over them. */
function renderValueGrid(run: Run, p: NonNullable<Run['prepared']>): void {
  const source = p.gridSet === 'test' ? run.data.test! : run.data.train;
  const epoch = run.done ? `final model${run.member.of > 1 ? `, ${run.member.of} networks averaged` : ''}` : `epoch ${run.history.length}`;
  const setName = { test: 'Test', validation: 'Validation', training: 'Training' }[p.gridSet];
  byId('grid-title').textContent = shown(`${setName} rows: predicted vs actual ${run.data.classNames[0] ?? 'target'} (${epoch})`);
  byId('prediction-grid').replaceChildren(regressionGrid(run, source, p.gridRows, p.gridActual));
  const mae = run.grid.reduce((sum, v, i) => sum + Math.abs(v - p.gridActual[i]), 0) / run.grid.length;
  byId('grid-score').textContent = `mean absolute error over these ${run.grid.length} rows: ${value(mae)}`;
}
