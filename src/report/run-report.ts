/**
 * The report of one training run: a typed object (what the CLI, the report file and the
 * browser all read), its HTML rendering and its figure files. Node only; the pure parts live
 * in charts.ts and html.ts.
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ClassificationReport } from '../metrics/classification.js';
import type { EpochRecord } from '../metrics/history-types.js';
import { composeRunReportHtml, runReportCharts, type RunReportFigures, type RunReportHtmlOptions } from './html.js';
import { specToSvg, svgToPng, writeFileAtomic, type PngOptions } from './render-node.js';

/** Everything a run report shows. */
export interface RunReport {
  title: string;
  /** ISO 8601 time the run finished. */
  createdAt: string;
  /** The configuration the run used, as given (nested objects are shown with dotted keys). */
  config: Record<string, unknown>;
  data: {
    source: string;
    trainRows: number;
    valRows: number;
    testRows: number;
    features: number;
    classes: number;
    classNames: string[];
    /** Pre-processing steps in order, each with what it did ("dropped 12 rows holding NaN"). */
    steps: { name: string; summary: string }[];
  };
  history: EpochRecord[];
  stoppedEarly?: { bestEpoch: number; restored: boolean } | null;
  test: {
    accuracy: number;
    report: ClassificationReport;
    confusion: number[][];
    /** Test predictions in order; the report shows the last N. Labels are class indices. */
    predictions: { index: number; predicted: number; actual: number }[];
  } | null;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
}

export type { RunReportFigures, RunReportHtmlOptions };

/**
 * Checks the parts of a report that must agree (class counts, matrix shape, label ranges), so a
 * malformed report fails with a ConfigError naming the field instead of rendering nonsense.
 */
export function checkRunReport(r: RunReport): void {
  const k = r.data.classes;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError('report.data.classes', k, 'a positive integer');
  if (r.data.classNames.length !== k) {
    throw new ConfigError('report.data.classNames', r.data.classNames, `${k} names, one per class`);
  }
  r.history.forEach((e, i) => {
    if (!Number.isFinite(e.epoch)) throw new ConfigError(`report.history[${i}].epoch`, e.epoch, 'a finite epoch number');
  });
  if (!r.test) return;
  const m = r.test.confusion;
  if (m.length !== k || m.some((row) => row.length !== k)) {
    throw new ConfigError('report.test.confusion', m, `a ${k} x ${k} matrix of counts`);
  }
  if (!(Math.abs(r.test.accuracy - r.test.report.accuracy) <= 1e-9)) {
    throw new ConfigError('report.test.accuracy', r.test.accuracy, `the classification report's accuracy ${r.test.report.accuracy}`);
  }
  if (r.test.report.classes.length !== k) {
    throw new ConfigError('report.test.report.classes', r.test.report.classes.length, `${k} rows, one per class`);
  }
  r.test.predictions.forEach((p, i) => {
    for (const key of ['predicted', 'actual'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0 || p[key] >= k) {
        throw new ConfigError(`report.test.predictions[${i}].${key}`, p[key], `a class index in [0, ${k})`);
      }
    }
  });
}

/**
 * The report's figures as SVG markup: loss and accuracy curves, and the confusion matrix when
 * there is a test set. `compact` sizes them for the HTML page.
 */
export async function renderRunFigureSvgs(r: RunReport, options: { compact?: boolean } = {}): Promise<RunReportFigures> {
  checkRunReport(r);
  const out: RunReportFigures = {};
  for (const { name, spec } of runReportCharts(r, options)) out[name] = await specToSvg(spec);
  return out;
}

/**
 * The run report as one self-contained HTML page (inline CSS and SVG, no external requests):
 * summary header, diagnostics, curves, classification report, confusion matrix, last
 * predictions, data and configuration. Every string from the report is escaped.
 * Asynchronous because Vega renders charts asynchronously; `composeRunReportHtml` in html.ts
 * is the synchronous core for figures rendered elsewhere (the browser).
 * Example: `await writeFile('report.html', await renderRunReportHtml(report, { lastPredictions: 30 }))`.
 */
export async function renderRunReportHtml(r: RunReport, opts: RunReportHtmlOptions = {}): Promise<string> {
  return composeRunReportHtml(r, await renderRunFigureSvgs(r, { compact: true }), opts);
}

/**
 * Writes loss.svg/png, accuracy.svg/png and (with a test set) confusion.svg/png into `dir`,
 * each through a temporary name and a rename. Returns the paths written.
 */
export async function writeRunFigures(dir: string, r: RunReport, png: PngOptions = {}): Promise<string[]> {
  const svgs = await renderRunFigureSvgs(r);
  const written: string[] = [];
  for (const [name, svg] of Object.entries(svgs) as [string, string][]) {
    const svgPath = join(dir, `${name}.svg`);
    const pngPath = join(dir, `${name}.png`);
    await writeFileAtomic(svgPath, svg);
    await writeFileAtomic(pngPath, svgToPng(svg, png).png);
    written.push(svgPath, pngPath);
  }
  return written;
}
