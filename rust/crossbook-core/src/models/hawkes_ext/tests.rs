//! Parameter recovery of the three extensions on their own simulators, and the fill model's numbers.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::baseline::{fit_state_baseline, simulate_state_baseline, Covariates, StateBaseline};
use super::fill::{intensity_to_kappa, FillIntensityModel, MarketState, TradeMark, KAPPA_FLOOR};
use super::marks::{fit_marked, simulate_marked, MarkDist, MarkedParams, Marks};
use super::queue::{fit_queue, queue_loglik, simulate_queue, QueueParams, QueuePath};
use crate::models::hawkes::fit_hawkes_exp;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn state_baseline_recovers_weights() {
    // two covariates resampled every 10 s: an AR(1) "funding" and i.i.d. "OI change"
    let horizon = 40_000.0;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mut times, mut values) = (Vec::new(), Vec::new());
    let mut f = 0.0;
    for k in 0..4_000 {
        let z1: f64 = StandardNormal.sample(&mut rng);
        let z2: f64 = StandardNormal.sample(&mut rng);
        f = 0.9 * f + 0.45 * z1;
        times.push(f64::from(k) * 10.0);
        values.extend([f, z2]);
    }
    let cov = Covariates::new(times, values, vec!["funding".into(), "oi".into()]).unwrap();
    let truth = StateBaseline { mu0: 0.5, weights: vec![0.4, -0.3], branching: 0.5, beta: 2.0 };
    let t = simulate_state_baseline(&truth, &cov, horizon, 2).unwrap();
    assert!(t.len() > 40_000, "{}", t.len());
    let fit = fit_state_baseline(&t, horizon, &cov).unwrap();
    assert!(fit.converged);
    let g = |n: &str| fit.get(n).unwrap();
    assert!(rel(g("mu0"), 0.5) < 0.05, "{fit:?}");
    assert!(rel(g("w_funding"), 0.4) < 0.05, "{fit:?}");
    assert!(rel(g("w_oi"), -0.3) < 0.05, "{fit:?}");
    assert!(rel(g("alpha"), 0.5) < 0.05 && rel(g("beta"), 2.0) < 0.05, "{fit:?}");
    assert!(fit.ks.p_value > 0.05, "{:?}", fit.ks);
    // the plain Hawkes fit ignores the state: lower likelihood, and its KS is worse
    let plain = fit_hawkes_exp(&t, horizon, None).unwrap();
    assert!(fit.loglik > plain.loglik + 100.0);
    // a constant covariate is refused
    let flat = Covariates::new(vec![0.0, 1.0], vec![2.0, 2.0], vec!["x".into()]).unwrap();
    let e = fit_state_baseline(&t, horizon, &flat).unwrap_err().to_string();
    assert!(e.contains("\"x\" is constant"), "{e}");
}

#[test]
fn marked_model_recovers_mark_effects() {
    let truth = MarkedParams {
        mu: 0.5,
        branching: 0.2,
        size_power: 0.5,
        same_side_mult: 1.875,
        aggressor_mult: 1.2,
        beta: 3.0,
        median_size: 1.0,
        size_cap: 3.0,
    };
    let dist = MarkDist { size_sigma: 0.8, p_same_side: 0.5, p_aggressor: 0.6 };
    let (t, s, same, aggr) = simulate_marked(&truth, &dist, 100_000.0, 4).unwrap();
    let marks = Marks { size: &s, same_side: &same, aggressor: &aggr };
    let fit = fit_marked(&t, 100_000.0, marks, Some(1.0), 3.0).unwrap();
    assert!(fit.converged);
    let g = |n: &str| fit.get(n).unwrap();
    for (name, want) in [("mu", 0.5), ("alpha", 0.2), ("size_power", 0.5), ("same_side_mult", 1.875), ("beta", 3.0)] {
        assert!(rel(g(name), want) < 0.05, "{name}: {} vs {want}; {fit:?}", g(name));
    }
    // the aggressor effect is the weakest (1.2 on 60 % of events): within 3 standard errors
    let i = fit.names.iter().position(|n| n == "aggressor_mult").unwrap();
    assert!((fit.values[i] - 1.2).abs() < 3.0 * fit.std_err[i], "{fit:?}");
    assert!(fit.ks.p_value > 0.05, "{:?}", fit.ks);
    // all events aggressors: that multiplier is held at 1, the rest still fits
    let all = vec![true; t.len()];
    let fit2 = fit_marked(&t, 100_000.0, Marks { size: &s, same_side: &same, aggressor: &all }, None, 3.0).unwrap();
    assert_eq!(fit2.get("aggressor_mult"), Some(1.0));
    assert!(fit2.values.iter().all(|v| v.is_finite()));
}

