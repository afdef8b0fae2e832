/**
 * The study report as one self-contained HTML page (report.html): a plot per factor, the
 * combined candidate and its interaction check, the ranking (a space study: its search), and
 * the final model's run report, the same one `mlplab train` writes.
 */
import { isFraction, metricDirection } from '../study/config.js';
import { formatDuration, formatFixed, formatPercent, formatScientific as sci } from '../../format.js';
import { factorChart, parallelChart, searchChart, sliceCharts, type FactorPoint, type SearchPoint } from '../../report/charts/study.js';
import { preparationSteps, runReportSections } from '../../report/html.js';
import { REPORT_STYLE, bdi, card, esc, inlineSvg, reportPage, type ReportSection } from '../../report/page.js';
import { renderRunFigureSvgs, specToSvg } from '../../report/render-node.js';
import { fmtGain, fmtMetric, fmtP, fmtSignedGain, fmtUnits, type LayerSummary, type Table1 } from '../analysis/table1.js';
import type { StudyMetric } from '../study/config.js';
import type { Importance } from '../search/importance.js';
import { parallelData, slicePanels, type SearchedTrial } from './search-figures.js';
import { prunedTrials, rankedSearch, searchTally, type StudyReport } from './study-report.js';
import { IMPORTANCE_NOTE, capitalise, comparisonColumns, comparisonRows, comparisonSentence, fmtMeanSd, metricTitle, pruner, searchCounts, verdictText } from './wording.js';

/** The factor plot's points: one per Table 1 cell, mean ± sd of validation accuracy (a regression: of the study's metric). */
export function factorPoints(r: StudyReport): FactorPoint[] {
  const regress = r.data.task === 'regress';
  return r.table1.rows.flatMap((row) =>
    row.cells.flatMap((c) => {
      if (!c.stats) return [];
      const s = regress ? c.stats.metric : c.stats.valAccuracy;
      return s.n > 0 ? [{ factor: row.factor, value: c.value, mean: s.mean, sd: s.sd, n: s.n, isDefault: c.isBase }] : [];
    }),
  );
}

