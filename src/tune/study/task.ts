/**
 * A study and its data's task. Whether a study is a classification or a regression is known
 * when its data is loaded (or when the study file's data section gives `task`): then a study
 * file without a metric is judged by R² for a regression, and a study whose metric or training
 * options belong to the other task is refused, one line naming the field, the value and what
 * a study of this data takes.
 */
import type { Prepared } from '../../data/prepare.js';
import { ConfigError } from '../../errors.js';
import { resolveRun, type ResolvedRun } from '../../run/spec.js';
import { applyOverrides, checkPrunedMetric, hashJson, spaceValue, type ResolvedStudy } from './config.js';
import { defaultMetric, metricTask, metricsFor, type StudyTask } from './metrics.js';
import { finalRun } from './plan.js';
import { studySeeds } from './strategies.js';

/** The task a study file settles before its data is loaded ('classify' or 'regress' in data.task), or null when the data decides. */
export function givenTask(study: ResolvedStudy): StudyTask | null {
  const t = study.data.task;
  return t === 'classify' || t === 'regress' ? t : null;
}

/** Whether the study's metric is still to be chosen by the data (no metric and no data.task in the file). */
export function metricPending(study: ResolvedStudy): boolean {
  return study.input.metric === undefined && givenTask(study) === null;
}

/**
 * The hashes the study may have once its data is loaded: its own, and while the data decides
 * the metric, that of the study judged by R² (a regression). A stored study of either is this
 * study file's, so a name taken by another config is refused before any data is loaded.
 */
export function possibleHashes(study: ResolvedStudy): string[] {
  if (!metricPending(study)) return [study.hash];
  return [study.hash, hashJson({ ...(study.canonical as Record<string, unknown>), metric: defaultMetric('regress') })];
}

/** The study for data of this task, checked: see {@link studyForTask}. */
export function studyForData(study: ResolvedStudy, data: Pick<Prepared, 'task' | 'classNames' | 'classes'>): ResolvedStudy {
  return studyForTask(study, data.task, data.task === 'regress' ? { target: data.classNames[0] ?? 'target' } : { classes: data.classes });
}

/**
 * The study for data of `task`: a file without a metric takes the task's default (R² for a
 * regression; the stored config then names it, so every worker resolves the same study), and
 * every model the study would train is checked against the task. Throws ConfigError naming the
 * field for a metric or a training option of the other task.
 */
export function studyForTask(study: ResolvedStudy, task: StudyTask, what: { target?: string; classes?: number } = {}): ResolvedStudy {
  const ctx = study.file ? `${study.file}: ` : '';
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ConfigError(ctx + field, value, expected);
  };
  const data =
    task === 'regress'
      ? `the data is a regression${what.target !== undefined ? ` of ${JSON.stringify(what.target)}` : ' (data.task)'}`
      : `the data's labels are ${what.classes !== undefined ? `${what.classes} classes` : 'classes (data.task)'}`;
  let out = study;
  if (study.input.metric === undefined && study.metric !== defaultMetric(task)) {
    const metric = defaultMetric(task);
    try {
      checkPrunedMetric(study.pruner, metric, true);
    } catch (e) {
      if (e instanceof ConfigError) fail(e.field, e.value, e.expected);
      throw e;
    }
    const canonical = { ...(study.canonical as Record<string, unknown>), metric };
    out = { ...study, metric, canonical, hash: hashJson(canonical), input: { ...study.input, metric } };
  }
  const mt = metricTask(out.metric);
  if (mt !== null && mt !== task) {
    const why = task === 'regress' ? 'counts classes' : `scores a regression (set "task": "regress" in the study's data to read the label column as numbers)`;
    fail('metric', out.metric, `${metricsFor(task)}: ${data}, and ${out.metric} ${why}`);
  }
  for (const [field, value, problem] of runProblems(out, task)) fail(field, value, `${problem}: ${data}`);
  return out;
}

/** What in `run` the task cannot train: [option path, value, what it takes], or null. */
function runProblem(run: ResolvedRun, task: StudyTask): [string, unknown, string] | null {
  const t = run.train;
  if (task === 'classify') {
    return t.loss !== 'auto' ? ['train.loss', t.loss, "'auto' (softmax cross-entropy; mse, huber and mae are regression losses)"] : null;
  }
  if (t.classWeight !== 'none') return ['train.classWeight', t.classWeight, "'none' (class weights weigh classes)"];
  if (t.labelSmoothing !== 0) return ['train.labelSmoothing', t.labelSmoothing, '0 (label smoothing softens class labels)'];
  if (t.earlyStopping !== false && t.earlyStopping.monitor === 'valAccuracy') return ['train.earlyStopping.monitor', 'valAccuracy', "'valLoss' or 'trainLoss' (accuracy counts classes)"];
  return null;
}

/**
 * Every problem of the study's models with the task, each named where the study file sets it:
 * the base (or the study's epochs/earlyStopping overrides), a factor's value, a space's bound
 * or choice, the final model's training, the model it is compared with.
 */
function* runProblems(study: ResolvedStudy, task: StudyTask): Generator<[string, unknown, string]> {
  const base = runProblem(study.base, task);
  if (base) {
    const [path, value, expected] = base;
    const top = path.startsWith('train.earlyStopping') && study.input.earlyStopping !== undefined;
    yield [top ? path.slice('train.'.length) : `base.${path}`, value, expected];
    return;
  }
  for (const [i, f] of study.factors.entries()) {
    for (const [j, v] of f.values.entries()) {
      const p = runProblem(resolveRun(applyOverrides(study.baseSpec, [[f.path, v]]), 'base'), task);
      if (p) yield [`factors[${i}].values[${j}]`, v, `${p[0] === f.path ? '' : `a value whose ${p[0]} is `}${p[2]} for ${f.path}`];
    }
  }
  for (const [i, p] of study.space.entries()) {
    const tries: [string, unknown][] = p.kind === 'choice' ? p.choices.map((c, j) => [`choices[${j}]`, c]) : [['low', p.low], ['high', p.high]];
    for (const [field, v] of tries) {
      const problem = runProblem(resolveRun(applyOverrides(study.baseSpec, [[p.path, spaceValue(study.base, p.path, v)]]), 'base'), task);
      if (problem) yield [`space[${i}].${field}`, v, `${problem[0] === p.path ? '' : `a value whose ${problem[0]} is `}${problem[2]} for ${p.path}`];
    }
  }
  const seed = studySeeds(study)[0];
  const final = runProblem(finalRun(study, study.base, seed), task);
  if (final) yield [`final.${final[0].slice('train.'.length)}`, final[1], final[2]];
  if (study.reference) {
    const ref = runProblem(finalRun(study, study.reference.run, seed), task);
    if (ref) yield [`final.compareWith.${ref[0]}`, ref[1], ref[2]];
  }
}
