/** The phrases the study report's renderers share: metric names, mean ± sd, verdicts, the pruner and the comparison with the reference model. */
import { inTargetUnits, isFraction, metricName } from '../study/config.js';
import { formatCount, formatDuration, formatFixed, formatPercent } from '../../format.js';
import type { RunReport } from '../../report/run-report.js';
import { fmtGain, fmtP, fmtUnits, type ConfigStats } from '../analysis/table1.js';
import type { StudyMetric } from '../study/config.js';
import { searchTally, type StudyReport } from './study-report.js';

/** A run's test scores as the comparison shows them: [headline, second score] (accuracy and macro F1, or R² and RMSE); null without a test. */
export function testScores(run: RunReport | null): { headline: number; cells: [string, string]; rows: number } | null {
  const reg = run?.regression?.test;
  if (reg) return { headline: reg.r2, cells: [formatFixed(reg.r2, 4), fmtUnits(reg.rmse)], rows: reg.rows };
  if (run?.test) return { headline: run.test.accuracy, cells: [formatPercent(run.test.accuracy), formatFixed(run.test.report.macro.f1, 3)], rows: run.test.report.macro.support };
  return null;
}

/** The comparison table's score columns: test accuracy and macro F1, or test R² and RMSE (in the target's units). */
export function comparisonColumns(r: StudyReport): [string, string] {
  return r.data.task === 'regress' ? ['test R²', `test RMSE${r.data.target ? ` (${r.data.target})` : ''}`] : ['test accuracy', 'macro F1'];
}

/** The final model and the reference model side by side, as table rows: name, configuration, the two test scores, epochs, training time. */
export function comparisonRows(r: StudyReport): string[][] {
  const ref = r.reference;
  if (!ref || !r.final) return [];
  const row = (name: string, label: string, run: RunReport | null, error: string | null) => {
    const scores = testScores(run);
    return scores && run ? [name, label, ...scores.cells, String(run.history.length), formatDuration(run.seconds)] : [name, label, error ? `failed: ${error}` : 'not trained', '', '', ''];
  };
  const rows = [row("mlplab's choice (the final model)", r.winner.description, r.final, null)];
  if (ref.sameAsWinner) rows[0][0] += `, which is ${ref.label}`;
  else rows.push(row(capitalise(ref.label), ref.description, ref.final, ref.error));
  return rows;
}

/** One sentence on the comparison: which model tested better, by how much ('' without a reference model). */
export function comparisonSentence(r: StudyReport): string {
  const ref = r.reference;
  const mine = testScores(r.final);
  if (!ref || !mine) return '';
  if (ref.sameAsWinner) return `The search chose ${ref.label} itself.`;
  const theirs = testScores(ref.final);
  if (!theirs) return `${capitalise(ref.label)} could not be tested${ref.error ? `: ${ref.error}` : ''}.`;
  const d = mine.headline - theirs.headline;
  const both = 'both trained once with the same data, seed and final training.';
  if (r.data.task === 'regress') {
    const than = d === 0 ? 'the same test R² as' : `a test R² ${formatFixed(Math.abs(d), 4)} ${d > 0 ? 'higher' : 'lower'} than`;
    return `On the same ${formatCount(mine.rows)} test rows, mlplab's final model has ${than} ${ref.label} (${mine.cells[0]} against ${theirs.cells[0]}; RMSE ${mine.cells[1]} against ${theirs.cells[1]}), ${both}`;
  }
  const pts = fmtGain(Math.abs(d), 'valAccuracy');
  return `On the same ${formatCount(mine.rows)} test rows, mlplab's final model is ${d === 0 ? 'as accurate as' : `${pts} ${d > 0 ? 'more' : 'less'} accurate than`} ${ref.label} (${mine.cells[0]} against ${theirs.cells[0]}), ${both}`;
}

/** The final model's test in one line: "Test accuracy 88.1%, macro F1 0.880 (...)" or "Test R² 0.9123, RMSE 5.21 and MAE 3.9 in the units of y (...)"; null without a test. */
export function finalTestLine(r: StudyReport): string | null {
  const reg = r.final?.regression?.test;
  if (reg) return `Test R² ${formatFixed(reg.r2, 4)}, RMSE ${fmtUnits(reg.rmse)} and MAE ${fmtUnits(reg.mae)}${r.data.target ? ` in the units of ${r.data.target}` : ''} (${formatCount(reg.rows)} test rows, evaluated once).`;
  const t = r.final?.test;
  if (t) return `Test accuracy ${formatPercent(t.accuracy)}, macro F1 ${formatFixed(t.report.macro.f1, 3)} (${formatCount(t.report.macro.support)} test rows, evaluated once).`;
  return null;
}

/** The study's metric in words, with the target's units for RMSE and MAE: "validation RMSE (in the units of strength)". */
export function metricTitle(r: Pick<StudyReport, 'metric' | 'data'>): string {
  return inTargetUnits(r.metric) && r.data.target ? `${metricName(r.metric)} (in the units of ${r.data.target})` : metricName(r.metric);
}

export { metricName };

/** A configuration's metric as mean ± sd over its seeds (accuracy in %, RMSE and MAE to 5 significant digits), or why it has none. */
export function fmtMeanSd(s: ConfigStats, metric: StudyMetric): string {
  if (s.values.length === 0) return s.failed ? 'diverged' : 'n/a';
  if (inTargetUnits(metric)) return `${fmtUnits(s.metric.mean)} ± ${fmtUnits(s.metric.sd, 3)}`;
  const k = isFraction(metric) ? 100 : 1;
  const d = isFraction(metric) ? 2 : 4;
  return `${formatFixed(k * s.metric.mean, d)} ± ${formatFixed(k * s.metric.sd, d)}`;
}

/** The search trials counted in words: finished, pruned, diverged. */
export function searchCounts(r: StudyReport): string {
  const n = searchTally(r);
  return `${n.total} trials: ${n.total - n.pruned - n.failed} finished, ${n.pruned} pruned, ${n.failed} diverged`;
}

/** The pruner in words. */
export function pruner(r: StudyReport): string {
  const p = r.pruner;
  if (p.type === 'median') return `median pruner (after a warm-up of ${p.warmupEpochs} epochs, once ${p.startupTrials} trials reached the epoch)`;
  if (p.type === 'successive-halving') return `successive-halving pruner (rungs from epoch ${p.minEpochs}, keeping the best 1/${p.reductionFactor} at each)`;
  return 'no pruner';
}

export const IMPORTANCE_NOTE =
  "Each parameter alone: the share of the variance of the metric over finished trials explained by grouping them by that parameter (its choices, or four equal-count bins of a range), normalised over the parameters. It sees main effects, not interactions.";

/** A comparison's verdict in words, with its p-value when there is one. */
export function verdictText(v: string | null, p: number | undefined): string {
  const pText = p !== undefined && Number.isFinite(p) ? ` (${fmtP(p)})` : '';
  if (v === 'better') return `significantly better${pText}`;
  if (v === 'worse') return `significantly worse${pText}`;
  if (v === 'noise') return `within the noise${pText}`;
  return 'not judged';
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
