use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::*;
use crate::stats::pairwise::population_std;

/// O(n²) KSG estimator 1 written straight from the paper's definitions (no tree, no binary search).
fn brute(x: &[f64], y: &[f64], k: usize) -> f64 {
    let n = x.len();
    let mut acc = 0.0;
    for i in 0..n {
        let mut d: Vec<f64> =
            (0..n).filter(|&j| j != i).map(|j| (x[j] - x[i]).abs().max((y[j] - y[i]).abs())).collect();
        d.sort_by(f64::total_cmp);
        let eps = d[k - 1];
        let nx = (0..n).filter(|&j| j != i && (x[j] - x[i]).abs() < eps).count();
        let ny = (0..n).filter(|&j| j != i && (y[j] - y[i]).abs() < eps).count();
        acc += digamma(nx as f64 + 1.0) + digamma(ny as f64 + 1.0);
    }
    digamma(n as f64) + digamma(k as f64) - acc / n as f64
}

fn gaussian_pair(n: usize, rho: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let a: f64 = StandardNormal.sample(&mut rng);
        let b: f64 = StandardNormal.sample(&mut rng);
        x.push(a);
        y.push(rho * a + (1.0 - rho * rho).sqrt() * b);
    }
    (x, y)
}

#[test]
fn matches_brute_force_definition() {
    for (n, rho, k) in [(300, 0.0, 3), (500, 0.7, 3), (400, -0.9, 5), (257, 0.3, 1)] {
        let (x, y) = gaussian_pair(n, rho, 11 + n as u64);
        let got = ksg_mi(&x, &y, k, false, false).unwrap();
        let want = brute(&x, &y, k);
        assert!((got.mi_nats.unwrap() - want).abs() < 1e-12, "n={n} rho={rho} k={k}: {:?} vs {want}", got.mi_nats);
        assert_eq!((got.n, got.ties_x, got.ties_y, got.constant), (n, 0, 0, false));
    }
}

#[test]
fn standardizing_is_dividing_by_population_std() {
    let (x, y) = gaussian_pair(400, 0.5, 3);
    let x3: Vec<f64> = x.iter().map(|v| v * 7.0 + 100.0).collect();
    let sx = population_std(&x3);
    let sy = population_std(&y);
    let xs: Vec<f64> = x3.iter().map(|v| v / sx).collect();
    let ys: Vec<f64> = y.iter().map(|v| v / sy).collect();
    let a = ksg_mi(&x3, &y, 3, true, false).unwrap().mi_nats.unwrap();
    assert!((a - brute(&xs, &ys, 3)).abs() < 1e-12);
    // without standardizing the max-norm sees the 7x wider x: a different (valid) estimate
    let b = ksg_mi(&x3, &y, 3, false, false).unwrap().mi_nats.unwrap();
    assert!((a - b).abs() > 1e-3, "{a} vs {b}");
}

#[test]
fn gaussian_pair_close_to_closed_form() {
    for rho in [0.0, 0.5, 0.9] {
        let (x, y) = gaussian_pair(20_000, rho, 5);
        let truth = -0.5 * (1.0 - rho * rho).ln();
        let got = ksg_mi(&x, &y, 3, true, false).unwrap().mi_nats.unwrap();
        assert!((got - truth).abs() < 0.02, "rho={rho}: {got} vs {truth}");
    }
}

#[test]
fn ties_and_constants_are_reported() {
    let x = [0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0];
    let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let e = ksg_mi(&x, &y, 2, true, false).unwrap();
    assert_eq!((e.ties_x, e.ties_y, e.constant), (3, 0, false));
    assert!(
        (e.mi_nats.unwrap() - {
            let sx = population_std(&x);
            let sy = population_std(&y);
            let xs: Vec<f64> = x.iter().map(|v| v / sx).collect();
            let ys: Vec<f64> = y.iter().map(|v| v / sy).collect();
            brute(&xs, &ys, 2)
        })
        .abs()
            < 1e-12
    );
    let c = [5.0; 8];
    let e = ksg_mi(&c, &y, 2, true, false).unwrap();
    assert_eq!((e.mi_nats, e.constant, e.ties_x), (Some(0.0), true, 7));
    let e = ksg_mi(&x, &y, 2, true, true).unwrap();
    assert_eq!((e.mi_nats, e.ties_x, e.ties_y), (None, 3, 0));
    assert_eq!(ksg_mi_shuffled(&y, &c, 2, true, 3, 1).unwrap(), vec![0.0; 3]);
}

#[test]
fn bad_input_is_an_error_with_a_message() {
    let msg = |r: Result<MiEstimate>| match r {
        Err(CoreError::InvalidInput(m)) => m,
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert_eq!(msg(ksg_mi(&[1.0, 2.0], &[1.0], 1, true, false)), "mutual information: x has 2 values but y has 1");
    assert_eq!(msg(ksg_mi(&[1.0, 2.0], &[1.0, 2.0], 0, true, false)), "mutual information: k must be at least 1");
    assert_eq!(
        msg(ksg_mi(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 3, true, false)),
        "mutual information: 3 pairs, need more than k = 3"
    );
    assert_eq!(
        msg(ksg_mi(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 3.0], 1, true, false)),
        "mutual information: y[1] = NaN is not finite"
    );
}

#[test]
fn shuffles_are_deterministic_and_centred_near_zero() {
    let (x, y) = gaussian_pair(3000, 0.8, 9);
    let a = ksg_mi_shuffled(&x, &y, 3, true, 8, 42).unwrap();
    let b = ksg_mi_shuffled(&x, &y, 3, true, 8, 42).unwrap();
    assert_eq!(a, b);
    let c = ksg_mi_shuffled(&x, &y, 3, true, 8, 43).unwrap();
    assert_ne!(a, c);
    let mean = a.iter().sum::<f64>() / a.len() as f64;
    let real = ksg_mi(&x, &y, 3, true, false).unwrap().mi_nats.unwrap();
    assert!(mean.abs() < 0.01, "null mean {mean}");
    assert!(real > 0.4, "dependent pair {real}");
}

#[test]
fn result_does_not_depend_on_thread_count() {
    let (x, y) = gaussian_pair(10_000, 0.4, 2);
    let a = ksg_mi(&x, &y, 3, true, false).unwrap().mi_nats.unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let b = pool.install(|| ksg_mi(&x, &y, 3, true, false).unwrap().mi_nats.unwrap());
    assert_eq!(a.to_bits(), b.to_bits());
}
