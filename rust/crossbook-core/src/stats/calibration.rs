//! Scores of probability forecasts for binary outcomes: the Brier score, its binned Murphy decomposition
//! with the two within-bin terms that make it exact, and the bin-free CORP decomposition.
//!
//! **Binned (Murphy 1973; Stephenson, Coelho & Jolliffe 2008).** With bins k holding n_k forecasts of
//! mean p̄_k and outcome frequency ō_k, and ō the overall frequency:
//!
//! `BS = REL − RES + UNC + WBV − 2·WBC`, exactly, where
//! REL = Σ n_k (p̄_k − ō_k)² / N, RES = Σ n_k (ō_k − ō)² / N, UNC = ō(1 − ō),
//! WBV = Σ_k Σ_{i∈k} (p_i − p̄_k)² / N (forecast variance inside bins) and
//! WBC = Σ_k Σ_{i∈k} (p_i − p̄_k)(o_i − ō_k) / N (forecast–outcome covariance inside bins).
//! The classic three-term identity only holds when every bin holds a single forecast value.
//!
//! Bins follow scikit-learn's `calibration_curve`: the caller passes the inner edges and a forecast goes
//! to bin `#{edges < p}` (numpy `searchsorted`, side left); bin means are sums in input order divided by
//! counts, the same floating-point operations as numpy's `bincount`.
//!
//! **CORP (Dimitriadis, Gneiting & Jordan 2021).** The recalibrated forecast ĉ is the isotonic
//! (pool-adjacent-violators) regression of the outcomes on the forecasts, with equal forecasts pooled
//! first; with S the mean squared error and r = ō the climatological forecast,
//! MCB = S(p) − S(ĉ) ≥ 0 (miscalibration), DSC = S(r) − S(ĉ) ≥ 0 (discrimination), UNC = S(r), and
//! `BS = MCB − DSC + UNC` by construction, with no binning choice.

use crate::error::{CoreError, Result};

/// One calibration bin (only non-empty bins are reported).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// index of the bin among all bins (0-based, empty bins included)
    pub index: usize,
    /// forecasts in the bin
    pub count: usize,
    /// mean forecast p̄_k
    pub mean_predicted: f64,
    /// observed frequency ō_k
    pub frequency: f64,
    /// smallest and largest forecast in the bin
    pub p_min: f64,
    pub p_max: f64,
}

/// Brier score and its exact binned decomposition (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    pub brier: f64,
    pub reliability: f64,
    pub resolution: f64,
    pub uncertainty: f64,
    pub within_bin_variance: f64,
    pub within_bin_covariance: f64,
    /// ō, the overall outcome frequency
    pub base_rate: f64,
    pub n: usize,
    /// non-empty bins in bin order
    pub bins: Vec<Bin>,
}

/// The CORP decomposition: BS = MCB − DSC + UNC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corp {
    pub brier: f64,
    pub mcb: f64,
    pub dsc: f64,
    pub unc: f64,
}

/// Checks forecasts are finite in [0, 1] and outcomes are 0 or 1, with equal, non-zero lengths.
///
/// # Errors
/// [`CoreError::InvalidInput`] naming the first offending index.
pub fn check_forecasts(p: &[f64], y: &[f64]) -> Result<()> {
    let bad = |m: String| Err(CoreError::InvalidInput(m));
    if p.len() != y.len() {
        return bad(format!("calibration: {} forecasts but {} outcomes", p.len(), y.len()));
    }
    if p.is_empty() {
        return bad("calibration: no forecasts".into());
    }
    if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return bad(format!("calibration: forecast p[{i}] = {} is not a probability in [0, 1]", p[i]));
    }
    if let Some(i) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
        return bad(format!("calibration: outcome y[{i}] = {} is not 0 or 1", y[i]));
    }
    Ok(())
}

/// Brier score: mean of (p − y)².
///
/// # Errors
/// As [`check_forecasts`].
pub fn brier_score(p: &[f64], y: &[f64]) -> Result<f64> {
    check_forecasts(p, y)?;
    Ok(mean_sq(p, y))
}

fn mean_sq(p: &[f64], y: &[f64]) -> f64 {
    p.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / p.len() as f64
}

/// Bin of each forecast: the number of inner edges strictly below it.
fn bin_ids(p: &[f64], inner_edges: &[f64]) -> Vec<usize> {
    p.iter().map(|&v| inner_edges.partition_point(|&e| e < v)).collect()
}

