//! Tests of the streaming estimator against synthetic series with a known lag and β.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal};

use super::*;

/// Epoch-like start time (ns).
pub(crate) const T0: i64 = 1_700_000_000_000_000_000;

/// Leader and follower tick arrays (ns, price).
pub(crate) struct Synth {
    pub lt: Vec<i64>,
    pub lp: Vec<f64>,
    pub ft: Vec<i64>,
    pub fp: Vec<f64>,
}

/// Parameters of [`synth`]. The leader moves at a tick with probability `move_prob` by ±|N(0, 1bp)|;
/// the follower's log price is `β · (up moves as of t − lag_up + down moves as of t − lag_down)`
/// plus i.i.d. N(0, `noise`) per follower tick. Irregular clocks: exponential inter-arrivals.
pub(crate) struct Spec {
    pub seed: u64,
    pub start_ns: i64,
    pub seconds: f64,
    pub lag_up_ms: f64,
    pub lag_down_ms: f64,
    pub beta: f64,
    pub noise: f64,
    pub move_prob: f64,
    pub leader_dt_ms: f64,
    pub follower_dt_ms: f64,
    /// size of a leader move (log units)
    pub move_size: f64,
}

impl Spec {
    pub(crate) fn new(seed: u64, lag_ms: f64, beta: f64) -> Self {
        Self {
            seed,
            start_ns: T0,
            seconds: 180.0,
            lag_up_ms: lag_ms,
            lag_down_ms: lag_ms,
            beta,
            noise: 3e-5,
            move_prob: 0.5,
            leader_dt_ms: 20.0,
            follower_dt_ms: 30.0,
            move_size: 1e-4,
        }
    }
}

pub(crate) fn clock(rng: &mut ChaCha8Rng, start: i64, mean_ms: f64, seconds: f64) -> Vec<i64> {
    let exp = Exp::new(1.0 / (mean_ms * 1e6)).unwrap();
    let end = start + (seconds * 1e9) as i64;
    let mut t = start;
    let mut out = Vec::new();
    loop {
        t += 1 + exp.sample(rng) as i64;
        if t >= end {
            return out;
        }
        out.push(t);
    }
}

/// Cumulative value as of `t` of a step path (times `ts`, values `cum`), 0 before the first step.
pub(crate) fn as_of(ts: &[i64], cum: &[f64], t: i64) -> f64 {
    match ts.partition_point(|&s| s <= t) {
        0 => 0.0,
        i => cum[i - 1],
    }
}

pub(crate) fn synth(s: &Spec) -> Synth {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let lt = clock(&mut rng, s.start_ns, s.leader_dt_ms, s.seconds);
    let size = Normal::new(0.0, s.move_size).unwrap();
    let (mut up, mut down) = (Vec::with_capacity(lt.len()), Vec::with_capacity(lt.len()));
    let (mut u, mut d) = (0.0, 0.0);
    for _ in &lt {
        if rng.random::<f64>() < s.move_prob {
            let m: f64 = size.sample(&mut rng);
            if m > 0.0 {
                u += m;
            } else {
                d += m;
            }
        }
        up.push(u);
        down.push(d);
    }
    let x0 = 60_000f64.ln();
    let lp = up.iter().zip(&down).map(|(a, b)| (x0 + a + b).exp()).collect();
    let ft = clock(&mut rng, s.start_ns, s.follower_dt_ms, s.seconds);
    let noise = Normal::new(0.0, s.noise).unwrap();
    let (lu, ld) = ((s.lag_up_ms * 1e6) as i64, (s.lag_down_ms * 1e6) as i64);
    let fp = ft
        .iter()
        .map(|&t| {
            let path = as_of(&lt, &up, t - lu) + as_of(&lt, &down, t - ld);
            (x0 + s.beta * path + noise.sample(&mut rng)).exp()
        })
        .collect();
    Synth { lt, lp, ft, fp }
}