#[test]
fn queue_model_recovers_sensitivity() {
    // queue consumption: compound Poisson at 5 Hz with exponential(1) sizes; Q = 10
    let horizon = 50_000.0;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let (mut qt, mut qv) = (vec![0.0], vec![0.0]);
    let mut t = 0.0;
    while t < horizon {
        t += -rng.random::<f64>().ln() / 5.0;
        qt.push(t);
        qv.push(qv[qv.len() - 1] - rng.random::<f64>().ln());
    }
    let path = QueuePath { times: &qt, consumed: &qv };
    let truth = QueueParams { mu: 0.5, branching: 0.4, beta: 1.0, sensitivity: 0.5, typical_queue: 10.0 };
    let ev = simulate_queue(&truth, path, horizon, 3).unwrap();
    let fit = fit_queue(&ev, horizon, path, 10.0).unwrap();
    let g = |n: &str| fit.get(n).unwrap();
    assert!(rel(g("mu"), 0.5) < 0.05 && rel(g("alpha"), 0.4) < 0.05 && rel(g("beta"), 1.0) < 0.05, "{fit:?}");
    let i = fit.names.iter().position(|n| n == "queue_sensitivity").unwrap();
    assert!((fit.values[i] - 0.5).abs() < 3.0 * fit.std_err[i] && fit.std_err[i] < 0.15, "{fit:?}");
    assert!(fit.ks.p_value > 0.05, "{:?}", fit.ks);
    // c = 0 is the plain Hawkes model: the same likelihood as the base model's
    let plain = QueueParams { sensitivity: 0.0, ..truth };
    let (ll, _) = queue_loglik(&ev, horizon, path, &plain).unwrap();
    let base = crate::models::hawkes::HawkesExp::new(0.5, 0.4, 1.0).unwrap();
    assert!((ll - base.loglik(&ev, horizon)).abs() < 1e-6 * ll.abs());
    // a decreasing queue path is refused
    let bad = QueuePath { times: &[0.0, 1.0], consumed: &[2.0, 1.0] };
    assert!(fit_queue(&ev, horizon, bad, 10.0).is_err());
}

#[test]
fn fill_model_intensity_and_kappa() {
    let m = FillIntensityModel {
        mu_0: 2.0,
        beta_time: 1.0,
        alpha_base: 0.3,
        median_trade_size: 1.0,
        typical_queue: 4.0,
        depth_decay_per_bp: 0.5,
        ..FillIntensityModel::default()
    };
    // one trade 1 s ago, size 4 (size mult √4 = 2), same side (1.875), aggressor (1.2), queue 2 of 4
    let tr = TradeMark { t: 9.0, size: 4.0, same_side: true, aggressor: true, queue_consumed_since: 2.0 };
    let want_w = 0.3 * 2.0 * 1.875 * 1.2;
    assert!((m.excitation_weight(&tr) - want_w).abs() < 1e-12);
    let x = m.excitation_at(10.0, &[tr]);
    assert!((x - want_w * (-1.0f64).exp() * 1.25).abs() < 1e-12);
    let s = MarketState::default();
    assert!((m.intensity_at(10.0, &[tr], &s) - (2.0 + x)).abs() < 1e-12);
    // κ = F(δ)(e^{kε} − 1)/(ε·1e−4) with F(δ) = E N[0,1]·e^{−kδ}
    let en = m.expected_trades_in_window(0.0, 1.0, x, &s);
    let k = intensity_to_kappa(&m, &s, x, 2.0).unwrap();
    let want = en * (-1.0f64).exp() * ((0.05f64).exp() - 1.0) / 1e-5;
    assert!((k - want).abs() < 1e-9 * want, "{k} vs {want}");
    // no depth sensitivity: the floor
    let flat = FillIntensityModel { depth_decay_per_bp: 0.0, ..m.clone() };
    assert_eq!(intensity_to_kappa(&flat, &s, x, 2.0).unwrap(), KAPPA_FLOOR);
    // a cascade multiplier scales the intensity; invalid parameters are errors
    let reg = FillIntensityModel { regime_multipliers: [1.0, 1.0, 1.0, 3.0], ..m.clone() };
    let cascade = MarketState { regime: 3, ..s };
    assert!((reg.intensity_at(10.0, &[tr], &cascade) - 3.0 * (2.0 + x)).abs() < 1e-12);
    let bad = FillIntensityModel { beta_time: 0.0, ..m };
    assert!(intensity_to_kappa(&bad, &s, 0.0, 2.0).is_err());
}
