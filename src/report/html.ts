/**
 * The run report as one self-contained HTML page. Pure and browser-safe: figures come in as
 * SVG markup, rendered by Vega in Node (render-node.ts) or in the browser. The page is built
 * from sections (data: an id and its markup), so the study report composes the final model's
 * run-report sections with its own.
 */
import type { CvSummary } from '../metrics/cross-validation.js';
import type { TopLevelSpec } from 'vega-lite';
import type { ClassificationReport } from '../metrics/classification.js';
import { SUMMARY_CLASSES, confusionChart } from './charts/confusion.js';
import { accuracyChart, lossChart } from './charts/curves.js';
import { regressionCards, regressionCharts, regressionCvSection, regressionLossTitle, regressionTestSection, type RegressionFigures } from './regression-html.js';
import { layerChart } from './charts/layers.js';
import { REPORT_STYLE, bdi, card, esc, inlineSvg, reportPage, type ReportSection } from './page.js';
import { LAYER_THRESHOLDS, type LayerFinding } from './layers.js';
import { summaryClasses } from './text.js';
import { pngDataUrl, weightsPng } from './weights-image.js';
import { diagnoseHistory, type Finding } from './diagnose.js';
import { formatCount, formatDuration, formatFixed, formatPercent, formatScientific } from '../format.js';
import type { RunReport } from './run-report.js';

/** SVG markup of the report's figures; a missing one is left out of the page. Regression runs have R^2 and residual figures instead of accuracy and confusion. */
export interface RunReportFigures extends RegressionFigures {
  loss?: string;
  accuracy?: string;
  confusion?: string;
  /** Per-layer charts over the epochs (when the history has layer statistics). */
  'layer-gradients'?: string;
  'layer-dead'?: string;
  'layer-updates'?: string;
}

/** Options of the HTML report. */
export interface RunReportHtmlOptions {
  /** How many of the last test predictions to list (default 20). */
  lastPredictions?: number;
}

/** The chart specs of a run report, by figure name; `compact` sizes them for the HTML page. */
export function runReportCharts(
  r: RunReport,
  options: { compact?: boolean } = {},
): { name: keyof RunReportFigures; spec: TopLevelSpec }[] {
  // Compact sizes fit two curves side by side on the HTML page; figure files use the defaults.
  const size = options.compact ? { width: 390, height: 250 } : {};
  const regress = r.task === 'regress';
  const own = regress ? regressionCharts(r, options.compact ?? false) : [];
  const charts: { name: keyof RunReportFigures; spec: TopLevelSpec }[] = [
    { name: 'loss', spec: lossChart(r.history, regress ? { ...size, yTitle: regressionLossTitle(r) } : size) },
    ...(regress ? own.filter((c) => c.name === 'r2') : [{ name: 'accuracy' as const, spec: accuracyChart(r.history, size) }]),
  ];
  if (r.history.some((e) => e.layers && e.layers.length > 0)) {
    const small = options.compact ? { width: 230, height: 160 } : {};
    charts.push(
      { name: 'layer-gradients', spec: layerChart(r.history, 'gradientNorm', small) },
      { name: 'layer-dead', spec: layerChart(r.history, 'deadFraction', small) },
      { name: 'layer-updates', spec: layerChart(r.history, 'updateRatio', small) },
    );
  }
  if (regress) charts.push(...own.filter((c) => c.name !== 'r2'));
  else if (r.test) {
    const cellSize = options.compact ? Math.max(22, Math.min(64, Math.floor(400 / r.data.classes))) : undefined;
    charts.push({ name: 'confusion', spec: confusionChart(r.test.confusion, r.data.classNames, { cellSize }) });
  }
  return charts;
}

function formatCreated(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

function flattenConfig(value: unknown, prefix: string, out: [string, string][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.push([prefix, '{}']);
    for (const [k, v] of entries) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value, null, 0)?.replace(/,/g, ', ') ?? String(value);
    } catch {
      text = String(value);
    }
  }
  out.push([prefix, text]);
}

