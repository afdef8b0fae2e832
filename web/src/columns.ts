/**
 * A picked table's columns: the library's column table (`describeTable`: type, blanks,
 * distinct values, examples, what a run does, and each column's warning), with each column's
 * type chosen in place. The types chosen go into the run's settings
 * as `data.categorical`, `data.numeric` and `data.ignoreColumns`. Also a table row's cells as
 * text, for the prediction grid.
 */
import { describeTable, type TableColumns, type TableOptions } from '../../src/data/index.js';
import type { Dataset } from '../../src/index.js';
import { formatPercent } from '../../src/report/index.js';
import { showError } from './controls.js';
import type { LoadedData } from './data.js';
import { byId, clearMessage, count, h, shown as showText } from './dom.js';
import type { Run } from './state.js';

type Asked = 'numeric' | 'categorical' | 'ignored';
const ASKED: [Asked, string][] = [['numeric', 'numeric'], ['categorical', 'categorical'], ['ignored', 'left out']];

/** The table shown, and what to do when a column's type changes (check the settings again). */
let shown: { data: LoadedData; changed: () => void } | null = null;

/** The types asked for in the column table, by column name ('auto' ones left out). */
function askedTypes(): Map<string, Asked> {
  const out = new Map<string, Asked>();
  for (const select of document.querySelectorAll<HTMLSelectElement>('#columns-table select[data-column]')) {
    if (select.value !== 'auto') out.set(select.dataset.column!, select.value as Asked);
  }
  return out;
}

/** The table options the column table asks for: what a run spec's `data` takes (empty without a table). */
export function columnOptions(): Pick<TableOptions, 'categorical' | 'numeric' | 'ignoreColumns'> | Record<string, never> {
  if (byId('columns-card').hidden) return {};
  const asked = askedTypes();
  if (asked.size === 0) return {};
  const named = (role: Asked) => [...asked].filter(([, r]) => r === role).map(([n]) => n);
  return { categorical: named('categorical'), numeric: named('numeric'), ignoreColumns: named('ignored') };
}

/** Hide the column table (no table picked, or the built-in data). */
export function hideColumnTable(): void {
  byId('columns-card').hidden = true;
}

/** Show the column table of a picked table's training rows; the types already asked for stay. */
export function showColumnTable(d: LoadedData, changed: () => void): void {
  const t = d.train.table;
  if (!t) {
    hideColumnTable();
    return;
  }
  // The same training file (another test file, say, or back from the built-in data): its types stay.
  const before = shown && shown.data.train.source === d.train.source ? askedTypes() : new Map<string, Asked>();
  shown = { data: d, changed };
  byId('columns-card').hidden = false;
  // What the label column makes: classes, or a number to predict.
  byId('columns-task').textContent = showText(d.taskNote ?? '');
  byId('columns-task').className = `task-note ${d.task}`;
  renderTable(d, t, before);
}

