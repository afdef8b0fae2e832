/**
 * The one formatting module: numbers, percentages, durations, counts, shapes and HTML
 * escaping, as the command line, the reports, data summaries and the playground print them.
 * Browser-safe; non-finite numbers print as a dash wherever a value is missing.
 */

/** What a missing or non-finite value prints as. */
export const MISSING = '–';

/**
 * `x` with `digits` decimals, rounding as Python's `format(x, '.2f')` does: to the nearest,
 * ties (exact binary midpoints such as 0.125) to even. `Number.prototype.toFixed` rounds those
 * ties up, which would print 0.13 where scikit-learn prints 0.12.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const fixed = x.toFixed(digits);
  // toFixed(100) is the exact decimal expansion of a double of ordinary magnitude.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf('.');
  const tail = exact.slice(point + 1 + digits);
  if (tail[0] !== '5' || !/^50*$/.test(tail)) return fixed;
  const kept = exact.slice(0, point + 1 + digits);
  const lastDigit = Number(kept[kept.length - 1] === '.' ? kept[kept.length - 2] : kept[kept.length - 1]);
  if (lastDigit % 2 === 1) return fixed; // rounding up reaches the even neighbour, as toFixed does
  const down = digits === 0 ? kept.slice(0, -1) : kept;
  return (x < 0 ? '-' : '') + down;
}

/** A fraction as a percentage: `formatPercent(0.5389)` is `"53.89%"`; non-finite values print as a dash. */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return MISSING;
  return `${formatFixed(fraction * 100, digits)}%`;
}

/** `x` with `digits` decimals, or a dash when it is not finite (losses of a run without validation). */
export function formatNumber(x: number, digits = 4): string {
  return Number.isFinite(x) ? formatFixed(x, digits) : MISSING;
}

/** A duration for people: `"12.3 s"`, `"4 min 05 s"`, `"1 h 02 min"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return MISSING;
  if (seconds < 60) return `${seconds < 10 ? formatFixed(seconds, 2) : formatFixed(seconds, 1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (h === 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${h} h ${String(m).padStart(2, '0')} min`;
}

/** Length in code points, as Python's `len` counts; used for column widths. */
export function textWidth(s: string): number {
  return [...s].length;
}

export function padLeft(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - textWidth(s))) + s;
}

export function padRight(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - textWidth(s)));
}

/** A number in scientific notation with `digits` decimals (`1.2e-4`), or a dash when it is not finite: gradient norms, update ratios. */
export function formatScientific(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toExponential(digits) : MISSING;
}

/** A count with thousands separators: `formatCount(60000)` is `"60,000"`. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

/** A shape as numpy prints it: `(3,)`, `(3, 4)`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** `x` rounded to `digits` significant digits, without trailing zeros: `formatSignificant(0.123456, 3)` is `"0.123"`, `formatSignificant(2.5e-7, 2)` is `"2.5e-7"`. */
export function formatSignificant(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}

/** A number as a person would write it in a setting: 0.001, 1e-5, 128. */
export function formatSetting(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential().replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(6)));
}

/** Unicode's bidirectional embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text from data (a column or class name) with its bidirectional controls shown as `<U+202E>`:
 * an override in a name would otherwise reverse the rest of the line it is shown in.
 */
export function showControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase()}>`);
}

/** Escapes text for HTML content and attribute values; bidirectional controls are shown, not applied (showControls). */
export function escapeHtml(text: string): string {
  return showControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A size in bytes for people, in decimal units as file managers print them: `"512 B"`, `"3.4 MB"`, `"2 GB"`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return MISSING;
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${formatSetting(Number(v.toPrecision(v < 100 ? 2 : 3)))} ${units[u]}`;
}

/** A plain decimal number, as a spreadsheet reads it (a leading sign is part of the number, not a formula). */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One CSV cell: quoted when it holds a comma, a quote or a line break (RFC 4180), and, when it
 * starts like a spreadsheet formula (`=`, `+`, `-`, `@`, tab or carriage return) without being
 * a plain number, prefixed with a single quote so spreadsheet programs show it as text instead
 * of evaluating it.
 */
export function csvCell(text: string): string {
  let t = text;
  if (/^[=+\-@\t\r]/.test(t) && !PLAIN_NUMBER.test(t)) t = `'${t}`;
  return /[",\n\r]/.test(t) || t !== text ? `"${t.replace(/"/g, '""')}"` : t;
}
