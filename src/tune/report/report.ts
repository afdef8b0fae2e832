/**
 * The study report: a typed object first (study.json), rendered second: Table 1 as terminal
 * text and Markdown (table1.md), and one self-contained report.html with a plot per factor,
 * the combined candidate and its interaction check, the ranking, and the final model's run
 * report (the same one `mlplab train` writes).
 */
import { join } from 'node:path';
import type { Prepared } from '../../data/prepare.js';
import { formatCount, formatDuration, formatPercent, formatScientific as sci } from '../../format.js';
import { writeFileAtomic } from '../../io/files.js';
import { factorChart, searchChart, sliceCharts, type FactorPoint, type SearchPoint } from '../../report/charts.js';
import { REPORT_STYLE, card, esc, inlineSvg, preparationSteps, reportPage, runReportSections, type ReportSection } from '../../report/html.js';
import { renderRunFigureSvgs, specToSvg } from '../../report/render-node.js';
import type { RunReport } from '../../report/run-report.js';
import { writeRunFolder } from '../../run/folder.js';
import { fmtGain, fmtMetric, fmtP, fmtSignedGain, type Candidate, type ConfigStats, type InteractionCheck, type LayerSummary, type RankedConfig, type Table1 } from '../analysis/table1.js';
import { describeRun, type ResolvedStudy, type StudyMetric } from '../study/config.js';
import { parameterImportance, type Importance } from '../search/importance.js';
import type { PrunerConfig } from '../search/pruners.js';
import { formatParamValue, type Param } from '../search/space.js';
import { isFinished, type StoredTrial } from '../storage/types.js';
import type { Repair } from '../analysis/repair.js';
import { STUDY_FILES } from '../storage/folder.js';
import type { Configuration } from '../study/strategies.js';

export interface StudyReport {
  name: string;
  createdAt: string;
  configHash: string;
  strategy: string;
  metric: StudyMetric;
  seeds: number;
  alpha: number;
  /** How differences are judged, in words. */
  significanceRule: string;
  data: { source: string; trialTrainRows: number; valRows: number; testRows: number; features: number; classes: number; steps: { name: string; summary: string }[] };
  trials: { total: number; pruned: number; failed: number; executedThisRun: number; trainSeconds: number; wallSeconds: number; workers: number };
  /** Every trial before the final model, in enqueue order: its state, the epochs it ran, its metric and, when pruned or failed, why. */
  trialLog: TrialLogEntry[];
  /** The pruner the search ran with. */
  pruner: PrunerConfig;
  /** Space studies (TPE, random over ranges): the parameters searched and how much each mattered. */
  search: { space: Param[]; importance: Importance[] } | null;
  table1: Table1;
  candidate: Candidate | null;
  interaction: InteractionCheck | null;
  /** The forward search that repaired the combination, when the combination did not hold up. */
  repair: Repair | null;
  costRule: { maxTimeRatio: number; minGain: number } | null;
  pickRule: 'significant' | 'best-mean';
  ranking: RankedConfig[];
  /** The configuration the final model trains: its key, label, spec and a one-line description. */
  winner: { key: string; label: string; spec: unknown; description: string };
  final: RunReport | null;
  /** Why there is no final model, when its training failed (diverged). */
  finalError: string | null;
  /** The model the study file names in `final.compareWith`, trained and tested beside the final model. */
  reference: ReferenceModel | null;
}

/** The reference model beside the final one: same data, same test set, same final training. */
export interface ReferenceModel {
  label: string;
  spec: unknown;
  /** The model in one line (describeRun). */
  description: string;
  /** Its run report (null when it is the final model itself, or its training failed). */
  final: RunReport | null;
  error: string | null;
  /** The search chose this very model: it trained once, as the final model. */
  sameAsWinner: boolean;
}

/** One trial as study.json records it. */
export interface TrialLogEntry {
  /** From 1, in enqueue order. */
  number: number;
  key: string;
  phase: StoredTrial['phase'];
  label: string;
  seed: number;
  state: 'done' | 'pruned' | 'failed';
  /** Epochs it trained. */
  epochs: number;
  /** The study's metric at its kept epoch (a pruned trial: where it stopped); null when it diverged. */
  metric: number | null;
  /** The pruner's reason, or why training failed. */
  reason: string | null;
  /** Space studies: the sampled values by option path. */
  params?: Record<string, unknown>;
}

export interface BuildStudyReportArgs {
  study: ResolvedStudy;
  data: Prepared;
  /** Name of the data source, as the study file gives it. */
  source: string;
  trialRows: number;
  table: Table1;
  candidate: Candidate | null;
  check: InteractionCheck | null;
  /** The forward search that repaired the combination, when it ran. */
  repair: Repair | null;
  ranking: RankedConfig[];
  winner: Configuration;
  final: RunReport | null;
  finalError: string | null;
  reference?: ReferenceModel | null;
  trials: Pick<StoredTrial, 'key' | 'phase' | 'label' | 'seed' | 'status' | 'result' | 'error' | 'params' | 'position'>[];
  workers: number;
  wallSeconds: number;
  executed: number;
}

/** The rule that separates signal from noise, as the report states it. */
export function significanceRule(study: ResolvedStudy): string {
  const comparisons = study.strategy.type === 'one-at-a-time' ? study.factors.reduce((n, f) => n + f.values.length - (f.baseIndex >= 0 ? 1 : 0), 0) : 0;
  return (
    `Each configuration ran with ${study.seeds} seed${study.seeds === 1 ? '' : 's'} (weights, dropout masks, batch order); cells show mean ± sample sd. ` +
    `A difference is called significant when Welch's two-sided t-test on the per-seed values gives p < ${study.alpha}; otherwise it is within the noise` +
    (study.seeds < 2 ? ' (with one seed the noise is unknown, so nothing is called significant).' : '.') +
    (comparisons > 1 ? ` Of ${comparisons} comparisons with the base, about ${Number((comparisons * study.alpha).toPrecision(2))} would come out significant by chance alone if no factor mattered.` : '')
  );
}

