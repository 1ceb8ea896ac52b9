//! Tests of the segmented forward pass ([`super::hmm_kernel`], [`super::hmm_lanes`], the AVX2 kernel):
//! against a log-space reference, against the sequential pass, the merge's fallback when the filter does
//! not forget, the SIMD kernel against the generic code bit for bit, and degenerate inputs.

#![allow(clippy::needless_range_loop)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::hmm::{GaussianHmm, OnlineFilter};
use super::hmm_fit::sample;
use super::hmm_forward::{Emission, KahanSum};
use super::hmm_kernel::{forward, segments_for, sequential, MATCH_TOL};
use super::hmm_lanes::{checkpoints, run, LaneModel, Segments, LANES};
use super::hmm_simd::{run_best, uses_fma};

/// A random K-state model over d features: sticky transitions, separated but overlapping states.
fn random_model(k: usize, d: usize, seed: u64) -> GaussianHmm {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut probs = |n: usize, boost: Option<usize>| {
        let mut p: Vec<f64> = (0..n).map(|_| rng.random::<f64>() + 0.05).collect();
        if let Some(i) = boost {
            p[i] += 3.0 * n as f64;
        }
        let s: f64 = p.iter().sum();
        p.iter().map(|v| v / s).collect::<Vec<f64>>()
    };
    let start = probs(k, None);
    let trans: Vec<f64> = (0..k).flat_map(|i| probs(k, Some(i))).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 1000);
    let means: Vec<f64> = (0..k * d).map(|i| (i / d) as f64 * 0.8 + rng.random::<f64>() * 0.5 + 3.0).collect();
    let variances: Vec<f64> = (0..k * d).map(|_| 0.2 + rng.random::<f64>() * 1.5).collect();
    GaussianHmm::new(start, trans, means, variances).unwrap()
}

/// The forward pass in log space, renormalised every step (ln L = compensated sum of the normalisers):
/// a straightforward implementation with `f64::exp` and `ln`, accurate to ~1e-14 relative.
fn log_space_reference(m: &GaussianHmm, x: &[f64]) -> (Vec<f64>, f64) {
    let (k, d) = (m.n_states(), m.n_features());
    let ln_b = |row: &[f64], j: usize| -> f64 {
        (0..d)
            .map(|c| {
                let v = m.variances()[j * d + c];
                -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (row[c] - m.means()[j * d + c]).powi(2) / v)
            })
            .sum()
    };
    let mut la = vec![0.0; k];
    let mut total = KahanSum::default();
    let mut probs = Vec::with_capacity(x.len() / d * k);
    for (t, row) in x.chunks_exact(d).enumerate() {
        let prev = la.clone();
        for j in 0..k {
            let prior = if t == 0 {
                m.startprob()[j].ln()
            } else {
                let terms: Vec<f64> = (0..k).map(|i| prev[i] + m.transmat()[i * k + j].ln()).collect();
                let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if top == f64::NEG_INFINITY {
                    top // unreachable state
                } else {
                    top + terms.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
                }
            };
            la[j] = prior + ln_b(row, j);
        }
        let top = la.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm = top + la.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
        total.add(norm);
        for v in la.iter_mut() {
            *v -= norm;
        }
        probs.extend(la.iter().map(|v| v.exp()));
    }
    (probs, total.value())
}

fn filter_with(m: &GaussianHmm, x: &[f64], threads: Option<usize>) -> (Vec<f64>, f64, Option<usize>) {
    let mut probs = vec![0.0; x.len() / m.n_features() * m.n_states()];
    let (ll, rerun) = forward(m, &Emission::new(m), x, Some(&mut probs), threads);
    (probs, ll, rerun)
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(u, v)| (u - v).abs()).fold(0.0, f64::max)
}

