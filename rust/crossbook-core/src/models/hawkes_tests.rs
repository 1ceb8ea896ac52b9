//! Tests of the exponential Hawkes fit, simulator, online intensity and goodness of fit.

use super::hawkes::{check_times, fit_hawkes_exp, fit_poisson, HawkesExp, HawkesIntensity};
use super::hawkes_gof::ks_exp1;
use super::hawkes_sim::simulate_hawkes_exp;
use crate::error::CoreError;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn loglik_hand_computed() {
    // events at 1 and 2 on [0, 3], μ = 0.5, n = 0.5, β = 1 (α = 0.5)
    let p = HawkesExp::new(0.5, 0.5, 1.0).unwrap();
    let e1 = (-1.0f64).exp();
    let want = 0.5f64.ln() + (0.5 + 0.5 * e1).ln() - (1.5 + 0.5 * (1.0 - (-2.0f64).exp()) + 0.5 * (1.0 - e1));
    assert!((p.loglik(&[1.0, 2.0], 3.0) - want).abs() < 1e-14);
    // compensator increments: 0.5·1, then 0.5·1 + 0.5·(1 − e⁻¹)
    let tau = p.compensator_increments(&[1.0, 2.0]);
    assert!((tau[0] - 0.5).abs() < 1e-15 && (tau[1] - (0.5 + 0.5 * (1.0 - e1))).abs() < 1e-15);
}

#[test]
fn recovers_parameters_within_five_percent() {
    // N ≈ 100 000 events (μ/(1 − n) = 1.25 /s over 80 000 s), seed pinned
    let truth = HawkesExp::new(0.5, 0.6, 3.0).unwrap();
    let t = simulate_hawkes_exp(&truth, 80_000.0, 11).unwrap();
    assert!((95_000..105_000).contains(&t.len()), "{}", t.len());
    let fit = fit_hawkes_exp(&t, 80_000.0, None).unwrap();
    let p = fit.params;
    assert!(fit.converged);
    assert!(rel(p.mu, 0.5) < 0.05, "mu {}", p.mu);
    assert!(rel(p.branching, 0.6) < 0.05, "n {}", p.branching);
    assert!(rel(p.beta, 3.0) < 0.05, "beta {}", p.beta);
    // the standard errors are of the size of the errors (within 4 s.e.)
    assert!((p.mu - 0.5).abs() < 4.0 * fit.std_err[0] && fit.std_err[0] > 0.0);
    assert!((p.branching - 0.6).abs() < 4.0 * fit.std_err[1]);
    assert!((p.beta - 3.0).abs() < 4.0 * fit.std_err[2]);
    // the optimum is a maximum: the true parameters score lower
    assert!(fit.loglik >= truth.loglik(&t, 80_000.0));
}

#[test]
fn fixed_beta_fit_recovers_mu_and_n() {
    let truth = HawkesExp::new(1.0, 0.4, 10.0).unwrap();
    let t = simulate_hawkes_exp(&truth, 30_000.0, 5).unwrap();
    let fit = fit_hawkes_exp(&t, 30_000.0, Some(10.0)).unwrap();
    assert!(fit.fixed_beta && fit.converged);
    assert_eq!(fit.params.beta, 10.0);
    assert!(rel(fit.params.mu, 1.0) < 0.05 && rel(fit.params.branching, 0.4) < 0.05, "{:?}", fit.params);
    // the 3-parameter fit reaches a likelihood at least as high
    let full = fit_hawkes_exp(&t, 30_000.0, None).unwrap();
    assert!(full.loglik >= fit.loglik - 1e-6);
}

#[test]
fn time_rescaling_passes_true_model_and_rejects_poisson() {
    let truth = HawkesExp::new(0.5, 0.6, 3.0).unwrap();
    let t = simulate_hawkes_exp(&truth, 8_000.0, 3).unwrap();
    let fit = fit_hawkes_exp(&t, 8_000.0, None).unwrap();
    let ks_fit = ks_exp1(&fit.params.compensator_increments(&t)).unwrap();
    let ks_true = ks_exp1(&truth.compensator_increments(&t)).unwrap();
    assert!(ks_fit.p_value > 0.05, "{ks_fit:?}");
    assert!(ks_true.p_value > 0.05, "{ks_true:?}");
    let mu = fit_poisson(&t, 8_000.0).unwrap();
    let tau: Vec<f64> = t.iter().scan(0.0, |prev, &x| Some(mu * (x - std::mem::replace(prev, x)))).collect();
    let ks_poisson = ks_exp1(&tau).unwrap();
    assert!(ks_poisson.p_value < 1e-6, "{ks_poisson:?}");
}

