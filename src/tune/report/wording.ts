/** The phrases the study report's renderers share: metric names, mean ± sd, verdicts, the pruner and the comparison with the reference model. */
import { isFraction } from '../study/config.js';
import { formatCount, formatDuration, formatFixed, formatPercent } from '../../format.js';
import type { RunReport } from '../../report/run-report.js';
import { fmtGain, fmtP, type ConfigStats } from '../analysis/table1.js';
import type { StudyMetric } from '../study/config.js';
import { searchTally, type StudyReport } from './study-report.js';

/** The final model and the reference model side by side, as table rows: name, configuration, test accuracy, macro F1, epochs, training time. */
export function comparisonRows(r: StudyReport): string[][] {
  const ref = r.reference;
  if (!ref || !r.final) return [];
  const row = (name: string, label: string, run: RunReport | null, error: string | null) =>
    run?.test
      ? [name, label, formatPercent(run.test.accuracy), formatFixed(run.test.report.macro.f1, 3), String(run.history.length), formatDuration(run.seconds)]
      : [name, label, error ? `failed: ${error}` : 'not trained', '', '', ''];
  const rows = [row("mlplab's choice (the final model)", r.winner.description, r.final, null)];
  if (ref.sameAsWinner) rows[0][0] += `, which is ${ref.label}`;
  else rows.push(row(capitalise(ref.label), ref.description, ref.final, ref.error));
  return rows;
}

/** One sentence on the comparison: which model tested better, by how much ('' without a reference model). */
export function comparisonSentence(r: StudyReport): string {
  const ref = r.reference;
  if (!ref || !r.final?.test) return '';
  if (ref.sameAsWinner) return `The search chose ${ref.label} itself.`;
  if (!ref.final?.test) return `${capitalise(ref.label)} could not be tested${ref.error ? `: ${ref.error}` : ''}.`;
  const d = r.final.test.accuracy - ref.final.test.accuracy;
  const pts = fmtGain(Math.abs(d), 'valAccuracy');
  return `On the same ${formatCount(r.final.test.report.macro.support)} test rows, mlplab's final model is ${d === 0 ? 'as accurate as' : `${pts} ${d > 0 ? 'more' : 'less'} accurate than`} ${ref.label} (${formatPercent(r.final.test.accuracy)} against ${formatPercent(ref.final.test.accuracy)}), both trained once with the same data, seed and final training.`;
}

/** The study's metric in words. */
export const metricName = (m: StudyMetric) =>
  ({ valAccuracy: 'validation accuracy', valLoss: 'validation loss', valBalancedAccuracy: 'validation balanced accuracy', valMacroF1: 'validation macro F1' })[m];

/** A configuration's metric as mean ± sd over its seeds (accuracy in %), or why it has none. */
export function fmtMeanSd(s: ConfigStats, metric: StudyMetric): string {
  if (s.values.length === 0) return s.failed ? 'diverged' : 'n/a';
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
