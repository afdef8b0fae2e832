import { join } from 'node:path';
import type { Command } from 'commander';
import { classCounts, countClasses, type Dataset, type PrepStep } from '../data/dataset.js';
import { formatCount, formatPercent, formatSignificant } from '../format.js';
import { writeNpy } from '../data/formats/npy.js';
import { countNulls, describeColumns } from '../data/nulls.js';
import { PREPARE_DEFAULTS, prepare, type PrepareOptions } from '../data/prepare.js';
import { loadSource } from '../data/files.js';
import { targetSummary } from '../data/labels.js';
import type { LoadOptions } from '../data/resolver.js';
import { ensureWritableDir, writeFileAtomic } from '../io/files.js';
import { addReadFlags, flag, loadOptionsFrom } from './options.js';
import { describeTable, type ColumnInfo } from '../data/table/describe.js';
import type { TableOptions } from '../data/table/plan.js';
import { TABLE_FLAGS, addRunFlags, runFlag, runOptionsGiven } from './run-flags.js';

/** What `data info` reports about one part (train or test) of a source. */
export interface PartInfo {
  part: 'train' | 'test';
  source: string;
  rows: number;
  cols: number;
  /** Smallest and largest finite feature value. */
  min: number | null;
  max: number | null;
  nulls: { values: number; rows: number; perColumn: Record<number, number> };
  classes: { label: number; name?: string; rows: number; share: number }[];
  /** Regression: the target's name, range, mean and spread over the part's rows with a number (then `classes` is empty). */
  target?: { name: string; rows: number; min: number; max: number; mean: number; std: number };
}

export interface SourceInfo {
  source: string;
  notes: PrepStep[];
  classes: number;
  parts: PartInfo[];
  /** A table's columns as a run would type and encode them (fitted here on all the training rows). */
  columns?: ColumnInfo[];
}

/** One row of `data info`'s column table: the library's description of a table column. */
export type { ColumnInfo };

/** Shapes, value range, NaN/infinite counts and class balance of a data source, as data. */
export async function describeSource(source: string, opts: LoadOptions = {}, table: Partial<TableOptions> = {}): Promise<SourceInfo> {
  const { train, test, notes } = await loadSource(source, opts);
  const classes = train.targets ? 1 : Math.max(countClasses(train, test), train.classNames?.length ?? 0);
  const parts = [train, test].filter((d): d is Dataset => d !== null).map((d, i) => partInfo(d, i === 0 ? 'train' : 'test', classes));
  return { source, notes, classes, parts, ...(train.table ? { columns: describeTable(train, table) } : {}) };
}

function partInfo(d: Dataset, part: 'train' | 'test', classes: number): PartInfo {
  const base = partBase(d, part);
  if (!d.targets) return { ...base, classes: classCounts(d.labels, classes).map((n, label) => ({ label, ...(d.classNames ? { name: d.classNames[label] } : {}), rows: n, share: n / d.rows })) };
  const known = d.targets.filter(Number.isFinite);
  const target = { name: d.classNames?.[0] ?? 'target', rows: known.length, ...targetSummary(known) };
  return { ...base, classes: [], target };
}

function partBase(d: Dataset, part: 'train' | 'test'): Omit<PartInfo, 'classes'> {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < d.features.length; i++) {
    const x = d.features[i];
    if (x - x !== 0) continue; // NaN and infinities are counted separately
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const nulls = countNulls(d.features, d.rows, d.cols);
  return {
    part, source: d.source ?? part, rows: d.rows, cols: d.cols,
    min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null,
    nulls: { values: nulls.values, rows: nulls.rows, perColumn: Object.fromEntries(nulls.perColumn) },
  };
}

/** Render `describeSource` for a terminal. */
export function formatSourceInfo(info: SourceInfo): string {
  const lines = [`source: ${info.source}`];
  for (const n of info.notes) lines.push(`  ${n.summary}`);
  for (const p of info.parts) {
    const num = (x: number | null) => (x === null ? 'none' : formatSignificant(x, 6));
    lines.push('', `${p.part}: ${formatCount(p.rows)} rows x ${p.cols} features (float32 in memory), finite values from ${num(p.min)} to ${num(p.max)}`);
    const perColumn = new Map(Object.entries(p.nulls.perColumn).map(([c, n]) => [Number(c), n]));
    lines.push(
      p.nulls.values === 0
        ? '  NaN/infinite values: none'
        : `  NaN/infinite values: ${formatCount(p.nulls.values)} in ${formatCount(p.nulls.rows)} rows (${describeColumns(perColumn)})`,
    );
    if (p.target) {
      const t = p.target, g = (x: number) => formatSignificant(x, 6);
      lines.push(`  target ${JSON.stringify(t.name)} (regression): ${formatCount(t.rows)} rows from ${g(t.min)} to ${g(t.max)}, mean ${g(t.mean)}, standard deviation ${g(t.std)}` + (t.rows < p.rows ? `; ${formatCount(p.rows - t.rows)} rows without a number` : ''));
      continue;
    }
    const nameWidth = p.classes.reduce((m, c) => Math.max(m, (c.name ?? '').length), 4);
    lines.push(`  ${'class'.padEnd(6)}${'name'.padEnd(nameWidth + 2)}${'rows'.padStart(8)}${'share'.padStart(8)}`);
    for (const c of p.classes) {
      lines.push(`  ${String(c.label).padEnd(6)}${(c.name ?? '').padEnd(nameWidth + 2)}${formatCount(c.rows).padStart(8)}${formatPercent(c.share, 1).padStart(8)}`);
    }
    const absent = p.classes.filter((c) => c.rows === 0).map((c) => c.label);
    if (absent.length) lines.push(`  warning: no rows of class ${absent.join(', ')}`);
  }
  if (info.columns) {
    const rows = info.parts[0].rows;
    const table = [['column', 'type', 'missing', 'distinct', 'examples', 'what a run does'], ...info.columns.map((c) => [
      c.name, c.type, c.missing ? formatPercent(c.missing / rows, 1) : '-', c.distinct, c.examples.map((e) => (e.length > 16 ? `${e.slice(0, 15)}...` : e)).join(', '), c.action,
    ])];
    const widths = table[0].map((_, j) => Math.min(j === 4 ? 36 : 28, Math.max(...table.map((r) => r[j].length))));
    lines.push('', `columns (typed on the ${formatCount(rows)} training rows):`);
    for (const r of table) lines.push(`  ${r.map((cell, j) => (j === r.length - 1 ? cell : cell.length > widths[j] ? `${cell.slice(0, widths[j] - 3)}...` : cell.padEnd(widths[j]))).join('  ')}`);
    for (const c of info.columns) if (c.warning) lines.push(`  warning: ${c.warning}`);
  }
  return lines.join('\n');
}