#[test]
fn poisson_data_gives_small_branching_without_nan() {
    // a Poisson process (n = 0): the fit goes to n ≈ 0 and μ ≈ rate, every number finite
    let p = HawkesExp::new(2.0, 0.0, 1.0).unwrap();
    let t = simulate_hawkes_exp(&p, 5_000.0, 9).unwrap();
    let fit = fit_hawkes_exp(&t, 5_000.0, None).unwrap();
    assert!(fit.params.branching < 0.02, "{:?}", fit.params);
    assert!(rel(fit.params.mu, 2.0) < 0.05);
    assert!(fit.params.mu.is_finite() && fit.params.beta.is_finite() && fit.loglik.is_finite());
}

#[test]
fn bad_input_is_an_error() {
    let few = [0.1, 0.2, 0.3];
    match fit_hawkes_exp(&few, 1.0, None) {
        Err(CoreError::InvalidInput(m)) => assert!(m.contains("need at least 10, got 3"), "{m}"),
        other => panic!("{other:?}"),
    }
    let e = check_times(&[0.5, 0.2], 1.0).unwrap_err().to_string();
    assert!(e.contains("index 1"), "{e}");
    assert!(check_times(&[0.5, f64::NAN], 1.0).is_err());
    assert!(check_times(&[2.0], 1.0).is_err());
    assert!(check_times(&[], 0.0).is_err());
    let t: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.1).collect();
    assert!(fit_hawkes_exp(&t, 2.0, Some(-1.0)).is_err());
    assert!(HawkesExp::new(0.0, 0.5, 1.0).is_err());
    // ties make the likelihood unbounded: refused with the count and the first one
    let mut tied: Vec<f64> = (0..12).map(f64::from).collect();
    tied[5] = 4.0;
    tied[9] = 8.0;
    let e = fit_hawkes_exp(&tied, 20.0, None).unwrap_err().to_string();
    assert!(e.contains("2 events share their time") && e.contains("index 5"), "{e}");
}

#[test]
fn online_intensity_matches_batch_and_expected_count() {
    let p = HawkesExp::new(0.5, 0.6, 3.0).unwrap();
    let t = simulate_hawkes_exp(&p, 200.0, 1).unwrap();
    let mut h = HawkesIntensity::new(p);
    assert_eq!(h.intensity(0.0).unwrap(), 0.5);
    for (i, &ti) in t.iter().enumerate() {
        let before = h.update(ti).unwrap();
        let direct: f64 = 0.5 + t[..i].iter().map(|&tj| 1.8 * (-3.0 * (ti - tj)).exp()).sum::<f64>();
        assert!((before - direct).abs() < 1e-9 * direct, "{i}");
    }
    assert!(h.update(t[0]).is_err());
    // expected count over 1 s from the stationary state is μ/(1 − n)·h = 1.25
    assert!((p.expected_count(1.25 - 0.5, 1.0) - 1.25).abs() < 1e-12);
    // excitation 3 decays: E N = 0.5·h + excitation mass ≈ 1.25h + (3 − 0.75)/(β(1 − n)) for large h
    let en = p.expected_count(3.0, 100.0);
    assert!((en - (125.0 + 2.25 / 1.2)).abs() < 1e-6, "{en}");
    // n = 1 is finite: (μ + x)h + μβh²/2
    let crit = HawkesExp::new(1.0, 1.0, 2.0).unwrap();
    assert!((crit.expected_count(0.5, 2.0) - (3.0 + 4.0)).abs() < 1e-9);
}

#[test]
fn expected_count_matches_simulation() {
    // mean count on [0, 2] from an empty start: E N = μ·h·φ(κh) + μβh²ψ(κh) with x = 0
    let p = HawkesExp::new(1.0, 0.5, 2.0).unwrap();
    let want = p.expected_count(0.0, 2.0);
    let n: usize = (0..20_000).map(|s| simulate_hawkes_exp(&p, 2.0, s).unwrap().len()).sum();
    let mean = n as f64 / 20_000.0;
    assert!((mean - want).abs() < 0.03, "{mean} vs {want}");
}
