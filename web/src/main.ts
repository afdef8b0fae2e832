/**
 * The playground page: settings on the left, the run on the right. Training happens in a Web
 * Worker (worker.ts) with the library's engine. This module builds the page and wires its
 * controls to the sections: settings (controls.ts), data picking (picker.ts), the run
 * (session.ts), the live panels (live.ts) and the finished runs (results.ts), which share
 * one PageState (state.ts).
 */
import './styles.css';
import { applyPreset, buildControls, settingsChanged, validateSettings } from './controls.js';
import { byId } from './dom.js';
import { clearLivePanels, renderCompare, renderLive } from './live.js';
import { buildFileSlots, loadBuiltin, selectTab, wireGenerated, wireTask } from './picker.js';
import { exportRun, exportRunOnnx } from './results.js';
import { ensureWorker, pauseOrResume, resetRun, runsChanged, startRun, stopRun, updateButtons } from './session.js';
import { createState } from './state.js';

function init(): void {
  const state = createState();
  buildControls(() => settingsChanged(state));
  applyPreset('default');
  buildFileSlots(state);
  clearLivePanels('classify');
  renderCompare(state);
  updateButtons(state);
  // The worker starts its engine (and threads) now, so the badge says what training will run on.
  ensureWorker(state);

  byId('tab-builtin').addEventListener('click', () => selectTab(state, 'builtin'));
  byId('tab-regression').addEventListener('click', () => selectTab(state, 'regression'));
  byId('tab-files').addEventListener('click', () => selectTab(state, 'files'));
  wireGenerated(state);
  wireTask(state);
  // A preset, or the mode picked by the person, is kept whatever data is picked next.
  byId('model-mode').addEventListener('change', (e) => (state.modeChosen ||= e.isTrusted));
  for (const name of ['default', 'final'] as const) {
    byId(`preset-${name}`).addEventListener('click', () => {
      state.modeChosen = true;
      applyPreset(name);
      validateSettings();
    });
  }
  byId('pca').addEventListener('change', () => {
    byId('pca-custom-row').hidden = byId<HTMLSelectElement>('pca').value !== 'custom';
  });
  const settingsPanel = document.querySelector('.settings')!;
  settingsPanel.addEventListener('input', (e) => {
    if ((e.target as HTMLElement).closest('#pane-files')) return;
    (e.target as HTMLElement).classList.remove('invalid');
    settingsChanged(state);
  });
  settingsPanel.addEventListener('change', (e) => {
    if ((e.target as HTMLElement).closest('#pane-files')) return;
    settingsChanged(state);
  });

  byId('train').addEventListener('click', () => void startRun(state));
  byId('pause').addEventListener('click', () => pauseOrResume(state));
  byId('stop').addEventListener('click', () => stopRun(state));
  byId('reset').addEventListener('click', () => resetRun(state));
  byId('export').addEventListener('click', () => {
    const last = state.finished[state.finished.length - 1];
    if (last) exportRun(last);
  });
  byId('export-onnx').addEventListener('click', () => {
    const last = state.finished[state.finished.length - 1];
    if (last) void exportRunOnnx(last);
  });
  byId('clear-runs').addEventListener('click', () => {
    state.finished.length = 0;
    runsChanged(state);
  });
  for (const [id, metric] of [['compare-acc', 'score'], ['compare-loss', 'valLoss']] as const) {
    byId(id).addEventListener('click', () => {
      state.compareMetric = metric;
      byId('compare-acc').setAttribute('aria-pressed', String(metric === 'score'));
      byId('compare-loss').setAttribute('aria-pressed', String(metric === 'valLoss'));
      renderCompare(state);
    });
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (state.current && state.current.history.length) renderLive(state, state.current);
      else renderCompare(state);
    }, 200);
  });
  void loadBuiltin(state);
}

init();
