/**
 * The dashboard page's script, as text inlined in the page. Every two seconds it asks the
 * server for the studies and the chosen study (one request each, after the previous answer)
 * and redraws them in place; text from the store is set as text, never as markup, except
 * Table 1, which the server draws escaped with the report's own code. The chosen study is
 * in the address (#study=NAME); the trials table sorts by the column clicked.
 */
export const CLIENT_SCRIPT = String.raw`
'use strict';
(function () {
  var POLL_MS = 2000;
  var token = new URLSearchParams(location.search).get('token');
  var chosen = null;
  var sort = { key: 'number', dir: 1 };
  var lastTrials = [];
  /** Trials picked for the learning-curve chart (store ids), and their curves as last read. */
  var picked = [];
  /** Rows of the trials table drawn at most, unless all are asked for: 10,000 rows redrawn every 2 seconds would stall the page. */
  var ROW_LIMIT = 200;
  var showAll = false;
  var curves = {};
  var COLOURS = ['#2f6db5', '#d97706', '#047857', '#b91c1c', '#7c3aed', '#0e7490', '#a16207', '#be185d'];
  var COLUMNS = [
    ['number', '#', 'num'], ['phase', 'phase', ''], ['label', 'configuration', ''], ['seed', 'seed', 'num'], ['state', 'state', ''],
    ['params', 'parameters', ''], ['metric', 'metric', 'num'], ['epochs', 'epochs', 'num'], ['worker', 'worker', ''], ['seconds', 'duration', 'num'], ['reason', "pruner's reason / error", '']
  ];
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function get(path) {
    var url = path + (token ? '?token=' + encodeURIComponent(token) : '');
    return fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } }).then(function (r) {
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
  function setStatus(text, bad) {
    var s = $('status');
    s.textContent = text;
    s.className = bad ? 'bad' : '';
  }

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
      tr.appendChild(name);
      tr.appendChild(el('td', null, s.strategy || ''));
      var st = el('td');
      st.appendChild(el('span', 'state ' + s.state, s.state === 'done' || s.state === 'damaged' ? s.state : s.state + ' · ' + s.stage));
      tr.appendChild(st);
      ['done', 'running', 'queued', 'pruned', 'failed'].forEach(function (k) { tr.appendChild(el('td', 'num', s.counts[k])); });
      tr.appendChild(el('td', 'num', s.bestText));
      tr.appendChild(el('td', null, when(s.lastActivity)));
      tr.addEventListener('click', function () { location.hash = 'study=' + encodeURIComponent(s.name); });
      body.appendChild(tr);
    });
  }

  function card(label, value, sub) {
    var c = el('div', 'card');
    c.appendChild(el('div', 'card-label', label));
    c.appendChild(el('div', 'card-value', value));
    c.appendChild(el('div', 'card-sub', sub));
    return c;
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function renderCurve(points, metricName) {
    var box = $('best-chart');
    box.replaceChildren();
    if (points.length === 0) { box.appendChild(el('p', 'empty', 'No trial has finished yet.')); return; }
    var W = 900, H = 240, L = 64, R = 16, T = 12, B = 30;
    var t0 = Date.parse(points[0].at), t1 = Date.parse(points[points.length - 1].at);
    var span = Math.max(1, t1 - t0);
    var vals = points.map(function (p) { return p.value; });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
    var x = function (at) { return L + ((Date.parse(at) - t0) / span) * (W - L - R); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'curve', role: 'img', 'aria-label': 'best ' + metricName + ' over time' });
    s.appendChild(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
    s.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
    points.forEach(function (p) { s.appendChild(svg('circle', { cx: x(p.at), cy: y(p.value), r: 2.5, class: 'dot' })); });
    var d = '';
    points.forEach(function (p, i) {
      d += (i === 0 ? 'M' : 'H' + x(p.at).toFixed(1) + 'V') + (i === 0 ? x(p.at).toFixed(1) + ' ' + y(p.best).toFixed(1) : y(p.best).toFixed(1));
    });
    s.appendChild(svg('path', { d: d, class: 'best' }));
    var label = function (text, ax, ay, anchor) { var t = svg('text', { x: ax, y: ay, 'text-anchor': anchor }); t.textContent = text; s.appendChild(t); };
    label(hi.toFixed(4), L - 6, T + 8, 'end');
    label(lo.toFixed(4), L - 6, H - B, 'end');
    label('0 s', L, H - 10, 'start');
    label(Math.round(span / 1000) + ' s', W - R, H - 10, 'end');
    label(metricName + ' (line: best so far; dots: each finished trial)', (L + W - R) / 2, H - 10, 'middle');
    box.appendChild(s);
  }

  function cellValue(t, key) {
    if (key === 'params') return t.params ? Object.keys(t.params).map(function (k) { return k + '=' + JSON.stringify(t.params[k]); }).join(' ') : '';
    if (key === 'metric') return t.metricText;
    if (key === 'seconds') return t.secondsText;
    if (key === 'epochs') return t.epochs == null ? '-' : t.state === 'running' || t.state === 'queued' ? t.epochs + '/' + t.maxEpochs : t.epochs;
    return t[key] === null || t[key] === undefined ? '' : t[key];
  }
  function sortKey(t, key) {
    if (key === 'params') return cellValue(t, key);
    var v = t[key];
    return v === null || v === undefined ? null : v;
  }
  function renderTrials() {
    var table = $('trials-table');
    var head = table.tHead.rows[0];
    if (head.children.length === 0) {
      COLUMNS.forEach(function (c) {
        var th = el('th', 'sortable ' + c[2], c[1]);
        th.scope = 'col';
        th.dataset.key = c[0];
        th.addEventListener('click', function () {
          sort = { key: c[0], dir: sort.key === c[0] ? -sort.dir : 1 };
          renderTrials();
        });
        head.appendChild(th);
      });
    }
    Array.prototype.forEach.call(head.children, function (th) {
      if (th.dataset.key === sort.key) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    var rows = lastTrials.slice().sort(function (a, b) {
      var x = sortKey(a, sort.key), y = sortKey(b, sort.key);
      if (x === y) return a.number - b.number;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sort.dir;
    });
    var body = table.tBodies[0];
    body.replaceChildren();
    var more = $('trials-more');
    if (rows.length > ROW_LIMIT && !showAll) {
      more.hidden = false;
      more.textContent = 'Show all ' + rows.length + ' trials (the first ' + ROW_LIMIT + ' in this order are shown)';
      rows = rows.slice(0, ROW_LIMIT);
    } else more.hidden = true;
    rows.forEach(function (t) {
      var at = picked.indexOf(t.id);
      var tr = el('tr', 'trial' + (at >= 0 ? ' picked' : ''));
      tr.dataset.id = String(t.id);
      if (at >= 0) tr.style.boxShadow = 'inset 4px 0 0 ' + COLOURS[at];
      tr.addEventListener('click', function () {
        var i = picked.indexOf(t.id);
        if (i >= 0) picked.splice(i, 1);
        else if (t.epochs !== null && t.epochs !== undefined) { picked.push(t.id); if (picked.length > 8) picked.shift(); }
        renderTrials();
        loadCurves();
      });
      COLUMNS.forEach(function (c) {
        var td = el('td', c[2] + (c[0] === 'params' ? ' params' : ''));
        if (c[0] === 'state') td.appendChild(el('span', 'state ' + t.state, t.state));
        else if (c[0] === 'label') td.appendChild(el('bdi', null, t.label));
        else td.textContent = String(cellValue(t, c[0]));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function loadCurves() {
    if (chosen === null) return Promise.resolve();
    var name = chosen;
    return Promise.all(picked.map(function (id) {
      return get('/api/study/' + encodeURIComponent(name) + '/trial/' + id).then(function (c) { curves[id] = c; }, function () { delete curves[id]; });
    })).then(renderCurves);
  }
  function renderCurves() {
    var box = $('curves-chart');
    box.replaceChildren();
    var shown = picked.filter(function (id) { return curves[id] && curves[id].epochs.length > 0; });
    if (shown.length === 0) { box.appendChild(el('p', 'empty', 'No trial picked yet.')); return; }
    var W = 900, H = 240, L = 64, R = 16, T = 12, B = 30;
    var all = [], maxEpoch = 1;
    shown.forEach(function (id) { curves[id].epochs.forEach(function (e) { if (isFinite(e.value)) all.push(e.value); maxEpoch = Math.max(maxEpoch, e.epoch); }); });
    if (all.length === 0) { box.appendChild(el('p', 'empty', 'The picked trials recorded no validation values.')); return; }
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
    var x = function (ep) { return L + ((ep - 1) / Math.max(1, maxEpoch - 1)) * (W - L - R); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    var metric = curves[shown[0]].metric === 'valLoss' ? 'validation loss' : 'validation accuracy';
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'curve', role: 'img', 'aria-label': metric + ' per epoch of the picked trials' });
    s.appendChild(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
    s.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
    shown.forEach(function (id) {
      var d = '';
      curves[id].epochs.forEach(function (e) { if (isFinite(e.value)) d += (d ? 'L' : 'M') + x(e.epoch).toFixed(1) + ' ' + y(e.value).toFixed(1); });
      var path = svg('path', { d: d, fill: 'none', stroke: COLOURS[picked.indexOf(id)], 'stroke-width': 2, class: 'trial-curve' });
      path.dataset.id = String(id);
      s.appendChild(path);
    });
    var label = function (text, ax, ay, anchor) { var t = svg('text', { x: ax, y: ay, 'text-anchor': anchor }); t.textContent = text; s.appendChild(t); };
    label(hi.toFixed(4), L - 6, T + 8, 'end');
    label(lo.toFixed(4), L - 6, H - B, 'end');
    label('epoch 1', L, H - 10, 'start');
    label('epoch ' + maxEpoch, W - R, H - 10, 'end');
    label(metric + ' per epoch (trials as coloured in the table)', (L + W - R) / 2, H - 10, 'middle');
    box.appendChild(s);
  }

  function renderStudy(d) {
    var s = d.summary;
    $('study').hidden = false;
    $('study-name').textContent = s.name;
    $('study-meta').textContent = [s.strategy, s.metricName || s.metric, s.stage ? 'stage ' + s.stage : '', s.error].filter(Boolean).join(' · ');
    var cards = $('study-cards');
    cards.replaceChildren(
      card('Trials', s.counts.done + s.counts.pruned + s.counts.failed + ' ended', s.counts.running + ' running, ' + s.counts.queued + ' queued'),
      card('Best trial', s.bestText || '—', s.metricName || s.metric || ''),
      card('Pruned / failed', s.counts.pruned + ' / ' + s.counts.failed, 'stopped early / diverged'),
      d.final ? card(d.final.score === 'r2' ? 'Final test R²' : 'Final test accuracy', d.final.valueText, d.final.detail + ', ' + d.final.testRows + ' test rows') : card('Final model', '—', s.state === 'done' ? 'not evaluated on a test set' : 'not trained yet')
    );
    renderCurve(d.bestOverTime, s.metricName || s.metric || 'metric');
    $('table1').hidden = !d.table1;
    if (d.table1) {
      $('table1-rule').textContent = d.table1.rule;
      // Drawn by the server with the report's code, every value escaped there.
      $('table1-body').innerHTML = d.table1.html;
    }
    lastTrials = d.trials;
    renderTrials();
    // Curves of running trials grow: read again with the rest.
    if (picked.length) loadCurves();
    else renderCurves();
  }

  function tick() {
    get('/api/studies').then(function (r) {
      readHash();
      if (chosen === null || !r.studies.some(function (s) { return s.name === chosen; })) chosen = r.studies.length ? r.studies[0].name : null;
      renderStudies(r.studies);
      if (chosen === null) { $('study').hidden = true; return null; }
      return get('/api/study/' + encodeURIComponent(chosen)).then(renderStudy);
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
    Array.prototype.forEach.call($('studies-table').tBodies[0].rows, function (tr) { tr.classList.toggle('chosen', tr.dataset.name === chosen); });
    if (chosen !== null) get('/api/study/' + encodeURIComponent(chosen)).then(renderStudy, function (e) { setStatus('cannot read the study: ' + e.message, true); });
  });
  $('trials-more').addEventListener('click', function () { showAll = true; renderTrials(); });
  readHash();
  tick();
})();
`;
