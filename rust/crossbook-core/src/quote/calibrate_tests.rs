use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

use super::*;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn recovers_a_and_k_from_synthetic_poisson_arrivals() {
    // market orders arrive as a Poisson process of rate A (per side); each reaches a depth ~ Exp(k):
    // arrivals beyond δ form a Poisson process of rate A·exp(−kδ)
    let (a, k, horizon_s) = (2.0, 0.6, 3600.0);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let gaps = Exp::new(a).unwrap();
    let depth = Exp::new(k).unwrap();
    let (mut t, mut depths) = (0.0, Vec::new());
    loop {
        t += gaps.sample(&mut rng);
        if t > horizon_s {
            break;
        }
        depths.push(depth.sample(&mut rng));
    }
    let grid = IntensityGrid { step_ticks: 0.5, max_ticks: 8.0, min_count: 50, at_price_fills: false };
    let fit = fit_intensity(&depths, horizon_s, &grid).unwrap();
    assert!(rel(fit.a, a) < 0.08, "A = {} (true {a})", fit.a);
    assert!(rel(fit.k, k) < 0.05, "k = {} (true {k})", fit.k);
    assert!(fit.r2 > 0.99, "{}", fit.r2);
    assert_eq!(fit.n_points, 17);
    assert_eq!(fit.depth_ticks.len(), 17);
    // the rate at 0 is the empirical total rate
    assert!(rel(fit.rate[0], depths.len() as f64 / horizon_s) < 1e-12);
    assert!(rel(fit.rate_at(2.0), a * (-k * 2.0f64).exp()) < 0.1);
    // κ per bp at a BTC-like price: 1 bp of 60 000 = 6 = 60 ticks of 0.1
    assert!(rel(fit.kappa_per_bp(60_000.0, 0.1), fit.k * 60.0) < 1e-12);
}

/// Arrivals on the half-tick grid with exactly S_j = round(S₀·exp(−k·j/2)) arrivals beyond depth j/2.
fn half_tick_depths(k: f64, s0: f64, m: usize) -> Vec<f64> {
    let s: Vec<usize> = (0..=m).map(|j| (s0 * (-k * 0.5 * j as f64).exp()).round() as usize).collect();
    let mut out = Vec::new();
    for j in 1..=m {
        out.extend(std::iter::repeat_n(0.5 * j as f64, s[j - 1] - s[j]));
    }
    out.extend(std::iter::repeat_n(0.5 * (m + 1) as f64, s[m]));
    out
}

#[test]
fn half_tick_depths_keep_k_per_tick() {
    let k = 0.4;
    let depths = half_tick_depths(k, 200_000.0, 20);
    let grid = IntensityGrid { step_ticks: 0.5, max_ticks: 10.0, min_count: 10, at_price_fills: false };
    let fit = fit_intensity(&depths, 100.0, &grid).unwrap();
    assert!(rel(fit.k, k) < 1e-3, "k = {}", fit.k);
    assert!(rel(fit.a, 2000.0) < 1e-3, "A = {}", fit.a);
    // counts: exactly S_j beyond each grid point (trades at the price do not fill)
    assert_eq!(fit.counts[0], 200_000.0);
    assert_eq!(fit.counts[2], (200_000.0 * (-0.4f64).exp()).round());

    // the tutorial's labelling: half-tick bin i = round(d/0.5) − 1 counted for quotes in bins < i,
    // regressed on x = i + 0.5 "ticks" — the depth axis is stretched ×2 and k comes out halved
    let n_bins = 20;
    let mut lambda = vec![0.0f64; n_bins];
    for d in &depths {
        let bin = (d / 0.5).round() as usize - 1;
        for l in lambda.iter_mut().take(bin.min(n_bins)) {
            *l += 1.0;
        }
    }
    let xs: Vec<f64> = (0..n_bins).map(|i| i as f64 + 0.5).collect();
    let ys: Vec<f64> = lambda.iter().map(|l| l.ln()).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / 20.0, ys.iter().sum::<f64>() / 20.0);
    let slope = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
        / xs.iter().map(|x| (x - mx) * (x - mx)).sum::<f64>();
    assert!(rel(-slope, k / 2.0) < 1e-2, "mislabelled k = {}", -slope);
}

#[test]
fn at_price_fills_counts_trades_at_the_quote() {
    let depths = [0.5, 0.5, 1.0, 1.5, 1.5, 1.5];
    let strict = IntensityGrid { step_ticks: 0.5, max_ticks: 1.5, min_count: 1, at_price_fills: false };
    let fit = fit_intensity(&depths, 1.0, &strict).unwrap();
    assert_eq!(fit.counts, vec![6.0, 4.0, 3.0, 0.0]);
    assert_eq!(fit.used, vec![true, true, true, false]);
    let touch = IntensityGrid { at_price_fills: true, ..strict };
    let fit = fit_intensity(&depths, 1.0, &touch).unwrap();
    assert_eq!(fit.counts, vec![6.0, 6.0, 4.0, 3.0]);
}

