//! Mutual information between two continuous variables by the KSG k-nearest-neighbour estimator 1
//! (Kraskov, Stögbauer & Grassberger 2004, eq. 8), max-norm in the joint space:
//!
//! `I(X;Y) = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩`
//!
//! where ε_i is the max-norm distance from point i to its k-th nearest other point in (x, y), and n_x(i)
//! (n_y(i)) counts the other points j with |x_j − x_i| < ε_i (|y_j − y_i| < ε_i). Result in nats (the
//! Python layer converts to bits).
//!
//! Conventions follow scikit-learn's `mutual_info_regression` (`_compute_mi_cc`) exactly, so the numbers
//! agree when its noise is disabled, tied data included: each variable is first divided by its population
//! standard deviation computed bit for bit as NumPy computes it ([`super::pairwise`]; no centring; a
//! standard deviation below 10·f64::EPSILON for x, or exactly 0 for y, is replaced by 1), the k-th
//! neighbour counts duplicates at distance 0, and the marginal counts use the radius `nextafter(ε_i, 0)`
//! with `≤` (i.e. strictly less than ε_i, and for ε_i = 0 the exact duplicates of the point). Unlike
//! scikit-learn, nothing is clipped here: the raw estimate can be slightly negative at independence (the
//! Python layer clips, as scikit-learn does).
//!
//! Cost: O(n) for continuous data —
//! 1. both marginals sorted ([`super::sort`], radix), giving each point its two ranks;
//! 2. the joint k-th neighbour distances on a grid of equal-count columns and rows ([`super::grid`]):
//!    O(k) distances per point;
//! 3. the marginal counts in each marginal's sorted order ([`super::marginal`]): a bisection of a
//!    64-position window around a density-based guess, per side.
//!
//! Each step runs in parallel (rayon) with sums in fixed chunks added in order, so the result does not
//! depend on the number of threads; the whole estimate runs on one pool thread at a time (no hand-over of
//! data between the caller's core and the pool's), and its working buffers are kept between calls
//! ([`super::scratch`]).
//!
//! Ties (many equal values, e.g. zero returns) make ε_i = 0 for points with k duplicates and bias the
//! estimator; [`MiEstimate`] reports how many values are tied so the caller can add a tiny deterministic
//! jitter (what the Python layer does) or refuse. A constant variable carries no information: the
//! estimate is exactly 0 and flagged.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::grid::{grid_side, Grid};
use super::marginal::Marginal;
use super::pairwise::{pairwise_sum, std_given_sum};
use super::scratch;
use super::special::{digamma, digamma_table};
use crate::error::{CoreError, Result};

/// ψ(m) is tabulated for m up to this (once per process); larger counts are computed directly.
const TABLE_MAX: usize = 4096;

fn psi_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| digamma_table(TABLE_MAX))
}

/// One KSG estimate with what the caller needs to judge it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MiEstimate {
    /// estimated mutual information, nats (unclipped: may be slightly negative near independence);
    /// `None` only when the caller asked to skip tied input and ties were found
    pub mi_nats: Option<f64>,
    /// number of pairs used
    pub n: usize,
    /// values of x equal to another value of x (n − distinct count)
    pub ties_x: usize,
    /// values of y equal to another value of y
    pub ties_y: usize,
    /// x or y is constant: the estimate is 0 by definition, no search was run
    pub constant: bool,
}

/// KSG estimator 1 of I(X;Y) in nats with k neighbours. `standardize` divides each variable by its
/// population standard deviation first (scikit-learn's convention; the max-norm is not scale-free).
/// With `skip_if_tied`, input with tied values returns at once (after the marginal sorts) with
/// `mi_nats = None` and the tie counts, so the caller can jitter it and call again.
///
/// # Errors
/// [`CoreError::InvalidInput`] for mismatched lengths, `k == 0`, fewer than `k + 1` pairs, more than
/// `u32::MAX` pairs, or a non-finite value (the message gives its index).
pub fn ksg_mi(x: &[f64], y: &[f64], k: usize, standardize: bool, skip_if_tied: bool) -> Result<MiEstimate> {
    in_pool(|| ksg_mi_here(x, y, k, standardize, skip_if_tied))
}

/// Run `f` on a thread of rayon's pool, all of it: called from outside the pool, each parallel step
/// would otherwise be handed over separately, the data moving between the caller's core and the
/// pool's between steps (a tenth of the time at 10⁵ pairs on one thread).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

fn ksg_mi_here(x: &[f64], y: &[f64], k: usize, standardize: bool, skip_if_tied: bool) -> Result<MiEstimate> {
    let (sx, sy) = check(x, y, k, standardize)?;
    let n = x.len();
    let (mx, my) = rayon::join(|| Marginal::new(x, sx).with_ranks(), || Marginal::new(y, sy));
    let (ties_x, ties_y) = (mx.ties(), my.ties());
    if mx.is_constant() || my.is_constant() {
        return Ok(MiEstimate { mi_nats: Some(0.0), n, ties_x, ties_y, constant: true });
    }
    if skip_if_tied && ties_x + ties_y > 0 {
        return Ok(MiEstimate { mi_nats: None, n, ties_x, ties_y, constant: false });
    }
    let mi_nats = mi_core(k, &mx, &my, &my.order, psi_table());
    Ok(MiEstimate { mi_nats: Some(mi_nats), n, ties_x, ties_y, constant: false })
}

