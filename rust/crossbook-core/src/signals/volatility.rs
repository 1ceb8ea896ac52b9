//! Bipower variation (Barndorff-Nielsen & Shephard 2004, "Power and bipower variation with stochastic
//! volatility and jumps", J. Financial Econometrics 2(1)) and realised variance over a rolling window
//! of log returns sampled on a time grid.
//!
//! The mid is sampled on an epoch-aligned grid of step Δ with the last-known value ([`GridClock`]);
//! `r_i = ln(m_i / m_{i−1})`. Over the last `n` returns:
//!
//! ```text
//! RV = Σ_{i=1..n} r_i²                         (realised variance)
//! BV = (π/2) · Σ_{i=2..n} |r_i|·|r_{i−1}|      (bipower variation; π/2 = μ₁⁻², μ₁ = E|Z| = √(2/π))
//! ```
//!
//! Both are variances of log returns **per window** (n·Δ seconds), not annualised. Without jumps both
//! estimate the integrated variance (BV has n−1 terms, so its mean is (n−1)/n of RV's; no small-sample
//! correction is applied); a jump inflates RV by its square but enters BV only multiplied by neighbouring
//! small returns, so RV − BV estimates the jump part. Per second: divide by n·Δ (see
//! [`BipowerVol::per_second`]); annualised volatility: `sqrt(per_second · SECONDS_PER_YEAR)` with a 365-day
//! crypto year. Both are NaN until `n` returns have been seen.
//!
//! Each update is O(1) amortised: the sums roll (add the newest term, drop the oldest) and are
//! recomputed from the ring after every `n` pushes so floating-point drift cannot accumulate; a gap of
//! more than `n` grid steps resets the ring to zeros in O(n).

use std::f64::consts::FRAC_PI_2;

use super::{check_lengths, check_px, GridClock};
use crate::error::{CoreError, Result};

/// Seconds in a 365-day year (crypto trades every day).
pub const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Streaming bipower variation and realised variance of grid-sampled log returns.
#[derive(Debug, Clone)]
pub struct BipowerVol {
    clock: GridClock,
    window: usize,
    /// |r| of the last `len` returns; oldest at `head`
    ring: Vec<f64>,
    head: usize,
    len: usize,
    sum_bp: f64,
    sum_rv: f64,
    pushes_since_sum: usize,
    /// mid of the last update (state between updates)
    last_mid: f64,
    /// mid at the last grid point (NaN before the first)
    prev_sample: f64,
    updates: u64,
}

impl BipowerVol {
    /// Returns sampled every `step_ns`, rolling window of `window` >= 2 returns.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for `step_ns <= 0` or `window < 2`.
    pub fn new(step_ns: i64, window: usize) -> Result<Self> {
        if window < 2 {
            return Err(CoreError::InvalidInput(format!("window must hold at least 2 returns (got {window})")));
        }
        Ok(Self {
            clock: GridClock::new(step_ns)?,
            window,
            ring: vec![0.0; window],
            head: 0,
            len: 0,
            sum_bp: 0.0,
            sum_rv: 0.0,
            pushes_since_sum: 0,
            last_mid: f64::NAN,
            prev_sample: f64::NAN,
            updates: 0,
        })
    }

    /// grid step (ns)
    #[must_use]
    pub fn step_ns(&self) -> i64 {
        self.clock.step_ns()
    }

    /// window length (returns)
    #[must_use]
    pub fn window(&self) -> usize {
        self.window
    }

    /// Returns in the window so far (`window` once warmed up).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Feed a mid observed at `t_ns`. Grid points before `t_ns` take the previous mid.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-positive or non-finite mid or time going backwards; the state
    /// is unchanged then.
    #[inline]
    pub fn update(&mut self, t_ns: i64, mid: f64) -> Result<()> {
        check_px("mid", usize::try_from(self.updates).unwrap_or(usize::MAX), mid)?;
        let (_, count) = self.clock.advance("mid", t_ns)?;
        self.updates += 1;
        if count > 0 {
            self.sample();
            let zeros = usize::try_from(count - 1).unwrap_or(usize::MAX);
            self.push_zeros(zeros);
        }
        self.last_mid = mid;
        Ok(())
    }

    /// As [`Self::update`], calling `sink(grid_t_ns, bv, rv)` for every grid point the update completes.
    ///
    /// # Errors
    /// As [`Self::update`].
    pub fn update_with(&mut self, t_ns: i64, mid: f64, mut sink: impl FnMut(i64, f64, f64)) -> Result<()> {
        check_px("mid", usize::try_from(self.updates).unwrap_or(usize::MAX), mid)?;
        let (first, count) = self.clock.advance("mid", t_ns)?;
        self.updates += 1;
        let step = self.clock.step_ns();
        let mut g = first;
        for k in 0..count {
            if k == 0 {
                self.sample();
            } else {
                self.push(0.0);
            }
            sink(g, self.bv(), self.rv());
            g += step;
        }
        self.last_mid = mid;
        Ok(())
    }

