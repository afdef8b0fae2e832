/** The study report in Markdown (table1.md): Table 1 and the decisions, or a space study's search, then the final model. */
import { isFraction } from '../study/config.js';
import { formatDuration, formatFixed, formatPercent } from '../../format.js';
import { fmtGain, fmtMetric, type Table1 } from '../analysis/table1.js';
import { prunedTrials, rankedSearch, type StudyReport } from './study-report.js';
import { IMPORTANCE_NOTE, capitalise, comparisonColumns, comparisonRows, comparisonSentence, finalTestLine, fmtMeanSd, metricTitle, pruner, searchCounts, verdictText } from './wording.js';

/** How the Markdown ends: the pruned trials, the final model and its test, the comparison with the reference model. */
function closingMarkdown(r: StudyReport): string[] {
  const out = [...prunedMarkdown(r)];
  const anyFinished = r.trialLog.some((t) => t.phase === 'search' && t.state === 'done');
  if (r.final || r.finalError) out.push(`Final model: ${r.winner.label}.`);
  else out.push(anyFinished ? `Best configuration: ${r.winner.label} (no final model was trained: the study has no test set or final.enabled is false).` : 'No search trial finished (every one diverged or was pruned), so there is no final model.');
  if (r.finalError) out.push(`Its training failed: ${r.finalError}`);
  const tested = finalTestLine(r);
  if (tested) out.push(md(tested, false));
  return [...out, ...comparisonMarkdown(r)];
}

/** The comparison as Markdown lines (empty without a reference model). */
function comparisonMarkdown(r: StudyReport): string[] {
  const rows = comparisonRows(r);
  if (rows.length === 0) return [];
  const [first, second] = comparisonColumns(r);
  return ['', `## The final model beside ${r.reference!.label}`, '', comparisonSentence(r), '', `| model | configuration | ${md(first)} | ${md(second)} | epochs | time |`, '|---|---|---|---|---|---|', ...rows.map((c) => `| ${c.map((x, i) => (i === 1 ? `\`${x}\`` : x)).join(' | ')} |`)];
}

/** The pruned trials as Markdown lines (empty when none was pruned). */
function prunedMarkdown(r: StudyReport): string[] {
  const pruned = prunedTrials(r);
  if (pruned.length === 0) return [];
  const out = ['## Pruned trials', '', `The ${pruner(r)} stopped ${pruned.length} trial${pruned.length === 1 ? '' : 's'}; they count as pruned, not as results.`, ''];
  out.push('| trial | configuration | seed | stopped after epoch | metric then | reason |', '|---|---|---|---|---|---|');
  for (const t of pruned) out.push(`| ${t.number} | ${t.label} | ${t.seed} | ${t.epochs} | ${t.metric === null ? 'n/a' : fmtMetric(t.metric, r.metric)} | ${t.reason ?? ''} |`);
  out.push('');
  return out;
}

/** A space study as Markdown: the best trials, the importance of each parameter, the pruned trials. */
function searchMarkdown(r: StudyReport): string {
  const out = [`# ${md(r.name)}: search`, '', `${r.strategy}, ${pruner(r)}; ${searchCounts(r)}. Each trial trains one sampled configuration once.`, ''];
  const best = rankedSearch(r).slice(0, 20);
  out.push(`## The best ${best.length} trials`, '', `| rank | trial | ${md(metricTitle(r))} | epochs | configuration |`, '|---|---|---|---|---|');
  best.forEach((t, i) => out.push(`| ${i + 1} | ${t.number} | ${fmtMetric(t.metric!, r.metric)} | ${t.epochs} | ${t.label} |`));
  out.push('');
  if (r.search?.importance.length) {
    out.push('## Parameter importance', '', IMPORTANCE_NOTE, '', '| parameter | share | eta² |', '|---|---|---|');
    for (const x of r.search.importance) out.push(`| ${md(x.name)} | ${formatPercent(x.share, 0)} | ${formatFixed(x.eta2, 3)} |`);
    out.push('');
  }
  out.push(...closingMarkdown(r));
  return out.join('\n') + '\n';
}

/** Table 1 as Markdown (table1.md), with the rule and the decisions (a space study: its search). */

/**
 * User text (study and factor names, configuration labels) as Markdown shows it: nothing that
 * could open an HTML tag or an entity gets through ("p < 0.001" stays as it is), and in a table
 * cell (`cell`) a "|" does not end the cell.
 */
