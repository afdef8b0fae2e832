/** The study report for the terminal: Table 1 as fixed-width text, or a space study's best trials. */
import { isFraction } from '../study/config.js';
import { formatDuration, formatPercent } from '../../format.js';
import { fmtMetric } from '../analysis/table1.js';
import { rankedSearch, type StudyReport } from './study-report.js';
import { fmtMeanSd, metricTitle, searchCounts } from './wording.js';

const VERDICT_TEXT = { better: '+', worse: '-', noise: '', null: '' } as const;

/** A space study's summary for the terminal: the best trials and the parameters' importance. */
function formatSearchText(r: StudyReport): string {
  const best = rankedSearch(r).slice(0, 10);
  const lines = [`Search (${r.strategy}): ${searchCounts(r)}; the best ${best.length} by ${metricTitle(r)}:`];
  for (const t of best) lines.push(`  #${String(t.number).padEnd(4)} ${fmtMetric(t.metric!, r.metric).padStart(8)}  ${t.label}`);
  if (r.search && r.search.importance.length) lines.push(`importance (share of the variance explained): ${r.search.importance.map((x) => `${x.name} ${formatPercent(x.share, 0)}`).join(', ')}`);
  return lines.join('\n');
}

/** Table 1 as fixed-width text for the terminal: one row per factor, one column per value (a space study: its best trials). */
export function formatTable1Text(r: StudyReport): string {
  if (r.search) return formatSearchText(r);
  const t = r.table1;
  const unit = isFraction(r.metric) ? '%' : '';
  const cells = t.rows.map((row) =>
    row.cells.map((c) => {
      if (!c.stats) return `${c.value}${c.isBase ? '*' : ''}  not run`;
      const n = c.stats.values.length !== r.seeds && t.kind === 'configuration' ? ` n=${c.stats.values.length}` : '';
      const mark = c.isBase ? '*' : VERDICT_TEXT[String(c.verdict) as keyof typeof VERDICT_TEXT];
      return `${c.value}${mark}  ${fmtMeanSd(c.stats, r.metric)}${n}  ${formatDuration(c.stats.seconds)}`;
    }),
  );
  const columns = Math.max(...cells.map((c) => c.length));
  const nameWidth = Math.max(6, ...t.rows.map((x) => x.factor.length));
  const widths = Array.from({ length: columns }, (_, j) => Math.max(7, ...cells.map((row) => (row[j] ?? '').length)));
  const line = (first: string, rest: string[]) => [first.padEnd(nameWidth), ...rest.map((x, j) => x.padEnd(widths[j]))].join(' | ').trimEnd();
  const sep = [''.padEnd(nameWidth, '-'), ...widths.map((w) => ''.padEnd(w, '-'))].join('-+-');
  const header = line('factor', widths.map((_, j) => `value ${j + 1}`));
  const what =
    t.kind === 'configuration'
      ? `the base model with one factor changed; mean ± sd over ${r.seeds} seeds${unit ? ` in ${unit}` : ''}, and time per trial`
      : `marginal: every configuration with that value, pooled; mean ± sd${unit ? ` in ${unit}` : ''}, and time per trial`;
  const legend =
    t.kind === 'configuration'
      ? `* base value; + / - significantly better / worse than the base (Welch, p < ${r.alpha}); no mark: within the noise`
      : '* base value';
  const base = t.base ? `base model: ${fmtMeanSd(t.base, r.metric)}${unit} (n=${t.base.values.length})` : '';
  return [`Table 1: ${metricTitle(r)} by factor (${what})`, header, sep, ...cells.map((row, i) => line(t.rows[i].factor, row)), legend, base]
    .filter(Boolean)
    .join('\n');
}