export function buildStudyReport(a: BuildStudyReportArgs): StudyReport {
  const s = a.study;
  const st = s.strategy;
  const strategy =
    st.type === 'random'
      ? `random search (${st.trials} ${s.space.length ? 'trials over ranges' : 'configurations'}, seed ${st.seed})`
      : st.type === 'tpe'
        ? `TPE (${st.trials} trials, ${st.startupTrials} random first, seed ${st.seed})`
        : st.type;
  const ended = a.trials.filter((t) => isFinished(t.status)).sort((x, y) => x.position - y.position);
  const trialLog: TrialLogEntry[] = ended.map((t, i) => ({
    number: i + 1,
    key: t.key,
    phase: t.phase,
    label: t.label,
    seed: t.seed,
    state: t.status as TrialLogEntry['state'],
    epochs: t.result?.epochs ?? 0,
    metric: t.result && Number.isFinite(t.result.metric) ? t.result.metric : null,
    reason: t.error,
    ...(t.params ? { params: t.params } : {}),
  }));
  const searched = trialLog.filter((t) => t.phase === 'search' && t.state === 'done' && t.params && t.metric !== null);
  return {
    name: s.name,
    createdAt: new Date().toISOString(),
    configHash: s.hash,
    strategy,
    metric: s.metric,
    seeds: s.seeds,
    alpha: s.alpha,
    significanceRule: significanceRule(s),
    data: {
      source: a.source,
      trialTrainRows: a.trialRows,
      valRows: a.data.val.rows,
      testRows: a.data.test?.rows ?? 0,
      features: a.data.train.cols,
      classes: a.data.classes,
      steps: a.data.steps.map((x) => ({ name: x.name, summary: x.summary })),
    },
    trials: {
      total: a.trials.length,
      pruned: a.trials.filter((t) => t.status === 'pruned').length,
      failed: a.trials.filter((t) => t.status === 'failed').length,
      executedThisRun: a.executed,
      trainSeconds: a.trials.reduce((n, t) => n + (t.result?.seconds ?? 0), 0),
      wallSeconds: a.wallSeconds,
      workers: a.workers,
    },
    trialLog,
    pruner: s.pruner,
    search: s.space.length ? { space: s.space, importance: parameterImportance(s.space, searched.map((t) => ({ params: t.params!, value: t.metric! }))) } : null,
    table1: a.table,
    candidate: a.candidate,
    interaction: a.check,
    repair: a.repair,
    costRule: a.candidate ? s.combine.costRule : null,
    pickRule: s.combine.pick,
    ranking: a.ranking,
    winner: { key: a.winner.key, label: a.winner.label, spec: a.winner.spec, description: describeRun(a.winner.run) },
    final: a.final,
    finalError: a.finalError,
    reference: a.reference ?? null,
  };
}

/** The final model and the reference model side by side, as table rows: name, configuration, test accuracy, macro F1, epochs, training time. */
function comparisonRows(r: StudyReport): string[][] {
  const ref = r.reference;
  if (!ref || !r.final) return [];
  const row = (name: string, label: string, run: RunReport | null, error: string | null) =>
    run?.test
      ? [name, label, formatPercent(run.test.accuracy), run.test.report.macro.f1.toFixed(3), String(run.history.length), fmtSeconds(run.seconds)]
      : [name, label, error ? `failed: ${error}` : 'not trained', '', '', ''];
  const rows = [row("mlplab's choice (the final model)", r.winner.description, r.final, null)];
  if (ref.sameAsWinner) rows[0][0] += `, which is ${ref.label}`;
  else rows.push(row(capitalise(ref.label), ref.description, ref.final, ref.error));
  return rows;
}

/** How the Markdown ends: the pruned trials, the final model and its test, the comparison with the reference model. */
function closingMarkdown(r: StudyReport): string[] {
  const out = [...prunedMarkdown(r)];
  const anyFinished = r.trialLog.some((t) => t.phase === 'search' && t.state === 'done');
  if (r.final || r.finalError) out.push(`Final model: ${r.winner.label}.`);
  else out.push(anyFinished ? `Best configuration: ${r.winner.label} (no final model was trained: the study has no test set or final.enabled is false).` : 'No search trial finished (every one diverged or was pruned), so there is no final model.');
  if (r.finalError) out.push(`Its training failed: ${r.finalError}`);
  if (r.final?.test) out.push(`Test accuracy ${formatPercent(r.final.test.accuracy)}, macro F1 ${r.final.test.report.macro.f1.toFixed(3)} (${formatCount(r.final.test.report.macro.support)} test rows, evaluated once).`);
  return [...out, ...comparisonMarkdown(r)];
}

/** The comparison as Markdown lines (empty without a reference model). */
function comparisonMarkdown(r: StudyReport): string[] {
  const rows = comparisonRows(r);
  if (rows.length === 0) return [];
  return ['', `## The final model beside ${r.reference!.label}`, '', comparisonSentence(r), '', '| model | configuration | test accuracy | macro F1 | epochs | time |', '|---|---|---|---|---|---|', ...rows.map((c) => `| ${c.map((x, i) => (i === 1 ? `\`${x}\`` : x)).join(' | ')} |`)];
}

/** One sentence on the comparison: which model tested better, by how much ('' without a reference model). */
export function comparisonSentence(r: StudyReport): string {
  const ref = r.reference;
  if (!ref || !r.final?.test) return '';
  if (ref.sameAsWinner) return `The search chose ${ref.label} itself.`;
  if (!ref.final?.test) return `${capitalise(ref.label)} could not be tested${ref.error ? `: ${ref.error}` : ''}.`;
  const d = r.final.test.accuracy - ref.final.test.accuracy;
  const pts = `${Math.abs(100 * d).toFixed(2)} points`;
  return `On the same ${formatCount(r.final.test.report.macro.support)} test rows, mlplab's final model is ${d === 0 ? 'as accurate as' : `${pts} ${d > 0 ? 'more' : 'less'} accurate than`} ${ref.label} (${formatPercent(r.final.test.accuracy)} against ${formatPercent(ref.final.test.accuracy)}), both trained once with the same data, seed and final training.`;
}

