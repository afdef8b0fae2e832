/**
 * The page every report shares: the style sheet, the head (no scripts, no external requests),
 * escaping, summary cards and inlined SVG figures. Pure and browser-safe.
 */
import { escapeHtml } from '../format.js';

/** One part of a report page: a `<section>` (or a divider) with its id, as markup. */
export interface ReportSection {
  id: string;
  html: string;
}

/** Any value as escaped HTML text. */
export const esc = (v: unknown): string => escapeHtml(String(v));

/**
 * Text the data brings (class names, file names, titles), escaped and isolated: a right-to-left
 * override inside a class name then turns only that name around, not the rest of its line.
 */
export function bdi(text: string | number): string {
  return `<bdi>${esc(String(text))}</bdi>`;
}

/**
 * Vega names gradients and clip paths `gradient_0`, `clip1`, ... in every SVG; several SVGs
 * inline in one page would then point at each other's definitions. Each figure gets its own prefix.
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/(xlink:)?href="#([^"]+)"/g, (_, x: string | undefined, id: string) => `${x ?? ''}href="#${prefix}-${id}"`);
}

/** A summary card of a report header. */
export function card(label: string, value: string, sub: string): string {
  return `<div class="card"><div class="card-label">${esc(label)}</div><div class="card-value">${esc(value)}</div><div class="card-sub">${esc(sub)}</div></div>`;
}

/** The style sheet of every report page; a page adds its own rules after it. */
export const REPORT_STYLE = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f8fafc;--accent:#2f6db5;--warn:#b45309;--warn-bg:#fffbeb;--info-bg:#eff6ff;--ok:#047857;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:var(--ink);font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:32px 28px 48px}
header{background:#fff;border:1px solid var(--line);border-radius:10px;padding:26px 28px 22px;margin-bottom:20px}
.eyebrow{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--accent);font-weight:600}
h1{font-size:26px;line-height:1.25;margin:4px 0 4px}
.meta{color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:20px}
.card{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card-value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;margin-top:2px}
.card-sub{font-size:12.5px;color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:22px 28px 24px;margin-bottom:20px}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:14px;margin:18px 0 8px;color:#374151}
.lead{color:#374151;margin:-4px 0 14px}
.findings{list-style:none;margin:0;padding:0}
.findings li{border-left:4px solid var(--accent);background:var(--info-bg);padding:10px 14px;margin:0 0 10px;border-radius:0 6px 6px 0}
.findings li.warning{border-color:#d97706;background:var(--warn-bg)}
.findings .tag{display:inline-block;font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;margin-right:8px;color:var(--accent)}
.findings li.warning .tag{color:var(--warn)}
.findings li.error{border-color:#b91c1c;background:#fef2f2}
.findings li.error .tag{color:#b91c1c}
.figure{margin:0 0 8px;overflow-x:auto}
.figure svg{max-width:100%;height:auto;display:block}
.figure svg text{font-family:"DejaVu Sans",Verdana,"Segoe UI",Arial,sans-serif}
.curves{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.layer-charts{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin-top:16px}
table.layers{width:100%;font-size:13px}
img.weights{image-rendering:pixelated;max-width:100%;border:1px solid var(--line)}
.test-grid{display:grid;grid-template-columns:minmax(330px,420px) minmax(0,1fr);gap:28px;align-items:start}
.reg-grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px 28px;align-items:start}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:5px 10px;text-align:left;border-bottom:1px solid var(--line)}
thead th,.totals th{white-space:nowrap}
tbody th{overflow-wrap:anywhere}
thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid #d1d5db}
tbody th{font-weight:500}
.num{text-align:right;white-space:nowrap}
table.report{width:100%}
.totals tr.first th,.totals tr.first td{border-top:2px solid #d1d5db}
.totals th{font-weight:600}
.preds-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:24px}
table.preds{width:100%}
tr.miss td.pred,tr.miss td.mark{color:var(--bad)}
td.mark{text-align:center;font-weight:700;width:2em}
tr.ok td.mark{color:var(--ok)}
.kv{display:grid;grid-template-columns:repeat(3,1fr);gap:10px 24px;margin:0}
.kv div{border-bottom:1px solid var(--line);padding:4px 0}
.kv dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.kv dd{margin:0;font-variant-numeric:tabular-nums;font-weight:500}
ol.steps{margin:0;padding-left:22px}
ol.steps li{margin:4px 0}
ol.steps li.warning{color:var(--warn)}
.classes{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:0;list-style:none}
.classes li{background:var(--soft);border:1px solid var(--line);border-radius:999px;padding:1px 10px;font-size:13px}
.classes .idx{color:var(--muted);margin-right:4px;font-variant-numeric:tabular-nums}
table.config{width:100%}
table.config th,table.config td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:13px}
table.config th{color:#374151;font-weight:500;width:40%}
table.grid{width:100%}
table.grid th[scope=row]{font-weight:500;color:#374151}
table.grid td.why{color:var(--muted);font-size:13.5px}
footer{color:var(--muted);font-size:12.5px;text-align:center;margin-top:8px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.empty{color:var(--muted);font-style:italic}
@media (max-width:860px){.cards{grid-template-columns:repeat(2,1fr)}.test-grid,.reg-grid,.curves,.layer-charts{grid-template-columns:1fr}.kv{grid-template-columns:repeat(2,1fr)}}
@media print{body{background:#fff}section,header{border:none;padding:8px 0}}
`;

/**
 * The opening of a self-contained report page: no scripts, no external requests (the
 * Content-Security-Policy forbids both), inline styles and data: images only.
 */
export function htmlHead(title: string, css: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>`;
}

/** The page around a report's header and sections. */
export function reportPage(o: { title: string; css: string; header: string; sections: ReportSection[]; footer?: string }): string {
  return `${htmlHead(o.title, o.css)}
<body>
<main>
<header>
${o.header}
</header>
${o.sections.map((x) => x.html).join('\n')}
${o.footer ? `<footer>${o.footer}</footer>` : ''}
</main>
</body>
</html>
`;
}