export interface ExportOptions extends LoadOptions {
  out: string;
  pca?: number | null;
  scale?: PrepareOptions['scale'];
  nulls?: PrepareOptions['nulls'];
}

/**
 * Write a source in the study's layout: train_data.npy (float32, rows x features),
 * train_label.npy (int64 class indices, or a regression's float64 targets; rows x 1), and test_data.npy / test_label.npy when there is a test
 * set, after the requested pre-processing (fitted on the training rows only; by default the
 * standard scaling a run applies). Also writes
 * preprocessing.json (steps and the fitted pipeline) and, for classes, class_names.json.
 * Returns the files written.
 */
export async function exportSource(source: string, o: ExportOptions): Promise<{ files: string[]; steps: PrepStep[] }> {
  const { out: _out, pca: _pca, scale: _scale, nulls: _nulls, ...load } = o;
  const raw = await loadSource(source, load);
  // Blanks: as a run treats them (a table's are filled, an array's rows dropped) unless told otherwise.
  const prepared = prepare(raw, { pca: o.pca ?? null, scale: o.scale ?? PREPARE_DEFAULTS.scale, ...(o.nulls ? { nulls: o.nulls } : {}), valFraction: 0 });
  await ensureWritableDir(o.out);
  const files: string[] = [];
  const put = async (name: string, bytes: Uint8Array | string) => {
    const path = join(o.out, name);
    await writeFileAtomic(path, bytes);
    files.push(path);
  };
  // Class indices as int64; a regression's targets as float64 numbers.
  const labels = (d: Dataset) => (d.targets ? writeNpy(Float64Array.from(d.targets), [d.rows, 1]) : writeNpy(BigInt64Array.from(d.labels, (v) => BigInt(v)), [d.rows, 1]));
  const { train, test } = prepared;
  await put('train_data.npy', writeNpy(train.features, [train.rows, train.cols]));
  await put('train_label.npy', labels(train));
  if (test) {
    await put('test_data.npy', writeNpy(test.features, [test.rows, test.cols]));
    await put('test_label.npy', labels(test));
  }
  if (prepared.task === 'classify') await put('class_names.json', `${JSON.stringify(prepared.classNames)}\n`);
  const steps = [...raw.notes, ...prepared.steps];
  await put('preprocessing.json', `${JSON.stringify({ source, steps, ...(prepared.table ? { table: prepared.table.toJSON(), features: prepared.table.outputNames() } : {}), pipeline: prepared.pipeline.toJSON() })}\n`);
  return { files, steps };
}

/** What `data export` does unless told otherwise: the pre-processing a run does (standard scaling, no PCA). */
const EXPORT_DEFAULTS = { data: PREPARE_DEFAULTS };

/** Add `data info` and `data export` to the command line. */
export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('inspect data sources and export them in the study\'s .npy layout');

  addReadFlags(
    addRunFlags(
      data
        .command('info <source>')
        .description("print shapes, dtypes, value range, NaN/infinite counts and class balance of a data source, and a table's columns: type, blanks, distinct values, examples and what a run does with each")
        .addOption(flag('json')),
      TABLE_FLAGS,
    ),
  ).action(async (source: string, flags: { json?: boolean }, cmd: Command) => {
    const info = await describeSource(source, loadOptionsFrom(cmd), runOptionsGiven(cmd, TABLE_FLAGS).data as Partial<TableOptions> | undefined);
    process.stdout.write(`${flags.json ? JSON.stringify(info, null, 2) : formatSourceInfo(info)}\n`);
  });

  addReadFlags(
    data
      .command('export <source>')
      .description('write a source as train_data.npy, train_label.npy, test_data.npy, test_label.npy (the study\'s layout), optionally scaled and reduced by PCA fitted on the training rows')
      .addOption(flag('out', { required: true, help: 'folder to write into (created if needed)' }))
      .addOption(runFlag('pca', EXPORT_DEFAULTS))
      .addOption(runFlag('scale', EXPORT_DEFAULTS))
      .addOption(runFlag('nulls', EXPORT_DEFAULTS)),
  ).action(async (source: string, flags: { out: string }, cmd: Command) => {
    const { pca, scale, nulls } = runOptionsGiven(cmd, ['pca', 'scale', 'nulls']).data ?? {};
    const { files, steps } = await exportSource(source, { ...loadOptionsFrom(cmd), out: flags.out, pca, scale, nulls });
    for (const s of steps) process.stdout.write(`${s.summary}\n`);
    for (const f of files) process.stdout.write(`wrote ${f}\n`);
  });
}
