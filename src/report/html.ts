/**
 * The run report as one self-contained HTML page. Pure and browser-safe: figures come in as
 * SVG markup, rendered by Vega in Node (render-node.ts) or in the browser. The page is built
 * from sections (data: an id and its markup), so the study report composes the final model's
 * run-report sections with its own.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ClassificationReport } from '../metrics/classification.js';
import { SUMMARY_CLASSES, accuracyChart, confusionChart, layerChart, lossChart } from './charts.js';
import { LAYER_THRESHOLDS, type LayerFinding } from './layers.js';
import { summaryClasses } from './text.js';
import { pngDataUrl, weightsPng } from './weights-image.js';
import { diagnoseHistory, type Finding } from './diagnose.js';
import { escapeHtml, formatCount, formatDuration, formatFixed, formatPercent, formatScientific } from '../format.js';
import type { RunReport } from './run-report.js';

/** SVG markup of the report's figures; a missing one is left out of the page. */
export interface RunReportFigures {
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
  const charts: { name: keyof RunReportFigures; spec: TopLevelSpec }[] = [
    { name: 'loss', spec: lossChart(r.history, size) },
    { name: 'accuracy', spec: accuracyChart(r.history, size) },
  ];
  if (r.history.some((e) => e.layers && e.layers.length > 0)) {
    const small = options.compact ? { width: 230, height: 160 } : {};
    charts.push(
      { name: 'layer-gradients', spec: layerChart(r.history, 'gradientNorm', small) },
      { name: 'layer-dead', spec: layerChart(r.history, 'deadFraction', small) },
      { name: 'layer-updates', spec: layerChart(r.history, 'updateRatio', small) },
    );
  }
  if (r.test) {
    const cellSize = options.compact ? Math.max(22, Math.min(64, Math.floor(400 / r.data.classes))) : undefined;
    charts.push({ name: 'confusion', spec: confusionChart(r.test.confusion, r.data.classNames, { cellSize }) });
  }
  return charts;
}

/** One part of a report page: a `<section>` (or a divider) with its id, as markup. */
export interface ReportSection {
  id: string;
  html: string;
}

export const esc = (v: unknown): string => escapeHtml(String(v));
const thousands = formatCount;

