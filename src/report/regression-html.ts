/**
 * The parts of the run report that differ for a regression: the figures (validation R^2 per
 * epoch, predicted against actual, residuals, their histogram), the summary cards, the test
 * section with the largest errors, and cross-validation's R^2, RMSE and MAE. Pure and
 * browser-safe, like html.ts, which composes them into the page.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CvSummary, Spread } from '../metrics/cross-validation.js';
import { MISSING, formatCount, formatFixed } from '../format.js';
import { r2Chart } from './charts/curves.js';
import { formatTarget, predictedChart, residualChart, residualHistogram, type RegressionPoint } from './charts/regression.js';
import { bdi, card, esc } from './page.js';
import type { RunReport } from './run-report.js';

/** SVG markup of a regression report's own figures. */
export interface RegressionFigures {
  /** Validation R^2 per epoch (when there is a validation part). */
  r2?: string;
  /** Predicted against actual on the test set. */
  predicted?: string;
  /** Residuals against predicted on the test set. */
  residuals?: string;
  /** Histogram of the test residuals. */
  'residual-hist'?: string;
}

/** How many test rows of largest error the report lists. */
export const LARGEST_ERRORS = 10;

/**
 * Values in the target's units, all with the same decimals: enough for four significant digits
 * of the largest actual value and three of the RMSE (concrete strengths of 2 to 83 MPa with an
 * RMSE of 5.6 get 2 decimals, house prices 0). A dash for a value that is not finite.
 */
export function targetFormat(t: { rmse: number; predictions: readonly RegressionPoint[] }): (x: number) => string {
  const largest = t.predictions.reduce((m, q) => (Number.isFinite(q.actual) ? Math.max(m, Math.abs(q.actual)) : m), 0);
  return fixedFormat(Math.max(decimalsFor(largest, 4), decimalsFor(t.rmse, 3)));
}

/** The same format for a target's values (`actual`) and a run's RMSE, where no report is at hand (the command line). */
export function unitsFormat(actual: ArrayLike<number>, rmse: number): (x: number) => string {
  let largest = 0;
  for (let i = 0; i < actual.length; i++) if (Number.isFinite(actual[i])) largest = Math.max(largest, Math.abs(actual[i]));
  return targetFormat({ rmse, predictions: [{ index: 0, actual: largest, predicted: largest }] });
}

/** Decimals that show `significant` digits of `x` (0 for a value that is not positive and finite). */
function decimalsFor(x: number, significant: number): number {
  return x > 0 && Number.isFinite(x) ? significant - 1 - Math.floor(Math.log10(x)) : 0;
}

function fixedFormat(decimals: number): (x: number) => string {
  const d = Math.min(8, Math.max(0, decimals));
  return (x: number) => (Number.isFinite(x) ? formatTarget(x, d) : MISSING);
}
const score = (x: number) => (Number.isFinite(x) ? formatFixed(x, 3) : MISSING);

/** Whether any epoch measured R^2 on a validation part. */
export function hasValidationR2(r: RunReport): boolean {
  return r.history.some((e) => Number.isFinite(e.valR2 ?? NaN));
}

/** The y axis title of a regression's loss curves: the loss the run trained with, on the standardised target. */
export function regressionLossTitle(r: RunReport): string {
  const train = r.config.train;
  const loss = train !== null && typeof train === 'object' ? (train as { loss?: unknown }).loss : undefined;
  return `${loss === 'huber' ? 'Huber loss' : loss === 'mae' ? 'MAE' : 'MSE'} on the standardised target`;
}

/** The regression figures' chart specs by name (curve first, then the test set's); `compact` sizes them for the HTML page. */
export function regressionCharts(r: RunReport, compact: boolean): { name: keyof RegressionFigures; spec: TopLevelSpec }[] {
  const out: { name: keyof RegressionFigures; spec: TopLevelSpec }[] = [];
  if (hasValidationR2(r)) out.push({ name: 'r2', spec: r2Chart(r.history, compact ? { width: 390, height: 250 } : {}) });
  const t = r.regression?.test;
  if (!t) return out;
  const target = r.regression!.target;
  const points: RegressionPoint[] = t.predictions;
  const nonFinite = points.filter((q) => !Number.isFinite(q.predicted)).length;
  const shown = points.length < t.rows ? `${formatCount(points.length)} of ${formatCount(t.rows)} test rows` : `${formatCount(t.rows)} test rows`;
  out.push(
    {
      name: 'predicted',
      spec: predictedChart(points, target, { subtitle: `${shown}, R² ${score(t.r2)}; dashed line: predicted = actual${nonFinite ? `; ${formatCount(nonFinite)} non-finite left out` : ''}`, ...(compact ? { width: 340, height: 340 } : {}) }),
    },
    { name: 'residuals', spec: residualChart(points, target, compact ? { width: 360, height: 340 } : {}) },
    { name: 'residual-hist', spec: residualHistogram(points, target, compact ? { width: 360, height: 230 } : {}) },
  );
  return out;
}

/** The header's first two cards for a regression: test R^2, and RMSE with MAE. */
export function regressionCards(r: RunReport): string[] {
  const t = r.regression?.test;
  if (!t) return [card('Test R²', '—', 'no test evaluation'), card('RMSE', '—', 'no test evaluation')];
  return [
    card('Test R²', score(t.r2), `${formatCount(t.rows)} test rows`),
    card('RMSE', targetFormat(t)(t.rmse), `MAE ${targetFormat(t)(t.mae)} · ${r.regression!.target}`),
  ];
}

