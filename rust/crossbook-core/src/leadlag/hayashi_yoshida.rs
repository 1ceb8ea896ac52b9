//! Hayashi–Yoshida shifted contrast on native asynchronous ticks (Hoffmann, Rosenbaum & Yoshida 2013).
//!
//! For a lag θ, with x observed at t_0 < t_1 < … and y at s_0 < s_1 < …, the contrast is
//!
//! U(θ) = Σ_{i,j} Δx_i Δy_j · 1{ (t_{i-1}, t_i] ∩ (s_{j-1} − θ, s_j − θ] ≠ ∅ }
//!
//! normalised by sqrt(Σ Δx_i² · Σ Δy_j²) so it reads as a correlation. No time grid is used: each
//! x increment is paired with every y increment whose interval overlaps it once y's clock is shifted
//! back by θ. A positive argmax θ means x leads y by θ. For each lag the overlapping y intervals of
//! an x interval form a contiguous run, found by two pointers moving forward only, so one lag costs
//! O(n + m); lags are spread over threads with rayon.

use rayon::prelude::*;

use crate::error::{CoreError, Result};

/// A tick series with duplicate timestamps collapsed to the last value.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// observation times, strictly increasing (ns)
    pub t: Vec<i64>,
    /// observed values (typically log prices)
    pub v: Vec<f64>,
}

impl Ticks {
    /// Build from times (non-decreasing) and values; equal times keep the last value.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for mismatched lengths, unsorted times or non-finite values.
    pub fn new(name: &str, t: &[i64], v: &[f64]) -> Result<Self> {
        if t.len() != v.len() {
            return Err(CoreError::InvalidInput(format!(
                "{name}: {} timestamps but {} values",
                t.len(),
                v.len()
            )));
        }
        let mut ot = Vec::with_capacity(t.len());
        let mut ov: Vec<f64> = Vec::with_capacity(v.len());
        for (k, (&ti, &vi)) in t.iter().zip(v).enumerate() {
            if !vi.is_finite() {
                return Err(CoreError::InvalidInput(format!(
                    "{name}: value at index {k} is not finite ({vi})"
                )));
            }
            match ot.last() {
                Some(&last) if ti < last => {
                    return Err(CoreError::InvalidInput(format!(
                        "{name}: timestamps must be sorted; index {k} ({ti}) is before the previous ({last})"
                    )));
                }
                Some(&last) if ti == last => {
                    if let Some(x) = ov.last_mut() {
                        *x = vi;
                    }
                }
                _ => {
                    ot.push(ti);
                    ov.push(vi);
                }
            }
        }
        Ok(Self { t: ot, v: ov })
    }

