/**
 * Number and duration formatting shared by the text and HTML reports. Browser-safe.
 */

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

/** A fraction as a percentage: `formatPercent(0.5389)` is `"53.89%"`. */
export function formatPercent(fraction: number, digits = 2): string {
  return `${formatFixed(fraction * 100, digits)}%`;
}

/** A duration for people: `"12.3 s"`, `"4 min 05 s"`, `"1 h 02 min"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return String(seconds);
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