function largestErrors(points: readonly RegressionPoint[], thinned: boolean, value: (x: number) => string): string {
  const worst = points
    // Number.isFinite, not a subtraction: a report read back from JSON holds a non-finite prediction as null.
    .filter((q) => Number.isFinite(q.predicted) && Number.isFinite(q.actual))
    .map((q) => ({ ...q, residual: q.actual - q.predicted }))
    .sort((a, b) => Math.abs(b.residual) - Math.abs(a.residual) || a.index - b.index)
    .slice(0, LARGEST_ERRORS);
  if (worst.length === 0) return '';
  const rows = worst
    .map((q) => `<tr><td class="num">${q.index}</td><td class="num">${esc(value(q.actual))}</td><td class="num">${esc(value(q.predicted))}</td><td class="num">${esc(value(q.residual))}</td></tr>`)
    .join('\n');
  return `<h3>Largest errors</h3>
<p class="lead">The ${worst.length} test rows the model missed most${thinned ? ', among those in the figures' : ''}; residual = actual − predicted.</p>
<table class="preds"><thead><tr><th scope="col" class="num">test row</th><th scope="col" class="num">actual</th><th scope="col" class="num">predicted</th><th scope="col" class="num">residual</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** The test section of a regression: the scores, the ensemble's members, the three figures and the largest errors. */
export function regressionTestSection(r: RunReport, figure: (name: keyof RegressionFigures, label: string) => string, p: string): string {
  const t = r.regression?.test;
  if (!t) return `<section id="${p}test"><h2>Test set</h2><p class="empty">This run was not evaluated on a test set.</p></section>`;
  const target = r.regression!.target;
  const thinned = t.predictions.length < t.rows;
  const value = targetFormat(t);
  const ensemble = r.ensemble
    ? `\n<p>An ensemble of ${r.ensemble.length} networks (seeds ${r.ensemble.map((e) => e.seed).join(', ')}), their predictions averaged. Alone, each scores R² ${esc(r.ensemble.map((e) => score(e.testR2 ?? NaN)).join(', '))} on the test set.</p>`
    : '';
  const note = thinned ? `\n<p>The figures show ${formatCount(t.predictions.length)} of the ${formatCount(t.rows)} test rows, spread evenly over them; the scores use every row.</p>` : '';
  return `<section id="${p}test">
<h2>Test set</h2>
<p class="lead">R² ${esc(score(t.r2))}, RMSE ${esc(value(t.rmse))} and MAE ${esc(value(t.mae))} (in the units of ${bdi(target)}) on ${formatCount(t.rows)} test rows the model never saw during training or tuning.</p>${ensemble}${note}
<div class="reg-grid">
<div>${figure('predicted', 'Predicted against actual') || '<p class="empty">Predicted against actual not rendered.</p>'}</div>
<div>${figure('residuals', 'Residuals against predicted')}</div>
<div>${figure('residual-hist', 'Distribution of residuals')}</div>
<div>${largestErrors(t.predictions, thinned, value)}</div>
</div>
</section>`;
}

/** Cross-validation of a regression: each fold's R^2, RMSE and MAE, their mean, spread and interval, and the epochs the refit used. */
export function regressionCvSection(cv: CvSummary, p: string): string {
  // The folds' errors with one number of decimals: three significant digits of the smallest.
  const smallest = cv.scores.reduce((m, f) => Math.min(m, f.mae ?? Infinity, f.rmse ?? Infinity), Infinity);
  const value = fixedFormat(Number.isFinite(smallest) ? decimalsFor(smallest, 3) : 3);
  const mean = (s: Spread | undefined) => esc(value(s?.mean ?? NaN));
  const r2 = cv.r2;
  const rows = cv.scores
    .map((f) => `<tr><td>${cv.repeats > 1 ? `${f.repeat}.` : ''}${f.fold}</td><td>${formatCount(f.trainRows)}</td><td>${formatCount(f.valRows)}</td><td>${esc(score(f.r2 ?? NaN))}</td><td>${esc(value(f.rmse ?? NaN))}</td><td>${esc(value(f.mae ?? NaN))}</td><td>${f.bestEpoch} of ${f.epochs}</td></tr>`)
    .join('\n');
  const spread = r2
    ? `R² ${esc(score(r2.mean))} &plusmn; ${esc(score(r2.sd))} (95% interval for the mean ${esc(score(r2.ci95[0]))} to ${esc(score(r2.ci95[1]))}; the folds share rows, so take it as a guide)`
    : `R² ${MISSING}`;
  return `<section id="${p}cv">
<h2>Cross-validation</h2>
<p class="lead">${cv.folds} folds stratified on the target's deciles${cv.repeats > 1 ? `, ${cv.repeats} times over` : ''}: ${spread}, RMSE ${mean(cv.rmse)}, MAE ${mean(cv.mae)}. The final model was then trained on all the training rows for ${cv.epochs} epochs, the mean of the folds' best epochs, and tested once.</p>
<table class="grid"><thead><tr><th scope="col">fold</th><th scope="col">training rows</th><th scope="col">held out</th><th scope="col">R²</th><th scope="col">RMSE</th><th scope="col">MAE</th><th scope="col">best epoch</th></tr></thead><tbody>
${rows}
</tbody></table>
</section>`;
}