const metricName = (m: StudyMetric) => (m === 'valAccuracy' ? 'validation accuracy' : 'validation loss');

function fmtMeanSd(s: ConfigStats, metric: StudyMetric): string {
  if (s.values.length === 0) return s.failed ? 'diverged' : 'n/a';
  const k = metric === 'valAccuracy' ? 100 : 1;
  const d = metric === 'valAccuracy' ? 2 : 4;
  return `${(k * s.metric.mean).toFixed(d)} ± ${(k * s.metric.sd).toFixed(d)}`;
}

const fmtSeconds = formatDuration;

const VERDICT_TEXT = { better: '+', worse: '-', noise: '', null: '' } as const;

/** The search trials of a study, best first (finished ones by their metric). */
function rankedSearch(r: StudyReport): TrialLogEntry[] {
  const dir = r.metric === 'valLoss' ? -1 : 1;
  return r.trialLog.filter((t) => t.phase === 'search' && t.state === 'done' && t.metric !== null).sort((a, b) => dir * (b.metric! - a.metric!) || a.number - b.number);
}

/** The search trials counted by how they ended. */
function searchTally(r: StudyReport): { total: number; pruned: number; failed: number } {
  const search = r.trialLog.filter((t) => t.phase === 'search');
  return { total: search.length, pruned: search.filter((t) => t.state === 'pruned').length, failed: search.filter((t) => t.state === 'failed').length };
}

function searchCounts(r: StudyReport): string {
  const n = searchTally(r);
  return `${n.total} trials: ${n.total - n.pruned - n.failed} finished, ${n.pruned} pruned, ${n.failed} diverged`;
}

/** The trials a pruner stopped, with where and why. */
function prunedTrials(r: StudyReport): TrialLogEntry[] {
  return r.trialLog.filter((t) => t.state === 'pruned');
}

/** A space study's summary for the terminal: the best trials and the parameters' importance. */
function formatSearchText(r: StudyReport): string {
  const best = rankedSearch(r).slice(0, 10);
  const lines = [`Search (${r.strategy}): ${searchCounts(r)}; the best ${best.length} by ${metricName(r.metric)}:`];
  for (const t of best) lines.push(`  #${String(t.number).padEnd(4)} ${fmtMetric(t.metric!, r.metric).padStart(8)}  ${t.label}`);
  if (r.search && r.search.importance.length) lines.push(`importance (share of the variance explained): ${r.search.importance.map((x) => `${x.name} ${formatPercent(x.share, 0)}`).join(', ')}`);
  return lines.join('\n');
}

/** Table 1 as fixed-width text for the terminal: one row per factor, one column per value (a space study: its best trials). */
export function formatTable1Text(r: StudyReport): string {
  if (r.search) return formatSearchText(r);
  const t = r.table1;
  const unit = r.metric === 'valAccuracy' ? '%' : '';
  const cells = t.rows.map((row) =>
    row.cells.map((c) => {
      if (!c.stats) return `${c.value}${c.isBase ? '*' : ''}  not run`;
      const n = c.stats.values.length !== r.seeds && t.kind === 'configuration' ? ` n=${c.stats.values.length}` : '';
      const mark = c.isBase ? '*' : VERDICT_TEXT[String(c.verdict) as keyof typeof VERDICT_TEXT];
      return `${c.value}${mark}  ${fmtMeanSd(c.stats, r.metric)}${n}  ${fmtSeconds(c.stats.seconds)}`;
    }),
  );
  const columns = Math.max(...cells.map((c) => c.length));
  const nameWidth = Math.max(6, ...t.rows.map((x) => x.factor.length));
  const widths = Array.from({ length: columns }, (_, j) => Math.max(7, ...cells.map((row) => (row[j] ?? '').length)));
  const line = (first: string, rest: string[]) => [first.padEnd(nameWidth), ...rest.map((x, j) => x.padEnd(widths[j]))].join(' | ').trimEnd();
  const sep = [''.padEnd(nameWidth, '-'), ...widths.map((w) => ''.padEnd(w, '-'))].join('-+-');
  const header = line('factor', widths.map((_, j) => `value ${j + 1}`));
  const what =
    t.kind === 'configuration'
      ? `the base model with one factor changed; mean ± sd over ${r.seeds} seeds${unit ? ` in ${unit}` : ''}, and time per trial`
      : `marginal: every configuration with that value, pooled; mean ± sd${unit ? ` in ${unit}` : ''}, and time per trial`;
  const legend =
    t.kind === 'configuration'
      ? `* base value; + / - significantly better / worse than the base (Welch, p < ${r.alpha}); no mark: within the noise`
      : '* base value';
  const base = t.base ? `base model: ${fmtMeanSd(t.base, r.metric)}${unit} (n=${t.base.values.length})` : '';
  return [`Table 1: ${metricName(r.metric)} by factor (${what})`, header, sep, ...cells.map((row, i) => line(t.rows[i].factor, row)), legend, base]
    .filter(Boolean)
    .join('\n');
}

/** The pruned trials as Markdown lines (empty when none was pruned). */
function prunedMarkdown(r: StudyReport): string[] {
  const pruned = prunedTrials(r);
  if (pruned.length === 0) return [];
  const out = ['## Pruned trials', '', `The ${pruner(r)} stopped ${pruned.length} trial${pruned.length === 1 ? '' : 's'}; they count as pruned, not as results.`, ''];
  out.push('| trial | configuration | seed | stopped after epoch | metric then | reason |', '|---|---|---|---|---|---|');
  for (const t of pruned) out.push(`| ${t.number} | ${t.label} | ${t.seed} | ${t.epochs} | ${t.metric === null ? 'n/a' : fmtMetric(t.metric, r.metric)} | ${t.reason ?? ''} |`);
  out.push('');
  return out;
}

