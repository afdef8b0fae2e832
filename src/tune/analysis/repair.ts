/**
 * A combination that repairs itself: when the one-at-a-time candidate (every winning change at
 * once) does not hold up, the changes are added one at a time to the base, in order of their
 * gain alone, and each is kept only when it helps beyond the noise (Welch, level alpha) on top
 * of the changes kept so far. The path taken is the report's small table. Pure decisions;
 * the study runs the configurations they ask for.
 */
import { direction, fmtMetric, fmtP, fmtSignedGain, type Candidate, type ConfigStats, type Table1 } from './table1.js';
import type { ResolvedStudy } from '../study/config.js';
import { welchTest, type Comparison } from './stats.js';
import { baseLevels } from '../study/strategies.js';

/** One change the forward search tries: factor `factor` at value index `value`, with its gain alone. */
export interface RepairChange {
  factor: number;
  value: number;
  label: string;
  gain: number;
}

/** One step of the search: the configuration tried, how it did against the configuration kept so far. */
export interface RepairStep {
  change: string;
  /** The configuration tried (kept changes plus this one). */
  label: string;
  levels: (number | null)[];
  stats: ConfigStats | null;
  vsKept: Comparison | null;
  kept: boolean;
  reason: string;
}

export interface Repair {
  steps: RepairStep[];
  /** The configuration the search ends with, and a sentence saying why it became the final model. */
  levels: (number | null)[];
  label: string;
  summary: string;
}

/** The candidate's changes, best gain alone first (ties: factor order). */
export function repairOrder(study: ResolvedStudy, table: Table1, candidate: Candidate): RepairChange[] {
  const dir = direction(study.metric);
  const base = baseLevels(study);
  const out: RepairChange[] = [];
  candidate.levels.forEach((j, i) => {
    if (j === null || j === base[i]) return;
    const cell = table.rows[i].cells[j];
    const gain = cell.stats && table.base ? dir * (cell.stats.metric.mean - table.base.metric.mean) : NaN;
    out.push({ factor: i, value: j, label: `${study.factors[i].name}=${study.factors[i].labels[j]}`, gain });
  });
  return out.sort((a, b) => b.gain - a.gain || a.factor - b.factor);
}

/** The levels of the next configuration to try after `steps`, or null when every change was tried. */
export function nextRepairLevels(study: ResolvedStudy, order: RepairChange[], steps: RepairStep[]): (number | null)[] | null {
  if (steps.length >= order.length) return null;
  const kept = keptLevels(study, steps);
  const c = order[steps.length];
  return kept.map((x, i) => (i === c.factor ? c.value : x));
}

function keptLevels(study: ResolvedStudy, steps: RepairStep[]): (number | null)[] {
  const keptSteps = steps.filter((s) => s.kept);
  return keptSteps.length ? keptSteps[keptSteps.length - 1].levels : baseLevels(study);
}

/**
 * Judge the configuration `tried` (the kept changes plus `change`) against `kept`, the
 * configuration of the kept changes: kept when it finished and is significantly better.
 */
export function judgeRepairStep(study: ResolvedStudy, change: RepairChange, levels: (number | null)[], label: string, tried: ConfigStats | null, kept: ConfigStats | null): RepairStep {
  const dir = direction(study.metric);
  const fmt = (x: number) => fmtMetric(x, study.metric);
  if (!tried || tried.values.length === 0) {
    return { change: change.label, label, levels, stats: tried, vsKept: null, kept: false, reason: 'diverged or did not finish' };
  }
  if (!kept || kept.values.length === 0) {
    return { change: change.label, label, levels, stats: tried, vsKept: null, kept: true, reason: 'the configuration it extends did not finish' };
  }
  const vs = welchTest(tried.values, kept.values, study.alpha);
  const gain = dir * vs.diff;
  const better = vs.significant && gain > 0;
  const p = Number.isFinite(vs.p) ? fmtP(vs.p) : 'noise unknown';
  return {
    change: change.label,
    label,
    levels,
    stats: tried,
    vsKept: vs,
    kept: better,
    reason: better
      ? `${fmt(tried.metric.mean)}, ${fmtSignedGain(gain, study.metric)} over ${kept.label} (${p}): kept`
      : `${fmt(tried.metric.mean)}, ${fmtSignedGain(gain, study.metric)} over ${kept.label} (${p}): within the noise or worse, dropped`,
  };
}

/** The outcome of the search once every change was tried. */
export function finishRepair(study: ResolvedStudy, steps: RepairStep[], whyRepair: string): Repair {
  const keptSteps = steps.filter((s) => s.kept);
  const levels = keptLevels(study, steps);
  const label = keptSteps.length ? keptSteps[keptSteps.length - 1].label : 'base';
  const summary =
    `${whyRepair}, so the winning changes were added one at a time, best first, each kept only when it beat the configuration before it beyond the noise: ` +
    (keptSteps.length ? `kept ${keptSteps.map((s) => s.change).join(', ')}` : 'none helped on top of the base') +
    (steps.length > keptSteps.length ? `; dropped ${steps.filter((s) => !s.kept).map((s) => s.change).join(', ')}` : '') +
    `. The final model is ${label}.`;
  return { steps, levels, label, summary };
}
