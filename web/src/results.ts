/** The finished runs: their table, and their models downloaded as model files or ONNX. */
import { exportOnnx } from '../../src/export/index.js';
import { decodeModelFile } from '../../src/index.js';
import { formatPercent } from '../../src/report/index.js';
import { getBackend } from '../../src/tensor/index.js';
import { showError } from './controls.js';
import { byId, h, seconds } from './dom.js';
import { r2Text } from './regress/panels.js';
import { summarize } from './runs.js';
import type { PageState, Run } from './state.js';

/** The table of finished runs; `changed` redraws what depends on them after one is removed. */
export function renderRunsTable(state: PageState, changed: () => void): void {
  const body = byId('runs-body');
  body.replaceChildren();
  const finals = state.finished.map((r) => (r.done!.final ?? r.done!.regression)!);
  const anyTest = finals.some((f) => f.set === 'test');
  const tasks = new Set(state.finished.map((r) => r.data.task));
  // One task: the columns say what they hold; both: each cell does.
  const unit = tasks.size === 2 ? '' : tasks.has('regress') ? ' R²' : ' acc.';
  byId('runs-best-head').textContent = `Best val.${unit}`;
  byId('runs-final-head').textContent = `${anyTest ? 'Test' : 'Final'}${unit}`;
  const score = (run: Run, x: number) => (run.data.task === 'regress' ? `${tasks.size === 2 ? 'R² ' : ''}${r2Text(x)}` : formatPercent(x, 1));
  for (const run of state.finished) {
    const regress = run.data.task === 'regress';
    const best = Math.max(...run.history.map((x) => { const v = regress ? x.valR2 ?? NaN : x.valAccuracy; return Number.isFinite(v) ? v : -Infinity; }));
    const final = (run.done!.final ?? run.done!.regression)!;
    const finalScore = run.done!.regression ? run.done!.regression.r2 : run.done!.final!.accuracy;
    const remove = h('button', { type: 'button', class: 'icon-button', title: 'Remove this run', 'aria-label': `Remove run ${run.number}` }, '×');
    remove.addEventListener('click', () => {
      state.finished.splice(state.finished.indexOf(run), 1);
      changed();
    });
    const save = h('button', { type: 'button', class: 'link', title: 'Download this run\'s model' }, 'model');
    save.addEventListener('click', () => exportRun(run));
    const saveOnnx = h('button', { type: 'button', class: 'link', title: 'Download this run\'s model as ONNX (pre-processing inside)' }, 'onnx');
    saveOnnx.addEventListener('click', () => void exportRunOnnx(run));
    body.append(
      h('tr', {},
        h('td', {}, h('span', { class: 'swatch', style: `background:${run.color}` })),
        h('td', {}, h('div', { class: 'run-label', title: run.detail }, run.label), h('div', { class: 'run-detail' }, summarize(run.settings))),
        h('td', { class: 'num' }, Number.isFinite(best) ? score(run, best) : '–'),
        h('td', { class: 'num' }, `${score(run, finalScore)}${{ test: '', validation: ' (val.)', training: ' (train)' }[final.set]}`),
        h('td', { class: 'num' }, `${run.history.length}${run.done!.stoppedEarly ? ' (early stop)' : run.done!.aborted ? ' (stopped)' : ''}`),
        h('td', { class: 'num' }, seconds(run.done!.seconds)),
        h('td', { class: 'actions' }, save, ' ', saveOnnx, remove),
      ),
    );
  }
  byId('runs-table').hidden = state.finished.length === 0;
  byId('clear-runs').hidden = state.finished.length === 0;
}

/** Download `data` as a file named `name`. */
export function download(name: string, data: string | Uint8Array, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = h('a', { href: url, download: name, style: 'display:none' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportRun(run: Run): void {
  if (run.done) download(`mlplab-model-run${run.number}.json`, run.done.modelJson);
}

/** The run's model as ONNX, its pre-processing inside: the same model file, converted in the page. */
export async function exportRunOnnx(run: Run): Promise<void> {
  if (!run.done) return;
  try {
    const contents = await decodeModelFile(run.done.modelJson, `run ${run.number}'s model`, getBackend());
    try {
      download(`mlplab-model-run${run.number}.onnx`, exportOnnx(contents), 'application/octet-stream');
    } finally {
      contents.model.dispose();
    }
  } catch (e) {
    showError('export', e);
  }
}
