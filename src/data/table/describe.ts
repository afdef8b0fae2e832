/**
 * A table's columns described for people: each column's type, blanks, distinct values, a few
 * examples and what a run's pre-processing does with it, in words, with the plan's warning.
 * `mlplab data info` prints it and the playground shows it; it is computed the way `prepare`
 * types and encodes the columns (planColumns, then the encoder fitted on the rows given).
 * Browser-safe.
 */
import { formatCount, formatSignificant } from '../../format.js';
import type { Dataset } from '../dataset.js';
import type { TableColumns } from './cells.js';
import { fitTableEncoder } from './encoder.js';
import { TABLE_DEFAULTS, planColumns, type ColumnPlan, type TableOptions } from './plan.js';

/** One column of a table, described. */
export interface ColumnInfo {
  name: string;
  type: ColumnPlan['role'];
  /** Blank or null cells among the rows described. */
  missing: number;
  /** Distinct non-missing values, "12", or "65,536+" past the count kept. */
  distinct: string;
  /** A few values, most frequent first. */
  examples: string[];
  /** What the pre-processing does with it, in words. */
  action: string;
  /** Something to look at (an identifier left out, words in a column of numbers), when there is one. */
  warning?: string;
}

/**
 * The columns of a table's training rows (`train.table`, as a CSV or records source reads
 * them) as a run with table options `o` types and encodes them. Throws DataError when `o`
 * names a column the table lacks or gives one column two types; a Dataset without a table
 * has no columns to describe (an empty list).
 */
export function describeTable(train: Dataset, o: Partial<TableOptions> = {}): ColumnInfo[] {
  if (!train.table) return [];
  const options = { ...TABLE_DEFAULTS, ...o };
  const plans = planColumns(train as Dataset & { table: TableColumns }, options);
  const encoder = plans.some((p) => p.role !== 'ignored') ? fitTableEncoder(train, plans, options, null) : null;
  const encoded = new Map(encoder?.meta.columns.map((c) => [c.name, c]) ?? []);
  return plans.map((p) => {
    const c = encoded.get(p.name);
    let action = `left out: ${p.why}`;
    if (c?.role === 'numeric') action = `${p.why === 'numbers' ? '' : `${p.why}; `}scaled${c.indicator ? `; blanks get the ${options.imputeNumeric} (${formatSignificant(c.impute, 6)}) and a missing-indicator column` : ''}${c.bins ? `; also ${c.bins.length - 1} piecewise-linear bins` : ''}`;
    else if (c?.role === 'boolean') action = `one 0/1 column (${JSON.stringify(c.yes)} is 1)${c.indicator ? ' and a missing-indicator column' : ''}`;
    else if (c?.role === 'categorical') {
      const n = c.categories.length + (c.other ? 1 : 0) + (c.missing === 'slot' ? 1 : 0);
      action = `one-hot, ${n} columns${c.other ? " (rare values share 'other')" : ''}${c.missing === 'slot' ? " (blanks: 'missing')" : ''}`;
    }
    return { name: p.name, type: p.role, missing: p.missing, distinct: `${formatCount(p.distinct)}${p.distinctMore ? '+' : ''}`, examples: p.examples, action, ...(p.warning ? { warning: p.warning } : {}) };
  });
}
