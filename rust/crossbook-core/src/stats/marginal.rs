//! One variable's sorted values, and the KSG marginal counts on them: for each point, how many points
//! lie within a radius of it in this variable alone.
//!
//! The counts run through the points in sorted order (sequential memory). For the point of rank a and
//! radius r, each side's reach is the last position whose floating-point difference from the point is
//! at most r: fl(s_j − s_a) rises along the sorted values and fl(s_a − s_j) falls, so this is a search on
//! the same differences a direct comparison computes (exact, ties included). The search starts from a
//! guess, r times the local density (positions per unit of radius, a running average of the previous
//! points' answers, which lie next to this one in sorted order): when the answer is in the window of
//! [`WINDOW`] positions around the guess — nearly always — a branch-free bisection of that window finds
//! it in log₂(`WINDOW`) steps; otherwise a gallop from the guess brackets it first.

use rayon::prelude::*;

use super::scratch;
use super::sort::{inverse, sort_scaled};

/// Points per parallel chunk of the counts (fixed, so sums are reproducible across thread counts).
const CHUNK: usize = 4096;
/// Width (positions, a power of two) of the window around the guess that is bisected directly.
const WINDOW: usize = 64;
/// Queries searched from one density estimate.
const BLOCK: usize = 32;

/// Sorted copy of one variable (divided by a scale) and its order.
#[derive(Debug)]
pub struct Marginal {
    pub sorted: Vec<f64>,
    /// original indices in ascending order of value
    pub order: Vec<u32>,
    /// the inverse of `order`, each point's rank (empty unless asked for by [`Marginal::with_ranks`])
    pub rank: Vec<u32>,
    ties: usize,
}

impl Drop for Marginal {
    fn drop(&mut self) {
        scratch::F64.give(std::mem::take(&mut self.sorted));
        scratch::U32.give(std::mem::take(&mut self.order));
        scratch::U32.give(std::mem::take(&mut self.rank));
    }
}

impl Marginal {
    /// The marginal of `v[i] / scale`.
    #[must_use]
    pub fn new(v: &[f64], scale: f64) -> Self {
        let s = sort_scaled(v, scale);
        Self { sorted: s.values, order: s.order, rank: Vec::new(), ties: s.ties }
    }

    /// With each point's rank filled in.
    #[must_use]
    pub fn with_ranks(mut self) -> Self {
        self.rank = inverse(&self.order);
        self
    }

    #[must_use]
    pub fn is_constant(&self) -> bool {
        self.sorted.first() == self.sorted.last()
    }

    /// Values equal to the previous value in sorted order (n − distinct count).
    #[must_use]
    pub fn ties(&self) -> usize {
        self.ties
    }

    /// Σ f(count) over the points in sorted order, where count is the number of points j (the point
    /// itself included) with fl(|s_j − s_a|) ≤ `radius[a]` for the point of rank a. Fixed chunks run in
    /// parallel and are added in order.
    pub fn sum_over_counts(&self, radius: &[f64], f: impl Fn(usize) -> f64 + Sync) -> f64 {
        let partial: Vec<f64> =
            radius.par_chunks(CHUNK).enumerate().map(|(c, rs)| self.chunk_sum(c * CHUNK, rs, &f)).collect();
        partial.iter().sum()
    }

