use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::*;
use crate::stats::pairwise::population_std;

/// O(n²) KSG estimator 1 written straight from the paper's definitions (no grid, no search), with
/// scikit-learn's counting radius: the marginal counts take |Δ| < ε, and |Δ| = 0 (exact duplicates)
/// when ε = 0 (its `query_radius` at `nextafter(ε, 0)` counts distances ≤ that radius).
fn brute(x: &[f64], y: &[f64], k: usize) -> f64 {
    let n = x.len();
    let mut acc = 0.0;
    for i in 0..n {
        let mut d: Vec<f64> =
            (0..n).filter(|&j| j != i).map(|j| (x[j] - x[i]).abs().max((y[j] - y[i]).abs())).collect();
        d.sort_by(f64::total_cmp);
        let eps = d[k - 1];
        let within = |v: &[f64], j: usize| if eps > 0.0 { (v[j] - v[i]).abs() < eps } else { v[j] == v[i] };
        let nx = (0..n).filter(|&j| j != i && within(x, j)).count();
        let ny = (0..n).filter(|&j| j != i && within(y, j)).count();
        acc += digamma(nx as f64 + 1.0) + digamma(ny as f64 + 1.0);
    }
    digamma(n as f64) + digamma(k as f64) - acc / n as f64
}

/// x and y divided by their population standard deviations (the estimator's standardising).
fn standardized(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (sx, sy) = (population_std(x), population_std(y));
    (x.iter().map(|v| v / sx).collect(), y.iter().map(|v| v / sy).collect())
}

/// Test data of a kind: `gauss` (ρ = 0.6), `lattice` (the same rounded to a grid of 0.5: heavy ties),
/// `coarse` (rounded to 2: a handful of values, most points with k duplicates), `dups` (each point
/// three times), `cauchy` (heavy tails, dependent: ratios of normals).
fn data(kind: &str, n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = gaussian_pair(n, 0.6, seed);
    let (c, _) = gaussian_pair(n, 0.0, seed + 1);
    match kind {
        "lattice" => {
            (a.iter().map(|v| (v * 2.0).round() / 2.0).collect(), b.iter().map(|v| (v * 2.0).round() / 2.0).collect())
        }
        "coarse" => {
            (a.iter().map(|v| (v / 2.0).round() * 2.0).collect(), b.iter().map(|v| (v / 2.0).round() * 2.0).collect())
        }
        "dups" => (
            a.iter().take(n / 3 + 1).flat_map(|&v| [v; 3]).take(n).collect(),
            b.iter().take(n / 3 + 1).flat_map(|&v| [v; 3]).take(n).collect(),
        ),
        "cauchy" => (
            a.iter().zip(&c).map(|(p, q)| p / q).collect(),
            b.iter().zip(&c).map(|(p, q)| p / q.abs().max(0.05).powf(1.5)).collect(),
        ),
        _ => (a, b),
    }
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

#[test]
fn ties_duplicates_and_heavy_tails_match_brute_force() {
    for kind in ["gauss", "lattice", "coarse", "dups", "cauchy"] {
        for (n, k) in [(600, 1), (600, 3), (900, 10), (700, 20)] {
            let (x, y) = data(kind, n, 40 + k as u64);
            let got = ksg_mi(&x, &y, k, false, false).unwrap().mi_nats.unwrap();
            let want = brute(&x, &y, k);
            assert!((got - want).abs() < 1e-12, "{kind} n={n} k={k}: {got} vs {want}");
            // standardised: the same estimate on the divided values
            let (xs, ys) = standardized(&x, &y);
            let got = ksg_mi(&x, &y, k, true, false).unwrap().mi_nats.unwrap();
            let want = brute(&xs, &ys, k);
            assert!((got - want).abs() < 1e-12, "{kind} standardised n={n} k={k}: {got} vs {want}");
        }
    }
}

#[test]
fn tie_counts_are_reported() {
    let (x, y) = data("dups", 900, 3);
    let e = ksg_mi(&x, &y, 3, true, true).unwrap();
    assert_eq!((e.mi_nats, e.ties_x, e.ties_y), (None, 600, 600));
}

#[test]
fn a_shuffle_is_the_estimate_on_the_permuted_pairs() {
    // the same permutations as `ksg_mi_shuffled` draws (ChaCha8 seeded, in order)
    for kind in ["gauss", "lattice", "cauchy"] {
        let (x, y) = data(kind, 3000, 7);
        let got = ksg_mi_shuffled(&x, &y, 4, true, 3, 99).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut perm: Vec<usize> = (0..x.len()).collect();
        for g in got {
            perm.shuffle(&mut rng);
            let yp: Vec<f64> = perm.iter().map(|&j| y[j]).collect();
            let want = ksg_mi(&x, &yp, 4, true, false).unwrap().mi_nats.unwrap();
            // equal up to the order of the sums (tied y values may be ranked differently)
            assert!((g - want).abs() < 1e-12, "{kind}: {g} vs {want}");
        }
    }
}
