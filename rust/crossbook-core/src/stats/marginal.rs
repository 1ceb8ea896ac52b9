//! One variable's sorted values, and the KSG marginal counts on them: for each point, how many points
//! lie within a radius of it in this variable alone.
//!
//! The counts run through the points in sorted order (sequential memory). For the point of rank a and
//! radius r, each side's reach is the last position whose floating-point difference from the point is
//! at most r: fl(s_j − s_a) rises along the sorted values and fl(s_a − s_j) falls, so this is a search on
//! the same differences a direct comparison computes (exact, ties included). The search starts from a
//! guess, r times the local density (positions per unit of radius, a running average of the previous
//! points' answers, which lie next to this one in sorted order): when the answer is within [`WINDOW`] of
//! the guess — nearly always — a branch-free bisection of that window finds it in log₂(2·`WINDOW`)
//! steps; otherwise a gallop from the guess brackets it first.

use rayon::prelude::*;

use super::sort::argsort;

/// Points per parallel chunk of the counts (fixed, so sums are reproducible across thread counts).
const CHUNK: usize = 4096;
/// Half-width (positions) of the window around the guess that is bisected directly.
const WINDOW: usize = 16;
/// Queries searched from one density estimate.
const BLOCK: usize = 8;

/// Sorted copy of one variable and its order.
#[derive(Debug)]
pub struct Marginal {
    pub sorted: Vec<f64>,
    /// original indices in ascending order of value
    pub order: Vec<u32>,
}

impl Marginal {
    #[must_use]
    pub fn new(v: &[f64]) -> Self {
        let (sorted, order) = argsort(v);
        Self { sorted, order }
    }

    #[must_use]
    pub fn is_constant(&self) -> bool {
        self.sorted.first() == self.sorted.last()
    }

    /// Values equal to the previous value in sorted order (n − distinct count).
    #[must_use]
    pub fn ties(&self) -> usize {
        self.sorted.windows(2).filter(|w| w[0] == w[1]).count()
    }

    /// Σ f(count) over the points in sorted order, where count is the number of points j (the point
    /// itself included) with fl(|s_j − s_a|) ≤ `radius[a]` for the point of rank a. Fixed chunks run in
    /// parallel and are added in order.
    pub fn sum_over_counts(&self, radius: &[f64], f: impl Fn(usize) -> f64 + Sync) -> f64 {
        let partial: Vec<f64> = radius
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, rs)| self.chunk_sum(c * CHUNK, rs, &f))
            .collect();
        partial.iter().sum()
    }

    /// Σ f(count) for the points of ranks `at..at + radius.len()`.
    #[inline(never)]
    fn chunk_sum(&self, at: usize, radius: &[f64], f: &impl Fn(usize) -> f64) -> f64 {
        let mut density = 0.0;
        let mut acc = 0.0;
        // the guesses of a block come from the density before it, so the block's searches do not
        // wait on each other
        for (b, block) in radius.chunks(BLOCK).enumerate() {
            let at = at + b * BLOCK;
            let mut seen = [(0usize, 0usize); BLOCK];
            for ((j, &r), out) in block.iter().enumerate().zip(&mut seen) {
                *out = self.reaches(at + j, r, (density * r) as usize);
                acc += f(out.0 + out.1 + 1);
            }
            let (reach, rad) =
                block.iter().zip(&seen).fold((0, 0.0), |(t, rr), (&r, &(lo, hi))| (t + lo + hi, rr + 2.0 * r));
            if rad > 0.0 {
                let d = reach as f64 / rad;
                density = if density > 0.0 { 0.5 * (density + d) } else { d };
            }
        }
        acc
    }

    /// Points j (the point itself included) with fl(|s_j − s_a|) ≤ r, for a = `at`, searched from
    /// `guess` positions on each side.
    #[cfg(test)]
    fn count_within(&self, at: usize, r: f64, guess: usize) -> usize {
        let (below, above) = self.reaches(at, r, guess);
        below + above + 1
    }

    /// How far below and above rank `at` the points within r of it reach (positions).
    #[inline]
    fn reaches(&self, at: usize, r: f64, guess: usize) -> (usize, usize) {
        let s = &self.sorted;
        let v = s[at];
        let below = reach(at, guess, |t| v - s[at - t] <= r);
        let above = reach(s.len() - 1 - at, guess, |t| s[at + t] - v <= r);
        (below, above)
    }
}