    /// Take the last mid as the sample at the next grid point.
    #[inline]
    fn sample(&mut self) {
        if self.prev_sample.is_nan() {
            self.prev_sample = self.last_mid;
            return;
        }
        let r = if self.last_mid == self.prev_sample { 0.0 } else { (self.last_mid / self.prev_sample).ln().abs() };
        self.prev_sample = self.last_mid;
        self.push(r);
    }

    #[inline]
    fn push(&mut self, abs_r: f64) {
        let n = self.window;
        if self.len == n {
            let oldest = self.ring[self.head];
            let second = self.ring[(self.head + 1) % n];
            let newest = self.ring[(self.head + n - 1) % n];
            self.sum_rv += abs_r * abs_r - oldest * oldest;
            self.sum_bp += abs_r * newest - oldest * second;
            self.ring[self.head] = abs_r;
            self.head = (self.head + 1) % n;
        } else {
            let at = (self.head + self.len) % n;
            if self.len > 0 {
                self.sum_bp += abs_r * self.ring[(at + n - 1) % n];
            }
            self.sum_rv += abs_r * abs_r;
            self.ring[at] = abs_r;
            self.len += 1;
        }
        self.pushes_since_sum += 1;
        if self.pushes_since_sum >= n {
            self.resum();
        }
    }

    /// Push `k` zero returns: a gap of `k` grid steps with no mid change.
    fn push_zeros(&mut self, k: usize) {
        if k >= self.window {
            self.ring.fill(0.0);
            self.head = 0;
            self.len = self.window;
            self.sum_bp = 0.0;
            self.sum_rv = 0.0;
            self.pushes_since_sum = 0;
        } else {
            for _ in 0..k {
                self.push(0.0);
            }
        }
    }

    fn resum(&mut self) {
        let n = self.window;
        let (mut bp, mut rv) = (0.0, 0.0);
        let mut prev = f64::NAN;
        for k in 0..self.len {
            let a = self.ring[(self.head + k) % n];
            rv += a * a;
            if k > 0 {
                bp += a * prev;
            }
            prev = a;
        }
        self.sum_bp = bp;
        self.sum_rv = rv;
        self.pushes_since_sum = 0;
    }

    /// Bipower variation of the window (log-return variance per window); NaN until warm.
    #[inline]
    #[must_use]
    pub fn bv(&self) -> f64 {
        if self.len == self.window {
            FRAC_PI_2 * self.sum_bp.max(0.0)
        } else {
            f64::NAN
        }
    }

    /// Realised variance of the window (log-return variance per window); NaN until warm.
    #[inline]
    #[must_use]
    pub fn rv(&self) -> f64 {
        if self.len == self.window {
            self.sum_rv.max(0.0)
        } else {
            f64::NAN
        }
    }

    /// A per-window variance (as [`Self::bv`] or [`Self::rv`] return) expressed per second.
    #[must_use]
    pub fn per_second(&self, variance_per_window: f64) -> f64 {
        variance_per_window / (self.window as f64 * self.clock.step_ns() as f64 * 1e-9)
    }

    /// Annualised volatility (365-day year) from a per-window variance.
    #[must_use]
    pub fn annualised_vol(&self, variance_per_window: f64) -> f64 {
        (self.per_second(variance_per_window) * SECONDS_PER_YEAR).sqrt()
    }
}

/// The grid series of a [`BipowerVol`] fed with every `(t, mid)`: one row per completed grid point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolSeries {
    /// grid times (ns)
    pub t_ns: Vec<i64>,
    /// bipower variation per window at each grid time
    pub bv: Vec<f64>,
    /// realised variance per window at each grid time
    pub rv: Vec<f64>,
}