/** A chart's percent formats made plain numbers (R², RMSE and MAE are no fractions): axes to 3 significant digits, tooltips to 5. */
function withoutPercent<T>(spec: T): T {
  const walk = (v: unknown, key: string): unknown => {
    if (key === 'format' && v === '.0%') return '.3~r';
    if (key === 'format' && v === '.2%') return '.5~r';
    if (Array.isArray(v)) return v.map((x) => walk(x, ''));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(spec, '') as T;
}

/** The study report's own rules after REPORT_STYLE (Table 1, badges, verdicts); the dashboard uses them too. */
export const STUDY_STYLE = `
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

/** Table 1 as HTML: report.html and the dashboard draw it with this one function. */
export function table1Html(t: Table1, metric: StudyMetric): string {
  const columns = Math.max(...t.rows.map((x) => x.cells.length));
  const head = `<thead><tr><th scope="col">factor</th>${Array.from({ length: columns }, (_, j) => `<th scope="col">value ${j + 1}</th>`).join('')}</tr></thead>`;
  const body = t.rows
    .map((row) => {
      const tds = row.cells.map((c) => {
        const badge = c.isBase ? '<span class="badge base">base</span>' : c.verdict ? `<span class="badge ${c.verdict}" title="${esc(verdictText(c.verdict, c.vsBase?.p))}">${c.verdict === 'noise' ? '≈' : c.verdict === 'better' ? '↑' : '↓'}</span>` : '';
        if (!c.stats) return `<td><div class="v">${esc(c.value)}</div><div class="s">not run</div></td>`;
        const n = c.stats.values.length;
        return `<td class="${c.isBase ? 'base' : ''}"><div class="v">${esc(c.value)}${badge}</div><div class="m">${esc(fmtMeanSd(c.stats, metric))}</div><div class="s">n=${n} · ${esc(formatDuration(c.stats.seconds))}${c.stats.failed ? ` · ${c.stats.failed} diverged` : ''}</div>${layerDetails(c.stats.layers)}</td>`;
      });
      while (tds.length < columns) tds.push('<td></td>');
      return `<tr><th scope="row">${bdi(row.factor)}<div class="s">${esc(row.path)}</div></th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="t1">${head}<tbody>${body}</tbody></table>`;
}

/** The importance of each parameter as a table with a bar per share: report.html and the dashboard draw it with this one function. */
export function importanceHtml(importance: Importance[]): string {
  const rows = importance
    .map((x) => `<tr><th scope="row">${bdi(x.name)}<div class="s">${esc(x.path)}</div></th><td class="num">${esc(formatPercent(x.share, 0))}</td><td class="num">${formatFixed(x.eta2, 3)}</td><td><div class="bar" style="width:${Math.round(200 * x.share)}px"></div></td></tr>`)
    .join('\n');
  return `<table class="importance"><thead><tr><th scope="col">parameter</th><th scope="col" class="num">share</th><th scope="col" class="num">eta²</th><th scope="col"></th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** The pruned trials as a report section, or null when none was pruned. */
function prunedSection(r: StudyReport): ReportSection | null {
  const pruned = prunedTrials(r);
  if (pruned.length === 0) return null;
  const rows = pruned
    .map((t) => `<tr><td class="num">${t.number}</td><th scope="row">${bdi(t.label)}</th><td class="num">${t.seed}</td><td class="num">${t.epochs}</td><td class="num">${t.metric === null ? 'n/a' : esc(fmtMetric(t.metric, r.metric))}</td><td>${esc(t.reason ?? '')}</td></tr>`)
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
  const percent = isFraction(r.metric);
  const points: SearchPoint[] = search.map((t) => ({ trial: t.number, value: t.metric ?? NaN, state: t.state }));
  const progress = await specToSvg(searchChart(points, { metric: metricTitle(r), higherIsBetter: metricDirection(r.metric) > 0, percent, width: 640 }));
  const done: SearchedTrial[] = search.filter((t) => t.state === 'done' && t.metric !== null && t.params).map((t) => ({ number: t.number, value: t.metric!, params: t.params! }));
  const space = r.search!.space;
  const slices = done.length ? await specToSvg(sliceCharts(slicePanels(space, done), { metric: metricTitle(r), percent, width: 170, columns: Math.min(3, space.length) })) : '';
  const parallel = done.length ? await specToSvg(parallelChart(parallelData(space, done, { metric: r.metric, metricTitle: metricTitle(r) }))) : '';
  const best = rankedSearch(r).slice(0, 15);
  const bestRows = best
    .map((t, i) => `<tr><td class="num">${i + 1}</td><td class="num">${t.number}</td><td class="num">${esc(fmtMetric(t.metric!, r.metric))}</td><td class="num">${t.epochs}</td><th scope="row">${bdi(t.label)}</th></tr>`)
    .join('\n');
  const out: ReportSection[] = [
    {
      id: 'search',
      html: `<section id="search"><h2>Search</h2>
<p class="lead">${esc(r.strategy)} ${r.pruner.type === 'none' ? 'without a pruner' : `with the ${esc(pruner(r))}`}; ${esc(searchCounts(r))}. Each trial trains one sampled configuration once, with the base seed.</p>
<figure class="figure">${inlineSvg(progress, 'search-progress')}</figure>
${slices ? `<figure class="figure">${inlineSvg(slices, 'search-slices')}</figure>` : ''}
${parallel ? `<figure class="figure">${inlineSvg(parallel, 'search-parallel')}</figure>` : ''}
</section>`,
    },
    {
      id: 'importance',
      html: `<section id="importance"><h2>Which parameters mattered</h2>
<p class="lead">${esc(IMPORTANCE_NOTE)}</p>
${importanceHtml(r.search!.importance)}</section>`,
    },
    {
      id: 'best-trials',
      html: `<section id="best-trials"><h2>Best trials</h2>
<table><thead><tr><th scope="col" class="num">rank</th><th scope="col" class="num">trial</th><th scope="col" class="num">${esc(metricTitle(r))}</th><th scope="col" class="num">epochs</th><th scope="col">configuration</th></tr></thead><tbody>
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
  const regress = r.data.task === 'regress';
  // A regression plots the study's metric (accuracy counts classes), as plain numbers.
  const plotted = regress ? metricTitle(r) : 'validation accuracy';
  const spec = factorChart(points, {
    title: `${r.name}: ${plotted} by factor`,
    subtitle: r.table1.kind === 'configuration' ? `mean ± sd over ${r.seeds} seeds; one factor varied at a time; dashed: base model` : 'marginal mean ± sd over configurations with that value',
    metric: plotted,
    baseline: !base ? undefined : regress ? (base.values.length ? base.metric.mean : undefined) : base.accValues.length ? base.valAccuracy.mean : undefined,
  });
  const chart = points.length ? await specToSvg(regress ? withoutPercent(spec) : spec) : '';
  const fm = (x: number) => fmtMetric(x, r.metric);
  const best = r.ranking[0];
  const cards = [
    card('Trials', String(r.trials.total), `${r.seeds} seeds per configuration; ${r.trials.failed} diverged${r.trials.pruned ? `, ${r.trials.pruned} pruned` : ''}`),
    card('Base model', base ? fm(base.metric.mean) : '—', base ? `± ${fmtMetric(base.metric.sd, r.metric).replace('%', '')} sd, n=${base.values.length}` : ''),
    card('Best configuration', best ? fm(best.stats.metric.mean) : '—', best ? best.stats.label : ''),
    finalCard(r),
  ].join('\n');

  const decisions = r.candidate
    ? `<section id="candidate"><h2>Combined candidate</h2>
<p class="lead">Per factor, the value with the largest gain over the base that passes the rules: ${r.pickRule === 'significant' ? 'the gain must be significant' : 'the best mean is taken'}${r.costRule ? `, and a value more than ${r.costRule.maxTimeRatio}x slower per epoch than the base must gain at least ${esc(fmtGain(r.costRule.minGain, r.metric))}` : ''}. One at a time, the chosen values gained ${esc(fmtSignedGain(r.candidate.sumOfGains, r.metric))} together.</p>
<ul class="decisions">${r.candidate.decisions
        .map((d) => `<li><strong>${bdi(d.factor)}</strong>: ${esc(d.chosen)}${d.changed ? '' : ' <span class="badge base">base</span>'} — ${esc(d.reason)}${d.rejected.map((x) => `; not ${esc(x.value)}: ${esc(x.reason)}`).join('')}</li>`)
        .join('\n')}</ul></section>`
    : '';
  const ic = r.interaction;
  const interaction = ic
    ? `<section id="interactions"><h2>Interaction check</h2>
<p class="verdict ${ic.holdsUp ? '' : 'bad'}">${esc(capitalise(ic.summary))}.</p>
<table><thead><tr><th scope="col">configuration</th><th scope="col">change from the candidate</th><th scope="col" class="num">mean ± sd</th><th scope="col" class="num">n</th><th scope="col">vs candidate</th></tr></thead><tbody>
${ic.candidate ? `<tr><th scope="row">${bdi(ic.candidateLabel)}</th><td>(candidate)</td><td class="num">${esc(fmtMeanSd(ic.candidate, r.metric))}</td><td class="num">${ic.candidate.values.length}</td><td>${ic.vsBase ? esc(`vs base: ${verdictText(ic.vsBase.significant ? (ic.vsBase.diff * metricDirection(r.metric) > 0 ? 'better' : 'worse') : 'noise', ic.vsBase.p)}`) : ''}</td></tr>` : ''}
${ic.neighbours
  .map((n) => `<tr><th scope="row">${bdi(n.label)}</th><td>${esc(n.move)}</td><td class="num">${n.stats ? esc(fmtMeanSd(n.stats, r.metric)) : 'not run'}</td><td class="num">${n.stats?.values.length ?? 0}</td><td>${esc(verdictText(n.verdict, n.vsCandidate?.p))}</td></tr>`)
  .join('\n')}
</tbody></table></section>`
    : '';
  const ranking = `<section id="ranking"><h2>Best configurations</h2>
<p class="lead">Ranked by mean ${esc(metricTitle(r))}; each compared with the best (Welch, p &lt; ${r.alpha}).</p>
<table><thead><tr><th scope="col">#</th><th scope="col">configuration</th><th scope="col" class="num">mean ± sd</th><th scope="col" class="num">n</th><th scope="col" class="num">time / trial</th><th scope="col">vs best</th></tr></thead><tbody>
${r.ranking
  .map((x, i) => `<tr><td class="num">${i + 1}</td><th scope="row">${bdi(x.stats.label)}</th><td class="num">${esc(fmtMeanSd(x.stats, r.metric))}</td><td class="num">${x.stats.values.length}</td><td class="num">${esc(formatDuration(x.stats.seconds))}</td><td>${i === 0 ? 'best' : esc(x.withinNoise ? `within the noise (${fmtP(x.vsBest!.p)})` : `significantly worse (${fmtP(x.vsBest!.p)})`)}</td></tr>`)
  .join('\n')}
</tbody></table></section>`;

  const sections: ReportSection[] = [
    {
      id: 'table1',
      html: `<section id="table1"><h2>Table 1: ${esc(metricTitle(r))} by factor</h2>
<p class="lead">${esc(r.table1.kind === 'configuration' ? 'Each cell is the base model with one factor changed' : 'Each cell pools every configuration with that value (a marginal mean)')}; mean ± sd over seeds, n runs, training time per trial. ${esc(r.significanceRule)}${r.table1.kind === 'configuration' ? ' ↑ / ↓: significantly better / worse than the base; ≈: within the noise.' : ''}</p>
${table1Html(r.table1, r.metric)}
</section>`,
    },
  ];
  if (chart) sections.push({ id: 'factors', html: `<section id="factors"><h2>Value vs ${regress ? esc(metricTitle(r)) : 'accuracy'}</h2><figure class="figure">${inlineSvg(chart, 'factors')}</figure></section>` });
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
    finalCard(r),
  ].join('\n');
  const sections = await searchSections(r);
  const pruned = prunedSection(r);
  if (pruned) sections.push(pruned);
  sections.push(dataSection(r));
  sections.push(...(await finalModelSections(r)));
  return reportPage({ title: `${r.name}: tuning study`, css: REPORT_STYLE + STUDY_STYLE, header: studyHeader(r, cards), sections });
}

/** The final model's card: its test accuracy and macro F1, or its test R², RMSE and MAE. */
function finalCard(r: StudyReport): string {
  const reg = r.final?.regression?.test;
  if (reg) return card('Final test R²', formatFixed(reg.r2, 4), `RMSE ${fmtUnits(reg.rmse)}, MAE ${fmtUnits(reg.mae)}${r.data.target ? ` (${r.data.target})` : ''}`);
  const t = r.final?.test;
  return t ? card('Final test accuracy', fmtMetric(t.accuracy, 'valAccuracy'), `macro F1 ${formatFixed(t.report.macro.f1, 3)}`) : card('Final model', '—', 'not evaluated on a test set');
}

function studyHeader(r: StudyReport, cards: string): string {
  return `<div class="eyebrow">mlplab tuning study</div>
<h1>${esc(r.name)}</h1>
<div class="meta">${esc(r.createdAt.slice(0, 16).replace('T', ' '))} UTC · ${esc(r.strategy)} · ${esc(r.data.source)} · ${r.trials.workers} worker${r.trials.workers === 1 ? '' : 's'} · ${esc(formatDuration(r.trials.trainSeconds))} of training in all, ${r.trials.executedThisRun} trials and ${esc(formatDuration(r.trials.wallSeconds))} in the last run</div>
<div class="cards">
${cards}
</div>`;
}

function dataSection(r: StudyReport): ReportSection {
  return {
    id: 'study-data',
    html: `<section id="study-data"><h2>Data for the trials</h2>
<p class="lead">${esc(r.data.source)}: ${r.data.trialTrainRows} training rows per trial, ${r.data.valRows} validation rows, ${r.data.testRows} test rows (touched once, by the final model${r.reference && !r.reference.sameAsWinner ? ' and the reference model' : ''}); ${r.data.features} features, ${r.data.task === 'regress' ? `a regression of ${bdi(r.data.target ?? 'target')}` : `${r.data.classes} classes`}.</p>
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
<table><thead><tr><th scope="col">model</th><th scope="col">configuration</th>${comparisonColumns(r).map((c) => `<th scope="col" class="num">${esc(c)}</th>`).join('')}<th scope="col" class="num">epochs</th><th scope="col" class="num">time</th></tr></thead><tbody>
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