/** The pruner in words. */
function pruner(r: StudyReport): string {
  const p = r.pruner;
  if (p.type === 'median') return `median pruner (after a warm-up of ${p.warmupEpochs} epochs, once ${p.startupTrials} trials reached the epoch)`;
  if (p.type === 'successive-halving') return `successive-halving pruner (rungs from epoch ${p.minEpochs}, keeping the best 1/${p.reductionFactor} at each)`;
  return 'no pruner';
}

/** A space study as Markdown: the best trials, the importance of each parameter, the pruned trials. */
function searchMarkdown(r: StudyReport): string {
  const out = [`# ${r.name}: search`, '', `${r.strategy}, ${pruner(r)}; ${searchCounts(r)}. Each trial trains one sampled configuration once.`, ''];
  const best = rankedSearch(r).slice(0, 20);
  out.push(`## The best ${best.length} trials`, '', `| rank | trial | ${metricName(r.metric)} | epochs | configuration |`, '|---|---|---|---|---|');
  best.forEach((t, i) => out.push(`| ${i + 1} | ${t.number} | ${fmtMetric(t.metric!, r.metric)} | ${t.epochs} | ${t.label} |`));
  out.push('');
  if (r.search?.importance.length) {
    out.push('## Parameter importance', '', IMPORTANCE_NOTE, '', '| parameter | share | eta² |', '|---|---|---|');
    for (const x of r.search.importance) out.push(`| ${x.name} | ${formatPercent(x.share, 0)} | ${x.eta2.toFixed(3)} |`);
    out.push('');
  }
  out.push(...closingMarkdown(r));
  return out.join('\n') + '\n';
}

const IMPORTANCE_NOTE =
  "Each parameter alone: the share of the variance of the metric over finished trials explained by grouping them by that parameter (its choices, or four equal-count bins of a range), normalised over the parameters. It sees main effects, not interactions.";

/** Table 1 as Markdown (table1.md), with the rule and the decisions (a space study: its search). */
export function formatTable1Markdown(r: StudyReport): string {
  if (r.search) return searchMarkdown(r);
  const t = r.table1;
  const columns = Math.max(...t.rows.map((x) => x.cells.length));
  const arrow = { better: ' ↑', worse: ' ↓', noise: '', null: '' } as const;
  const cell = (c: Table1['rows'][number]['cells'][number]) => {
    const v = `\`${c.value}\`${c.isBase ? ' (base)' : ''}`;
    if (!c.stats) return `${v} not run`;
    const n = c.stats.values.length !== r.seeds && t.kind === 'configuration' ? ` (n=${c.stats.values.length})` : '';
    return `${v} ${fmtMeanSd(c.stats, r.metric)}${n}${arrow[String(c.verdict) as keyof typeof arrow]} · ${fmtSeconds(c.stats.seconds)}`;
  };
  const out: string[] = [];
  out.push(`# ${r.name}: Table 1`, '');
  out.push(
    `${metricName(r.metric)}${r.metric === 'valAccuracy' ? ' (%)' : ''}, ${t.kind === 'configuration' ? 'the base model with one factor changed' : 'marginal over every configuration with that value'}; mean ± sd over seeds, then training time per trial.`,
    '',
  );
  out.push(`| factor | ${Array.from({ length: columns }, (_, j) => `value ${j + 1}`).join(' | ')} |`);
  out.push(`|---|${Array.from({ length: columns }, () => '---').join('|')}|`);
  for (const row of t.rows) {
    const cs = row.cells.map(cell);
    while (cs.length < columns) cs.push('');
    out.push(`| ${row.factor} | ${cs.join(' | ')} |`);
  }
  out.push('');
  if (t.base) out.push(`Base model: ${fmtMeanSd(t.base, r.metric)} (n=${t.base.values.length}).`, '');
  out.push(r.significanceRule + (t.kind === 'configuration' ? ' ↑ / ↓ mark significantly better / worse than the base.' : ''), '');
  if (r.candidate) {
    out.push('## Combined candidate', '');
    if (r.costRule) out.push(`Cost rule: a value more than ${r.costRule.maxTimeRatio}x slower per epoch than the base must gain at least ${fmtGain(r.costRule.minGain, r.metric)}.`, '');
    for (const d of r.candidate.decisions) {
      out.push(`- **${d.factor}**: ${d.chosen}${d.changed ? '' : ' (base)'} — ${d.reason}${d.rejected.map((x) => `; not ${x.value}: ${x.reason}`).join('')}`);
    }
    out.push('');
  }
  if (r.interaction) {
    const ic = r.interaction;
    out.push('## Interaction check', '', `Candidate: ${ic.candidateLabel}. ${capitalise(ic.summary)}.`, '');
    out.push('| configuration | change from the candidate | mean ± sd | vs candidate |', '|---|---|---|---|');
    if (ic.candidate) out.push(`| ${ic.candidateLabel} | (candidate) | ${fmtMeanSd(ic.candidate, r.metric)} | |`);
    for (const n of ic.neighbours) {
      out.push(`| ${n.label} | ${n.move} | ${n.stats ? fmtMeanSd(n.stats, r.metric) : 'not run'} | ${verdictText(n.verdict, n.vsCandidate?.p)} |`);
    }
    out.push('');
  }
  if (r.repair) {
    out.push('## Repairing the combination', '', r.repair.summary, '');
    out.push('| step | change | configuration | mean ± sd | against the kept configuration | kept |', '|---|---|---|---|---|---|');
    r.repair.steps.forEach((s, i) => out.push(`| ${i + 1} | ${s.change} | ${s.label} | ${s.stats ? fmtMeanSd(s.stats, r.metric) : 'not run'} | ${s.reason} | ${s.kept ? 'yes' : 'no'} |`));
    out.push('');
  }
  out.push(...closingMarkdown(r));
  return out.join('\n') + '\n';
}

