/**
 * The panels of a regression run, where a classification has its confusion matrix, report
 * and class tiles: the predicted-against-actual figure (validation rows per epoch, the final
 * set at the end), the scores table (R², RMSE and MAE, beside predicting the mean and, for
 * the generated data, the function itself), and the prediction grid's predicted and actual values.
 */
import type { Dataset } from '../../../src/index.js';
import { formatSignificant } from '../../../src/report/index.js';
import { placeholder, plotWidth, renderChart } from '../charts.js';
import { cellText } from '../columns.js';
import { byId, count, fixed, h } from '../dom.js';
import type { Run } from '../state.js';
import { scatterChart } from './charts.js';

/** A value in the target's units: 4 significant digits, whatever the scale (prices, degrees, counts). */
export const value = (x: number): string => (Number.isFinite(x) ? formatSignificant(x, 4) : '–');
/** R² with 3 decimals; a value that rounds to zero from below reads 0.000, not -0.000. */
export const r2Text = (x: number): string => fixed(x, 3).replace(/^-(0\.0+)$/, '$1');

const SET_NAME = { validation: 'validation rows', test: 'test rows', training: 'training rows' } as const;

/** Show the panels of a task: the regression figure and scores, or the confusion matrix and report; the tiles named for it. */
export function showTask(task: 'classify' | 'regress'): void {
  const regress = task === 'regress';
  document.body.dataset.task = task;
  byId('regression-row').hidden = !regress;
  byId('classification-row').hidden = regress;
  byId('tile-train-label').textContent = regress ? 'Training loss' : 'Training accuracy';
  byId('tile-train').title = regress ? 'The regression loss on the standardised target, averaged over the epoch\'s batches while training (dropout on).' : 'Averaged over the epoch\'s batches while training, with dropout on: it can sit below the validation accuracy.';
  byId('tile-val-label').textContent = regress ? 'Validation R²' : 'Validation accuracy';
  byId('tile-val').title = regress ? 'R² of the held-out validation rows after the epoch: 1 is perfect, 0 is no better than predicting the mean.' : 'The held-out validation rows, measured after the epoch in inference mode (no dropout, batch-norm running averages).';
  byId('tile-loss-label').textContent = regress ? 'Validation RMSE' : 'Validation loss';
  byId('tile-loss').title = regress ? 'Root mean squared error of the validation rows, in the target\'s units.' : '';
  if (regress) {
    placeholder(byId('scatter-chart'), 'Predicted against actual', 'Each validation row as a point, the model\'s prediction against the actual value, redrawn every epoch; at the end the test rows. Perfect predictions lie on the dashed line y = x.', 'scatter');
    byId('scores').replaceChildren();
    byId('scores-caption').textContent = 'R², RMSE and MAE appear after the first epoch: on the validation rows while training, on the test rows at the end.';
  }
}

/** The figure and the scores of a regression run, as far as it has gone. */
export function renderRegression(run: Run): void {
  const s = run.scatter;
  const target = run.data.classNames[0] ?? 'target';
  if (s && s.predicted.length) {
    const el = byId('scatter-chart');
    const when = run.done ? `final model${run.member.of > 1 ? ` (${run.member.of} networks averaged)` : ''}` : `epoch ${run.history.length}${run.member.of > 1 ? ', first network' : ''}`;
    // A large set is drawn by at most MAX_POINTS of its rows, spread over it.
    const total = run.done?.regression?.rows ?? (s.set === 'validation' ? run.prepared?.valRows : run.prepared?.trainRows) ?? s.rows.length;
    const rows = s.rows.length < total ? `${count(s.rows.length)} of the ${count(total)} ${SET_NAME[s.set]}` : `${SET_NAME[s.set]} (${count(total)})`;
    const subtitle = `${rows}, ${when}; dashed: y = x, perfect predictions`;
    void renderChart(el, scatterChart(s, { target, subtitle, size: Math.min(420, plotWidth(el, 110)) }));
  }
  renderScores(run, target);
}

