/**
 * The dashboard page's views, as script text inlined in the page beside client.ts (which
 * defines the helpers and state they use): the best value over time and the learning curves
 * (small SVG charts drawn here), the trials table with its pager, the search's parallel
 * coordinates and importance, the workers and their leases, and the final model.
 */
export const CLIENT_VIEWS = String.raw`
  var SVG = 'http://www.w3.org/2000/svg';
  var COLUMNS = [
    ['number', '#', 'num'], ['phase', 'phase', ''], ['label', 'configuration', ''], ['seed', 'seed', 'num'], ['state', 'state', ''],
    ['params', 'parameters', ''], ['metric', 'metric', 'num'], ['epochs', 'epochs', 'num'], ['worker', 'worker', ''], ['seconds', 'duration', 'num'], ['reason', "pruner's reason / error", '']
  ];
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function frame(label) {
    var s = svg('svg', { viewBox: '0 0 900 240', class: 'curve', role: 'img', 'aria-label': label });
    s.appendChild(svg('line', { x1: 64, y1: 210, x2: 884, y2: 210, class: 'axis' }));
    s.appendChild(svg('line', { x1: 64, y1: 12, x2: 64, y2: 210, class: 'axis' }));
    return s;
  }
  function text(s, t, x, y, anchor) { var e = svg('text', { x: x, y: y, 'text-anchor': anchor }); e.textContent = t; s.appendChild(e); }

  function renderCurve(points, finished, metricName) {
    var box = $('best-chart');
    box.replaceChildren();
    $('best-note').textContent = finished > points.length ? finished + ' finished trials: every improvement and ' + (points.length) + ' points in all are drawn.' : '';
    if (points.length === 0) { box.appendChild(el('p', 'empty', 'No trial has finished yet.')); return; }
    var L = 64, R = 16, T = 12, B = 30, W = 900, H = 240;
    var t0 = Date.parse(points[0].at), t1 = Date.parse(points[points.length - 1].at);
    var span = Math.max(1, t1 - t0);
    var lo = Infinity, hi = -Infinity;
    points.forEach(function (p) { lo = Math.min(lo, p.value); hi = Math.max(hi, p.value); });
    if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
    var x = function (at) { return L + ((Date.parse(at) - t0) / span) * (W - L - R); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    var s = frame('best ' + metricName + ' over time');
    points.forEach(function (p) { s.appendChild(svg('circle', { cx: x(p.at).toFixed(1), cy: y(p.value).toFixed(1), r: 2.5, class: 'dot' })); });
    var d = '';
    points.forEach(function (p, i) { d += i === 0 ? 'M' + x(p.at).toFixed(1) + ' ' + y(p.best).toFixed(1) : 'H' + x(p.at).toFixed(1) + 'V' + y(p.best).toFixed(1); });
    s.appendChild(svg('path', { d: d, class: 'best' }));
    text(s, hi.toFixed(4), L - 6, T + 8, 'end');
    text(s, lo.toFixed(4), L - 6, H - B, 'end');
    text(s, '0 s', L, H - 10, 'start');
    text(s, seconds(span / 1000), W - R, H - 10, 'end');
    text(s, metricName + ' (line: best so far; dots: finished trials)', (L + W - R) / 2, H - 10, 'middle');
    box.appendChild(s);
  }

  /** A parameter's value in the table: fractions to 4 significant digits (the filter reads them whole). */
  function short(v) {
    return typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : JSON.stringify(v);
  }
  function cellValue(t, key) {
    if (key === 'params') return t.params ? Object.keys(t.params).map(function (k) { return k + '=' + short(t.params[k]); }).join(' ') : '';
    if (key === 'metric') return t.metricText;
    if (key === 'seconds') return t.secondsText;
    if (key === 'epochs') return t.epochs == null ? '-' : t.state === 'running' || t.state === 'queued' ? t.epochs + '/' + t.maxEpochs : t.epochs;
    if (key === 'reason') return t.damaged ? 'damaged row: ' + t.damaged : t.reason || '';
    return t[key] === null || t[key] === undefined ? '' : t[key];
  }
  function renderTrials(d) {
    var table = $('trials-table');
    var head = table.tHead.rows[0];
    if (head.children.length === 0) {
      COLUMNS.forEach(function (c) {
        var th = el('th', 'sortable ' + c[2], c[1]);
        th.scope = 'col';
        th.dataset.key = c[0];
        th.addEventListener('click', function () {
          query.dir = query.sort === c[0] ? -query.dir : 1;
          query.sort = c[0];
          query.offset = 0;
          refreshStudy();
        });
        head.appendChild(th);
      });
    }
    Array.prototype.forEach.call(head.children, function (th) {
      if (th.dataset.key === d.page.sort) th.setAttribute('aria-sort', d.page.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    var body = table.tBodies[0];
    body.replaceChildren();
    d.trials.forEach(function (t) {
      var at = picked.indexOf(t.id);
      var tr = el('tr', 'trial' + (at >= 0 ? ' picked' : '') + (t.damaged ? ' damaged' : ''));
      tr.dataset.id = String(t.id);
      if (at >= 0) tr.style.boxShadow = 'inset 4px 0 0 ' + COLOURS[at];
      tr.addEventListener('click', function () {
        var i = picked.indexOf(t.id);
        if (i >= 0) picked.splice(i, 1);
        else if (t.epochs !== null && t.epochs !== undefined) { picked.push(t.id); if (picked.length > 8) picked.shift(); }
        Array.prototype.forEach.call(body.rows, function (row) {
          var k = picked.indexOf(Number(row.dataset.id));
          row.classList.toggle('picked', k >= 0);
          row.style.boxShadow = k >= 0 ? 'inset 4px 0 0 ' + COLOURS[k] : '';
        });
        loadCurves();
      });
      COLUMNS.forEach(function (c) {
        var td = el('td', c[2] + (c[0] === 'params' ? ' params' : ''));
        if (c[0] === 'state') td.appendChild(el('span', 'state ' + (t.damaged ? 'damaged' : t.state), t.damaged ? t.state + ', damaged' : t.state));
        else if (c[0] === 'label') td.appendChild(el('bdi', null, t.label));
        else td.textContent = String(cellValue(t, c[0]));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var p = d.page, first = p.matched ? p.offset + 1 : 0, last = Math.min(p.matched, p.offset + d.trials.length);
    $('trials-count').textContent = 'Trials ' + first + '–' + last + ' of ' + p.matched + (p.matched !== p.total ? ' matching (' + p.total + ' in all)' : '');
    $('trials-prev').disabled = p.offset === 0;
    $('trials-next').disabled = last >= p.matched;
  }

  function loadCurves() {
    if (chosen === null) return Promise.resolve();
    var name = chosen;
    return Promise.all(picked.map(function (id) {
      return get(studyPath(name) + '/trial/' + id).then(function (c) { curves[id] = c; }, function () { delete curves[id]; });
    })).then(renderCurves);
  }
  function renderCurves() {
    var box = $('curves-chart');
    box.replaceChildren();
    var shown = picked.filter(function (id) { return curves[id] && curves[id].epochs.length > 0; });
    if (shown.length === 0) { box.appendChild(el('p', 'empty', 'No trial picked yet.')); return; }
    var L = 64, R = 16, T = 12, B = 30, W = 900, H = 240;
    var lo = Infinity, hi = -Infinity, maxEpoch = 1;
    shown.forEach(function (id) { curves[id].epochs.forEach(function (e) { if (isFinite(e.value)) { lo = Math.min(lo, e.value); hi = Math.max(hi, e.value); } maxEpoch = Math.max(maxEpoch, e.epoch); }); });
    if (lo === Infinity) { box.appendChild(el('p', 'empty', 'The picked trials recorded no validation values.')); return; }
    if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
    var x = function (ep) { return L + ((ep - 1) / Math.max(1, maxEpoch - 1)) * (W - L - R); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    var metric = curves[shown[0]].metric === 'valLoss' ? 'validation loss' : 'validation accuracy';
    var s = frame(metric + ' per epoch of the picked trials');
    shown.forEach(function (id) {
      var d = '';
      curves[id].epochs.forEach(function (e) { if (isFinite(e.value)) d += (d ? 'L' : 'M') + x(e.epoch).toFixed(1) + ' ' + y(e.value).toFixed(1); });
      var path = svg('path', { d: d, fill: 'none', stroke: COLOURS[picked.indexOf(id)], 'stroke-width': 2, class: 'trial-curve' });
      path.dataset.id = String(id);
      s.appendChild(path);
    });
    text(s, hi.toFixed(4), L - 6, T + 8, 'end');
    text(s, lo.toFixed(4), L - 6, H - B, 'end');
    text(s, 'epoch 1', L, H - 10, 'start');
    text(s, 'epoch ' + maxEpoch, W - R, H - 10, 'end');
    text(s, metric + ' per epoch (trials as coloured in the table)', (L + W - R) / 2, H - 10, 'middle');
    box.appendChild(s);
  }

  /** A search: the importance table (drawn by the server as report.html draws it) and the parallel coordinates, asked for when more trials finished. */
  function renderSearch(d) {
    $('search').hidden = !d.search;
    if (!d.search) return;
    $('importance-note').textContent = d.search.note;
    $('importance-body').innerHTML = d.search.importanceHtml;
    if (d.search.finished === 0) { $('parallel-chart').replaceChildren(el('p', 'empty', 'No trial has finished yet.')); return; }
    // While trials run, asked again at most every 5 s (the server redraws no more often).
    if (figure.busy || figure.finished === d.search.finished || (d.summary.state === 'running' && Date.now() - figure.at < 5000)) return;
    figure.busy = true;
    figure.at = Date.now();
    var name = d.summary.name;
    get(studyPath(name) + '/figure').then(function (f) {
      if (name !== chosen) return;
      figure.finished = f.finished;
      // The report's chart, rendered by the server; its text is escaped there.
      $('parallel-chart').innerHTML = f.svg;
    }, function () { /* asked again at the next poll */ }).then(function () { figure.busy = false; });
  }

  function renderWorkers(d) {
    var body = $('workers-table').tBodies[0];
    body.replaceChildren();
    $('workers').hidden = d.workers.length === 0;
    $('workers-note').textContent = d.workersTotal > d.workers.length ? 'The ' + d.workers.length + ' latest of ' + d.workersTotal + ' workers.' : '';
    d.workers.forEach(function (w) {
      var tr = el('tr', 'worker');
      var name = el('th');
      name.scope = 'row';
      name.appendChild(el('bdi', null, w.name));
      tr.appendChild(name);
      tr.appendChild(el('td', null, w.host));
      var st = el('td');
      st.appendChild(el('span', 'state ' + (w.state === 'running' ? 'running' : w.state === 'idle' ? 'idle' : 'failed'), w.state));
      tr.appendChild(st);
      var trial = el('td');
      if (w.trial) trial.appendChild(el('bdi', null, '#' + w.trial.number + ' ' + w.trial.label));
      tr.appendChild(trial);
      tr.appendChild(el('td', 'num', w.trial ? w.trial.epoch + '/' + w.trial.maxEpochs : ''));
      tr.appendChild(el('td', 'num', w.leaseLeft === null ? '' : w.leaseLeft < 0 ? 'ran out ' + seconds(-w.leaseLeft) + ' ago' : seconds(w.leaseLeft) + ' left'));
      tr.appendChild(el('td', 'num', w.heartbeatAgo === null ? '' : '≈ ' + seconds(w.heartbeatAgo) + ' ago'));
      tr.appendChild(el('td', 'num', w.done + ' / ' + w.pruned + ' / ' + w.failed));
      tr.appendChild(el('td', null, when(w.lastActivity)));
      body.appendChild(tr);
    });
  }

  /** The final model: its test scores, links to the folder's reports, and its run figures (asked for once). */
  function renderFinal(d) {
    var f = d.final;
    $('final').hidden = !f;
    if (!f) return;
    $('final-score').textContent = (f.score === 'r2' ? 'Test R² ' : 'Test accuracy ') + f.valueText + ' (' + f.detail + ') on ' + f.testRows + ' test rows; ' + f.label + '.';
    var links = $('final-links');
    links.replaceChildren();
    f.links.forEach(function (l) {
      var a = el('a', null, l.label);
      a.href = withToken(l.href);
      a.target = '_blank';
      a.rel = 'noopener';
      var li = el('li');
      li.appendChild(a);
      links.appendChild(li);
    });
    if (!f.figures || finalShown === d.summary.name) return;
    finalShown = d.summary.name;
    var name = d.summary.name;
    get(studyPath(name) + '/final').then(function (figs) {
      if (name !== chosen) return;
      var box = $('final-figures');
      box.replaceChildren();
      figs.forEach(function (g) {
        var fig = el('figure', 'figure');
        fig.dataset.name = g.name;
        // The run report's chart, rendered by the server.
        fig.innerHTML = g.svg;
        box.appendChild(fig);
      });
    }, function () { finalShown = null; });
  }
`;