function verdictText(v: string | null, p: number | undefined): string {
  const pText = p !== undefined && Number.isFinite(p) ? ` (${fmtP(p)})` : '';
  if (v === 'better') return `significantly better${pText}`;
  if (v === 'worse') return `significantly worse${pText}`;
  if (v === 'noise') return `within the noise${pText}`;
  return 'not judged';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The factor plot's points: one per Table 1 cell, validation accuracy mean ± sd. */
export function factorPoints(r: StudyReport): FactorPoint[] {
  return r.table1.rows.flatMap((row) =>
    row.cells.flatMap((c) => (c.stats && c.stats.accValues.length > 0 ? [{ factor: row.factor, value: c.value, mean: c.stats.valAccuracy.mean, sd: c.stats.valAccuracy.sd, n: c.stats.accValues.length, isDefault: c.isBase }] : [])),
  );
}

const STUDY_STYLE = `
table.t1{width:100%}
table.t1 td{vertical-align:top;min-width:96px}
table.t1 .v{font-weight:650;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:13px}
table.t1 .m{font-variant-numeric:tabular-nums}
table.t1 .s{color:var(--muted);font-size:12.5px}
table.t1 td.base{background:#fff7ed}
.badge{display:inline-block;font-size:11px;font-weight:700;border-radius:999px;padding:0 7px;margin-left:4px}
.badge.better{background:#d1fae5;color:var(--ok)}
.badge.worse{background:#fee2e2;color:var(--bad)}
.badge.noise{background:#f3f4f6;color:var(--muted)}
.badge.base{background:#ffedd5;color:#9a3412}
ul.decisions{margin:0;padding-left:20px}
ul.decisions li{margin:4px 0}
.verdict{border-left:4px solid var(--accent);background:var(--info-bg);padding:10px 14px;border-radius:0 6px 6px 0;margin:0 0 14px}
.verdict.bad{border-color:#d97706;background:var(--warn-bg)}
#table1{overflow-x:auto}
table.t1 tbody th{overflow-wrap:normal}
details.layers{margin-top:4px;font-size:11.5px}
details.layers summary{cursor:pointer;color:var(--accent)}
details.layers table{font-size:11px;margin-top:2px;width:auto}
details.layers th,details.layers td{padding:0 4px;white-space:nowrap;overflow-wrap:normal;border:none}
td .bar{height:10px;background:var(--accent);border-radius:2px}
details.layers thead th{text-transform:none;letter-spacing:0;font-size:10.5px;border-bottom:1px solid var(--line)}
.final-divider{margin:36px 0 16px;font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--accent);font-weight:600}
`;

/** A Table 1 cell's layer statistics (mean over its seeds, at the kept epoch), folded away until opened. */
function layerDetails(layers: LayerSummary[]): string {
  if (layers.length === 0) return '';
  const rows = layers
    .map((l) => `<tr><th scope="row">${esc(l.name)}</th><td class="num">${esc(formatPercent(l.deadFraction, 0))}</td><td class="num">${esc(formatPercent(l.saturatedFraction, 0))}</td><td class="num">${esc(sci(l.gradientNorm))}</td><td class="num">${esc(sci(l.updateRatio))}</td></tr>`)
    .join('');
  return `<details class="layers"><summary>layers</summary><table><thead><tr><th scope="col"></th><th scope="col" class="num">dead</th><th scope="col" class="num">sat.</th><th scope="col" class="num">‖∂L/∂W‖</th><th scope="col" class="num">‖ΔW‖/‖W‖</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function t1Html(r: StudyReport): string {
  const t = r.table1;
  const columns = Math.max(...t.rows.map((x) => x.cells.length));
  const head = `<thead><tr><th scope="col">factor</th>${Array.from({ length: columns }, (_, j) => `<th scope="col">value ${j + 1}</th>`).join('')}</tr></thead>`;
  const body = t.rows
    .map((row) => {
      const tds = row.cells.map((c) => {
        const badge = c.isBase ? '<span class="badge base">base</span>' : c.verdict ? `<span class="badge ${c.verdict}" title="${esc(verdictText(c.verdict, c.vsBase?.p))}">${c.verdict === 'noise' ? '≈' : c.verdict === 'better' ? '↑' : '↓'}</span>` : '';
        if (!c.stats) return `<td><div class="v">${esc(c.value)}</div><div class="s">not run</div></td>`;
        const n = c.stats.values.length;
        return `<td class="${c.isBase ? 'base' : ''}"><div class="v">${esc(c.value)}${badge}</div><div class="m">${esc(fmtMeanSd(c.stats, r.metric))}</div><div class="s">n=${n} · ${esc(fmtSeconds(c.stats.seconds))}${c.stats.failed ? ` · ${c.stats.failed} diverged` : ''}</div>${layerDetails(c.stats.layers)}</td>`;
      });
      while (tds.length < columns) tds.push('<td></td>');
      return `<tr><th scope="row">${esc(row.factor)}<div class="s">${esc(row.path)}</div></th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="t1">${head}<tbody>${body}</tbody></table>`;
}

/** The pruned trials as a report section, or null when none was pruned. */
function prunedSection(r: StudyReport): ReportSection | null {
  const pruned = prunedTrials(r);
  if (pruned.length === 0) return null;
  const rows = pruned
    .map((t) => `<tr><td class="num">${t.number}</td><th scope="row">${esc(t.label)}</th><td class="num">${t.seed}</td><td class="num">${t.epochs}</td><td class="num">${t.metric === null ? 'n/a' : esc(fmtMetric(t.metric, r.metric))}</td><td>${esc(t.reason ?? '')}</td></tr>`)
    .join('\n');
  const table = `<table><thead><tr><th scope="col" class="num">trial</th><th scope="col">configuration</th><th scope="col" class="num">seed</th><th scope="col" class="num">stopped after epoch</th><th scope="col" class="num">metric then</th><th scope="col">the pruner's reason</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  return {
    id: 'pruned',
    html: `<section id="pruned"><h2>Pruned trials</h2>
<p class="lead">The ${esc(pruner(r))} stopped ${pruned.length} trial${pruned.length === 1 ? '' : 's'} of ${searchTally(r).total}; a pruned trial keeps its partial curve and is not counted as a result.</p>
${pruned.length > 12 ? `<details><summary>${pruned.length} pruned trials</summary>${table}</details>` : table}
</section>`,
  };
}