fn run(cfg: LeadLagConfig, s: &Synth) -> LeadLagEstimator {
    let mut e = LeadLagEstimator::new(cfg).unwrap();
    e.update(&s.lt, &s.lp, &s.ft, &s.fp).unwrap();
    e
}

#[test]
fn fine_grid_recovers_lag_and_beta() {
    for (seed, lag, beta) in [(1, 150.0, 0.7), (2, 50.0, 1.0), (3, 300.0, 1.0)] {
        let e = run(LeadLagConfig::fine(), &synth(&Spec::new(seed, lag, beta)));
        let all = e.estimate_for(Direction::All);
        let best = all.last.unwrap();
        assert!((best.lag_ms as f64 - lag).abs() <= 10.0, "{lag}: best {best:?}");
        assert!((all.lag_ms - lag).abs() <= 10.0, "{lag}: smoothed {}", all.lag_ms);
        assert!((all.beta - beta).abs() < 0.05 * beta, "{beta}: {}", all.beta);
        assert!(best.r_squared > 0.6, "{best:?}");
        assert!(best.beta_se > 0.0 && best.beta_se < 0.05, "{best:?}");
        // samples in the first 500 ms have no leader history at the largest lags
        assert!(e.dropped() > 0 && e.dropped() <= 6, "{}", e.dropped());
        assert_eq!(e.window_len() as u64 + e.dropped() + e.pending() as u64, e.sample_count());
        // the curve peaks at the best lag and falls off away from it
        let curve = e.curve(Direction::All);
        let r2_at = |l: i64| curve[(l + 100) as usize / 10].unwrap().r_squared;
        assert!(r2_at(best.lag_ms) > r2_at((best.lag_ms + 100).min(500)) + 0.2);
    }
}

#[test]
fn seed_grid_picks_the_nearest_point() {
    // true lag 130 ms: the 11-point grid's nearest candidate is 150 ms
    let e = run(LeadLagConfig::default(), &synth(&Spec::new(4, 130.0, 0.8)));
    assert_eq!(e.estimate_for(Direction::All).last.unwrap().lag_ms, 150);
    assert!((e.lag_estimate_ms() - 150.0).abs() < 5.0, "{}", e.lag_estimate_ms());
    assert_eq!(e.curve(Direction::All).len(), 11);
}

#[test]
fn up_and_down_moves_get_their_own_lags() {
    let mut spec = Spec::new(5, 0.0, 1.0);
    spec.lag_up_ms = 100.0;
    spec.lag_down_ms = 250.0;
    spec.move_prob = 0.1; // sparse moves: one sign per return window, mostly
    spec.seconds = 400.0;
    let e = run(LeadLagConfig::fine(), &synth(&spec));
    let up = e.estimate_for(Direction::Up);
    let down = e.estimate_for(Direction::Down);
    assert!((up.last.unwrap().lag_ms - 100).abs() <= 10, "{:?}", up.last);
    assert!((down.last.unwrap().lag_ms - 250).abs() <= 10, "{:?}", down.last);
    assert!((up.lag_ms - 100.0).abs() <= 10.0 && (down.lag_ms - 250.0).abs() <= 10.0);
    assert_eq!(e.current_for_move(1e-4).lag_ms, up.lag_ms);
    assert_eq!(e.current_for_move(-1e-4).lag_ms, down.lag_ms);
    assert_eq!(e.current_for_move(0.0), e.current());
}

#[test]
fn nothing_is_estimated_before_min_samples() {
    let s = synth(&Spec::new(6, 100.0, 1.0));
    let mut e = LeadLagEstimator::new(LeadLagConfig { min_samples: 5_000, ..LeadLagConfig::fine() }).unwrap();
    e.update(&s.lt, &s.lp, &s.ft, &s.fp).unwrap();
    assert!(e.window_len() > 1_000);
    assert_eq!(e.lag_estimate_ms(), 200.0);
    assert_eq!(e.beta_estimate(), 0.8);
    assert_eq!(e.r_squared(), 0.0);
    assert!(e.estimate_for(Direction::All).last.is_none());
    assert!(!e.estimate());
}