/// Brier score with the exact binned decomposition over the bins cut by `inner_edges` (ascending; a
/// forecast equal to an edge goes to the lower bin). `inner_edges` may be empty (one bin).
///
/// # Errors
/// As [`check_forecasts`], and for edges that are NaN or not ascending.
pub fn binned_decomposition(p: &[f64], y: &[f64], inner_edges: &[f64]) -> Result<Decomposition> {
    check_forecasts(p, y)?;
    if inner_edges.iter().any(|e| e.is_nan()) || inner_edges.windows(2).any(|w| w[1] < w[0]) {
        return Err(CoreError::InvalidInput("calibration: bin edges must be ascending numbers".into()));
    }
    let nb = inner_edges.len() + 1;
    let ids = bin_ids(p, inner_edges);
    let mut count = vec![0usize; nb];
    let mut sum_p = vec![0.0; nb];
    let mut sum_y = vec![0.0; nb];
    let mut p_min = vec![f64::INFINITY; nb];
    let mut p_max = vec![f64::NEG_INFINITY; nb];
    for ((&b, &pv), &yv) in ids.iter().zip(p).zip(y) {
        count[b] += 1;
        sum_p[b] += pv;
        sum_y[b] += yv;
        p_min[b] = p_min[b].min(pv);
        p_max[b] = p_max[b].max(pv);
    }
    let mean = |s: f64, c: usize| if c == 0 { 0.0 } else { s / c as f64 };
    let pbar: Vec<f64> = (0..nb).map(|b| mean(sum_p[b], count[b])).collect();
    let obar: Vec<f64> = (0..nb).map(|b| mean(sum_y[b], count[b])).collect();
    let n = p.len();
    let nf = n as f64;
    let base_rate = y.iter().sum::<f64>() / nf;
    let (mut wbv, mut wbc, mut bs) = (0.0, 0.0, 0.0);
    for ((&b, &pv), &yv) in ids.iter().zip(p).zip(y) {
        let (dp, dy) = (pv - pbar[b], yv - obar[b]);
        wbv += dp * dp;
        wbc += dp * dy;
        bs += (pv - yv) * (pv - yv);
    }
    let (mut rel, mut res) = (0.0, 0.0);
    let mut bins = Vec::new();
    for b in 0..nb {
        if count[b] == 0 {
            continue;
        }
        let c = count[b] as f64;
        rel += c * (pbar[b] - obar[b]) * (pbar[b] - obar[b]);
        res += c * (obar[b] - base_rate) * (obar[b] - base_rate);
        bins.push(Bin {
            index: b,
            count: count[b],
            mean_predicted: pbar[b],
            frequency: obar[b],
            p_min: p_min[b],
            p_max: p_max[b],
        });
    }
    Ok(Decomposition {
        brier: bs / nf,
        reliability: rel / nf,
        resolution: res / nf,
        uncertainty: base_rate * (1.0 - base_rate),
        within_bin_variance: wbv / nf,
        within_bin_covariance: wbc / nf,
        base_rate,
        n,
        bins,
    })
}

/// Isotonic (non-decreasing) least-squares fit of the outcomes on the forecasts by pool-adjacent-
/// violators, returned in input order. Equal forecasts are pooled before PAV (so the fit is a function
/// of the forecast, scikit-learn's `IsotonicRegression` convention). O(n log n) for the sort.
///
/// # Errors
/// As [`check_forecasts`].
pub fn isotonic_recalibrate(p: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    check_forecasts(p, y)?;
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    // blocks: (sum of outcomes, weight, first position in `order`)
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let start = i;
        let (mut s, mut w) = (0.0, 0.0);
        while i < order.len() && p[order[i]] == p[order[start]] {
            s += y[order[i]];
            w += 1.0;
            i += 1;
        }
        blocks.push((s, w, start));
        while blocks.len() >= 2 {
            let (s1, w1, st1) = blocks[blocks.len() - 2];
            let (s2, w2, _) = blocks[blocks.len() - 1];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            blocks.push((s1 + s2, w1 + w2, st1));
        }
    }
    let mut out = vec![0.0; p.len()];
    for (bi, &(s, w, start)) in blocks.iter().enumerate() {
        let end = blocks.get(bi + 1).map_or(order.len(), |b| b.2);
        let v = s / w;
        for &o in &order[start..end] {
            out[o] = v;
        }
    }
    Ok(out)
}

/// The CORP decomposition and the PAV-recalibrated forecasts (input order).
///
/// # Errors
/// As [`check_forecasts`].
pub fn corp_decomposition(p: &[f64], y: &[f64]) -> Result<(Corp, Vec<f64>)> {
    let c = isotonic_recalibrate(p, y)?;
    let base = y.iter().sum::<f64>() / y.len() as f64;
    let s_p = mean_sq(p, y);
    let s_c = mean_sq(&c, y);
    let s_r = y.iter().map(|v| (base - v) * (base - v)).sum::<f64>() / y.len() as f64;
    Ok((Corp { brier: s_p, mcb: s_p - s_c, dsc: s_r - s_c, unc: s_r }, c))
}

#[cfg(test)]
#[path = "calibration_tests.rs"]
mod tests;