const FINDING_TITLES: Record<Finding['kind'], string> = {
  'non-finite': 'Diverged',
  exploded: 'Loss exploded',
  'no-learning': 'Not learning',
  'at-chance': 'At chance',
  'dead-layer': 'Dead layer',
  overfitting: 'Overfitting',
  'wasted-epochs': 'Wasted epochs',
  plateau: 'Plateau',
  'early-stopped': 'Early stopping',
  'still-improving': 'Still improving',
  'no-improvement': 'No improvement',
};

function reportTable(rep: ClassificationReport): string {
  const n = (x: number) => formatFixed(x, 3);
  const { shown, summarised } = summaryClasses(rep.classes, SUMMARY_CLASSES);
  const note = summarised
    ? `<p class="lead">${formatCount(rep.classes.length)} classes: the ${shown.length / 2} of lowest F1, then the ${shown.length / 2} of highest. Every class is in metrics.json.</p>\n`
    : '';
  const rows = shown
    .map(
      (c) =>
        `<tr><th scope="row">${bdi(c.label)}</th><td class="num">${n(c.precision)}</td><td class="num">${n(c.recall)}</td><td class="num">${n(c.f1)}</td><td class="num">${formatCount(c.support)}</td></tr>`,
    )
    .join('\n');
  const avg = (name: string, a: ClassificationReport['macro']) =>
    `<tr class="avg"><th scope="row">${name}</th><td class="num">${n(a.precision)}</td><td class="num">${n(a.recall)}</td><td class="num">${n(a.f1)}</td><td class="num">${formatCount(a.support)}</td></tr>`;
  return `${note}<table class="report">
<thead><tr><th scope="col">class</th><th scope="col" class="num">precision</th><th scope="col" class="num">recall</th><th scope="col" class="num">F1</th><th scope="col" class="num">support</th></tr></thead>
<tbody>
${rows}
</tbody>
<tbody class="totals">
<tr class="avg first"><th scope="row">accuracy</th><td></td><td></td><td class="num">${n(rep.accuracy)}</td><td class="num">${formatCount(rep.macro.support)}</td></tr>
${avg('macro avg', rep.macro)}
${avg('weighted avg', rep.weighted)}
</tbody>
</table>`;
}

function predictionsBlock(r: RunReport, count: number, idPrefix: string): string {
  if (!r.test || r.test.predictions.length === 0 || count <= 0) return '';
  const names = r.data.classNames;
  const last = r.test.predictions.slice(-count);
  const correct = last.filter((p) => p.predicted === p.actual).length;
  const half = last.length > 10 ? Math.ceil(last.length / 2) : last.length;
  const chunks = [last.slice(0, half), last.slice(half)].filter((c) => c.length > 0);
  const table = (ps: typeof last) => `<table class="preds">
<thead><tr><th scope="col" class="num">sample</th><th scope="col">actual</th><th scope="col">predicted</th><th scope="col"><span class="sr">result</span></th></tr></thead>
<tbody>
${ps
  .map((p) => {
    const ok = p.predicted === p.actual;
    return `<tr class="${ok ? 'ok' : 'miss'}"><td class="num">${p.index}</td><td>${bdi(names[p.actual] ?? p.actual)}</td><td class="pred">${bdi(names[p.predicted] ?? p.predicted)}</td><td class="mark">${ok ? '✓' : '✗'}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
  return `<section id="${idPrefix}predictions">
<h2>Last ${last.length} test predictions</h2>
<p class="lead">${correct} of these ${last.length} are correct (${formatPercent(correct / last.length, 0)}).</p>
<div class="preds-grid">${chunks.map(table).join('\n')}</div>
</section>`;
}

/** Options of the run report's sections. */
export interface RunReportSectionOptions extends RunReportHtmlOptions {
  /** Prefix of section and figure ids, so several run reports fit one page (the study's final model). */
  idPrefix?: string;
}