/** A space study's sections: the metric over trials, one slice per parameter, the importance of each, the best trials. */
async function searchSections(r: StudyReport): Promise<ReportSection[]> {
  const search = r.trialLog.filter((t) => t.phase === 'search');
  const percent = r.metric === 'valAccuracy';
  const points: SearchPoint[] = search.map((t) => ({ trial: t.number, value: t.metric ?? NaN, state: t.state }));
  const progress = await specToSvg(searchChart(points, { metric: metricName(r.metric), higherIsBetter: r.metric !== 'valLoss', percent, width: 640 }));
  const done = search.filter((t) => t.state === 'done' && t.metric !== null && t.params);
  const space = r.search!.space;
  const slices = done.length
    ? await specToSvg(
        sliceCharts(
          space.map((p) => ({
            name: p.name,
            log: p.kind === 'range' && p.log,
            categorical: p.kind === 'choice',
            int: p.kind === 'range' && p.int,
            points: done.map((t) => {
              const v = t.params![p.path];
              return { x: p.kind === 'choice' ? formatParamValue(p, v) : (v as number), value: t.metric! };
            }),
          })),
          { metric: metricName(r.metric), percent, width: 170, columns: Math.min(3, space.length) },
        ),
      )
    : '';
  const importance = r.search!.importance
    .map((x) => `<tr><th scope="row">${esc(x.name)}<div class="s">${esc(x.path)}</div></th><td class="num">${esc(formatPercent(x.share, 0))}</td><td class="num">${x.eta2.toFixed(3)}</td><td><div class="bar" style="width:${Math.round(200 * x.share)}px"></div></td></tr>`)
    .join('\n');
  const best = rankedSearch(r).slice(0, 15);
  const bestRows = best
    .map((t, i) => `<tr><td class="num">${i + 1}</td><td class="num">${t.number}</td><td class="num">${esc(fmtMetric(t.metric!, r.metric))}</td><td class="num">${t.epochs}</td><th scope="row">${esc(t.label)}</th></tr>`)
    .join('\n');
  const out: ReportSection[] = [
    {
      id: 'search',
      html: `<section id="search"><h2>Search</h2>
<p class="lead">${esc(r.strategy)} with the ${esc(pruner(r))}; ${esc(searchCounts(r))}. Each trial trains one sampled configuration once, with the base seed.</p>
<figure class="figure">${inlineSvg(progress, 'search-progress')}</figure>
${slices ? `<figure class="figure">${inlineSvg(slices, 'search-slices')}</figure>` : ''}
</section>`,
    },
    {
      id: 'importance',
      html: `<section id="importance"><h2>Which parameters mattered</h2>
<p class="lead">${esc(IMPORTANCE_NOTE)}</p>
<table><thead><tr><th scope="col">parameter</th><th scope="col" class="num">share</th><th scope="col" class="num">eta²</th><th scope="col"></th></tr></thead><tbody>
${importance}
</tbody></table></section>`,
    },
    {
      id: 'best-trials',
      html: `<section id="best-trials"><h2>Best trials</h2>
<table><thead><tr><th scope="col" class="num">rank</th><th scope="col" class="num">trial</th><th scope="col" class="num">${esc(metricName(r.metric))}</th><th scope="col" class="num">epochs</th><th scope="col">configuration</th></tr></thead><tbody>
${bestRows}
</tbody></table></section>`,
    },
  ];
  return out;
}

/**
 * The study report as one self-contained HTML page (inline CSS and SVG). The final model's
 * run report is the page `mlplab train` writes, inlined after the study's sections.
 */