    /// Σ f(count) for the points of ranks `at..at + radius.len()`.
    #[inline(never)]
    fn chunk_sum(&self, at: usize, radius: &[f64], f: &impl Fn(usize) -> f64) -> f64 {
        let mut density = 0.0;
        let mut acc = 0.0;
        // the guesses of a block come from the density before it, so the block's searches do not
        // wait on each other
        let mut b = 0;
        while b < radius.len() {
            let block = &radius[b..(b + BLOCK).min(radius.len())];
            let (mut reached, mut rad) = (0, 0.0);
            for (j, &r) in block.iter().enumerate() {
                let (lo, hi) = self.reaches(at + b + j, r, (density * r) as usize);
                acc += f(lo + hi + 1);
                reached += lo + hi;
                rad += 2.0 * r;
            }
            if rad > 0.0 {
                let d = reached as f64 / rad;
                density = if density > 0.0 { 0.5 * (density + d) } else { d };
            }
            b += BLOCK;
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
        // t positions below: s[at − t], a window of them is a reversed slice
        let below = reach(
            at,
            guess,
            |t| v - s[at - t] <= r,
            |base| {
                window(&s[at - base - (WINDOW - 1)..=at - base])
                    .map(|w| move |j: usize| v - w[(WINDOW - 1 - j) % WINDOW] <= r)
            },
        );
        let above = reach(
            s.len() - 1 - at,
            guess,
            |t| s[at + t] - v <= r,
            |base| window(&s[at + base..at + base + WINDOW]).map(|w| move |j: usize| w[j % WINDOW] - v <= r),
        );
        (below, above)
    }
}

/// The largest t in 0..=max_t with `ok(t)`, for `ok` true at 0 and monotone (true, then false).
/// When the window of [`WINDOW`] positions centred on `guess` holds the answer (checked at its two
/// ends), bisects it in a fixed log₂(`WINDOW`) steps; otherwise gallops from the guess to bracket the
/// answer first: O(log |answer − guess|). The bisections select instead of jumping (each probe's
/// outcome is unpredictable).
#[inline]
fn reach<W: Fn(usize) -> bool>(
    max_t: usize,
    guess: usize,
    ok: impl Fn(usize) -> bool,
    in_window: impl Fn(usize) -> Option<W>,
) -> usize {
    if max_t >= WINDOW {
        let base = guess.saturating_sub(WINDOW / 2).min(max_t + 1 - WINDOW);
        // `ok` on the window's t = base + j, j < WINDOW, through a fixed-size array (no bounds checks)
        if let Some(okw) = in_window(base) {
            if okw(0) && !okw(WINDOW - 1) {
                let mut good = 0;
                let mut half = WINDOW / 2;
                while half > 0 {
                    let m = good + half;
                    good = std::hint::select_unpredictable(okw(m), m, good);
                    half /= 2;
                }
                return base + good;
            }
        }
    }
    gallop(max_t, guess.min(max_t), ok)
}

/// A slice of exactly [`WINDOW`] values as an array.
#[inline]
fn window(w: &[f64]) -> Option<&[f64; WINDOW]> {
    w.try_into().ok()
}

/// [`reach`] from any start `g` ≤ max_t: double the step from `g` until the answer is bracketed, then
/// bisect.
fn gallop(max_t: usize, g: usize, ok: impl Fn(usize) -> bool) -> usize {
    // invariant: ok(good), and bad is max_t + 1 or a t with !ok(t)
    let (mut good, mut bad);
    if ok(g) {
        (good, bad) = (g, max_t + 1);
        let mut step = 1;
        while good + step <= max_t {
            if ok(good + step) {
                good += step;
                step *= 2;
            } else {
                bad = good + step;
                break;
            }
        }
    } else {
        (good, bad) = (0, g);
        let mut step = 1;
        while step < bad {
            if ok(bad - step) {
                good = bad - step;
                break;
            }
            bad -= step;
            step *= 2;
        }
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
        let m = Marginal::new(&v, 1.0);
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
        for max_t in [0usize, 1, 5, 40, 63, 64, 65, 300, 5000] {
            for answer in [0, 1, 17, 33, 62, 63, 64, 299, 4999] {
                if answer > max_t {
                    continue;
                }
                for guess in [0, 3, 16, 40, 63, 64, 100, 1000, 100_000] {
                    assert_eq!(
                        reach(max_t, guess, |t| t <= answer, |base| Some(move |j: usize| base + j <= answer)),
                        answer,
                        "max_t={max_t} guess={guess}"
                    );
                    assert_eq!(gallop(max_t, guess.min(max_t), |t| t <= answer), answer);
                }
            }
        }
    }

    #[test]
    fn sums_are_the_same_over_chunks_and_match_direct_counts() {
        let n = CHUNK + 77;
        let v: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.618_033_988_7).fract().powi(3)).collect();
        let m = Marginal::new(&v, 1.0);
        let radius: Vec<f64> = (0..n).map(|i| 1e-4 * ((i % 13) as f64)).collect();
        let got = m.sum_over_counts(&radius, |c| c as f64);
        let want: usize =
            (0..n).map(|a| m.sorted.iter().filter(|&&e| (e - m.sorted[a]).abs() <= radius[a]).count()).sum();
        assert_eq!(got, want as f64);
    }
}
