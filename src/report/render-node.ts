/**
 * Renders reports in Node: chart specs (charts.ts) to SVG with Vega's headless view and to PNG
 * with resvg, the run report's figures and its HTML page, and writes figure files.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { CHART_FONT } from './charts/common.js';
import { composeRunReportHtml, runReportCharts, type RunReportFigures, type RunReportHtmlOptions } from './html.js';
import { checkRunReport, type RunReport } from './run-report.js';

const FONT_NAMES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

let fontCache: string[] | null = null;

/**
 * Paths of the fonts shipped in `assets/fonts/` (DejaVu Sans, regular and bold). PNGs are drawn
 * with these alone, so text renders the same on a machine without system fonts.
 */
export function bundledFontFiles(): string[] {
  if (fontCache) return fontCache;
  // The module runs from dist/src/report/ (compiled) or src/report/; the assets sit at the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, 'assets', 'fonts');
    if (existsSync(join(candidate, FONT_NAMES[0]))) {
      fontCache = FONT_NAMES.map((f) => join(candidate, f)).filter((f) => existsSync(f));
      return fontCache;
    }
    dir = dirname(dir);
  }
  throw new DataError(
    'assets/fonts/DejaVuSans.ttf',
    'the chart font shipped with mlplab is missing; reinstall the package or pass fontFiles to the PNG renderer',
  );
}

/** A rendered SVG with the warnings Vega-Lite and Vega raised while compiling and running it. */
export interface SvgResult {
  svg: string;
  warnings: string[];
}

function collectingLogger(warnings: string[]) {
  let level = 2; // vega.Warn
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles a Vega-Lite spec and renders it to an SVG string, collecting warnings instead of printing them. */
export async function renderSvg(spec: TopLevelSpec): Promise<SvgResult> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: logger as unknown as vega.LoggerInterface });
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

/**
 * A Vega-Lite spec as an SVG document (`<svg ...>...</svg>`), text in the chart font.
 * Example: `await specToSvg(lossChart(history))`.
 */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  return (await renderSvg(spec)).svg;
}

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG unit (default 2, sharp on high-density screens and in print). */
  scale?: number;
  /** Font files to draw text with (default: the bundled DejaVu Sans). System fonts are never loaded. */
  fontFiles?: string[];
  /** Background behind transparent areas (default white). */
  background?: string;
}

/** A PNG image and its size in pixels. */
export interface PngImage {
  png: Buffer;
  width: number;
  height: number;
}

/** Rasterises an SVG document to PNG with resvg, using only the given (or bundled) fonts. */
export function svgToPng(svg: string, options: PngOptions = {}): PngImage {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: options.background ?? 'white',
    font: {
      loadSystemFonts: false,
      fontFiles: options.fontFiles ?? bundledFontFiles(),
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

async function writeFigure(dir: string, name: string, svg: string, options: PngOptions): Promise<string[]> {
  const svgPath = join(dir, `${name}.svg`);
  const pngPath = join(dir, `${name}.png`);
  await writeFileAtomic(svgPath, svg);
  await writeFileAtomic(pngPath, svgToPng(svg, options).png);
  return [svgPath, pngPath];
}

/**
 * The report's figures as SVG markup: loss and accuracy curves, and the confusion matrix when
 * there is a test set; for a regression, the loss and validation R^2 curves, and predicted
 * against actual, residuals and their histogram when there is a test set. `compact` sizes
 * them for the HTML page.
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
 * Writes loss.svg/png, accuracy.svg/png and (with a test set) confusion.svg/png into `dir`;
 * for a regression loss, r2 (with a validation part), and with a test set predicted,
 * residuals and residual-hist; the layer charts when the history has layer statistics. Each
 * goes through a temporary name and a rename. Returns the paths written.
 */
export async function writeRunFigures(dir: string, r: RunReport, png: PngOptions = {}): Promise<string[]> {
  const svgs = await renderRunFigureSvgs(r);
  const written: string[] = [];
  for (const [name, svg] of Object.entries(svgs) as [string, string][]) written.push(...(await writeFigure(dir, name, svg, png)));
  return written;
}