/** The header's first two cards for a classification: test accuracy and macro F1. */
function classificationCards(r: RunReport): string[] {
  return [
    r.test
      ? card('Test accuracy', formatPercent(r.test.accuracy), `${formatCount(r.test.report.macro.support)} test samples`)
      : card('Test accuracy', '—', 'no test evaluation'),
    r.test
      ? card('Macro F1', formatFixed(r.test.report.macro.f1, 3), `weighted F1 ${formatFixed(r.test.report.weighted.f1, 3)}`)
      : card('Macro F1', '—', 'no test evaluation'),
  ];
}

/** What the history diagnosis needs to know of the run: early stopping, the classes, the task. */
function diagnoseOptions(r: RunReport) {
  return { stoppedEarly: r.stoppedEarly ?? null, classes: r.data.classes, task: r.task ?? ('classify' as const) };
}

/** The header of a run report: title, time, source and the summary cards. */
export function runReportHeader(r: RunReport): string {
  const diagnosis = diagnoseHistory(r.history, diagnoseOptions(r));
  const epochs = r.history.length;
  const epochSeconds = r.history.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0);
  const cards = [
    ...(r.task === 'regress' ? regressionCards(r) : classificationCards(r)),
    card(
      'Epochs',
      formatCount(epochs),
      r.stoppedEarly
        ? `stopped early; best epoch ${r.stoppedEarly.bestEpoch}${r.stoppedEarly.restored ? ' restored' : ''}`
        : diagnosis.bestValLossEpoch !== null
          ? `best validation loss at epoch ${diagnosis.bestValLossEpoch}`
          : 'no validation loss',
    ),
    card('Run time', formatDuration(r.seconds), epochs > 0 ? `${formatDuration(epochSeconds / epochs)} per epoch` : ''),
  ].join('\n');
  return `<div class="eyebrow">mlplab run report</div>
<h1>${bdi(r.title)}</h1>
<div class="meta">${esc(formatCreated(r.createdAt))} · ${bdi(r.data.source)}</div>
<div class="cards">
${cards}
</div>`;
}

/**
 * The sections of a run report, in order: what the curves say, the curves, the test set, the
 * last predictions, the data and the configuration.
 */