#[test]
fn segmented_pass_matches_the_log_space_reference() {
    for (k, d, n, seed) in [(4, 4, 200_000, 1), (2, 3, 120_000, 2), (5, 4, 60_000, 3), (3, 1, 9_000, 4)] {
        let m = random_model(k, d, seed);
        let (_, x) = sample(&m, n, seed);
        let (probs, ll, rerun) = filter_with(&m, &x, Some(2));
        let rerun = rerun.expect("the segmented pass ran");
        let (want_p, want_ll) = log_space_reference(&m, &x);
        assert!(((ll - want_ll) / want_ll).abs() < 1e-12, "K={k} d={d}: {ll} vs {want_ll}");
        assert!(max_abs_diff(&probs, &want_p) < 1e-10, "K={k} d={d}: {}", max_abs_diff(&probs, &want_p));
        // these models forget within the first checkpoints: the merge re-ran little
        let (count, _) = segments_for(n, 2);
        assert!(rerun <= count * 128, "K={k} d={d}: {rerun} rows re-run");
    }
}

#[test]
fn two_threads_one_thread_and_the_sequential_pass_agree() {
    let m = random_model(4, 4, 7);
    let (_, x) = sample(&m, 70_001, 8); // remainder rows after the equal segments
    let (p_seq, ll_seq, none) = filter_with(&m, &x[..4_000 * 4], None);
    assert!(none.is_none(), "below the threshold the sequential pass runs");
    let mut p = vec![0.0; 4_000 * 4];
    assert_eq!(sequential(&m, &Emission::new(&m), &x[..4_000 * 4], Some(&mut p)), ll_seq);
    assert_eq!(p, p_seq);

    let mut want = vec![0.0; x.len()];
    let ll = sequential(&m, &Emission::new(&m), &x, Some(&mut want));
    for threads in [1, 2] {
        let (probs, got, _) = filter_with(&m, &x, Some(threads));
        assert!(((got - ll) / ll).abs() < 1e-12, "{threads} threads: {got} vs {ll}");
        assert!(max_abs_diff(&probs, &want) < 1e-12, "{threads} threads");
    }
    // the log-likelihood alone is the same pass without the probabilities
    let (_, with_probs, _) = filter_with(&m, &x, Some(2));
    assert_eq!(forward(&m, &Emission::new(&m), &x, None, Some(2)).0, with_probs);
}