function md(text: string, cell = true): string {
  const escaped = text.replace(/&(?=#?\w+;)/g, '&amp;').replace(/<(?=[A-Za-z/!?])/g, '&lt;');
  return cell ? escaped.replace(/\|/g, '\\|') : escaped;
}

export function formatTable1Markdown(r: StudyReport): string {
  if (r.search) return searchMarkdown(r);
  const t = r.table1;
  const columns = Math.max(...t.rows.map((x) => x.cells.length));
  const arrow = { better: ' ↑', worse: ' ↓', noise: '', null: '' } as const;
  const cell = (c: Table1['rows'][number]['cells'][number]) => {
    const v = `\`${c.value}\`${c.isBase ? ' (base)' : ''}`;
    if (!c.stats) return `${v} not run`;
    const n = c.stats.values.length !== r.seeds && t.kind === 'configuration' ? ` (n=${c.stats.values.length})` : '';
    return `${v} ${fmtMeanSd(c.stats, r.metric)}${n}${arrow[String(c.verdict) as keyof typeof arrow]} · ${formatDuration(c.stats.seconds)}`;
  };
  const out: string[] = [];
  out.push(`# ${md(r.name)}: Table 1`, '');
  out.push(
    `${md(metricTitle(r), false)}${isFraction(r.metric) ? ' (%)' : ''}, ${t.kind === 'configuration' ? 'the base model with one factor changed' : 'marginal over every configuration with that value'}; mean ± sd over seeds, then training time per trial.`,
    '',
  );
  out.push(`| factor | ${Array.from({ length: columns }, (_, j) => `value ${j + 1}`).join(' | ')} |`);
  out.push(`|---|${Array.from({ length: columns }, () => '---').join('|')}|`);
  for (const row of t.rows) {
    const cs = row.cells.map(cell);
    while (cs.length < columns) cs.push('');
    out.push(`| ${md(row.factor)} | ${cs.join(' | ')} |`);
  }
  out.push('');
  if (t.base) out.push(`Base model: ${fmtMeanSd(t.base, r.metric)} (n=${t.base.values.length}).`, '');
  out.push(r.significanceRule + (t.kind === 'configuration' ? ' ↑ / ↓ mark significantly better / worse than the base.' : ''), '');
  if (r.candidate) {
    out.push('## Combined candidate', '');
    if (r.costRule) out.push(`Cost rule: a value more than ${r.costRule.maxTimeRatio}x slower per epoch than the base must gain at least ${fmtGain(r.costRule.minGain, r.metric)}.`, '');
    for (const d of r.candidate.decisions) {
      out.push(md(`- **${d.factor}**: ${d.chosen}${d.changed ? '' : ' (base)'} — ${d.reason}${d.rejected.map((x) => `; not ${x.value}: ${x.reason}`).join('')}`, false));
    }
    out.push('');
  }
  if (r.interaction) {
    const ic = r.interaction;
    out.push('## Interaction check', '', md(`Candidate: ${ic.candidateLabel}. ${capitalise(ic.summary)}.`, false), '');
    out.push('| configuration | change from the candidate | mean ± sd | vs candidate |', '|---|---|---|---|');
    if (ic.candidate) out.push(`| ${md(ic.candidateLabel)} | (candidate) | ${fmtMeanSd(ic.candidate, r.metric)} | |`);
    for (const n of ic.neighbours) {
      out.push(`| ${md(n.label)} | ${md(n.move)} | ${n.stats ? fmtMeanSd(n.stats, r.metric) : 'not run'} | ${verdictText(n.verdict, n.vsCandidate?.p)} |`);
    }
    out.push('');
  }
  if (r.repair) {
    out.push('## Repairing the combination', '', r.repair.summary, '');
    out.push('| step | change | configuration | mean ± sd | against the kept configuration | kept |', '|---|---|---|---|---|---|');
    r.repair.steps.forEach((s, i) => out.push(`| ${i + 1} | ${md(s.change)} | ${md(s.label)} | ${s.stats ? fmtMeanSd(s.stats, r.metric) : 'not run'} | ${s.reason} | ${s.kept ? 'yes' : 'no'} |`));
    out.push('');
  }
  out.push(...closingMarkdown(r));
  return out.join('\n') + '\n';
}