function renderScores(run: Run, target: string): void {
  const rows: HTMLElement[] = [];
  const line = (what: string, r2: number, rmse: number, mae: number, n: number | null, cls = '') =>
    h('tr', { class: cls }, h('th', { scope: 'row' }, what), h('td', { class: 'num r2' }, r2Text(r2)), h('td', { class: 'num' }, value(rmse)), h('td', { class: 'num' }, value(mae)), h('td', { class: 'num' }, n === null ? '' : count(n)));
  const last = [...run.history].reverse().find((r) => Number.isFinite(r.valR2));
  if (last) rows.push(line(`validation, epoch ${last.epoch}${run.member.of > 1 ? ' (first network)' : ''}`, last.valR2!, last.valRmse!, last.valMae!, run.prepared?.valRows ?? null, 'val'));
  const f = run.done?.regression;
  if (f) {
    const networks = run.member.of > 1 ? `, ${run.member.of} networks averaged` : '';
    rows.push(line(`${f.set}, final model${networks}`, f.r2, f.rmse, f.mae, f.rows, `final ${f.set}`));
    rows.push(line('predicting the training mean', f.baseline.r2, f.baseline.rmse, f.baseline.mae, null, 'baseline'));
    const c = run.data.ceiling;
    if (c && f.set === 'test') rows.push(line('the function itself, without noise', c.r2, c.rmse, c.mae, null, 'ceiling'));
  }
  byId('scores-caption').textContent = f
    ? `The final model on the ${SET_NAME[f.set]}${f.set === 'training' ? ' (no test set or validation part: an optimistic score)' : ''}; RMSE and MAE in units of ${target}.`
    : last ? `While training: the validation rows after each epoch; the test rows are scored once, at the end. RMSE and MAE in units of ${target}.` : 'No validation part: the scores come at the end.';
  byId('scores').replaceChildren(rows.length
    ? h('table', { class: 'report regression-scores' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'R²'), h('th', { class: 'num' }, 'RMSE'), h('th', { class: 'num' }, 'MAE'), h('th', { class: 'num' }, 'rows'))),
        h('tbody', {}, ...rows))
    : '');
  if (f) {
    const notes = [h('li', {}, 'R² is 1 for perfect predictions and 0 for always predicting the mean; RMSE weighs large misses more than MAE does.')];
    if (run.data.ceiling && f.set === 'test') notes.push(h('li', {}, `The noise cannot be learned: no model can beat the function itself, R² ${r2Text(run.data.ceiling.r2)} on these rows.`));
    byId('scores').append(h('ul', { class: 'muted small score-notes' }, ...notes));
  }
}

/**
 * The prediction grid of a regression: each row's cells (a table's first columns, else the
 * row number), the predicted value, the actual one and the error. `actual` lines up with `rows`.
 */
export function regressionGrid(run: Run, source: Dataset, rows: number[], actual: number[]): HTMLElement {
  const t = source.table;
  const shownCols = t ? t.names.slice(0, 8) : [];
  const head = h('tr', {}, h('th', { class: 'num' }, 'row'), ...shownCols.map((n, c) => h('th', t!.kinds[c] === 'text' ? {} : { class: 'num' }, h('bdi', {}, n))), h('th', { class: 'num' }, 'predicted'), h('th', { class: 'num' }, 'actual'), h('th', { class: 'num', title: 'predicted − actual' }, 'error'));
  const body = run.grid.map((pred, i) =>
    h('tr', { class: 'prediction-row', 'data-row': rows[i] },
      h('td', { class: 'num' }, String(rows[i])),
      ...shownCols.map((_, c) => {
        const text = cellText(source, rows[i], c);
        if (text === '') return h('td', { class: 'blank' }, 'blank');
        return t!.kinds[c] === 'text' ? h('td', {}, h('bdi', {}, text)) : h('td', { class: 'num' }, text);
      }),
      h('td', { class: 'num pred', 'data-value': pred }, value(pred)),
      h('td', { class: 'num actual', 'data-value': actual[i] }, value(actual[i])),
      h('td', { class: 'num error' }, value(pred - actual[i]))));
  return h('div', { class: 'table-wrap grid-note' }, h('table', { class: 'prediction-table' }, h('thead', {}, head), h('tbody', {}, ...body)));
}
