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
            return Err(CoreError::InvalidInput(format!("{name}: {} timestamps but {} values", t.len(), v.len())));
        }
        let mut ot = Vec::with_capacity(t.len());
        let mut ov: Vec<f64> = Vec::with_capacity(v.len());
        for (k, (&ti, &vi)) in t.iter().zip(v).enumerate() {
            if !vi.is_finite() {
                return Err(CoreError::InvalidInput(format!("{name}: value at index {k} is not finite ({vi})")));
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

/// Raw (unnormalised) contrast at one lag, accumulated per block of x intervals: `out[block[i]] +=`
/// the products of x interval `i`. `dx[i]` is the increment over (tx[i], tx[i+1]]; `cy` is the prefix
/// sum of y increments (`cy[j+1] - cy[j] = dy[j]` over (ty[j], ty[j+1]]).
fn contrast_at(tx: &[i64], dx: &[f64], ty: &[i64], cy: &[f64], lag: i64, block: &[usize], out: &mut [f64]) {
    let m = ty.len().saturating_sub(1); // number of y intervals
    if m == 0 {
        return;
    }
    // y interval j spans (ty[j] - lag, ty[j+1] - lag]
    let mut lo = 0usize; // first y interval whose right end > a
    let mut hi = 0usize; // first y interval whose left end >= b
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
            out[block[i]] += d * (cy[hi] - cy[lo]);
        }
    }
}

/// Per-block pieces of the contrast, for a block bootstrap: the time span of x is cut into
/// `n_blocks` equal-duration blocks; each x interval belongs to the block of its start time.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockContrast {
    /// raw contrast, row-major `[lag][block]`
    pub raw: Vec<f64>,
    /// Σ dx² per block
    pub nx: Vec<f64>,
    /// Σ dy² per block (y intervals assigned by their start time, unshifted)
    pub ny: Vec<f64>,
    pub n_blocks: usize,
}

struct Prepared {
    sx: Ticks,
    sy: Ticks,
    dx: Vec<f64>,
    dy: Vec<f64>,
    cy: Vec<f64>,
}

fn prepare(tx: &[i64], x: &[f64], ty: &[i64], y: &[f64]) -> Result<Option<Prepared>> {
    let sx = Ticks::new("x", tx, x)?;
    let sy = Ticks::new("y", ty, y)?;
    if sx.t.len() < 2 || sy.t.len() < 2 {
        return Ok(None);
    }
    let dx = sx.increments();
    let dy = sy.increments();
    let mut cy = Vec::with_capacity(dy.len() + 1);
    cy.push(0.0);
    let mut s = 0.0;
    for d in &dy {
        s += d;
        cy.push(s);
    }
    Ok(Some(Prepared { sx, sy, dx, dy, cy }))
}

fn block_index(t: i64, t0: i64, span: i64, n: usize) -> usize {
    if span <= 0 {
        return 0;
    }
    let k = i128::from(t - t0) * n as i128 / i128::from(span);
    usize::try_from(k.max(0)).unwrap_or(0).min(n - 1)
}

/// Contrast split into `n_blocks` time blocks (see [`BlockContrast`]); summing the blocks gives the
/// raw contrast of [`hy_contrast`] before normalisation.
///
/// # Errors
/// As [`hy_contrast`]; `n_blocks == 0` is invalid.
pub fn hy_contrast_blocks(
    tx: &[i64],
    x: &[f64],
    ty: &[i64],
    y: &[f64],
    lags: &[i64],
    n_blocks: usize,
) -> Result<BlockContrast> {
    if n_blocks == 0 {
        return Err(CoreError::InvalidInput("n_blocks must be at least 1".into()));
    }
    let Some(p) = prepare(tx, x, ty, y)? else {
        return Ok(BlockContrast {
            raw: vec![0.0; lags.len() * n_blocks],
            nx: vec![0.0; n_blocks],
            ny: vec![0.0; n_blocks],
            n_blocks,
        });
    };
    let t0 = p.sx.t[0];
    let span = p.sx.t[p.sx.t.len() - 1] - t0 + 1;
    let bx: Vec<usize> = p.sx.t[..p.dx.len()].iter().map(|&t| block_index(t, t0, span, n_blocks)).collect();
    let mut nx = vec![0.0; n_blocks];
    for (i, d) in p.dx.iter().enumerate() {
        nx[bx[i]] += d * d;
    }
    let mut ny = vec![0.0; n_blocks];
    for (j, d) in p.dy.iter().enumerate() {
        ny[block_index(p.sy.t[j], t0, span, n_blocks)] += d * d;
    }
    let rows: Vec<Vec<f64>> = lags
        .par_iter()
        .map(|&lag| {
            let mut out = vec![0.0; n_blocks];
            contrast_at(&p.sx.t, &p.dx, &p.sy.t, &p.cy, lag, &bx, &mut out);
            out
        })
        .collect();
    Ok(BlockContrast { raw: rows.concat(), nx, ny, n_blocks })
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
    let Some(p) = prepare(tx, x, ty, y)? else {
        return Ok(vec![f64::NAN; lags.len()]);
    };
    let nx: f64 = p.dx.iter().map(|d| d * d).sum();
    let ny: f64 = p.dy.iter().map(|d| d * d).sum();
    let norm = (nx * ny).sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Ok(vec![f64::NAN; lags.len()]);
    }
    let block = vec![0usize; p.dx.len()];
    Ok(lags
        .par_iter()
        .map(|&lag| {
            let mut out = [0.0];
            contrast_at(&p.sx.t, &p.dx, &p.sy.t, &p.cy, lag, &block, &mut out);
            out[0] / norm
        })
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
            assert!((fast[k] - slow).abs() < 1e-12, "lag {lag}: {} vs {slow}", fast[k]);
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
        let best = lags[c.iter().enumerate().fold(0, |b, (i, v)| if *v > c[b] { i } else { b })];
        assert!((best - lag).abs() <= 60, "argmax {best}");
    }

    #[test]
    fn blocks_sum_to_the_whole() {
        let tx: Vec<i64> = (0..200).map(|i| i * 7).collect();
        let ty: Vec<i64> = (0..120).map(|i| i * 11 + 3).collect();
        let x: Vec<f64> = tx.iter().map(|&t| ((t as f64) * 0.37).sin()).collect();
        let y: Vec<f64> = ty.iter().map(|&t| ((t as f64 - 20.0) * 0.37).sin()).collect();
        let lags = [-30i64, 0, 20, 45];
        let whole = hy_contrast(&tx, &x, &ty, &y, &lags).unwrap();
        let b = hy_contrast_blocks(&tx, &x, &ty, &y, &lags, 6).unwrap();
        let norm = (b.nx.iter().sum::<f64>() * b.ny.iter().sum::<f64>()).sqrt();
        for (k, w) in whole.iter().enumerate() {
            let s: f64 = b.raw[k * 6..(k + 1) * 6].iter().sum();
            assert!((s / norm - w).abs() < 1e-12);
        }
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
