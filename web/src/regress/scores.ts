/** The rows a predicted-against-actual figure shows. */

/** The most points a predicted-against-actual figure draws. */
export const MAX_POINTS = 1000;

/** At most `max` row indices of `n`, spread evenly over them (all of them when there are few enough). */
export function spreadRows(n: number, max = MAX_POINTS): number[] {
  const count = Math.min(n, max);
  return Array.from({ length: count }, (_, j) => Math.floor((j * n) / count));
}
