use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

#[test]
fn hand_computed_two_bins() {
    // bin 0: p = 0.1, 0.3 (y = 0, 1); bin 1: p = 0.6, 0.8, 0.8 (y = 1, 1, 0); edge 0.5
    let p = [0.1, 0.3, 0.6, 0.8, 0.8];
    let y = [0.0, 1.0, 1.0, 1.0, 0.0];
    let d = binned_decomposition(&p, &y, &[0.5]).unwrap();
    let bs = (0.01 + 0.49 + 0.16 + 0.04 + 0.64) / 5.0;
    assert!((d.brier - bs).abs() < 1e-15);
    // p̄ = 0.2, 2.2/3; ō = 0.5, 2/3; ō = 0.6
    let (p1, o1) = (2.2 / 3.0, 2.0 / 3.0);
    let rel = (2.0 * 0.09 + 3.0 * (p1 - o1) * (p1 - o1)) / 5.0;
    let res = (2.0 * 0.01 + 3.0 * (o1 - 0.6) * (o1 - 0.6)) / 5.0;
    assert!((d.reliability - rel).abs() < 1e-15);
    assert!((d.resolution - res).abs() < 1e-15);
    assert!((d.uncertainty - 0.24).abs() < 1e-15);
    assert_eq!(d.bins.len(), 2);
    assert_eq!((d.bins[0].count, d.bins[1].count), (2, 3));
    assert_eq!((d.bins[1].p_min, d.bins[1].p_max), (0.6, 0.8));
    let sum = d.reliability - d.resolution + d.uncertainty + d.within_bin_variance - 2.0 * d.within_bin_covariance;
    assert!((d.brier - sum).abs() < 1e-15);
}

#[test]
fn forecast_on_an_edge_goes_to_the_lower_bin() {
    let d = binned_decomposition(&[0.2, 0.5, 0.7], &[0.0, 1.0, 1.0], &[0.5]).unwrap();
    assert_eq!(d.bins.iter().map(|b| b.count).collect::<Vec<_>>(), vec![2, 1]);
}

#[test]
fn decomposition_is_exact_on_random_forecasts() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let n = 10_000;
    let p: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let y: Vec<f64> = p.iter().map(|&q| f64::from(u8::from(rng.random::<f64>() < q * q))).collect();
    for edges in [vec![], vec![0.25, 0.5, 0.75], (1..20).map(|i| f64::from(i) / 20.0).collect()] {
        let d = binned_decomposition(&p, &y, &edges).unwrap();
        let sum = d.reliability - d.resolution + d.uncertainty + d.within_bin_variance - 2.0 * d.within_bin_covariance;
        assert!((d.brier - sum).abs() < 1e-14, "{} vs {sum}", d.brier);
        assert!(d.resolution <= d.uncertainty + 1e-15);
        assert!((d.brier - brier_score(&p, &y).unwrap()).abs() < 1e-15);
    }
}

/// Brute-force isotonic fit: the minimum of Σ (f_i − y_i)² over non-decreasing step functions of p,
/// via the min-max formula f(x_i) = max_{a ≤ i} min_{b ≥ i} mean(y over unique forecasts a..b).
fn isotonic_minmax(p: &[f64], y: &[f64]) -> Vec<f64> {
    let mut u: Vec<f64> = p.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup();
    let sums: Vec<(f64, f64)> = u
        .iter()
        .map(|&v| {
            let (mut s, mut w) = (0.0, 0.0);
            for (a, b) in p.iter().zip(y) {
                if *a == v {
                    s += b;
                    w += 1.0;
                }
            }
            (s, w)
        })
        .collect();
    let m = u.len();
    let fit: Vec<f64> = (0..m)
        .map(|i| {
            (0..=i)
                .map(|a| {
                    (i..m)
                        .map(|b| {
                            let (s, w) = sums[a..=b].iter().fold((0.0, 0.0), |acc, e| (acc.0 + e.0, acc.1 + e.1));
                            s / w
                        })
                        .fold(f64::INFINITY, f64::min)
                })
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    p.iter().map(|v| fit[u.iter().position(|e| e == v).unwrap()]).collect()
}

#[test]
fn pav_matches_the_min_max_formula_with_ties() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..20 {
        let n = 60;
        // forecasts on a coarse grid: many ties
        let p: Vec<f64> = (0..n).map(|_| f64::from(rng.random_range(0..12u8)) / 11.0).collect();
        let y: Vec<f64> = p.iter().map(|&q| f64::from(u8::from(rng.random::<f64>() < q))).collect();
        let got = isotonic_recalibrate(&p, &y).unwrap();
        let want = isotonic_minmax(&p, &y);
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
}

#[test]
fn corp_identity_and_signs() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 5000;
    let p: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    // outcomes from a distorted truth: forecasts are informative but miscalibrated
    let y: Vec<f64> = p.iter().map(|&q| f64::from(u8::from(rng.random::<f64>() < q.sqrt()))).collect();
    let (c, rec) = corp_decomposition(&p, &y).unwrap();
    assert!((c.brier - (c.mcb - c.dsc + c.unc)).abs() < 1e-15);
    assert!(c.mcb > 0.0 && c.dsc > 0.0);
    assert!(rec.len() == n && rec.iter().all(|v| (0.0..=1.0).contains(v)));
    // recalibrated forecasts are calibrated: their own MCB is zero
    let (c2, _) = corp_decomposition(&rec, &y).unwrap();
    assert!(c2.mcb.abs() < 1e-15, "{}", c2.mcb);
    assert!((c2.dsc - c.dsc).abs() < 1e-15);
}

#[test]
fn bad_forecasts_are_errors() {
    let msg = |r: Result<f64>| match r {
        Err(CoreError::InvalidInput(m)) => m,
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert_eq!(
        msg(brier_score(&[0.5, 1.2], &[0.0, 1.0])),
        "calibration: forecast p[1] = 1.2 is not a probability in [0, 1]"
    );
    assert_eq!(
        msg(brier_score(&[0.5, f64::NAN], &[0.0, 1.0])),
        "calibration: forecast p[1] = NaN is not a probability in [0, 1]"
    );
    assert_eq!(msg(brier_score(&[0.5, 0.5], &[0.0, 2.0])), "calibration: outcome y[1] = 2 is not 0 or 1");
    assert_eq!(msg(brier_score(&[], &[])), "calibration: no forecasts");
    assert_eq!(msg(brier_score(&[0.5], &[0.0, 1.0])), "calibration: 1 forecasts but 2 outcomes");
    assert!(binned_decomposition(&[0.5], &[1.0], &[0.6, 0.4]).is_err());
}
