/**
 * The table steps of `prepare`: typing the columns (with the warnings a careful analyst would
 * give), fitting the encoder on the training part and encoding every part, and the checks on
 * classes and duplicated rows that apply to any data.
 */
import { formatCount, formatPercent } from '../../format.js';
import type { Dataset, PrepStep } from '../dataset.js';
import { listClasses } from '../labels.js';
import type { TableColumns } from './cells.js';
import { describeEncoder, fitTableEncoder, type EncodeCounts, type TableEncoder } from './encoder.js';
import { planColumns, type ColumnPlan, type TableOptions } from './plan.js';

/** Fewer training rows than this in a class is worth a warning. */
const FEW_ROWS = 5;

/** Type the columns of the training table; the step says what each is, warnings say what was left out or looks odd. */
export function planTable(train: Dataset, o: TableOptions, steps: PrepStep[]): ColumnPlan[] {
  const plans = planColumns(train as Dataset & { table: TableColumns }, o);
  const by = (role: ColumnPlan['role']) => plans.filter((p) => p.role === role);
  const list = (ps: ColumnPlan[]) => ps.slice(0, 8).map((p) => JSON.stringify(p.name)).join(', ') + (ps.length > 8 ? `, and ${ps.length - 8} more` : '');
  const parts: string[] = [];
  for (const [role, word] of [['numeric', 'numeric'], ['categorical', 'categorical'], ['boolean', 'yes/no'], ['ignored', 'left out']] as const) {
    const ps = by(role);
    if (ps.length) parts.push(`${ps.length} ${word}${role === 'numeric' && ps.length > 8 ? '' : ` (${list(ps)})`}`);
  }
  steps.push({
    name: 'columns',
    summary: `${plans.length} feature columns: ${parts.join(', ')}`,
    details: { columns: plans.map((p) => ({ name: p.name, role: p.role, why: p.why, missing: p.missing, distinct: p.distinct })) },
  });
  for (const p of plans) if (p.warning) steps.push({ name: 'column', summary: `Warning: ${p.warning}`, details: { column: p.name, role: p.role }, warning: true });
  return plans;
}

/** Fit the encoder on the training part and encode the three parts; steps say what was filled and what was unseen. */
export function encodeParts(
  trainPart: Dataset,
  valPart: Dataset,
  test: Dataset | null,
  plans: ColumnPlan[],
  o: TableOptions,
  steps: PrepStep[],
): { encoder: TableEncoder; train: Dataset; val: Dataset; test: Dataset | null } {
  const encoder = fitTableEncoder(trainPart, plans, o, trainPart.table?.label ?? null);
  const described = describeEncoder(encoder, plans, trainPart.rows, o);
  steps.push({ name: 'encode', summary: described.summary, details: described.details });
  const encode = (d: Dataset, what: string): Dataset => {
    const { features, counts } = encoder.encode(d, d.source ?? what);
    noteCounts(counts, d, what, steps);
    const { table: _t, ...rest } = d;
    return { ...rest, features, cols: encoder.outputCols };
  };
  return {
    encoder,
    train: encode(trainPart, 'training part'),
    val: encode(valPart, 'validation part'),
    test: test ? encode(test, 'test set') : null,
  };
}

function noteCounts(c: EncodeCounts, d: Dataset, what: string, steps: PrepStep[]): void {
  if (c.imputed.size) {
    const total = [...c.imputed.values()].reduce((a, b) => a + b, 0);
    const cols = [...c.imputed].slice(0, 6).map(([n, k]) => `${JSON.stringify(n)}: ${formatCount(k)}`).join(', ') + (c.imputed.size > 6 ? ', ...' : '');
    steps.push({ name: 'impute', summary: `Filled ${formatCount(total)} blank cells of the ${what} (${cols}) with the values fitted on the training part`, details: { part: what, imputed: Object.fromEntries(c.imputed) } });
  }
  if (c.unknown.size) {
    const cols = [...c.unknown].map(([n, u]) => `${JSON.stringify(n)}: ${formatCount(u.rows)} rows (${u.examples.map((e) => JSON.stringify(e)).join(', ')}${u.other ? ", read as 'other'" : ', encoded as no known category'})`).join('; ');
    steps.push({
      name: 'unknown',
      summary: `Warning: ${d.source ?? what} holds categories not seen in the training part: ${cols}`,
      details: { part: what, unknown: Object.fromEntries([...c.unknown].map(([n, u]) => [n, u.rows])) },
      warning: true,
    });
  }
}