#[test]
fn fit_rejects_bad_input() {
    let g = IntensityGrid::default();
    let e = fit_intensity(&[0.5, -1.0], 1.0, &g).unwrap_err();
    assert_eq!(e.to_string(), "depth at index 1 must be a finite number of ticks >= 0 (got -1)");
    assert!(fit_intensity(&[0.5, f64::NAN], 1.0, &g).is_err());
    assert!(fit_intensity(&[0.5], 0.0, &g).unwrap_err().to_string().contains("exposure"));
    let e = fit_intensity(&[0.5; 30], 1.0, &g).unwrap_err();
    assert_eq!(
        e.to_string(),
        "intensity fit needs at least 2 grid points with >= 10 arrivals; got 1 (30 arrivals in total)"
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn per_trade_depths_by_hand() {
    // tick 0.1; mid 100.05 from t = 10, 100.1 from t = 20
    let mid_t = [10, 20];
    let mid = [100.05, 100.1];
    let t = [5, 10, 15, 15, 20, 25];
    let px = [100.1, 100.1, 100.1, 99.9, 100.1, 100.3];
    let side = [1, 1, 1, -1, -1, 0];
    let d = arrival_depths(&t, &px, &side, &mid_t, &mid, 0.1, 0).unwrap();
    // t = 5 and t = 10 have no mid strictly before them; the sell at 100.1 > mid 100.05 is negative
    assert_eq!(d.n_before_mid, 2);
    assert_eq!(d.n_negative, 1);
    assert_eq!(d.t_ns, vec![15, 15, 25]);
    assert_eq!(d.side, vec![1, -1, 1]);
    let want = [0.5, 1.5, 2.0];
    // a sell exactly at the mid has depth +0.0, not −0.0
    let z = arrival_depths(&[20], &[100.05], &[-1], &[10], &[100.05], 0.1, 0).unwrap();
    assert!(z.depth_ticks[0] == 0.0 && z.depth_ticks[0].is_sign_positive());
    assert!(d.depth_ticks.iter().zip(want).all(|(a, b)| close(*a, b)), "{:?}", d.depth_ticks);
    assert!(close(d.duration_s, 15e-9));
}

#[test]
fn per_step_depths_by_hand() {
    // steps of 10 ns: (−10, 0], (0, 10], (10, 20]; the mid of a step is the last one at or before its start
    let mid_t = [0, 12];
    let mid = [100.05, 100.15];
    let t = [0, 3, 7, 8, 10, 15];
    let px = [100.1, 100.1, 100.2, 100.0, 99.9, 100.2];
    let side = [1, 1, 1, -1, -1, 1];
    let d = arrival_depths(&t, &px, &side, &mid_t, &mid, 0.1, 10).unwrap();
    assert_eq!(d.n_before_mid, 1); // the trade at 0 belongs to (−10, 0], before the first mid
    assert_eq!(d.n_negative, 0);
    assert_eq!(d.t_ns, vec![10, 10, 20]);
    assert_eq!(d.side, vec![1, -1, 1]);
    // step (0, 10]: deepest buy 100.2 → 1.5, deepest sell 99.9 → 1.5; step (10, 20]: mid at 10 is
    // still 100.05 (the update at 12 comes later), buy 100.2 → 1.5
    assert!(d.depth_ticks.iter().all(|x| close(*x, 1.5)), "{:?}", d.depth_ticks);
    assert!(close(d.duration_s, 20e-9));
}

#[test]
fn arrival_depths_reject_bad_input() {
    let e = arrival_depths(&[2, 1], &[1.0, 1.0], &[1, 1], &[0], &[1.0], 0.1, 0).unwrap_err();
    assert_eq!(e.to_string(), "trade_t: times must be non-decreasing; index 1 (1 ns) is before the previous (2 ns)");
    let e = arrival_depths(&[1], &[1.0], &[1], &[0], &[f64::NAN], 0.1, 0).unwrap_err();
    assert_eq!(e.to_string(), "mid: value at index 0 is not a number > 0 (NaN)");
    assert!(arrival_depths(&[1], &[1.0], &[1], &[0], &[1.0], 0.0, 0).is_err());
    assert!(arrival_depths(&[1], &[1.0], &[1], &[0], &[1.0], 0.1, -1).is_err());
    assert!(arrival_depths(&[1], &[1.0, 2.0], &[1], &[0], &[1.0], 0.1, 0).is_err());
}