/// Nearly identical emissions and transitions that almost never switch: the belief about the state hardly
/// depends on the data, so runs from different starts do not meet at any checkpoint within a segment and
/// the merge re-runs every segment: the sequential pass.
#[test]
fn a_filter_that_forgets_slowly_falls_back_to_the_sequential_pass() {
    let trans = vec![0.9999, 0.0001, 0.0002, 0.9998];
    let m = GaussianHmm::new(vec![0.9, 0.1], trans, vec![0.0, 0.001], vec![1.0, 1.0]).unwrap();
    let (_, x) = sample(&m, 40_000, 5);
    let (probs, ll, rerun) = filter_with(&m, &x, Some(2));
    let (count, len) = segments_for(40_000, 2);
    assert_eq!(rerun, Some((count - 1) * len), "every segment but the first (exact start) is re-run");
    let mut want = vec![0.0; x.len() * 2];
    let want_ll = sequential(&m, &Emission::new(&m), &x, Some(&mut want));
    assert!(((ll - want_ll) / want_ll).abs() < 1e-12);
    assert!(max_abs_diff(&probs, &want) < 1e-12);

    // two indistinguishable states that never switch: the belief is the start probabilities forever
    let m = GaussianHmm::new(vec![0.7, 0.3], vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
    let (_, x) = sample(&m, 20_000, 6);
    let (probs, ll, rerun) = filter_with(&m, &x, Some(1));
    assert_eq!(rerun, Some(20_000 - 20_000 / LANES));
    let (want_p, want_ll) = log_space_reference(&m, &x);
    assert!(((ll - want_ll) / want_ll).abs() < 1e-12);
    assert!(max_abs_diff(&probs, &want_p) < 1e-10);
    assert!(probs.chunks(2).all(|p| (p[0] - 0.7).abs() < 1e-12));
}

#[test]
fn segmented_filter_is_causal_and_close_to_the_online_filter() {
    let m = random_model(4, 4, 9);
    let (_, x) = sample(&m, 20_000, 10);
    let (probs, ll, rerun) = filter_with(&m, &x, None);
    assert!(rerun.is_some());
    let mut f = OnlineFilter::new(m.clone());
    let online = f.update_many(&x).unwrap();
    assert!(max_abs_diff(&probs, &online) < 10.0 * MATCH_TOL);
    assert!(((f.loglik() - ll) / ll).abs() < 1e-12);
    // rewriting everything after row 12 345 leaves rows 0..12 345 bit-identical
    let mut y = x.clone();
    for v in &mut y[12_345 * 4..] {
        *v = -*v * 3.0 + 7.0;
    }
    let (probs2, _, _) = filter_with(&m, &y, None);
    assert_eq!(&probs[..12_345 * 4], &probs2[..12_345 * 4]);
    assert_ne!(&probs[12_345 * 4..], &probs2[12_345 * 4..]);
}

/// The dispatched kernel (AVX2 + FMA on this CPU) gives the same bits as the generic code with fused
/// multiply-adds, on data that also takes the rare paths (an underflowing step, a zero-density row).
#[test]
fn simd_kernel_equals_the_generic_code_bit_for_bit() {
    fn check<const K: usize, const D: usize>(m: &GaussianHmm, seed: u64, edits: &[(usize, f64)]) {
        let len = 700;
        let (_, mut x) = sample(m, LANES * len, seed);
        for &(i, v) in edits {
            x[i] = v;
        }
        let em = Emission::new(m);
        let lm = LaneModel::<K, D>::new(m.transmat(), m.means(), m.variances());
        let mut start = [[1.0 / K as f64; LANES]; K];
        for j in 0..K {
            start[j][0] = m.startprob()[j];
        }
        let seg = Segments::<K> { x: &x, len, start };
        let mut p_best = vec![0.0; LANES * len * K];
        let mut p_gen = vec![0.0; LANES * len * K];
        let best = run_best(&lm, &em, &seg, Some(&mut p_best));
        let generic = if uses_fma() {
            run::<K, D, true>(&lm, &em, &seg, Some(&mut p_gen))
        } else {
            run::<K, D, false>(&lm, &em, &seg, Some(&mut p_gen))
        };
        assert_eq!(best.len(), checkpoints(len).len());
        assert_eq!(best, generic, "K={K} d={D}");
        assert!(p_best.iter().zip(&p_gen).all(|(a, b)| a.to_bits() == b.to_bits()), "K={K} d={D}");
        assert_eq!(run_best(&lm, &em, &seg, None), best);
        // the unfused generic code (x86-64 without FMA) differs by rounding only
        let mut p_plain = vec![0.0; LANES * len * K];
        let plain = run::<K, D, false>(&lm, &em, &seg, Some(&mut p_plain));
        assert!(max_abs_diff(&p_plain, &p_best) < 1e-12, "K={K} d={D}");
        for (a, b) in plain[plain.len() - 1].iter().zip(&best[best.len() - 1]) {
            let ll = |s: &super::hmm_lanes::Snapshot<K>| {
                s.shift_hi + s.shift_lo + s.e2 as f64 * std::f64::consts::LN_2 + s.sum.ln()
            };
            assert!(a.zero == b.zero && (a.zero || (ll(a) - ll(b)).abs() < 1e-9), "K={K} d={D}");
        }
        let end = best[best.len() - 1];
        for s in 0..LANES {
            let zero_row = edits.iter().any(|&(i, v)| v > 1e100 && i / D / len == s);
            assert_eq!(end[s].zero, zero_row, "lane {s}");
            assert!(end[s].shift_hi.is_finite() && end[s].sum > 0.0);
        }
    }
    let len = 700;
    // an outlier, and a row with zero density in every state (lane 5)
    check::<4, 4>(&random_model(4, 4, 11), 11, &[((3 * len + 100) * 4, 40.0), ((5 * len + 200) * 4, 1e200)]);
    check::<3, 2>(&random_model(3, 2, 12), 12, &[((5 * len + 9) * 2 + 1, 1e200)]);
    check::<5, 4>(&random_model(5, 4, 13), 13, &[]);
    check::<6, 4>(&random_model(6, 4, 14), 14, &[]);
    // state 1 unreachable from lane 0's exact start: x = 1000 underflows the scaled step (log-space step)
    let m = GaussianHmm::new(vec![1.0, 0.0], vec![1.0, 0.0, 0.5, 0.5], vec![0.0, 1000.0], vec![1.0, 1.0]).unwrap();
    check::<2, 1>(&m, 15, &[(300, 1000.0), (4 * len + 5, 1000.0)]);
}

#[test]
fn degenerate_inputs() {
    let m = random_model(4, 4, 15);
    // an extreme outlier and a zero-density row inside a long sequence: as the sequential pass
    let (_, mut x) = sample(&m, 30_000, 16);
    x[17_000 * 4 + 2] = 60.0;
    let (probs, ll, _) = filter_with(&m, &x, Some(2));
    let mut want = vec![0.0; x.len()];
    let want_ll = sequential(&m, &Emission::new(&m), &x, Some(&mut want));
    assert!(ll.is_finite() && ((ll - want_ll) / want_ll).abs() < 1e-12);
    assert!(max_abs_diff(&probs, &want) < 1e-12);
    x[23_456 * 4 + 1] = 1e200;
    let (probs, ll, _) = filter_with(&m, &x, Some(2));
    let want_ll = sequential(&m, &Emission::new(&m), &x, Some(&mut want));
    assert_eq!((ll, want_ll), (f64::NEG_INFINITY, f64::NEG_INFINITY));
    assert!(max_abs_diff(&probs, &want) < 1e-12);
    // an observation explained only by a state the exact start makes unreachable: the log-space step
    let m2 = GaussianHmm::new(vec![1.0, 0.0], vec![1.0, 0.0, 0.5, 0.5], vec![0.0, 1000.0], vec![1.0, 1.0]).unwrap();
    let (_, mut y) = sample(&m2, 10_000, 18);
    y[700] = 1000.0;
    let (p2, ll2, _) = filter_with(&m2, &y, Some(1));
    let mut want2 = vec![0.0; 20_000];
    let want_ll2 = sequential(&m2, &Emission::new(&m2), &y, Some(&mut want2));
    assert!(ll2.is_finite() && ((ll2 - want_ll2) / want_ll2).abs() < 1e-12, "{ll2} vs {want_ll2}");
    assert!(max_abs_diff(&p2, &want2) < 1e-12);
    assert_eq!(&p2[1400..1402], &[1.0, 0.0], "the only explanation is impossible: the belief stays");
    // the output buffer must be n×K
    let e = m.filter_into(&x[..8], &mut [0.0; 3]).unwrap_err();
    assert_eq!(e.to_string(), "probabilities: 3 values for 2 rows of 4 states (need 8)");
    // a non-finite value is reported, whichever path runs
    x[23_456 * 4 + 1] = f64::NAN;
    assert!(m.filter(&x).is_err() && m.loglik(&x).is_err());
    // sizes around the threshold of the segmented pass, and sparse transitions (exact zeros)
    let m = GaussianHmm::new(
        vec![1.0, 0.0, 0.0],
        vec![0.9, 0.1, 0.0, 0.0, 0.9, 0.1, 0.1, 0.0, 0.9],
        vec![0.0, 2.0, 4.0],
        vec![1.0, 1.0, 1.0],
    )
    .unwrap();
    let (_, x) = sample(&m, 9_000, 17);
    for n in [LANES * 512 - 1, LANES * 512, LANES * 512 + 7, 9_000] {
        let (probs, ll, _) = filter_with(&m, &x[..n], Some(1));
        let (want_p, want_ll) = log_space_reference(&m, &x[..n]);
        assert!(((ll - want_ll) / want_ll).abs() < 1e-12, "n = {n}: {ll} vs {want_ll}");
        assert!(max_abs_diff(&probs, &want_p) < 1e-10, "n = {n}");
    }
}
