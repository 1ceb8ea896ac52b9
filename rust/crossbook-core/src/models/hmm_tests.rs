//! Tests of the HMM filter and Baum–Welch fit against hand computations, brute force and known truth.

#![allow(clippy::needless_range_loop)]

use super::hmm::{GaussianHmm, MarketRegime, OnlineFilter, RegimeEmissionModel, SEED_TRANSMAT};
use super::hmm_fit::{fit, sample, stationary, FitConfig};
use crate::error::CoreError;

fn regime_model() -> GaussianHmm {
    // features: volatility, intensity, imbalance, adverse selection (arbitrary units, well separated)
    let means = vec![
        0.0, 1.0, 0.0, 0.0, //
        1.0, 2.0, 0.5, 1.0, //
        2.5, 3.0, 0.0, 0.5, //
        4.0, 5.0, -0.5, 3.0,
    ];
    let variances = vec![
        0.1, 0.2, 0.1, 0.3, //
        0.15, 0.2, 0.1, 0.3, //
        0.2, 0.3, 0.2, 0.4, //
        0.3, 0.4, 0.2, 0.5,
    ];
    GaussianHmm::new(vec![0.7, 0.1, 0.15, 0.05], SEED_TRANSMAT.concat(), means, variances).unwrap()
}

fn ln_normal(x: f64, m: f64, v: f64) -> f64 {
    -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (x - m).powi(2) / v)
}

/// Brute force: sum over every state path of a 2-state, 1-feature model.
#[test]
fn forward_matches_path_enumeration() {
    let m = GaussianHmm::new(vec![0.6, 0.4], vec![0.9, 0.1, 0.3, 0.7], vec![0.0, 2.0], vec![1.0, 0.5]).unwrap();
    let x = [0.1, 1.9, 2.2, -0.4, 0.3];
    let n = x.len();
    let (mut total, mut last_state) = (0.0, [0.0; 2]);
    for path in 0..(1u32 << n) {
        let s = |t: usize| ((path >> t) & 1) as usize;
        let mut lp = m.startprob()[s(0)].ln() + ln_normal(x[0], m.means()[s(0)], m.variances()[s(0)]);
        for t in 1..n {
            lp += m.transmat()[s(t - 1) * 2 + s(t)].ln() + ln_normal(x[t], m.means()[s(t)], m.variances()[s(t)]);
        }
        total += lp.exp();
        last_state[s(n - 1)] += lp.exp();
    }
    let (probs, ll) = m.filter(&x).unwrap();
    assert!((ll - total.ln()).abs() < 1e-12, "{ll} vs {}", total.ln());
    assert!((probs[(n - 1) * 2] - last_state[0] / total).abs() < 1e-12);
    for row in probs.chunks(2) {
        assert!((row[0] + row[1] - 1.0).abs() < 1e-14);
    }
}

/// One step by hand: P(s0 | x0) ∝ π·b.
#[test]
fn first_step_is_bayes_rule() {
    let m = regime_model();
    let x = [2.4, 3.1, 0.1, 0.4];
    let (probs, ll) = m.filter(&x).unwrap();
    let w: Vec<f64> = (0..4)
        .map(|j| {
            m.startprob()[j]
                * (0..4).map(|c| ln_normal(x[c], m.means()[j * 4 + c], m.variances()[j * 4 + c]).exp()).product::<f64>()
        })
        .collect();
    let z: f64 = w.iter().sum();
    assert!((ll - z.ln()).abs() < 1e-12);
    for j in 0..4 {
        assert!((probs[j] - w[j] / z).abs() < 1e-12);
    }
    assert!(probs[2] > 0.9, "the volatile state explains this row: {probs:?}");
}