export function runReportSections(r: RunReport, figures: RunReportFigures, opts: RunReportSectionOptions = {}): ReportSection[] {
  const lastN = opts.lastPredictions ?? 20;
  const p = opts.idPrefix ?? '';
  const diagnosis = diagnoseHistory(r.history, diagnoseOptions(r));
  const epochs = r.history.length;
  const findings = diagnosis.findings.length
    ? `<ul class="findings">${diagnosis.findings
        .map((f) => `<li class="${f.severity}"><span class="tag">${esc(FINDING_TITLES[f.kind])}</span>${esc(f.message)}</li>`)
        .join('\n')}</ul>`
    : `<p class="lead">${epochs === 0 ? 'No epochs were recorded.' : 'The curves show no overfitting and no wasted epochs.'}</p>`;

  const figure = (name: keyof RunReportFigures, label: string) =>
    figures[name] ? `<figure class="figure" aria-label="${esc(label)}">${inlineSvg(figures[name]!, `${p}fig-${name}`)}</figure>` : '';

  const regress = r.task === 'regress';
  const testSection = regress
    ? regressionTestSection(r, figure, p)
    : r.test
    ? `<section id="${p}test">
<h2>Test set</h2>
<p class="lead">Accuracy ${esc(formatPercent(r.test.accuracy))} (balanced accuracy ${esc(formatPercent(r.test.report.balancedAccuracy))}, macro F1 ${esc(formatFixed(r.test.report.macro.f1, 3))}) on ${formatCount(r.test.report.macro.support)} samples the model never saw during training or tuning.</p>${
      r.ensemble ? `
<p>An ensemble of ${r.ensemble.length} networks (seeds ${r.ensemble.map((e) => e.seed).join(', ')}), their probabilities averaged. Alone, each scores ${esc(r.ensemble.map((e) => formatPercent(e.testAccuracy ?? NaN)).join(', '))} on the test set.</p>` : ''
    }
<div class="test-grid">
<div><h3>Classification report</h3>${reportTable(r.test.report)}</div>
<div>${figure('confusion', 'Confusion matrix') || '<p class="empty">Confusion matrix not rendered.</p>'}</div>
</div>
</section>`
    : `<section id="${p}test"><h2>Test set</h2><p class="empty">This run was not evaluated on a test set.</p></section>`;

  const d = r.data;
  const kv = (k: string, v: string) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`;
  const dataSection = `<section id="${p}data">
<h2>Data</h2>
<dl class="kv">
${kv('source', d.source)}
${kv('features', formatCount(d.features))}
${regress ? kv('target', r.regression?.target ?? d.classNames[0]) : kv('classes', formatCount(d.classes))}
${kv('training rows', formatCount(d.trainRows))}
${kv('validation rows', formatCount(d.valRows))}
${kv('test rows', formatCount(d.testRows))}
</dl>
${regress ? '' : classList(d.classNames)}${d.columns ? `<h3>Columns</h3>
<table class="grid"><thead><tr><th scope="col">column</th><th scope="col">type</th><th scope="col">blank</th><th scope="col">distinct</th><th scope="col">why</th></tr></thead><tbody>${d.columns
    .map((c) => `<tr><th scope="row">${bdi(c.name)}</th><td>${esc(c.role === 'boolean' ? 'yes/no' : c.role === 'ignored' ? 'left out' : c.role)}</td><td class="num">${formatCount(c.missing)}</td><td class="num">${formatCount(c.distinct)}</td><td class="why">${esc(c.why)}</td></tr>`)
    .join('\n')}</tbody></table>
` : ''}<h3>Pre-processing</h3>
${preparationSteps(d.steps)}
</section>`;

  const configRows: [string, string][] = [];
  flattenConfig(r.config, '', configRows);
  const choices = r.choices
    ? `<p class="lead">No network was given: mlplab chose this one for the data. Any option given overrides its line.</p>
<table class="grid"><thead><tr><th scope="col">option</th><th scope="col">chosen</th><th scope="col">why</th></tr></thead><tbody>${r.choices
        .map((c) => `<tr><th scope="row">${esc(c.option)}</th><td>${esc(c.value)}</td><td class="why">${esc(c.why)}</td></tr>`)
        .join('\n')}</tbody></table>
<h3>All options</h3>
`
    : '';
  const configSection = `<section id="${p}config">
<h2>Configuration</h2>
${choices}${
  configRows.length
    ? `<table class="config"><tbody>${configRows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}</tbody></table>`
    : '<p class="empty">No configuration recorded.</p>'
}
</section>`;

  const curves = [figure('loss', 'Loss per epoch'), regress ? figure('r2', 'Validation R² per epoch') : figure('accuracy', 'Accuracy per epoch')].filter(Boolean);
  const sections: ReportSection[] = [
    { id: `${p}diagnostics`, html: `<section id="${p}diagnostics">\n<h2>What the curves say</h2>\n${findings}\n</section>` },
    {
      id: `${p}curves`,
      html: `<section id="${p}curves">\n<h2>Training curves</h2>\n${curves.length ? `<div class="curves">${curves.join('\n')}</div>` : '<p class="empty">No curves: no epochs were recorded.</p>'}\n</section>`,
    },
    ...layerSections(r, figure, p),
    ...(r.cv ? [{ id: `${p}cv`, html: regress ? regressionCvSection(r.cv, p) : cvSection(r.cv, p) }] : []),
    { id: `${p}test`, html: testSection },
  ];
  const predictions = predictionsBlock(r, lastN, p);
  if (predictions) sections.push({ id: `${p}predictions`, html: predictions });
  sections.push({ id: `${p}data`, html: dataSection }, { id: `${p}config`, html: configSection });
  return sections;
}

/** The class names as a list of chips, the first SUMMARY_CLASSES of them. */
function classList(names: string[]): string {
  return `<h3>Classes</h3>
<ul class="classes">${names
    .slice(0, SUMMARY_CLASSES)
    .map((c, i) => `<li><span class="idx">${i}</span>${bdi(c)}</li>`)
    .join('')}${names.length > SUMMARY_CLASSES ? `<li>... ${formatCount(names.length - SUMMARY_CLASSES)} more</li>` : ''}</ul>
`;
}

const LAYER_FINDING_TITLES: Record<LayerFinding['kind'], string> = {
  'dead-units': 'Dead units',
  saturation: 'Saturation',
  'vanishing-gradients': 'Vanishing gradients',
  'exploding-gradients': 'Exploding gradients',
  'update-ratio': 'Update ratio',
};

/** "What the layers say" (the findings, or that the layers look healthy) and the layer statistics with their charts. */
function layerSections(r: RunReport, figure: (name: keyof RunReportFigures, label: string) => string, p: string): ReportSection[] {
  const last = [...r.history].reverse().find((e) => e.layers && e.layers.length > 0);
  if (!last) return [];
  const t = LAYER_THRESHOLDS;
  const findings = r.findings.length
    ? `<ul class="findings">${r.findings.map((f) => `<li class="warning"><span class="tag">${esc(LAYER_FINDING_TITLES[f.kind])}</span>${esc(f.message)}</li>`).join('\n')}</ul>`
    : `<p class="lead">The layers look healthy: fewer than ${formatPercent(t.deadFraction, 0)} dead units and ${formatPercent(t.saturatedFraction, 0)} saturated pre-activations in every layer, no vanishing or exploding gradients, and steps between ${formatScientific(t.updateRatioLow, 0)} and ${formatScientific(t.updateRatioHigh, 0)} of the weights' size.</p>`;
  const sci = (x: number) => formatScientific(x, 2);
  const rows = last.layers!
    .map(
      (l) =>
        `<tr><th scope="row">${esc(l.name)}</th><td>${esc(l.activation)}</td><td class="num">${l.units}</td><td class="num">${esc(formatPercent(l.deadFraction, 1))}</td><td class="num">${esc(formatPercent(l.saturatedFraction, 1))}</td>` +
        `<td class="num">${esc(formatFixed(l.preActivation.mean, 2))} ± ${esc(formatFixed(l.preActivation.std, 2))}</td><td class="num">${esc(sci(l.weightNorm))}</td><td class="num">${esc(sci(l.gradientNorm))}</td><td class="num">${esc(sci(l.updateRatio))}</td>` +
        `<td class="num">${l.batchNorm ? esc(`${formatFixed(l.batchNorm.scale.mean, 2)} ± ${formatFixed(l.batchNorm.scale.std, 2)}`) : '—'}</td></tr>`,
    )
    .join('\n');
  const charts = [figure('layer-gradients', 'Gradient norm per layer'), figure('layer-dead', 'Dead units per layer'), figure('layer-updates', 'Update ratio per layer')].filter(Boolean);
  const fl = r.firstLayer;
  const weights = fl
    ? `<h3>First-layer weights</h3><p class="lead">The first ${fl.units} of ${fl.totalUnits} units of hidden0 as ${fl.width} x ${fl.height} images (red positive, blue negative, each unit on its own scale): the patterns each unit responds to.</p>` +
      `<img class="weights" alt="first-layer weights" src="${pngDataUrl(weightsPng(fl))}">`
    : '';
  return [
    { id: `${p}layer-findings`, html: `<section id="${p}layer-findings">\n<h2>What the layers say</h2>\n${findings}\n</section>` },
    {
      id: `${p}layers`,
      html: `<section id="${p}layers">
<h2>Layers</h2>
<p class="lead">Measured on the training batches of every epoch (pre-activations after batch norm, activations before dropout; gradients and steps on a few evenly spaced steps per epoch). Epoch ${last.epoch}:</p>
<table class="layers"><thead><tr><th scope="col">layer</th><th scope="col">activation</th><th scope="col" class="num">units</th><th scope="col" class="num">dead</th><th scope="col" class="num">saturated</th><th scope="col" class="num">z mean ± sd</th><th scope="col" class="num">‖W‖</th><th scope="col" class="num">‖∂L/∂W‖</th><th scope="col" class="num">‖ΔW‖/‖W‖</th><th scope="col" class="num">BN scale</th></tr></thead>
<tbody>${rows}</tbody></table>
${charts.length ? `<div class="layer-charts">${charts.join('\n')}</div>` : ''}
${weights}
</section>`,
    },
  ];
}

