/**
 * The dashboard's figures, drawn on the server by the reports' own chart functions and
 * renderer, so the page and report.html show the same charts: a search's parallel coordinates
 * (drawn anew as trials finish, but no more often than every few seconds, and never more than
 * PARALLEL_LIMIT lines), and the final model's run figures (drawn once). Also the study
 * folder's report files, which the dashboard serves read-only: a fixed list of names, read
 * only when they are regular files inside the folder.
 */
import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { parallelChart } from '../../report/charts/study.js';
import { inlineSvg } from '../../report/page.js';
import { renderRunFigureSvgs, specToSvg } from '../../report/render-node.js';
import type { RunReport } from '../../report/run-report.js';
import { parallelData, type SearchedTrial } from '../report/search-figures.js';
import type { Param } from '../search/space.js';
import type { StudyMetric } from '../study/config.js';
import { STUDY_FILES } from '../storage/folder.js';

/** A search's parallel coordinates as drawn: the SVG, the finished trials it shows, and which of them it draws in words. */
export interface SearchFigure {
  svg: string;
  finished: number;
  rule: string;
}

/** One of the final model's run figures. */
export interface FinalFigure {
  name: string;
  svg: string;
}

/** The shortest wait between two drawings of one study's parallel coordinates; longer when drawing takes long (ten times its time). */
const REDRAW_MS = 5000;

export class FigureCache {
  private readonly parallels = new Map<number, { figure: SearchFigure; at: number; ms: number; drawing: boolean }>();
  private readonly finals = new Map<number, Promise<FinalFigure[]>>();

  /** The parallel coordinates of study `id` with `finished` trials: while trials run, the last drawing while it is recent; else drawn anew. */
  async parallel(id: number, finished: number, o: { params: Param[]; trials: SearchedTrial[]; metric: StudyMetric; metricTitle: string; running: boolean }): Promise<SearchFigure | null> {
    if (finished === 0) return null;
    const kept = this.parallels.get(id);
    if (kept && (kept.figure.finished === finished || kept.drawing || (o.running && Date.now() - kept.at < Math.max(REDRAW_MS, 10 * kept.ms)))) return kept.figure;
    if (kept) kept.drawing = true;
    const t0 = Date.now();
    try {
      const data = parallelData(o.params, o.trials, { metric: o.metric, metricTitle: o.metricTitle });
      const svg = inlineSvg(await specToSvg(parallelChart(data)), `parallel-${id}`);
      const figure = { svg, finished, rule: data.rule };
      this.parallels.set(id, { figure, at: Date.now(), ms: Date.now() - t0, drawing: false });
      return figure;
    } finally {
      if (kept) kept.drawing = false;
    }
  }

  /** The final model's run figures of study `id`, as its run report draws them (once). */
  final(id: number, report: unknown): Promise<FinalFigure[]> {
    let figures = this.finals.get(id);
    if (!figures) {
      figures = renderRunFigureSvgs(report as RunReport, { compact: true }).then((svgs) => Object.entries(svgs).map(([name, svg]) => ({ name, svg: inlineSvg(svg as string, `final-${id}-${name}`) })));
      this.finals.set(id, figures);
      figures.catch(() => this.finals.delete(id));
    }
    return figures;
  }
}

/** The report files of a study folder the dashboard serves, and what each is. */
export const FOLDER_REPORTS: readonly { path: string; label: string }[] = [
  { path: STUDY_FILES.report, label: 'the study report' },
  { path: 'final/report.html', label: "the final model's run report" },
  { path: 'reference/report.html', label: "the reference model's run report" },
];

/** The largest report file served. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** The path of a served report inside `folder`, or null: one of FOLDER_REPORTS, a regular file, and inside the folder once links are followed. */
function reportPath(folder: string, path: string): string | null {
  if (!FOLDER_REPORTS.some((r) => r.path === path)) return null;
  try {
    const root = realpathSync(folder);
    const file = realpathSync(join(folder, path));
    if (!file.startsWith(root + sep)) return null;
    const st = statSync(file);
    return st.isFile() && st.size <= MAX_REPORT_BYTES ? file : null;
  } catch {
    return null;
  }
}

/** Links to the reports a study folder holds (relative to the page). */
export function reportLinks(folder: string | null): { label: string; href: string }[] {
  if (folder === null) return [];
  return FOLDER_REPORTS.filter((r) => reportPath(folder, r.path) !== null).map((r) => ({ label: r.label, href: `files/${r.path}` }));
}

/** A report of the folder as stored, or null when `path` is not one it serves. */
export async function readReport(folder: string | null, path: string): Promise<string | null> {
  const file = folder === null ? null : reportPath(folder, path);
  if (file === null) return null;
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}