#[test]
fn online_equals_batch_and_is_causal() {
    let m = regime_model();
    let (_, x) = sample(&m, 500, 3);
    let (probs, ll) = m.filter(&x).unwrap();
    let mut f = OnlineFilter::new(m.clone());
    assert_eq!(f.probs(), m.startprob());
    for (t, row) in x.chunks(4).enumerate() {
        let p = f.update(row).unwrap();
        assert_eq!(p, &probs[t * 4..(t + 1) * 4], "step {t}");
    }
    assert_eq!(f.loglik(), ll);
    assert_eq!(f.n_updates(), 500);
    // changing everything after t = 299 leaves the first 300 rows bit-identical
    let mut y = x.clone();
    for v in &mut y[300 * 4..] {
        *v = -*v * 3.0 + 7.0;
    }
    let (probs2, _) = m.filter(&y).unwrap();
    assert_eq!(&probs[..300 * 4], &probs2[..300 * 4]);
    assert_ne!(&probs[300 * 4..], &probs2[300 * 4..]);
    f.reset();
    assert_eq!(f.n_updates(), 0);
    assert_eq!(f.loglik(), 0.0);
}

#[test]
fn predicted_is_belief_times_transitions() {
    let m = regime_model();
    let mut f = OnlineFilter::new(m.clone());
    assert_eq!(f.predicted(), m.startprob());
    f.update(&[0.1, 1.0, 0.0, 0.1]).unwrap();
    let b = f.probs().to_vec();
    let p = f.predicted();
    for j in 0..4 {
        let want: f64 = (0..4).map(|i| b[i] * SEED_TRANSMAT[i][j]).sum();
        assert!((p[j] - want).abs() < 1e-15);
    }
    assert_eq!(f.most_likely(), 0);
    assert_eq!(MarketRegime::from_index(f.most_likely()), Some(MarketRegime::Quiet));
}

/// An observation 1000σ away from every state the past allows: the scaled step underflows and the log-space
/// step takes over; the result stays finite and matches a direct log-space computation.
#[test]
fn extreme_outlier_stays_finite() {
    let m = GaussianHmm::new(vec![1.0, 0.0], vec![1.0, 0.0, 0.5, 0.5], vec![0.0, 1000.0], vec![1.0, 1.0]).unwrap();
    // state 1 is unreachable; x = 1000 is explained only by it
    let (probs, ll) = m.filter(&[0.0, 1000.0]).unwrap();
    assert!(ll.is_finite());
    let want = ln_normal(0.0, 0.0, 1.0) + ln_normal(1000.0, 0.0, 1.0);
    assert!((ll - want).abs() < 1e-9 * want.abs(), "{ll} vs {want}");
    assert_eq!(&probs[2..], &[1.0, 0.0]);
    // a reachable but improbable explanation
    let m = GaussianHmm::new(vec![1.0, 0.0], vec![1.0 - 1e-200, 1e-200, 0.5, 0.5], vec![0.0, 100.0], vec![1.0, 1.0])
        .unwrap();
    let (probs, ll) = m.filter(&[0.0, 100.0]).unwrap();
    let a = ln_normal(100.0, 0.0, 1.0) + (1.0f64 - 1e-200).ln();
    let b = ln_normal(100.0, 100.0, 1.0) + 1e-200f64.ln();
    let mx = a.max(b);
    let want = ln_normal(0.0, 0.0, 1.0) + mx + ((a - mx).exp() + (b - mx).exp()).ln();
    assert!((ll - want).abs() < 1e-9 * want.abs());
    assert!(probs[3] > 0.999 && probs[3].is_finite());
}

#[test]
fn bad_input_is_rejected() {
    let e = GaussianHmm::new(vec![0.5, 0.6], vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], vec![1.0, 1.0]).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("startprob must sum to 1 (sums to 1.1)".into()));
    let e = GaussianHmm::new(vec![0.5, 0.5], vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], vec![1.0, 0.0]).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("variances[1, 0] must be positive and finite (0)".into()));
    let e = GaussianHmm::new(vec![0.5, 0.5], vec![1.0, 0.0, 0.5], vec![0.0, 0.0], vec![1.0, 1.0]).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("transmat must be 2×2 (3 entries given)".into()));
    let m = regime_model();
    let e = m.filter(&[0.0, 1.0, f64::NAN, 0.0]).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("observations: row 0 feature 2 is not finite (NaN)".into()));
    assert!(m.filter(&[0.0; 5]).is_err());
    let mut f = OnlineFilter::new(m);
    assert!(f.update(&[0.0; 3]).is_err());
    assert!(f.update(&[0.0, f64::INFINITY, 0.0, 0.0]).is_err());
    assert_eq!(f.n_updates(), 0);
    assert_eq!(GaussianHmm::new(vec![1.0], vec![1.0], vec![0.0], vec![1.0]).unwrap().filter(&[]).unwrap().1, 0.0);
}

