//! Regime conditioning: a synthetic market whose lag depends on volatility.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::*;
use crate::leadlag::streaming::tests::{as_of, clock, T0};

/// Alternating periods of `period_s`: calm (leader moves ~0.5 bp per 100 ms, follower lag 300 ms)
/// and volatile (~5 bp per 100 ms, lag 50 ms). Returns the arrays and the volatility series
/// (period start, true std per 100 ms).
#[allow(clippy::type_complexity)]
fn regime_market(
    seed: u64,
    periods: usize,
    period_s: f64,
) -> (Vec<i64>, Vec<f64>, Vec<i64>, Vec<f64>, Vec<i64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let period = (period_s * 1e9) as i64;
    let seconds = periods as f64 * period_s;
    let regime_at = |t: i64| ((t - T0) / period) % 2; // 0 calm, 1 volatile
    let size = [3e-5, 3e-4];
    let lags = [300_000_000i64, 50_000_000];
    let lt = clock(&mut rng, T0, 20.0, seconds);
    let mut x = Vec::with_capacity(lt.len());
    let mut c = 0.0;
    for &t in &lt {
        if rng.random::<f64>() < 0.5 {
            c += Normal::new(0.0, size[regime_at(t) as usize]).unwrap().sample(&mut rng);
        }
        x.push(c);
    }
    let ft = clock(&mut rng, T0, 30.0, seconds);
    let noise = Normal::new(0.0, 5e-6).unwrap();
    let fp = ft
        .iter()
        .map(|&t| (100.0f64.ln() + as_of(&lt, &x, t - lags[regime_at(t) as usize]) + noise.sample(&mut rng)).exp())
        .collect();
    let lp = x.iter().map(|v| (100.0f64.ln() + v).exp()).collect();
    // 2.5 moves per 100 ms on average: std per 100 ms = sqrt(2.5) · size
    let vt = (0..periods as i64).map(|k| T0 + k * period).collect();
    let vol = (0..periods).map(|k| 2.5f64.sqrt() * size[k % 2]).collect();
    (lt, lp, ft, fp, vt, vol)
}

#[test]
fn each_regime_learns_its_own_lag() {
    let (lt, lp, ft, fp, vt, vol) = regime_market(11, 8, 25.0);
    let mut r = RegimeConditionedLeadLag::new(LeadLagConfig::fine(), DEFAULT_VOL_THRESHOLDS).unwrap();
    r.update(&lt, &lp, &ft, &fp, &vt, &vol).unwrap();
    let low = r.estimator(VolatilityRegime::Low);
    let high = r.estimator(VolatilityRegime::High);
    let med = r.estimator(VolatilityRegime::Medium);
    assert!((low.lag_estimate_ms() - 300.0).abs() <= 10.0, "low {}", low.lag_estimate_ms());
    assert!((high.lag_estimate_ms() - 50.0).abs() <= 10.0, "high {}", high.lag_estimate_ms());
    assert!(low.r_squared() > 0.5 && high.r_squared() > 0.5);
    // the medium regime never occurred: only leader ticks, no follower returns, the prior stands
    assert_eq!((med.sample_count(), med.lag_estimate_ms()), (0, 200.0));
    // no return spans a regime switch: each regime saw about half the follower returns
    let n_low = low.sample_count() as f64;
    let n_high = high.sample_count() as f64;
    assert!((n_low / n_high - 1.0).abs() < 0.1, "{n_low} vs {n_high}");
    assert_eq!(r.current_regime(), VolatilityRegime::High); // the 8th period is volatile
    assert_eq!(r.get_current_estimate(), high.current());
    // one estimator on everything mixes the two lags
    let mut mixed = LeadLagEstimator::new(LeadLagConfig::fine()).unwrap();
    mixed.update(&lt, &lp, &ft, &fp).unwrap();
    assert!(mixed.r_squared() < low.r_squared().min(high.r_squared()));
}

#[test]
fn classification_and_bad_inputs() {
    let mut r = RegimeConditionedLeadLag::new(LeadLagConfig::default(), DEFAULT_VOL_THRESHOLDS).unwrap();
    assert_eq!(r.current_regime(), VolatilityRegime::Medium);
    assert_eq!(r.update_regime(0.5e-4).unwrap(), VolatilityRegime::Low);
    assert_eq!(r.update_regime(1e-4).unwrap(), VolatilityRegime::Medium);
    assert_eq!(r.update_regime(2.99e-4).unwrap(), VolatilityRegime::Medium);
    assert_eq!(r.update_regime(3e-4).unwrap(), VolatilityRegime::High);
    assert_eq!(r.update_regime(f64::NAN).unwrap_err().to_string(), "volatility must be >= 0, got NaN");
    assert!(r.update_regime(-1.0).is_err());
    assert_eq!(r.current_regime(), VolatilityRegime::High);
    assert!(RegimeConditionedLeadLag::new(LeadLagConfig::default(), [3e-4, 1e-4]).is_err());
    assert!(RegimeConditionedLeadLag::new(LeadLagConfig::default(), [f64::NAN, 1e-4]).is_err());
    r.on_prices(100.0, 100.0, T0).unwrap();
    // a bad follower price rejects the pair before the leader is applied
    assert!(r.on_prices(101.0, -1.0, T0 + 1).is_err());
    assert!(r.on_prices(101.0, 100.0, T0 - 1).is_err());
    r.on_prices(101.0, 100.0, T0 + 1).unwrap();
    let err = r.update(&[T0 + 5], &[1.0], &[], &[], &[T0 + 2, T0 + 1], &[1e-4, 1e-4]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("volatility tick 1: volatility timestamp going backwards: {} ns < previous {} ns", T0 + 1, T0 + 2)
    );
    for regime in VolatilityRegime::ALL {
        assert_eq!(VolatilityRegime::parse(regime.name()), Some(regime));
    }
    assert!(r.predict_remaining_move(1e-3, 0.0).unwrap() == 0.0); // R² still 0
}
