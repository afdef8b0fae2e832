/** Writing a study's report files in Node: table1.md, study.json, report.html and the final and reference models' run folders. */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/files.js';
import type { RunReport } from '../../report/run-report.js';
import { writeRunFolder } from '../../run/folder.js';
import { STUDY_FILES } from '../storage/folder.js';
import { renderStudyReportHtml } from './html.js';
import { formatTable1Markdown } from './markdown.js';
import type { StudyReport } from './study-report.js';

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
  const lean = (run: RunReport | null) => {
    if (!run) return null;
    const reg = run.regression;
    return { ...run, test: run.test ? { ...run.test, predictions: undefined } : null, ...(reg ? { regression: { ...reg, test: reg.test ? { ...reg.test, predictions: undefined } : null } } : {}) };
  };
  await put(STUDY_FILES.summary, JSON.stringify({ ...r, final: lean(r.final), reference: r.reference ? { ...r.reference, final: lean(r.reference.final) } : null }, null, 2) + '\n');
  if (r.final && o.modelJson) files.push(...(await writeRunFolder({ report: r.final, modelFile: o.modelJson }, join(dir, 'final'), { html: o.html, existing: 'replace' })));
  if (r.reference?.final && o.referenceJson) files.push(...(await writeRunFolder({ report: r.reference.final, modelFile: o.referenceJson }, join(dir, 'reference'), { html: o.html, existing: 'replace' })));
  if (o.html) await put(STUDY_FILES.report, await renderStudyReportHtml(r));
  return files;
}