    fn increments(&self) -> Vec<f64> {
        self.v.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// Raw (unnormalised) contrast at one lag. `dx[i]` is the increment over (tx[i], tx[i+1]];
/// `cy` is the prefix sum of y increments (`cy[j+1] - cy[j] = dy[j]` over (ty[j], ty[j+1]]).
fn contrast_at(tx: &[i64], dx: &[f64], ty: &[i64], cy: &[f64], lag: i64) -> f64 {
    let m = ty.len().saturating_sub(1); // number of y intervals
    if m == 0 {
        return 0.0;
    }
    // y interval j spans (ty[j] - lag, ty[j+1] - lag]
    let mut lo = 0usize; // first y interval whose right end > a
    let mut hi = 0usize; // first y interval whose left end >= b
    let mut acc = 0.0;
    for (i, &d) in dx.iter().enumerate() {
        if d == 0.0 {
            continue;
        }
        let (a, b) = (tx[i], tx[i + 1]);
        while lo < m && ty[lo + 1].saturating_sub(lag) <= a {
            lo += 1;
        }
        if hi < lo {
            hi = lo;
        }
        while hi < m && ty[hi].saturating_sub(lag) < b {
            hi += 1;
        }
        if hi > lo {
            acc += d * (cy[hi] - cy[lo]);
        }
    }
    acc
}

/// Normalised HY contrast of x against y at each lag in `lags` (ns; positive = x leads y).
///
/// Returns values in [-1, 1] in general (a correlation-normalised sum; the bound is not strict for
/// finite samples). Fewer than two distinct times in either series, or a constant series, gives NaN
/// at every lag (documented: there is no contrast to measure).
///
/// # Errors
/// [`CoreError::InvalidInput`] for mismatched lengths, unsorted times or non-finite values.
pub fn hy_contrast(tx: &[i64], x: &[f64], ty: &[i64], y: &[f64], lags: &[i64]) -> Result<Vec<f64>> {
    let sx = Ticks::new("x", tx, x)?;
    let sy = Ticks::new("y", ty, y)?;
    if sx.t.len() < 2 || sy.t.len() < 2 {
        return Ok(vec![f64::NAN; lags.len()]);
    }
    let dx = sx.increments();
    let dy = sy.increments();
    let nx: f64 = dx.iter().map(|d| d * d).sum();
    let ny: f64 = dy.iter().map(|d| d * d).sum();
    let norm = (nx * ny).sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Ok(vec![f64::NAN; lags.len()]);
    }
    let mut cy = Vec::with_capacity(dy.len() + 1);
    cy.push(0.0);
    let mut s = 0.0;
    for d in &dy {
        s += d;
        cy.push(s);
    }
    Ok(lags
        .par_iter()
        .map(|&lag| contrast_at(&sx.t, &dx, &sy.t, &cy, lag) / norm)
        .collect())
}

/// Brute-force O(n·m) reference of [`hy_contrast`] for tests.
#[cfg(test)]
fn hy_brute(tx: &[i64], x: &[f64], ty: &[i64], y: &[f64], lag: i64) -> f64 {
    let mut acc = 0.0;
    let (mut nx, mut ny) = (0.0, 0.0);
    for i in 1..tx.len() {
        nx += (x[i] - x[i - 1]).powi(2);
    }
    for j in 1..ty.len() {
        ny += (y[j] - y[j - 1]).powi(2);
    }
    for i in 1..tx.len() {
        for j in 1..ty.len() {
            let (a, b) = (tx[i - 1], tx[i]);
            let (c, d) = (ty[j - 1] - lag, ty[j] - lag);
            if a < d && c < b {
                acc += (x[i] - x[i - 1]) * (y[j] - y[j - 1]);
            }
        }
    }
    acc / (nx * ny).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn sweep_equals_brute_force() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut tx = vec![0i64];
        let mut ty = vec![5i64];
        for _ in 0..300 {
            tx.push(tx[tx.len() - 1] + rng.random_range(1..40));
            ty.push(ty[ty.len() - 1] + rng.random_range(1..70));
        }
        let x: Vec<f64> = (0..tx.len()).map(|_| rng.random_range(-1.0..1.0)).collect();
        let y: Vec<f64> = (0..ty.len()).map(|_| rng.random_range(-1.0..1.0)).collect();
        let lags: Vec<i64> = (-200..=200).step_by(7).collect();
        let fast = hy_contrast(&tx, &x, &ty, &y, &lags).unwrap();
        for (k, &lag) in lags.iter().enumerate() {
            let slow = hy_brute(&tx, &x, &ty, &y, lag);
            assert!(
                (fast[k] - slow).abs() < 1e-12,
                "lag {lag}: {} vs {slow}",
                fast[k]
            );
        }
    }

    #[test]
    fn finds_a_known_lead() {
        // y copies x's path 120 units later, sampled on its own clock
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut t = vec![0i64];
        let mut p = vec![0.0f64];
        for _ in 0..5000 {
            t.push(t[t.len() - 1] + rng.random_range(1..20));
            p.push(p[p.len() - 1] + rng.random_range(-1.0..1.0));
        }
        let lag = 120;
        let mut ty = Vec::new();
        let mut y = Vec::new();
        let mut s = lag;
        let mut k = 0;
        while s < t[t.len() - 1] + lag {
            while k + 1 < t.len() && t[k + 1] + lag <= s {
                k += 1;
            }
            ty.push(s);
            y.push(p[k]);
            s += rng.random_range(20..60);
        }
        let lags: Vec<i64> = (-300..=300).collect();
        let c = hy_contrast(&t, &p, &ty, &y, &lags).unwrap();
        let best = lags[c
            .iter()
            .enumerate()
            .fold(0, |b, (i, v)| if *v > c[b] { i } else { b })];
        assert!((best - lag).abs() <= 60, "argmax {best}");
    }

    #[test]
    fn degenerate_inputs() {
        assert!(hy_contrast(&[1], &[1.0], &[1, 2], &[1.0, 2.0], &[0]).unwrap()[0].is_nan());
        assert!(hy_contrast(&[1, 2], &[1.0, 1.0], &[1, 2], &[1.0, 2.0], &[0]).unwrap()[0].is_nan());
        assert!(hy_contrast(&[2, 1], &[1.0, 2.0], &[1, 2], &[1.0, 2.0], &[0]).is_err());
        assert!(hy_contrast(&[1, 2], &[1.0, f64::NAN], &[1, 2], &[1.0, 2.0], &[0]).is_err());
        assert!(hy_contrast(&[1, 2], &[1.0], &[1, 2], &[1.0, 2.0], &[0]).is_err());
        // duplicates collapse to the last value: (1,1.0),(1,5.0),(2,6.0) == (1,5.0),(2,6.0)
        let a = hy_contrast(&[1, 1, 2], &[1.0, 5.0, 6.0], &[0, 3], &[0.0, 1.0], &[0]).unwrap();
        let b = hy_contrast(&[1, 2], &[5.0, 6.0], &[0, 3], &[0.0, 1.0], &[0]).unwrap();
        assert_eq!(a, b);
    }
}
