// Order statistics shared by the bench's sections.

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, as the element at rank ⌊q·n⌋ (the
 * largest for q = 1); null when there are none.
 */
export const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
