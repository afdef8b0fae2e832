/**
 * The dashboard page's script, as text inlined in the page. Every two seconds it asks the
 * server for the studies and the chosen study with the page of trials it shows (one request
 * each, after the previous answer) and redraws them in place; the figures are asked for only
 * when they changed (a search's parallel coordinates as trials finish, the final model's
 * figures once). Text from the store is set as text, never as markup, except what the server
 * draws escaped with the reports' own code (Table 1, the importance table, the charts' SVG).
 * The chosen study is in the address (#study=NAME); the trials table is sorted, filtered and
 * paged by the server.
 */
import { CLIENT_VIEWS } from './client-views.js';

const CLIENT_CORE = String.raw`
  var POLL_MS = 2000;
  var token = new URLSearchParams(location.search).get('token');
  var chosen = null;
  /** The page of trials shown: the server sorts, filters and cuts it. */
  var query = { sort: 'number', dir: 1, q: '', state: '', offset: 0 };
  var PAGE = 200;
  /** Trials picked for the learning-curve chart (store ids), and their curves as last read. */
  var picked = [];
  var curves = {};
  var lastDetail = null;
  /** Requests of the study in flight are numbered: an older answer does not overwrite a newer one. */
  var asked = 0, drawn = 0;
  var figure = { finished: -1, at: 0, busy: false };
  var finalShown = null;
  var COLOURS = ['#2f6db5', '#d97706', '#047857', '#b91c1c', '#7c3aed', '#0e7490', '#a16207', '#be185d'];
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function withToken(path) {
    return token ? path + (path.indexOf('?') >= 0 ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  }
  function get(path) {
    return fetch(withToken(path), { cache: 'no-store', headers: { accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
        return body;
      });
    });
  }
  function readHash() {
    var m = /^#study=(.*)$/.exec(location.hash);
    chosen = m ? decodeURIComponent(m[1]) : chosen;
  }
  function when(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }
  function seconds(s) {
    if (s === null || s === undefined) return '';
    return s < 90 ? Math.round(s) + ' s' : s < 5400 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  }
  function setStatus(text, bad) {
    var s = $('status');
    s.textContent = text;
    s.className = bad ? 'bad' : '';
  }
  function studyPath(name) { return '/api/study/' + encodeURIComponent(name); }

  function renderStudies(list) {
    var body = $('studies-table').tBodies[0];
    body.replaceChildren();
    $('no-studies').hidden = list.length > 0;
    list.forEach(function (s) {
      var tr = el('tr', 'study' + (s.name === chosen ? ' chosen' : ''));
      tr.dataset.name = s.name;
      var name = el('th');
      name.scope = 'row';
      name.appendChild(el('bdi', null, s.name));
      if (s.error) name.appendChild(el('div', 'problem', s.error));
      if (s.damagedTrials) name.appendChild(el('div', 'problem', s.damagedTrials + ' trial row' + (s.damagedTrials === 1 ? '' : 's') + ' cannot be read (damaged)'));
      tr.appendChild(name);
      tr.appendChild(el('td', null, s.strategy || ''));
      var st = el('td');
      st.appendChild(el('span', 'state ' + s.state, s.state === 'done' || s.state === 'damaged' ? s.state : s.state + ' · ' + s.stage));
      tr.appendChild(st);
      ['done', 'running', 'queued', 'pruned', 'failed'].forEach(function (k) { tr.appendChild(el('td', 'num count-' + k, s.counts[k])); });
      tr.appendChild(el('td', 'num best', s.bestText));
      tr.appendChild(el('td', null, when(s.lastActivity)));
      tr.addEventListener('click', function () { location.hash = 'study=' + encodeURIComponent(s.name); });
      body.appendChild(tr);
    });
  }

  function card(label, value, sub, id) {
    var c = el('div', 'card');
    if (id) c.id = id;
    c.appendChild(el('div', 'card-label', label));
    c.appendChild(el('div', 'card-value', value));
    c.appendChild(el('div', 'card-sub', sub));
    return c;
  }

  function renderStudy(d) {
    var s = d.summary;
    lastDetail = d;
    $('study').hidden = false;
    $('study-name').textContent = s.name;
    $('study-meta').textContent = [s.strategy, s.metricName || s.metric, s.stage ? 'stage ' + s.stage : '', s.error].filter(Boolean).join(' · ');
    var f = d.final;
    $('study-cards').replaceChildren(
      card('Trials', s.counts.done + s.counts.pruned + s.counts.failed + ' ended', s.counts.running + ' running, ' + s.counts.queued + ' queued', 'card-trials'),
      card('Best trial', s.bestText || '—', s.metricName || s.metric || '', 'card-best'),
      card('Pruned / failed', s.counts.pruned + ' / ' + s.counts.failed, 'stopped early / diverged'),
      f ? card(f.score === 'r2' ? 'Final test R²' : 'Final test accuracy', f.valueText, f.detail + ', ' + f.testRows + ' test rows', 'card-final') : card('Final model', '—', s.state === 'done' ? 'not evaluated on a test set' : 'not trained yet', 'card-final')
    );
    $('study-damaged').hidden = !s.damagedTrials;
    $('study-damaged').textContent = s.damagedTrials ? s.damagedTrials + ' trial row' + (s.damagedTrials === 1 ? '' : 's') + ' of this study cannot be read (the stored JSON is damaged); they are counted and marked in the table.' : '';
    renderCurve(d.bestOverTime, d.finishedTrials, s.metricName || s.metric || 'metric');
    $('table1').hidden = !d.table1;
    if (d.table1) {
      $('table1-rule').textContent = d.table1.rule;
      // Drawn by the server with the report's code, every value escaped there.
      $('table1-body').innerHTML = d.table1.html;
    }
    renderSearch(d);
    renderWorkers(d);
    renderFinal(d);
    renderTrials(d);
    // Curves of running trials grow: read again with the rest.
    if (picked.length) loadCurves();
    else renderCurves();
  }

  function studyUrl(name) {
    var p = new URLSearchParams();
    p.set('sort', query.sort);
    p.set('dir', String(query.dir));
    if (query.q) p.set('q', query.q);
    if (query.state) p.set('state', query.state);
    p.set('offset', String(query.offset));
    p.set('limit', String(PAGE));
    return studyPath(name) + '?' + p.toString();
  }
  /** Ask for the chosen study now (a new sort, filter or page), drawing the answer unless a newer one came first. */
  function refreshStudy() {
    if (chosen === null) return Promise.resolve();
    var n = ++asked;
    return get(studyUrl(chosen)).then(function (d) {
      if (n < drawn) return;
      drawn = n;
      renderStudy(d);
    });
  }

  function tick() {
    get('/api/studies').then(function (r) {
      readHash();
      if (chosen === null || !r.studies.some(function (s) { return s.name === chosen; })) chosen = r.studies.length ? r.studies[0].name : null;
      renderStudies(r.studies);
      if (chosen === null) { $('study').hidden = true; return null; }
      return refreshStudy();
    }).then(function () {
      setStatus('updated ' + new Date().toLocaleTimeString(), false);
    }, function (e) {
      setStatus('cannot read the store: ' + e.message + ' (retrying)', true);
    }).then(function () { setTimeout(tick, POLL_MS); });
  }
  // A study chosen in the list is drawn at once; the polling goes on as before.
  window.addEventListener('hashchange', function () {
    readHash();
    picked = [];
    curves = {};
    query = { sort: 'number', dir: 1, q: '', state: '', offset: 0 };
    $('trials-filter').value = '';
    $('trials-state').value = '';
    figure = { finished: -1, at: 0, busy: false };
    finalShown = null;
    Array.prototype.forEach.call($('studies-table').tBodies[0].rows, function (tr) { tr.classList.toggle('chosen', tr.dataset.name === chosen); });
    refreshStudy().catch(function (e) { setStatus('cannot read the study: ' + e.message, true); });
  });
  var typing = 0;
  $('trials-filter').addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () { query.q = $('trials-filter').value; query.offset = 0; refreshStudy(); }, 300);
  });
  $('trials-state').addEventListener('change', function () { query.state = $('trials-state').value; query.offset = 0; refreshStudy(); });
  $('trials-prev').addEventListener('click', function () { query.offset = Math.max(0, query.offset - PAGE); refreshStudy(); });
  $('trials-next').addEventListener('click', function () { query.offset += PAGE; refreshStudy(); });
`;

/** The script: the views (charts and tables) and the core (polling, the list, the study). */
export const CLIENT_SCRIPT = `
'use strict';
(function () {
${CLIENT_CORE}
${CLIENT_VIEWS}
  readHash();
  tick();
})();
`;
