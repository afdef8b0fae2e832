/**
 * The dashboard's one page: the report pages' style sheet and Table 1 rules, and an inline
 * script (its nonce in the Content-Security-Policy) that polls the JSON endpoints and redraws
 * the studies and the chosen study: its cards, best value over time, Table 1, a search's
 * parallel coordinates and importance, its workers, its final model, the learning curves of
 * picked trials and a page of its trials. It loads nothing from anywhere else.
 */
import { escapeHtml } from '../../format.js';
import { REPORT_STYLE } from '../../report/page.js';
import { STUDY_STYLE } from '../report/html.js';
import { CLIENT_SCRIPT } from './client.js';

const DASHBOARD_STYLE = `
main{max-width:1280px}
table.list{width:100%}
table.list tbody tr.study{cursor:pointer}
table.list tbody tr.study:hover{background:var(--soft)}
table.list tbody tr.chosen{background:var(--info-bg)}
table.list tbody tr.trial{cursor:pointer}
table.list tbody tr.trial:hover{background:var(--soft)}
table.list tbody tr.picked{background:var(--info-bg)}
table.list th.sortable{cursor:pointer;user-select:none}
.controls{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:0 0 10px;font-size:13px}
.controls input,.controls select,.controls button{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--soft)}
.controls button{cursor:pointer}
.controls button:disabled{cursor:default;opacity:.5}
#trials-count{color:var(--muted)}
tr.damaged td{background:#fef2f2}
.note{font-size:12.5px;color:var(--muted)}
#final-figures{display:flex;flex-wrap:wrap;gap:12px}
#final-figures figure{margin:0;max-width:100%;overflow-x:auto}
#parallel-chart{overflow-x:auto}
table.list th.sortable[aria-sort=ascending]::after{content:" ▲"}
table.list th.sortable[aria-sort=descending]::after{content:" ▼"}
.state{display:inline-block;font-size:11.5px;font-weight:700;border-radius:999px;padding:0 8px}
.state.done{background:#d1fae5;color:var(--ok)}
.state.running{background:#dbeafe;color:var(--accent)}
.state.idle,.state.queued{background:#f3f4f6;color:var(--muted)}
.state.pruned{background:#fef3c7;color:var(--warn)}
.state.failed,.state.damaged{background:#fee2e2;color:var(--bad)}
.problem{color:var(--bad);font-size:13px}
#status{font-size:12.5px;color:var(--muted)}
#status.bad{color:var(--bad)}
#trials-wrap{max-height:640px;overflow:auto}
td.params{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
svg.curve{width:100%;height:auto;display:block}
svg.curve .best{fill:none;stroke:var(--accent);stroke-width:2}
svg.curve .dot{fill:#9ca3af}
svg.curve text{font-size:11px;fill:var(--muted)}
svg.curve .axis{stroke:#d1d5db}
`;

/** The page; `nonce` lets its one inline script run and nothing else. */
export function dashboardPage(nonce: string, where: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mlplab dashboard</title>
<style>${REPORT_STYLE}${STUDY_STYLE}${DASHBOARD_STYLE}</style>
</head>
<body>
<main>
<header>
<div class="eyebrow">mlplab dashboard</div>
<h1>Studies</h1>
<div class="meta">${escapeHtml(where)} · <span id="status" role="status">loading…</span></div>
</header>
<section id="studies"><h2>Studies</h2>
<table class="list" id="studies-table"><thead><tr>
<th scope="col">study</th><th scope="col">strategy</th><th scope="col">state</th><th scope="col" class="num">done</th><th scope="col" class="num">running</th>
<th scope="col" class="num">queued</th><th scope="col" class="num">pruned</th><th scope="col" class="num">failed</th><th scope="col" class="num">best</th><th scope="col">last activity</th>
</tr></thead><tbody></tbody></table>
<p class="empty" id="no-studies" hidden>No study in this store yet.</p>
</section>
<div id="study" hidden>
<header><div class="eyebrow">study</div><h1 id="study-name"></h1><div class="meta" id="study-meta"></div><div class="cards" id="study-cards"></div><p class="problem" id="study-damaged" hidden></p></header>
<section id="best"><h2>Best value over time</h2><div id="best-chart"></div><p class="note" id="best-note"></p></section>
<section id="table1" hidden><h2>Table 1</h2><p class="lead" id="table1-rule"></p><div id="table1-body"></div></section>
<section id="search" hidden><h2>Parameters</h2><div id="parallel-chart"></div>
<h3>Which parameters mattered</h3><p class="lead" id="importance-note"></p><div id="importance-body"></div></section>
<section id="workers" hidden><h2>Workers</h2><p class="lead">Who runs which trial: a worker renews its lease while it trains, and a trial whose lease runs out is queued again. The last heartbeat is estimated from the lease (a renewal sets it to now plus its length).</p>
<table class="list" id="workers-table"><thead><tr><th scope="col">worker</th><th scope="col">host</th><th scope="col">state</th><th scope="col">trial</th><th scope="col" class="num">epoch</th><th scope="col" class="num">lease</th><th scope="col" class="num">last heartbeat</th><th scope="col" class="num">done / pruned / failed</th><th scope="col">last activity</th></tr></thead><tbody></tbody></table><p class="note" id="workers-note"></p></section>
<section id="final" hidden><h2>Final model</h2><p class="lead" id="final-score"></p><ul id="final-links"></ul><div id="final-figures"></div></section>
<section id="curves"><h2>Learning curves</h2><p class="lead">Click trials in the table below to draw their validation curves here (up to 8).</p><div id="curves-chart"></div></section>
<section id="trials"><h2>Trials</h2>
<div class="controls"><label>filter <input type="search" id="trials-filter" placeholder="configuration, parameter, worker, reason" size="36"></label>
<label>state <select id="trials-state"><option value="">all</option><option>queued</option><option>running</option><option>done</option><option>pruned</option><option>failed</option><option>damaged</option></select></label>
<button type="button" id="trials-prev">previous</button><button type="button" id="trials-next">next</button><span id="trials-count"></span></div>
<div id="trials-wrap"><table class="list" id="trials-table"><thead><tr></tr></thead><tbody></tbody></table></div></section>
</div>
</main>
<script nonce="${nonce}">${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/** The page's Content-Security-Policy: its own script and styles, requests to its own server, nothing else. */
export function dashboardCsp(nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}