#[test]
fn window_is_bounded_and_records_are_kept() {
    let s = synth(&Spec::new(7, 100.0, 1.0));
    let mut e = LeadLagEstimator::new(LeadLagConfig { window_samples: 300, ..LeadLagConfig::default() }).unwrap();
    e.set_record(true);
    e.update(&s.lt, &s.lp, &s.ft, &s.fp).unwrap();
    assert_eq!(e.window_len(), 300);
    assert!(e.sample_count() > 1_000);
    let recs = e.take_records();
    assert!(recs.len() > 100);
    assert!(recs.windows(2).all(|w| w[1].ts_ns - w[0].ts_ns > 1_000_000_000));
    assert_eq!(recs.last().unwrap().estimates[0], *e.estimate_for(Direction::All));
    assert!(e.take_records().is_empty());
}

#[test]
fn samples_before_the_leader_starts_are_dropped() {
    let mut e = LeadLagEstimator::new(LeadLagConfig::default()).unwrap();
    let ms = 1_000_000;
    // follower only for 1 s: samples wait for the leader, then cannot be formed
    for i in 0..10 {
        e.on_follower_price(100.0 + i as f64, T0 + i * 110 * ms).unwrap();
    }
    e.on_leader_price(100.0, T0 + 2_000 * ms).unwrap();
    assert_eq!(e.sample_count(), 9);
    assert_eq!(e.dropped(), 9);
    assert_eq!(e.window_len(), 0);
    assert_eq!(e.pending(), 0);
}

#[test]
fn bad_inputs_are_rejected_and_leave_state_unchanged() {
    let mut e = LeadLagEstimator::new(LeadLagConfig::default()).unwrap();
    e.on_leader_price(100.0, T0).unwrap();
    e.on_follower_price(100.0, T0).unwrap();
    for p in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
        let err = e.on_leader_price(p, T0 + 1).unwrap_err();
        assert!(matches!(err, CoreError::InvalidInput(ref m) if m.starts_with("leader price must be finite and > 0")));
        assert!(e.on_follower_price(p, T0 + 1).is_err());
    }
    let err = e.on_follower_price(100.0, T0 - 5).unwrap_err();
    assert_eq!(
        err,
        CoreError::InvalidInput(format!("follower timestamp going backwards: {} ns < previous {T0} ns", T0 - 5))
    );
    assert!(e.on_leader_price(100.0, T0 - 1).is_err());
    // the same timestamp again is fine
    e.on_leader_price(101.0, T0).unwrap();
    e.on_follower_price(101.0, T0).unwrap();
    let err = e.update(&[T0 + 10, T0 + 5], &[1.0, 1.0], &[], &[]).unwrap_err();
    assert!(err.to_string().starts_with("leader tick 1: leader timestamp going backwards"), "{err}");
    assert!(e.update(&[1], &[], &[], &[]).is_err());
    for bad in [
        LeadLagConfig { lags_ms: vec![], ..LeadLagConfig::default() },
        LeadLagConfig { alpha: 0.0, ..LeadLagConfig::default() },
        LeadLagConfig { return_window_ms: 0, ..LeadLagConfig::default() },
        LeadLagConfig { initial_beta: f64::NAN, ..LeadLagConfig::default() },
    ] {
        assert!(matches!(LeadLagEstimator::new(bad), Err(CoreError::InvalidInput(_))));
    }
}

#[test]
fn lag_grid_is_sorted_and_unique() {
    let e =
        LeadLagEstimator::new(LeadLagConfig { lags_ms: vec![300, -50, 100, 100], ..LeadLagConfig::default() }).unwrap();
    assert_eq!(e.config().lags_ms, vec![-50, 100, 300]);
    assert_eq!(fine_lags_ms().len(), 61);
    assert_eq!((fine_lags_ms()[0], fine_lags_ms()[60]), (-100, 500));
}
