// Order statistics shared by the bench's sections.

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, as the element at rank ⌊q·n⌋ (the
 * largest for q = 1); null when there are none.
 */
export const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);

/** The median of `values` (any order): the middle one, or the mean of the two in the middle. */
export const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