export async function renderStudyReportHtml(r: StudyReport): Promise<string> {
  if (r.search) return renderSearchReportHtml(r);
  const points = factorPoints(r);
  const base = r.table1.base;
  const chart = points.length
    ? await specToSvg(
        factorChart(points, {
          title: `${r.name}: validation accuracy by factor`,
          subtitle: r.table1.kind === 'configuration' ? `mean ± sd over ${r.seeds} seeds; one factor varied at a time; dashed: base model` : 'marginal mean ± sd over configurations with that value',
          baseline: base && base.accValues.length ? base.valAccuracy.mean : undefined,
        }),
      )
    : '';
  const fm = (x: number) => fmtMetric(x, r.metric);
  const best = r.ranking[0];
  const cards = [
    card('Trials', String(r.trials.total), `${r.seeds} seeds per configuration; ${r.trials.failed} diverged${r.trials.pruned ? `, ${r.trials.pruned} pruned` : ''}`),
    card('Base model', base ? fm(base.metric.mean) : '—', base ? `± ${fmtMetric(base.metric.sd, r.metric).replace('%', '')} sd, n=${base.values.length}` : ''),
    card('Best configuration', best ? fm(best.stats.metric.mean) : '—', best ? best.stats.label : ''),
    r.final?.test ? card('Final test accuracy', fm(r.final.test.accuracy), `macro F1 ${r.final.test.report.macro.f1.toFixed(3)}`) : card('Final model', '—', 'not evaluated on a test set'),
  ].join('\n');

  const decisions = r.candidate
    ? `<section id="candidate"><h2>Combined candidate</h2>
<p class="lead">Per factor, the value with the largest gain over the base that passes the rules: ${r.pickRule === 'significant' ? 'the gain must be significant' : 'the best mean is taken'}${r.costRule ? `, and a value more than ${r.costRule.maxTimeRatio}x slower per epoch than the base must gain at least ${esc(fmtGain(r.costRule.minGain, r.metric))}` : ''}. One at a time, the chosen values gained ${esc(fmtSignedGain(r.candidate.sumOfGains, r.metric))} together.</p>
<ul class="decisions">${r.candidate.decisions
        .map((d) => `<li><strong>${esc(d.factor)}</strong>: ${esc(d.chosen)}${d.changed ? '' : ' <span class="badge base">base</span>'} — ${esc(d.reason)}${d.rejected.map((x) => `; not ${esc(x.value)}: ${esc(x.reason)}`).join('')}</li>`)
        .join('\n')}</ul></section>`
    : '';
  const ic = r.interaction;
  const interaction = ic
    ? `<section id="interactions"><h2>Interaction check</h2>
<p class="verdict ${ic.holdsUp ? '' : 'bad'}">${esc(capitalise(ic.summary))}.</p>
<table><thead><tr><th scope="col">configuration</th><th scope="col">change from the candidate</th><th scope="col" class="num">mean ± sd</th><th scope="col" class="num">n</th><th scope="col">vs candidate</th></tr></thead><tbody>
${ic.candidate ? `<tr><th scope="row">${esc(ic.candidateLabel)}</th><td>(candidate)</td><td class="num">${esc(fmtMeanSd(ic.candidate, r.metric))}</td><td class="num">${ic.candidate.values.length}</td><td>${ic.vsBase ? esc(`vs base: ${verdictText(ic.vsBase.significant ? (ic.vsBase.diff * (r.metric === 'valLoss' ? -1 : 1) > 0 ? 'better' : 'worse') : 'noise', ic.vsBase.p)}`) : ''}</td></tr>` : ''}
${ic.neighbours
  .map((n) => `<tr><th scope="row">${esc(n.label)}</th><td>${esc(n.move)}</td><td class="num">${n.stats ? esc(fmtMeanSd(n.stats, r.metric)) : 'not run'}</td><td class="num">${n.stats?.values.length ?? 0}</td><td>${esc(verdictText(n.verdict, n.vsCandidate?.p))}</td></tr>`)
  .join('\n')}
</tbody></table></section>`
    : '';
  const ranking = `<section id="ranking"><h2>Best configurations</h2>
<p class="lead">Ranked by mean ${esc(metricName(r.metric))}; each compared with the best (Welch, p &lt; ${r.alpha}).</p>
<table><thead><tr><th scope="col">#</th><th scope="col">configuration</th><th scope="col" class="num">mean ± sd</th><th scope="col" class="num">n</th><th scope="col" class="num">time / trial</th><th scope="col">vs best</th></tr></thead><tbody>
${r.ranking
  .map((x, i) => `<tr><td class="num">${i + 1}</td><th scope="row">${esc(x.stats.label)}</th><td class="num">${esc(fmtMeanSd(x.stats, r.metric))}</td><td class="num">${x.stats.values.length}</td><td class="num">${esc(fmtSeconds(x.stats.seconds))}</td><td>${i === 0 ? 'best' : esc(x.withinNoise ? `within the noise (${fmtP(x.vsBest!.p)})` : `significantly worse (${fmtP(x.vsBest!.p)})`)}</td></tr>`)
  .join('\n')}
</tbody></table></section>`;

  const sections: ReportSection[] = [
    {
      id: 'table1',
      html: `<section id="table1"><h2>Table 1: ${esc(metricName(r.metric))} by factor</h2>
<p class="lead">${esc(r.table1.kind === 'configuration' ? 'Each cell is the base model with one factor changed' : 'Each cell pools every configuration with that value (a marginal mean)')}; mean ± sd over seeds, n runs, training time per trial. ${esc(r.significanceRule)}${r.table1.kind === 'configuration' ? ' ↑ / ↓: significantly better / worse than the base; ≈: within the noise.' : ''}</p>
${t1Html(r)}
</section>`,
    },
  ];
  if (chart) sections.push({ id: 'factors', html: `<section id="factors"><h2>Value vs accuracy</h2><figure class="figure">${inlineSvg(chart, 'factors')}</figure></section>` });
  if (decisions) sections.push({ id: 'candidate', html: decisions });
  if (interaction) sections.push({ id: 'interactions', html: interaction });
  if (r.repair) {
    const rows = r.repair.steps
      .map((s, i) => `<tr><td class="num">${i + 1}</td><th scope="row">${esc(s.change)}</th><td>${esc(s.label)}</td><td class="num">${s.stats ? esc(fmtMeanSd(s.stats, r.metric)) : 'not run'}</td><td>${esc(s.reason)}</td><td>${s.kept ? '<span class="badge better">kept</span>' : '<span class="badge noise">dropped</span>'}</td></tr>`)
      .join('\n');
    sections.push({
      id: 'repair',
      html: `<section id="repair"><h2>Repairing the combination</h2>
<p class="verdict">${esc(r.repair.summary)}</p>
<table><thead><tr><th scope="col" class="num">step</th><th scope="col">change added</th><th scope="col">configuration</th><th scope="col" class="num">mean ± sd</th><th scope="col">against the configuration kept so far</th><th scope="col"></th></tr></thead><tbody>
${rows}
</tbody></table></section>`,
    });
  }
  sections.push({ id: 'ranking', html: ranking });
  const pruned = prunedSection(r);
  if (pruned) sections.push(pruned);
  sections.push(dataSection(r));
  sections.push(...(await finalModelSections(r)));
  return reportPage({ title: `${r.name}: tuning study`, css: REPORT_STYLE + STUDY_STYLE, header: studyHeader(r, cards), sections });
}