/// Run a [`BipowerVol`] over `(t_ns, mid)` and collect every completed grid point (all grid points
/// `>=` the first time and `<` the last; the point at the last time itself is not complete).
///
/// # Errors
/// As [`BipowerVol::new`] and [`BipowerVol::update`], plus a length mismatch.
pub fn bipower_series(t_ns: &[i64], mid: &[f64], step_ns: i64, window: usize) -> Result<VolSeries> {
    check_lengths(&["t_ns", "mid"], &[t_ns.len(), mid.len()])?;
    let mut v = BipowerVol::new(step_ns, window)?;
    let mut out = VolSeries::default();
    if let (Some(&a), Some(&b)) = (t_ns.first(), t_ns.last()) {
        let n = usize::try_from((b.saturating_sub(a)) / step_ns + 1).unwrap_or(0);
        out.t_ns.reserve(n);
        out.bv.reserve(n);
        out.rv.reserve(n);
    }
    for (&t, &m) in t_ns.iter().zip(mid) {
        v.update_with(t, m, |g, bv, rv| {
            out.t_ns.push(g);
            out.bv.push(bv);
            out.rv.push(rv);
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: sample the mid on the grid, then the window sums directly.
    fn reference(mids_on_grid: &[f64], window: usize) -> (Vec<f64>, Vec<f64>) {
        let r: Vec<f64> = mids_on_grid.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mut bv = vec![f64::NAN; mids_on_grid.len()];
        let mut rv = vec![f64::NAN; mids_on_grid.len()];
        for end in window..=r.len() {
            let w = &r[end - window..end];
            rv[end] = w.iter().map(|x| x * x).sum();
            bv[end] = FRAC_PI_2 * w.windows(2).map(|p| (p[0] * p[1]).abs()).sum::<f64>();
        }
        (bv, rv)
    }

    #[test]
    fn matches_direct_sums_with_gaps() {
        // a mid update every 7 ns on a 10 ns grid, plus a long gap
        let mut t = Vec::new();
        let mut m = Vec::new();
        let mut x = 100.0f64;
        for k in 0..400i64 {
            let jump = if k == 250 { 300 } else { 7 };
            t.push(t.last().map_or(3, |&p| p + jump));
            x *= 1.0 + 1e-3 * (((k * 7919) % 13) as f64 - 6.0) / 6.0;
            m.push(x);
        }
        let s = bipower_series(&t, &m, 10, 5).unwrap();
        // grid mids by last-known value
        let grid_mids: Vec<f64> = s.t_ns.iter().map(|&g| m[t.iter().rposition(|&ti| ti <= g).unwrap()]).collect();
        assert_eq!(s.t_ns[0], 10);
        assert!(s.t_ns.windows(2).all(|w| w[1] - w[0] == 10));
        assert!(*s.t_ns.last().unwrap() < *t.last().unwrap());
        let (bv, rv) = reference(&grid_mids, 5);
        for k in 0..bv.len() {
            assert_eq!(bv[k].is_nan(), s.bv[k].is_nan(), "{k}");
            if !bv[k].is_nan() {
                assert!((bv[k] - s.bv[k]).abs() < 1e-15, "{k}: {} vs {}", bv[k], s.bv[k]);
                assert!((rv[k] - s.rv[k]).abs() < 1e-15, "{k}");
            }
        }
        // streaming without a sink ends in the same state
        let mut v = BipowerVol::new(10, 5).unwrap();
        for (&ti, &mi) in t.iter().zip(&m) {
            v.update(ti, mi).unwrap();
        }
        assert!((v.bv() - s.bv.last().unwrap()).abs() < 1e-15);
        assert!((v.rv() - s.rv.last().unwrap()).abs() < 1e-15);
    }

    #[test]
    fn a_jump_inflates_rv_not_bv() {
        let mut v = BipowerVol::new(1, 100).unwrap();
        let mut x = 100.0;
        for k in 0..=100i64 {
            x *= if k % 2 == 0 { 1.0001 } else { 1.0 / 1.0001 };
            if k == 50 {
                x *= 1.01; // one 1 % jump among 1 bp moves
            }
            v.update(k, x).unwrap();
        }
        v.update(101, x).unwrap();
        let (bv, rv) = (v.bv(), v.rv());
        // RV ≈ 99·1e-8 + 0.01005² ≈ 1.03e-4; BV ≈ (π/2)(98·1e-8 + 2·0.01005·1e-4) ≈ 4.7e-6
        assert!((rv - 1.03e-4).abs() < 2e-6, "{rv}");
        assert!((bv - 4.7e-6).abs() < 2e-7, "{bv}");
    }

    #[test]
    fn units_and_errors() {
        let mut v = BipowerVol::new(1_000_000_000, 2).unwrap();
        assert!(v.bv().is_nan());
        assert!(v.update(0, f64::NAN).is_err());
        assert!(v.update(0, -1.0).is_err());
        v.update(0, 100.0).unwrap();
        assert!(v.update(-1, 100.0).is_err());
        assert_eq!(v.per_second(2.0), 1.0);
        assert!((v.annualised_vol(2.0) - SECONDS_PER_YEAR.sqrt()).abs() < 1e-9);
        assert!(BipowerVol::new(1, 1).is_err());
        assert!(BipowerVol::new(0, 3).is_err());
        assert!(bipower_series(&[], &[], 1, 2).unwrap().t_ns.is_empty());
    }
}