function renderTable(d: LoadedData, t: TableColumns, asked: Map<string, Asked>): void {
  const changed = shown!.changed;
  for (const name of [...asked.keys()]) if (!t.names.includes(name)) asked.delete(name);
  const named = (role: Asked) => [...asked].filter(([, r]) => r === role).map(([n]) => n);
  const rows = d.train.rows;
  let columns, auto;
  try {
    auto = describeTable(d.train);
    columns = asked.size ? describeTable(d.train, { categorical: named('categorical'), numeric: named('numeric'), ignoreColumns: named('ignored') }) : auto;
    clearMessage('columns');
  } catch (e) {
    showError('columns', e);
    return;
  }

  byId('columns-caption').textContent =
    `${d.source}: ${count(t.names.length)} feature columns, typed on the ${count(rows)} training rows as a run types them; ` +
    'the encoding is fitted on the training part when the run starts, and the exported model keeps it.';

  const body = h('tbody', {});
  columns.forEach((c, i) => {
    const select = h('select', { id: `column-type-${i}`, 'data-column': c.name, 'aria-label': `Type of column ${c.name}` },
      h('option', { value: 'auto' }, `${auto[i].type} (auto)`),
      ...ASKED.map(([v, label]) => h('option', { value: v, selected: asked.get(c.name) === v }, label)));
    select.addEventListener('change', () => {
      renderTable(d, t, askedTypes());
      changed();
    });
    body.append(h('tr', { class: `column-row ${c.type}`, 'data-type': c.type },
      h('th', { scope: 'row' }, h('bdi', {}, c.name)),
      h('td', {}, select),
      h('td', { class: 'num' }, c.missing ? formatPercent(c.missing / rows, 1) : '–'),
      h('td', { class: 'num' }, c.distinct),
      h('td', { class: 'examples' }, c.examples.map((e) => (e.length > 24 ? `${e.slice(0, 23)}…` : e)).join(', ')),
      h('td', { class: 'action' }, c.action)));
    if (c.warning) body.append(h('tr', { class: 'column-warning' }, h('td', { colspan: 6 }, `⚠ ${c.warning}`)));
  });
  byId('columns-table').replaceChildren(
    h('thead', {}, h('tr', {}, ...['column', 'type', 'missing', 'distinct', 'examples', 'what a run does'].map((x, j) => h('th', { scope: 'col', class: j === 2 || j === 3 ? 'num' : null }, x)))),
    body,
  );
  const given = ['categorical', 'numeric', 'ignoreColumns'].map((k, j) => [k, named((['categorical', 'numeric', 'ignored'] as const)[j])] as const).filter(([, v]) => v.length);
  byId('columns-note').textContent = given.length
    ? `The run's settings get ${given.map(([k, v]) => `data.${k} = ${JSON.stringify(v)}`).join(', ')} (on the command line: ${given.map(([k, v]) => `--${k === 'ignoreColumns' ? 'ignore-columns' : k} ${v.join(',')}`).join(' ')}).`
    : 'Change a type in its row: it goes into the run\'s settings as data.categorical, data.numeric or data.ignoreColumns (the command line\'s --categorical, --numeric, --ignore-columns).';
}

/** The text of one cell of a raw table row: the number, the text of a code, "" for a blank. */
export function cellText(d: Dataset, row: number, c: number): string {
  const v = d.features[row * d.cols + c];
  if (v !== v) return '';
  const dict = d.table?.dictionaries[c];
  // Cells are float32: 7 significant digits give back the number as the file wrote it (0.9343, not 0.9343000054359436).
  if (!dict) return String(Number(v.toPrecision(7)));
  return v < 0 ? '(other)' : (dict[v] ?? '');
}

/** A table's prediction grid: each row's cells, the predicted class with its probability, and the actual class. */
export function tableGrid(run: Run, source: Dataset, rows: number[], labels: number[]): HTMLElement {
  const t = source.table!;
  const names = run.data.classNames;
  const shownCols = t.names.slice(0, 8);
  // Texts the training rows hold, per column, so a category never seen in training is marked.
  const trained = run.data.train.table!;
  const seen = shownCols.map((n) => (source === run.data.train ? null : (trained.dictionaries[trained.names.indexOf(n)] ?? null)));
  const head = h('tr', {}, h('th', { class: 'num' }, 'row'), ...shownCols.map((n) => h('th', {}, h('bdi', {}, n))), h('th', {}, 'predicted'), h('th', { class: 'num' }, 'probability'), h('th', {}, 'actual'));
  const body = run.grid.map((pred, i) => {
    const ok = pred === labels[i];
    return h('tr', { class: `prediction-row ${ok ? 'right' : 'wrong'}`, 'data-row': rows[i] },
      h('td', { class: 'num' }, String(rows[i])),
      ...shownCols.map((_, c) => {
        const text = cellText(source, rows[i], c);
        if (text === '') return h('td', { class: 'blank' }, 'blank');
        const unseen = seen[c] !== null && source.table!.kinds[c] === 'text' && !seen[c]!.includes(text);
        return h('td', unseen ? { class: 'unseen', title: 'not in the training rows' } : {}, h('bdi', {}, text), unseen ? h('span', { class: 'new' }, ' new') : null);
      }),
      h('td', { class: 'pred' }, `${ok ? '✓' : '✗'} `, h('bdi', {}, names[pred])),
      h('td', { class: 'num proba' }, run.gridProba[i] !== undefined ? run.gridProba[i].toFixed(3) : '–'),
      h('td', {}, h('bdi', {}, names[labels[i]])));
  });
  return h('div', { class: 'table-wrap grid-note' }, h('table', { class: 'prediction-table' }, h('thead', {}, head), h('tbody', {}, ...body)));
}