/// The largest t in 0..=max_t with `ok(t)`, for `ok` true at 0 and monotone (true, then false).
/// Brackets the answer by the window of [`WINDOW`] around `guess` when it holds it, else by galloping
/// from the window's edge, then bisects without branches (the outcome of each probe is unpredictable,
/// so it selects instead of jumping): O(log |answer − guess|).
#[inline]
fn reach(max_t: usize, guess: usize, ok: impl Fn(usize) -> bool) -> usize {
    let g = guess.min(max_t);
    let (lo, hi) = (g.saturating_sub(WINDOW), (g + WINDOW).min(max_t));
    // invariant: ok(good), and bad is max_t + 1 or a t with !ok(t)
    let (mut good, bad);
    if ok(lo) {
        if !ok(hi) {
            (good, bad) = (lo, hi);
        } else if hi == max_t {
            return max_t;
        } else {
            good = hi;
            let mut step = 2 * WINDOW;
            loop {
                if good + step > max_t {
                    bad = max_t + 1;
                    break;
                }
                if ok(good + step) {
                    good += step;
                    step *= 2;
                } else {
                    bad = good + step;
                    break;
                }
            }
        }
    } else {
        let mut b = lo;
        let mut step = 2 * WINDOW;
        loop {
            if step >= b {
                good = 0;
                break;
            }
            if ok(b - step) {
                good = b - step;
                break;
            }
            b -= step;
            step *= 2;
        }
        bad = b;
    }
    let mut len = bad - good;
    while len > 1 {
        let half = len / 2;
        let m = good + half;
        good = std::hint::select_unpredictable(ok(m), m, good);
        len -= half;
    }
    good
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_linear_scan_from_any_guess() {
        let v = [0.0, 0.1, 0.1, 0.1, 0.25, 0.3, 0.3, 0.7, 1.0, 1.0, 1.5, 2.0];
        let m = Marginal::new(&v);
        let mut rank = vec![0; v.len()];
        for (r, &i) in m.order.iter().enumerate() {
            rank[i as usize] = r;
        }
        let below_02 = f64::from_bits(0.2f64.to_bits() - 1);
        for (i, &vi) in v.iter().enumerate() {
            for r in [0.0, 0.05, 0.1, below_02, 0.2, 0.5, 3.0] {
                let want = v.iter().filter(|&&e| (e - vi).abs() <= r).count();
                for guess in [0, 1, 3, 30, 200, 100_000] {
                    assert_eq!(m.count_within(rank[i], r, guess), want, "i={i} r={r} guess={guess}");
                }
            }
        }
    }

    #[test]
    fn reach_finds_the_last_true_from_far_guesses() {
        for max_t in [0usize, 1, 5, 40, 300, 5000] {
            for answer in [0, 1, 17, 33, 299, 4999] {
                if answer > max_t {
                    continue;
                }
                for guess in [0, 3, 16, 40, 100, 1000, 100_000] {
                    assert_eq!(reach(max_t, guess, |t| t <= answer), answer, "max_t={max_t} guess={guess}");
                }
            }
        }
    }

    #[test]
    fn sums_are_the_same_over_chunks_and_match_direct_counts() {
        let n = CHUNK + 77;
        let v: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.618_033_988_7).fract().powi(3)).collect();
        let m = Marginal::new(&v);
        let radius: Vec<f64> = (0..n).map(|i| 1e-4 * ((i % 13) as f64)).collect();
        let got = m.sum_over_counts(&radius, |c| c as f64);
        let want: usize = (0..n)
            .map(|a| m.sorted.iter().filter(|&&e| (e - m.sorted[a]).abs() <= radius[a]).count())
            .sum();
        assert_eq!(got, want as f64);
    }
}