/** The page of a space study (TPE, random over ranges): the search, the importance, the best and the pruned trials, the final model. */
async function renderSearchReportHtml(r: StudyReport): Promise<string> {
  const fm = (x: number) => fmtMetric(x, r.metric);
  const n = searchTally(r);
  const best = rankedSearch(r)[0];
  const cards = [
    card('Trials', String(n.total), `${n.pruned} pruned, ${n.failed} diverged`),
    card('Best trial', best ? fm(best.metric!) : '—', best ? `trial ${best.number}` : 'no trial finished'),
    card('Parameters', String(r.search!.space.length), r.search!.importance[0] ? `most important: ${r.search!.importance[0].name}` : ''),
    r.final?.test ? card('Final test accuracy', fm(r.final.test.accuracy), `macro F1 ${r.final.test.report.macro.f1.toFixed(3)}`) : card('Final model', '—', 'not evaluated on a test set'),
  ].join('\n');
  const sections = await searchSections(r);
  const pruned = prunedSection(r);
  if (pruned) sections.push(pruned);
  sections.push(dataSection(r));
  sections.push(...(await finalModelSections(r)));
  return reportPage({ title: `${r.name}: tuning study`, css: REPORT_STYLE + STUDY_STYLE, header: studyHeader(r, cards), sections });
}

function studyHeader(r: StudyReport, cards: string): string {
  return `<div class="eyebrow">mlplab tuning study</div>
<h1>${esc(r.name)}</h1>
<div class="meta">${esc(r.createdAt.slice(0, 16).replace('T', ' '))} UTC · ${esc(r.strategy)} · ${esc(r.data.source)} · ${r.trials.workers} worker${r.trials.workers === 1 ? '' : 's'} · ${esc(fmtSeconds(r.trials.trainSeconds))} of training in all, ${r.trials.executedThisRun} trials and ${esc(fmtSeconds(r.trials.wallSeconds))} in the last run</div>
<div class="cards">
${cards}
</div>`;
}

function dataSection(r: StudyReport): ReportSection {
  return {
    id: 'study-data',
    html: `<section id="study-data"><h2>Data for the trials</h2>
<p class="lead">${esc(r.data.source)}: ${r.data.trialTrainRows} training rows per trial, ${r.data.valRows} validation rows, ${r.data.testRows} test rows (touched once, by the final model${r.reference && !r.reference.sameAsWinner ? ' and the reference model' : ''}); ${r.data.features} features, ${r.data.classes} classes.</p>
${preparationSteps(r.data.steps)}
</section>`,
  };
}

/** The final model's run report (as `mlplab train` writes it), or why it is missing. */
async function finalModelSections(r: StudyReport): Promise<ReportSection[]> {
  if (r.final) {
    const finalSections = runReportSections(r.final, await renderRunFigureSvgs(r.final, { compact: true }), { idPrefix: 'final-' });
    const rows = comparisonRows(r);
    const comparison: ReportSection[] = rows.length
      ? [
          {
            id: 'comparison',
            html: `<section id="comparison"><h2>The final model beside ${esc(r.reference!.label)}</h2>
<p class="verdict">${esc(comparisonSentence(r))}</p>
<table><thead><tr><th scope="col">model</th><th scope="col">configuration</th><th scope="col" class="num">test accuracy</th><th scope="col" class="num">macro F1</th><th scope="col" class="num">epochs</th><th scope="col" class="num">time</th></tr></thead><tbody>
${rows.map((c) => `<tr><th scope="row">${esc(c[0])}</th><td>${esc(c[1])}</td><td class="num">${esc(c[2])}</td><td class="num">${esc(c[3])}</td><td class="num">${esc(c[4])}</td><td class="num">${esc(c[5])}</td></tr>`).join('\n')}
</tbody></table></section>`,
          },
        ]
      : [];
    return [...comparison, { id: 'final', html: `<div class="final-divider" id="final">Final model: ${esc(r.winner.label)}</div>` }, ...finalSections];
  }
  if (r.finalError) return [{ id: 'final', html: `<section id="final"><h2>Final model: ${esc(r.winner.label)}</h2><p class="verdict bad">Its training failed: ${esc(r.finalError)}</p></section>` }];
  return [];
}

/**
 * Write table1.md, study.json, report.html and the final model's run folder (final/, as
 * `mlplab train` writes it) into `dir`; returns the paths.
 */
export async function writeStudyReport(dir: string, r: StudyReport, o: { modelJson: string | null; referenceJson?: string | null; html: boolean }): Promise<string[]> {
  const files: string[] = [];
  const put = async (name: string, data: string) => {
    await writeFileAtomic(join(dir, name), data);
    files.push(join(dir, name));
  };
  await put(STUDY_FILES.table, formatTable1Markdown(r));
  // The predictions of each test row stay in the run folders (predictions.csv), not in study.json.
  const lean = (run: RunReport | null) => (run ? { ...run, test: run.test ? { ...run.test, predictions: undefined } : null } : null);
  await put(STUDY_FILES.summary, JSON.stringify({ ...r, final: lean(r.final), reference: r.reference ? { ...r.reference, final: lean(r.reference.final) } : null }, null, 2) + '\n');
  if (r.final && o.modelJson) files.push(...(await writeRunFolder({ report: r.final, modelFile: o.modelJson }, join(dir, 'final'), { html: o.html })));
  if (r.reference?.final && o.referenceJson) files.push(...(await writeRunFolder({ report: r.reference.final, modelFile: o.referenceJson }, join(dir, 'reference'), { html: o.html })));
  if (o.html) await put(STUDY_FILES.report, await renderStudyReportHtml(r));
  return files;
}