function formatCreated(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/**
 * Vega names gradients and clip paths `gradient_0`, `clip1`, ... in every SVG; several SVGs
 * inline in one page would then point at each other's definitions. Each figure gets its own prefix.
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/(xlink:)?href="#([^"]+)"/g, (_, x: string | undefined, id: string) => `${x ?? ''}href="#${prefix}-${id}"`);
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
  overfitting: 'Overfitting',
  'wasted-epochs': 'Wasted epochs',
  plateau: 'Plateau',
  'early-stopped': 'Early stopping',
  'still-improving': 'Still improving',
  'no-improvement': 'No improvement',
  'non-finite': 'Diverged',
};

/** A summary card of a report header. */
export function card(label: string, value: string, sub: string): string {
  return `<div class="card"><div class="card-label">${esc(label)}</div><div class="card-value">${esc(value)}</div><div class="card-sub">${esc(sub)}</div></div>`;
}

function reportTable(rep: ClassificationReport): string {
  const n = (x: number) => formatFixed(x, 3);
  const { shown, summarised } = summaryClasses(rep.classes, SUMMARY_CLASSES);
  const note = summarised
    ? `<p class="lead">${thousands(rep.classes.length)} classes: the ${shown.length / 2} of lowest F1, then the ${shown.length / 2} of highest. Every class is in metrics.json.</p>\n`
    : '';
  const rows = shown
    .map(
      (c) =>
        `<tr><th scope="row">${esc(c.label)}</th><td class="num">${n(c.precision)}</td><td class="num">${n(c.recall)}</td><td class="num">${n(c.f1)}</td><td class="num">${thousands(c.support)}</td></tr>`,
    )
    .join('\n');
  const avg = (name: string, a: ClassificationReport['macro']) =>
    `<tr class="avg"><th scope="row">${name}</th><td class="num">${n(a.precision)}</td><td class="num">${n(a.recall)}</td><td class="num">${n(a.f1)}</td><td class="num">${thousands(a.support)}</td></tr>`;
  return `${note}<table class="report">
<thead><tr><th scope="col">class</th><th scope="col" class="num">precision</th><th scope="col" class="num">recall</th><th scope="col" class="num">F1</th><th scope="col" class="num">support</th></tr></thead>
<tbody>
${rows}
</tbody>
<tbody class="totals">
<tr class="avg first"><th scope="row">accuracy</th><td></td><td></td><td class="num">${n(rep.accuracy)}</td><td class="num">${thousands(rep.macro.support)}</td></tr>
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
    return `<tr class="${ok ? 'ok' : 'miss'}"><td class="num">${p.index}</td><td>${esc(names[p.actual] ?? p.actual)}</td><td class="pred">${esc(names[p.predicted] ?? p.predicted)}</td><td class="mark">${ok ? '✓' : '✗'}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
  return `<section id="${idPrefix}predictions">
<h2>Last ${last.length} test predictions</h2>
<p class="lead">${correct} of these ${last.length} are correct (${formatPercent(correct / last.length, 0)}).</p>
<div class="preds-grid">${chunks.map(table).join('\n')}</div>
</section>`;
}

/** The style sheet of every report page; a page adds its own rules after it. */
export const REPORT_STYLE = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f8fafc;--accent:#2f6db5;--warn:#b45309;--warn-bg:#fffbeb;--info-bg:#eff6ff;--ok:#047857;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:var(--ink);font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:32px 28px 48px}
header{background:#fff;border:1px solid var(--line);border-radius:10px;padding:26px 28px 22px;margin-bottom:20px}
.eyebrow{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--accent);font-weight:600}
h1{font-size:26px;line-height:1.25;margin:4px 0 4px}
.meta{color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:20px}
.card{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card-value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.card-sub{font-size:12.5px;color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:22px 28px 24px;margin-bottom:20px}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:14px;margin:18px 0 8px;color:#374151}
.lead{color:#374151;margin:-4px 0 14px}
.findings{list-style:none;margin:0;padding:0}
.findings li{border-left:4px solid var(--accent);background:var(--info-bg);padding:10px 14px;margin:0 0 10px;border-radius:0 6px 6px 0}
.findings li.warning{border-color:#d97706;background:var(--warn-bg)}
.findings .tag{display:inline-block;font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;margin-right:8px;color:var(--accent)}
.findings li.warning .tag{color:var(--warn)}
.figure{margin:0 0 8px;overflow-x:auto}
.figure svg{max-width:100%;height:auto;display:block}
.figure svg text{font-family:"DejaVu Sans",Verdana,"Segoe UI",Arial,sans-serif}
.curves{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.layer-charts{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin-top:16px}
table.layers{width:100%;font-size:13px}
img.weights{image-rendering:pixelated;max-width:100%;border:1px solid var(--line)}
.test-grid{display:grid;grid-template-columns:minmax(330px,420px) minmax(0,1fr);gap:28px;align-items:start}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:5px 10px;text-align:left;border-bottom:1px solid var(--line)}
thead th,.totals th{white-space:nowrap}
tbody th{overflow-wrap:anywhere}
thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid #d1d5db}
tbody th{font-weight:500}
.num{text-align:right;white-space:nowrap}
table.report{width:100%}
.totals tr.first th,.totals tr.first td{border-top:2px solid #d1d5db}
.totals th{font-weight:600}
.preds-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:24px}
table.preds{width:100%}
tr.miss td.pred,tr.miss td.mark{color:var(--bad)}
td.mark{text-align:center;font-weight:700;width:2em}
tr.ok td.mark{color:var(--ok)}
.kv{display:grid;grid-template-columns:repeat(3,1fr);gap:10px 24px;margin:0}
.kv div{border-bottom:1px solid var(--line);padding:4px 0}
.kv dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.kv dd{margin:0;font-variant-numeric:tabular-nums;font-weight:500}
ol.steps{margin:0;padding-left:22px}
ol.steps li{margin:4px 0}
.classes{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:0;list-style:none}
.classes li{background:var(--soft);border:1px solid var(--line);border-radius:999px;padding:1px 10px;font-size:13px}
.classes .idx{color:var(--muted);margin-right:4px;font-variant-numeric:tabular-nums}
table.config{width:100%}
table.config th,table.config td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:13px}
table.config th{color:#374151;font-weight:500;width:40%}
footer{color:var(--muted);font-size:12.5px;text-align:center;margin-top:8px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.empty{color:var(--muted);font-style:italic}
@media (max-width:860px){.cards{grid-template-columns:repeat(2,1fr)}.test-grid,.curves,.layer-charts{grid-template-columns:1fr}.kv{grid-template-columns:repeat(2,1fr)}}
@media print{body{background:#fff}section,header{border:none;padding:8px 0}}
`;

/**
 * The opening of a self-contained report page: no scripts, no external requests (the
 * Content-Security-Policy forbids both), inline styles and data: images only.
 */
export function htmlHead(title: string, css: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>`;
}

/** The page around a report's header and sections. */
export function reportPage(o: { title: string; css: string; header: string; sections: ReportSection[]; footer?: string }): string {
  return `${htmlHead(o.title, o.css)}
<body>
<main>
<header>
${o.header}
</header>
${o.sections.map((x) => x.html).join('\n')}
${o.footer ? `<footer>${o.footer}</footer>` : ''}
</main>
</body>
</html>
`;
}

/** Options of the run report's sections. */
export interface RunReportSectionOptions extends RunReportHtmlOptions {
  /** Prefix of section and figure ids, so several run reports fit one page (the study's final model). */
  idPrefix?: string;
}

/** The header of a run report: title, time, source and the summary cards. */
export function runReportHeader(r: RunReport): string {
  const diagnosis = diagnoseHistory(r.history, { stoppedEarly: r.stoppedEarly ?? null });
  const epochs = r.history.length;
  const epochSeconds = r.history.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0);
  const cards = [
    r.test
      ? card('Test accuracy', formatPercent(r.test.accuracy), `${thousands(r.test.report.macro.support)} test samples`)
      : card('Test accuracy', '—', 'no test evaluation'),
    r.test
      ? card('Macro F1', formatFixed(r.test.report.macro.f1, 3), `weighted F1 ${formatFixed(r.test.report.weighted.f1, 3)}`)
      : card('Macro F1', '—', 'no test evaluation'),
    card(
      'Epochs',
      thousands(epochs),
      r.stoppedEarly
        ? `stopped early; best epoch ${r.stoppedEarly.bestEpoch}${r.stoppedEarly.restored ? ' restored' : ''}`
        : diagnosis.bestValLossEpoch !== null
          ? `best validation loss at epoch ${diagnosis.bestValLossEpoch}`
          : 'no validation loss',
    ),
    card('Run time', formatDuration(r.seconds), epochs > 0 ? `${formatDuration(epochSeconds / epochs)} per epoch` : ''),
  ].join('\n');
  return `<div class="eyebrow">mlplab run report</div>
<h1>${esc(r.title)}</h1>
<div class="meta">${esc(formatCreated(r.createdAt))} · ${esc(r.data.source)}</div>
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
  const diagnosis = diagnoseHistory(r.history, { stoppedEarly: r.stoppedEarly ?? null });
  const epochs = r.history.length;
  const findings = diagnosis.findings.length
    ? `<ul class="findings">${diagnosis.findings
        .map((f) => `<li class="${f.severity}"><span class="tag">${esc(FINDING_TITLES[f.kind])}</span>${esc(f.message)}</li>`)
        .join('\n')}</ul>`
    : `<p class="lead">${epochs === 0 ? 'No epochs were recorded.' : 'The curves show no overfitting and no wasted epochs.'}</p>`;

  const figure = (name: keyof RunReportFigures, label: string) =>
    figures[name] ? `<figure class="figure" aria-label="${esc(label)}">${inlineSvg(figures[name]!, `${p}fig-${name}`)}</figure>` : '';

  const testSection = r.test
    ? `<section id="${p}test">
<h2>Test set</h2>
<p class="lead">Accuracy ${esc(formatPercent(r.test.accuracy))} on ${thousands(r.test.report.macro.support)} samples the model never saw during training or tuning.</p>
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
${kv('features', thousands(d.features))}
${kv('classes', thousands(d.classes))}
${kv('training rows', thousands(d.trainRows))}
${kv('validation rows', thousands(d.valRows))}
${kv('test rows', thousands(d.testRows))}
</dl>
<h3>Classes</h3>
<ul class="classes">${d.classNames
    .slice(0, SUMMARY_CLASSES)
    .map((c, i) => `<li><span class="idx">${i}</span>${esc(c)}</li>`)
    .join('')}${d.classNames.length > SUMMARY_CLASSES ? `<li>... ${thousands(d.classNames.length - SUMMARY_CLASSES)} more</li>` : ''}</ul>
<h3>Pre-processing</h3>
${preparationSteps(d.steps)}
</section>`;

  const configRows: [string, string][] = [];
  flattenConfig(r.config, '', configRows);
  const configSection = `<section id="${p}config">
<h2>Configuration</h2>
${
  configRows.length
    ? `<table class="config"><tbody>${configRows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}</tbody></table>`
    : '<p class="empty">No configuration recorded.</p>'
}
</section>`;

  const curves = [figure('loss', 'Loss per epoch'), figure('accuracy', 'Accuracy per epoch')].filter(Boolean);
  const sections: ReportSection[] = [
    { id: `${p}diagnostics`, html: `<section id="${p}diagnostics">\n<h2>What the curves say</h2>\n${findings}\n</section>` },
    {
      id: `${p}curves`,
      html: `<section id="${p}curves">\n<h2>Training curves</h2>\n${curves.length ? `<div class="curves">${curves.join('\n')}</div>` : '<p class="empty">No curves: no epochs were recorded.</p>'}\n</section>`,
    },
    ...layerSections(r, figure, p),
    { id: `${p}test`, html: testSection },
  ];
  const predictions = predictionsBlock(r, lastN, p);
  if (predictions) sections.push({ id: `${p}predictions`, html: predictions });
  sections.push({ id: `${p}data`, html: dataSection }, { id: `${p}config`, html: configSection });
  return sections;
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
    : `<p class="lead">The layers look healthy: fewer than ${formatPercent(t.deadFraction, 0)} dead units and ${formatPercent(t.saturatedFraction, 0)} saturated pre-activations in every layer, no vanishing or exploding gradients, and steps between ${t.updateRatioLow.toExponential()} and ${t.updateRatioHigh.toExponential()} of the weights' size.</p>`;
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

/** The loading and pre-processing steps as an ordered list. */
export function preparationSteps(steps: { name: string; summary: string }[]): string {
  return steps.length
    ? `<ol class="steps">${steps.map((s) => `<li><strong>${esc(s.name)}</strong>: ${esc(s.summary)}</li>`).join('\n')}</ol>`
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
