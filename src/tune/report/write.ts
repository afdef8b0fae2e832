/** Writing a study's report files in Node: table1.md, study.json, report.html and the final and reference models' run folders. */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/files.js';
import type { RunReport } from '../../report/run-report.js';
import type { Dataset } from '../../data/dataset.js';
import type { RunOutput } from '../../run/experiment.js';
import { writeRunFolder } from '../../run/folder.js';
import { decodeModelFile, ensembleValues } from '../../run/model-file.js';
import { STUDY_FILES } from '../storage/folder.js';
import { renderStudyReportHtml } from './html.js';
import { formatTable1Markdown } from './markdown.js';
import type { StudyReport } from './study-report.js';

/**
 * Write table1.md, study.json, report.html and the final model's run folder (final/, as
 * `mlplab train` writes it) into `dir`; returns the paths.
 */
export async function writeStudyReport(dir: string, r: StudyReport, o: { modelJson: string | null; referenceJson?: string | null; html: boolean; test?: Dataset | null }): Promise<string[]> {
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
  const folder = async (report: RunReport, modelFile: string, name: string) => {
    const testValues = await regressionTestValues(report, modelFile, o.test ?? null);
    files.push(...(await writeRunFolder({ report, modelFile, ...(testValues ? { testValues } : {}) }, join(dir, name), { html: o.html, existing: 'replace' })));
  };
  if (r.final && o.modelJson) await folder(r.final, o.modelJson, 'final');
  if (r.reference?.final && o.referenceJson) await folder(r.reference.final, o.referenceJson, 'reference');
  if (o.html) await put(STUDY_FILES.report, await renderStudyReportHtml(r));
  return files;
}

/**
 * A regression's prediction of every test row, for predictions.csv: the store keeps the run's
 * report (at most MAX_REGRESSION_POINTS rows of it), so the stored model predicts the prepared
 * test rows again, as the worker did. Null for classes, or when the rows are not the report's.
 */
async function regressionTestValues(report: RunReport, modelFile: string, test: Dataset | null): Promise<RunOutput['testValues'] | null> {
  const rows = report.regression?.test?.rows;
  if (!test?.targets || rows !== test.rows) return null;
  const m = await decodeModelFile(modelFile, 'the final model');
  try {
    return { actual: test.targets, predicted: ensembleValues(m, test.features, test.rows) };
  } finally {
    for (const n of [m.model, ...(m.members ?? [])]) n.dispose();
  }
}