#[test]
fn from_regimes_squares_the_stds() {
    let e = RegimeEmissionModel {
        volatility_mean: 1.0,
        volatility_std: 2.0,
        trade_intensity_mean: 3.0,
        trade_intensity_std: 0.5,
        imbalance_mean: 0.0,
        imbalance_std: 1.0,
        adverse_selection_mean: -1.0,
        adverse_selection_std: 3.0,
    };
    let m = GaussianHmm::from_regimes([0.25; 4], SEED_TRANSMAT, &[e; 4]).unwrap();
    assert_eq!(&m.variances()[..4], &[4.0, 0.25, 1.0, 9.0]);
    assert_eq!(&m.means()[..4], &[1.0, 3.0, 0.0, -1.0]);
}

#[test]
fn seed_stationary_distribution() {
    let p = stationary(&SEED_TRANSMAT.concat(), 4);
    // π = πA by hand-checkable identity, and the quiet share dominates
    for j in 0..4 {
        let v: f64 = (0..4).map(|i| p[i] * SEED_TRANSMAT[i][j]).sum();
        assert!((v - p[j]).abs() < 1e-12);
    }
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((p[0] - 0.6939).abs() < 1e-4 && (p[3] - 0.0105).abs() < 1e-4, "{p:?}");
}

#[test]
fn fit_recovers_a_known_model_with_ordered_states() {
    let truth = regime_model();
    let (states, x) = sample(&truth, 10_000, 11);
    let r = fit(&x, 4, &FitConfig { seed: 5, ..FitConfig::default() }).unwrap();
    let m = &r.model;
    // tolerances: 4 standard errors given how often each state occurs in the sample
    let count = |j: usize| states.iter().filter(|&&s| s == j).count() as f64;
    for j in 0..4 {
        let nj = count(j);
        for c in 0..4 {
            let (got, want) = (m.means()[j * 4 + c], truth.means()[j * 4 + c]);
            let wv = truth.variances()[j * 4 + c];
            assert!((got - want).abs() < 4.0 * (wv / nj).sqrt() + 0.01, "mean[{j},{c}] {got} vs {want}");
            let gv = m.variances()[j * 4 + c];
            assert!((gv / wv - 1.0).abs() < 4.0 * (2.0 / nj).sqrt() + 0.02, "var[{j},{c}] {gv} vs {wv}");
        }
        for i in 0..4 {
            let (got, want) = (m.transmat()[i * 4 + j], SEED_TRANSMAT[i][j]);
            let se = (want * (1.0 - want) / count(i)).sqrt();
            assert!((got - want).abs() < 4.0 * se + 0.005, "trans[{i},{j}] {got} vs {want}");
        }
    }
    assert!(r.loglik >= truth.loglik(&x).unwrap() - 1.0, "{} vs truth {}", r.loglik, truth.loglik(&x).unwrap());
    assert!((r.loglik - m.loglik(&x).unwrap()).abs() < 1e-6 * r.loglik.abs());
    assert!(r.converged);
    // the filtered argmax agrees with the true states almost everywhere
    let (probs, _) = m.filter(&x).unwrap();
    let hits = probs.chunks(4).zip(&states).filter(|(p, &s)| (0..4).all(|j| p[j] <= p[s])).count();
    assert!(hits as f64 > 0.97 * states.len() as f64, "{hits}");
}

#[test]
fn fit_is_deterministic_and_label_stable() {
    let truth = regime_model();
    let (_, x) = sample(&truth, 2_000, 2);
    let a = fit(&x, 4, &FitConfig { seed: 1, ..FitConfig::default() }).unwrap();
    let b = fit(&x, 4, &FitConfig { seed: 1, ..FitConfig::default() }).unwrap();
    assert_eq!(a.model, b.model);
    assert_eq!(a.restart_logliks, b.restart_logliks);
    let c = fit(&x, 4, &FitConfig { seed: 99, n_restarts: 3, ..FitConfig::default() }).unwrap();
    // another seed finds the same states in the same order
    for (u, v) in a.model.means().chunks(4).zip(c.model.means().chunks(4)) {
        assert!((u[0] - v[0]).abs() < 0.1, "{u:?} vs {v:?}");
    }
    let vol: Vec<f64> = a.model.means().chunks(4).map(|r| r[0]).collect();
    assert!(vol.windows(2).all(|w| w[0] <= w[1]), "{vol:?}");
}