/** Cross-validation: each fold's scores, their mean, spread and interval, and the epochs the refit used. */
function cvSection(cv: CvSummary, p: string): string {
  const pct = (x: number) => esc(formatPercent(x));
  const rows = cv.scores
    .map((f) => `<tr><td>${cv.repeats > 1 ? `${f.repeat}.` : ''}${f.fold}</td><td>${formatCount(f.trainRows)}</td><td>${formatCount(f.valRows)}</td><td>${pct(f.accuracy)}</td><td>${pct(f.balancedAccuracy)}</td><td>${esc(formatFixed(f.macroF1, 3))}</td><td>${esc(formatFixed(f.loss, 4))}</td><td>${f.bestEpoch} of ${f.epochs}</td></tr>`)
    .join('\n');
  return `<section id="${p}cv">
<h2>Cross-validation</h2>
<p class="lead">${cv.folds} stratified folds${cv.repeats > 1 ? `, ${cv.repeats} times over` : ''}: accuracy ${pct(cv.accuracy.mean)} &plusmn; ${pct(cv.accuracy.sd)} (95% interval for the mean ${pct(cv.accuracy.ci95[0])} to ${pct(cv.accuracy.ci95[1])}; the folds share rows, so take it as a guide), balanced accuracy ${pct(cv.balancedAccuracy.mean)}, macro F1 ${esc(formatFixed(cv.macroF1.mean, 3))}. The final model was then trained on all the training rows for ${cv.epochs} epochs, the mean of the folds' best epochs, and tested once.</p>
<table class="grid"><thead><tr><th scope="col">fold</th><th scope="col">training rows</th><th scope="col">held out</th><th scope="col">accuracy</th><th scope="col">balanced</th><th scope="col">macro F1</th><th scope="col">loss</th><th scope="col">best epoch</th></tr></thead><tbody>
${rows}
</tbody></table>
</section>`;
}

/** The loading and pre-processing steps as an ordered list; warnings are marked. */
export function preparationSteps(steps: { name: string; summary: string; warning?: boolean }[]): string {
  return steps.length
    ? `<ol class="steps">${steps.map((s) => `<li${s.warning ? ' class="warning"' : ''}><strong>${esc(s.name)}</strong>: ${esc(s.summary)}</li>`).join('\n')}</ol>`
    : '<p class="empty">No pre-processing steps.</p>';
}

/**
 * The run report as one HTML page from a report and its figures (SVG markup). Synchronous and
 * pure; `renderRunReportHtml` in render-node.ts renders the figures in Node and calls this.
 */
export function composeRunReportHtml(r: RunReport, figures: RunReportFigures, opts: RunReportHtmlOptions = {}): string {
  return reportPage({
    title: r.title,
    css: REPORT_STYLE,
    header: runReportHeader(r),
    sections: runReportSections(r, figures, opts),
    footer: `Generated by mlplab · ${esc(r.createdAt)}`,
  });
}