/// The KSG estimate (nats, unclipped) for `n_shuffles` random permutations of y against x: the null
/// distribution of the estimator at this sample size and these marginals. Permutations come from a
/// ChaCha8 generator seeded with `seed` (deterministic). A constant x or y gives all zeros.
///
/// # Errors
/// As [`ksg_mi`].
pub fn ksg_mi_shuffled(
    x: &[f64],
    y: &[f64],
    k: usize,
    standardize: bool,
    n_shuffles: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    in_pool(|| shuffled_here(x, y, k, standardize, n_shuffles, seed))
}

fn shuffled_here(x: &[f64], y: &[f64], k: usize, standardize: bool, n_shuffles: usize, seed: u64) -> Result<Vec<f64>> {
    let (sx, sy) = check(x, y, k, standardize)?;
    let n = x.len();
    let (mx, my) = rayon::join(|| Marginal::new(x, sx).with_ranks(), || Marginal::new(y, sy));
    if mx.is_constant() || my.is_constant() {
        return Ok(vec![0.0; n_shuffles]);
    }
    let table = psi_table();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    let mut inv = vec![0u32; n];
    let mut order_p = vec![0u32; n];
    let mut out = Vec::with_capacity(n_shuffles);
    for _ in 0..n_shuffles {
        perm.shuffle(&mut rng);
        // pairs (x_i, y_perm[i]): the marginal of y is the same multiset under any permutation, so its
        // sorted copy is reused, and the y order of the permuted pairs follows from the inverse
        // permutation
        for (i, &src) in perm.iter().enumerate() {
            inv[src] = i as u32;
        }
        for (dst, &j) in order_p.iter_mut().zip(&my.order) {
            *dst = inv[j as usize];
        }
        out.push(mi_core(k, &mx, &my, &order_p, table));
    }
    Ok(out)
}

/// Validate the input and return the divisors of x and y: their population standard deviations when
/// standardizing (scikit-learn: a feature column with std < 10·eps is left unscaled, a target with std
/// 0), else 1.
fn check(x: &[f64], y: &[f64], k: usize, standardize: bool) -> Result<(f64, f64)> {
    let bad = |m: String| Err(CoreError::InvalidInput(m));
    if x.len() != y.len() {
        return bad(format!("mutual information: x has {} values but y has {}", x.len(), y.len()));
    }
    if k == 0 {
        return bad("mutual information: k must be at least 1".into());
    }
    if x.len() <= k {
        return bad(format!("mutual information: {} pairs, need more than k = {k}", x.len()));
    }
    if u32::try_from(x.len()).is_err() {
        return bad(format!("mutual information: {} pairs, at most {} supported", x.len(), u32::MAX));
    }
    // a sum is finite only if every term is (the converse fails only by overflow), and the sum is
    // needed for the standard deviation anyway: the culprit is searched for only when needed
    let moments = |v: &[f64]| {
        let sum = pairwise_sum(v, &|e| e);
        (sum, if standardize && sum.is_finite() { std_given_sum(v, sum) } else { 1.0 })
    };
    let ((sum_x, sx), (sum_y, sy)) = rayon::join(|| moments(x), || moments(y));
    for (name, v, sum) in [("x", x, sum_x), ("y", y, sum_y)] {
        if !sum.is_finite() {
            if let Some(i) = v.iter().position(|e| !e.is_finite()) {
                return bad(format!("mutual information: {name}[{i}] = {} is not finite", v[i]));
            }
        }
    }
    Ok((if standardize && sx < 10.0 * f64::EPSILON { 1.0 } else { sx }, if sy == 0.0 { 1.0 } else { sy }))
}

/// `nextafter(eps, 0)`: the largest double below a positive `eps`; 0 stays 0.
#[inline]
fn below(eps: f64) -> f64 {
    if eps > 0.0 {
        f64::from_bits(eps.to_bits() - 1)
    } else {
        0.0
    }
}

#[inline]
fn psi(table: &[f64], m: usize) -> f64 {
    match table.get(m) {
        Some(&v) => v,
        None => digamma(m as f64),
    }
}

/// The estimate for pairs (x[i], y[i]). `my` is the sorted marginal of y's values and `y_order` lists
/// the indices in ascending y (it differs from `my`'s own order for a permuted y).
fn mi_core(k: usize, mx: &Marginal, my: &Marginal, y_order: &[u32], table: &[f64]) -> f64 {
    let n = mx.sorted.len();
    let grid = Grid::build(&mx.sorted, &mx.order, &mx.rank, &my.sorted, y_order, grid_side(n, k));
    // the marginal counts run in each marginal's sorted order (sequential memory): radii by rank
    let mut rad_x = grid.kth_distances(k);
    for r in &mut rad_x {
        *r = below(*r);
    }
    // every rank is written
    let mut rad_y = scratch::F64.take(n);
    for p in grid.points() {
        rad_y[p.rank_y as usize] = rad_x[p.rank_x as usize];
    }
    drop(grid);
    // counts include the point itself: ψ(n_x + 1) = ψ(count)
    let f = |m: usize| psi(table, m);
    let (sx, sy) = rayon::join(|| mx.sum_over_counts(&rad_x, f), || my.sum_over_counts(&rad_y, f));
    scratch::F64.give(rad_x);
    scratch::F64.give(rad_y);
    digamma(n as f64) + digamma(k as f64) - (sx + sy) / n as f64
}

#[cfg(test)]
#[path = "knn_mi_tests.rs"]
mod tests;