/// Duplicated points, a constant feature and more states than clusters: floors and re-initialisation keep
/// everything finite.
#[test]
fn degenerate_data_never_gives_nan() {
    let mut x = Vec::new();
    for t in 0..400 {
        let v = if t % 100 < 50 { 1.0 } else { 5.0 }; // two exact points only
        x.extend([v, 3.0]); // second feature constant
    }
    // four states for two distinct points
    let r4 = fit(&x, 2, &FitConfig { n_restarts: 3, ..FitConfig::default() }).unwrap();
    assert!(r4.loglik.is_finite() && r4.model.variances().iter().all(|v| v.is_finite() && *v > 0.0));
    let r = fit(&x, 2, &FitConfig { n_states: 2, n_restarts: 3, ..FitConfig::default() }).unwrap();
    let m = &r.model;
    assert!(r.loglik.is_finite());
    assert!(m.means().iter().chain(m.variances()).chain(m.transmat()).all(|v| v.is_finite()));
    assert!(m.variances().iter().zip(r.var_floor.iter().cycle()).all(|(v, f)| v >= f));
    // the floor of the constant column: 1e-12 · 3²
    assert!((r.var_floor[1] - 9e-12).abs() < 1e-24);
    let (probs, ll) = m.filter(&x).unwrap();
    assert!(ll.is_finite() && probs.iter().all(|p| p.is_finite()));
    // the two clusters are split (ordered: the state at 1.0 first)
    assert_eq!((m.means()[0], m.means()[2]), (1.0, 5.0), "{r:?}");

    // one point only
    let x1 = vec![2.0; 10];
    let r = fit(&x1, 1, &FitConfig::default()).unwrap();
    assert!(r.loglik.is_finite() && r.model.means().iter().all(|v| v.is_finite()));

    // too few observations
    let e = fit(&[1.0, 2.0, 3.0], 1, &FitConfig::default()).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("fit needs at least 4 observations (got 3)".into()));
}

#[test]
fn fit_handles_outliers_and_empty_states() {
    // one tight cluster plus a few extreme outliers: a 3-state fit must stay finite
    let truth = GaussianHmm::new(vec![1.0], vec![1.0], vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
    let (_, mut x) = sample(&truth, 2_000, 4);
    x[500 * 2] = 1e4;
    x[1500 * 2 + 1] = -1e5;
    let r = fit(&x, 2, &FitConfig { n_states: 3, n_restarts: 2, ..FitConfig::default() }).unwrap();
    assert!(r.loglik.is_finite());
    assert!(r.model.variances().iter().all(|v| v.is_finite() && *v > 0.0));
    let (p, ll) = r.model.filter(&x).unwrap();
    assert!(ll.is_finite() && p.iter().all(|v| v.is_finite()));
}

#[test]
fn zero_mean_features_keep_mean_zero() {
    // feature 1 is signed flow: ±1 around 0 in both states; only feature 0 separates them
    let truth =
        GaussianHmm::new(vec![0.5, 0.5], vec![0.9, 0.1, 0.1, 0.9], vec![0.0, 0.0, 3.0, 0.0], vec![0.2, 0.05, 0.2, 0.5])
            .unwrap();
    let (_, x) = sample(&truth, 4_000, 21);
    let cfg = FitConfig { n_states: 2, zero_mean: vec![false, true], ..FitConfig::default() };
    let r = fit(&x, 2, &cfg).unwrap();
    assert_eq!((r.model.means()[1], r.model.means()[3]), (0.0, 0.0));
    assert!((r.model.means()[2] - 3.0).abs() < 0.05);
    assert!((r.model.variances()[3] / 0.5 - 1.0).abs() < 0.1 && (r.model.variances()[1] / 0.05 - 1.0).abs() < 0.1);
    let e = fit(&x, 2, &FitConfig { zero_mean: vec![true], ..cfg }).unwrap_err();
    assert_eq!(e, CoreError::InvalidInput("zero_mean needs one flag per feature (2), got 1".into()));
}