/** Warnings about classes: very few training rows, none in the test set, a label column that looks like a quantity. */
function classWarnings(train: Dataset, test: Dataset | null, counts: number[], names: string[], classValues: number[] | undefined): PrepStep[] {
  const out: PrepStep[] = [];
  const few = counts.flatMap((n, c) => (n > 0 && n < FEW_ROWS ? [c] : []));
  if (few.length) {
    out.push({
      name: 'classes',
      summary: `Warning: ${few.length === 1 ? 'class' : 'classes'} ${listClasses(few.map((c) => `${names[c]} (${counts[c]} ${counts[c] === 1 ? 'row' : 'rows'})`))} ${few.length === 1 ? 'has' : 'have'} fewer than ${FEW_ROWS} training rows: too few to learn from or to score (a typo in a label?)`,
      details: { few: few.map((c) => ({ class: names[c], rows: counts[c] })) },
      warning: true,
    });
  }
  if (test) {
    const inTest = new Int32Array(counts.length);
    for (let i = 0; i < test.labels.length; i++) inTest[test.labels[i]]++;
    const none = counts.flatMap((n, c) => (n > 0 && inTest[c] === 0 ? [c] : []));
    if (none.length) {
      out.push({
        name: 'classes',
        summary: `Warning: no test rows for ${none.length === 1 ? 'class' : 'classes'} ${listClasses(none.map((c) => names[c]))}: the test scores say nothing about ${none.length === 1 ? 'it' : 'them'}`,
        details: { noTestRows: none.map((c) => names[c]) },
        warning: true,
      });
    }
  }
  const k = counts.length;
  if (classValues && k >= 20 && k >= train.rows / 5) {
    out.push({
      name: 'classes',
      summary: `Warning: the label column holds ${formatCount(k)} distinct numbers in ${formatCount(train.rows)} rows; it looks like a quantity to predict, not classes`,
      details: { classes: k, rows: train.rows },
      warning: true,
    });
  }
  return out;
}

/** Rows of the test set that also appear in the training data (after encoding): a leak that flatters the test score. */
function duplicateWarnings(train: Dataset, val: Dataset, test: Dataset | null): PrepStep[] {
  if (!test || test.rows === 0 || train.cols !== test.cols) return [];
  const seen = new Set<number>();
  for (const d of [train, val]) {
    if (d.cols !== test.cols) continue;
    const bits = bitsOf(d);
    for (let r = 0; r < d.rows; r++) seen.add(rowHash(bits, r, d.cols));
  }
  const testBits = bitsOf(test);
  let dup = 0;
  for (let r = 0; r < test.rows; r++) if (seen.has(rowHash(testBits, r, test.cols))) dup++;
  if (dup === 0) return [];
  return [{
    name: 'duplicates',
    summary: `Warning: ${formatCount(dup)} of ${formatCount(test.rows)} test rows (${formatPercent(dup / test.rows, 1)}) also appear in the training data, features and all; the test score is flattered by them`,
    details: { duplicated: dup, testRows: test.rows },
    warning: true,
  }];
}

/** The feature bits of a dataset, one view over its array. */
const bitsOf = (d: Dataset) => new Uint32Array(d.features.buffer, d.features.byteOffset, d.rows * d.cols);

/** A 52-bit hash of row `r`'s feature bits. */
function rowHash(bits: Uint32Array, r: number, cols: number): number {
  let h1 = 0x811c9dc5 | 0, h2 = 0x2545f491 | 0;
  for (let i = r * cols, end = i + cols; i < end; i++) {
    h1 = Math.imul(h1 ^ bits[i], 0x01000193);
    h2 = Math.imul(h2 ^ bits[i], 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0) * 0x100000 + (h2 >>> 12);
}

export const tableWarnings = { classes: classWarnings, duplicates: duplicateWarnings };

