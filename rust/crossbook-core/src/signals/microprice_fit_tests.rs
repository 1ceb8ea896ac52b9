//! Tests of the micro-price fit on a synthetic Markov chain whose adjustment is known.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const N_IMB: usize = 6;
const P_MOVE: f64 = 0.3;
const P_FLIP: f64 = 0.1;

/// Probability that the mid moves up (given it moves) in bucket b with spread s (1 or 2): linear in
/// imbalance, steeper for the wider spread, antisymmetric around I = 0.5.
fn up_prob(b: usize, s: usize, slope: [f64; 2]) -> f64 {
    0.5 + slope[s - 1] * (b as f64 + 0.5 - N_IMB as f64 / 2.0) / N_IMB as f64
}

fn walk(b: usize, b2: usize) -> f64 {
    let mut p = 0.0;
    for d in [-1i64, 0, 1] {
        let to = (b as i64 + d).clamp(0, N_IMB as i64 - 1) as usize;
        if to == b2 {
            p += 1.0 / 3.0;
        }
    }
    p
}

/// The chain, sampled every step: (mid, spread, imbalance); mid moves ±1 tick.
fn simulate(steps: usize, tick: f64, slope: [f64; 2], seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut b, mut s, mut mid) = (N_IMB / 2, 1usize, 1000.0);
    let (mut m, mut sp, mut im) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..steps {
        m.push(mid);
        sp.push(s as f64 * tick);
        im.push((b as f64 + rng.random::<f64>()) / N_IMB as f64);
        let s_next = if rng.random::<f64>() < P_FLIP { 3 - s } else { s };
        if rng.random::<f64>() < P_MOVE {
            mid += if rng.random::<f64>() < up_prob(b, s, slope) { tick } else { -tick };
            b = rng.random_range(0..N_IMB);
        } else {
            let d: i64 = rng.random_range(-1..=1);
            b = (b as i64 + d).clamp(0, N_IMB as i64 - 1) as usize;
        }
        s = s_next;
    }
    (m, sp, im)
}

/// The true G* of the chain by fixed-point iteration (independent of the LU solve):
/// G1 = RK + Q G1, B = T + Q B, G* = Σ Bᵏ G1.
fn truth(slope: [f64; 2]) -> Vec<f64> {
    let n = 2 * N_IMB;
    let flip = |s: usize, s2: usize| if s == s2 { 1.0 - P_FLIP } else { P_FLIP };
    let st = |x: usize| (x / N_IMB + 1, x % N_IMB);
    let mut q = vec![0.0; n * n];
    let mut t = vec![0.0; n * n];
    let mut rk = vec![0.0; n];
    for x in 0..n {
        let (s, b) = st(x);
        rk[x] = P_MOVE * (2.0 * up_prob(b, s, slope) - 1.0);
        for y in 0..n {
            let (s2, b2) = st(y);
            q[x * n + y] = (1.0 - P_MOVE) * walk(b, b2) * flip(s, s2);
            t[x * n + y] = P_MOVE / N_IMB as f64 * flip(s, s2);
        }
    }
    let mut g1 = vec![0.0; n];
    let mut bm = vec![0.0; n * n];
    for _ in 0..2000 {
        let mut ng = rk.clone();
        let mut nb = t.clone();
        for x in 0..n {
            for z in 0..n {
                ng[x] += q[x * n + z] * g1[z];
                for y in 0..n {
                    nb[x * n + y] += q[x * n + z] * bm[z * n + y];
                }
            }
        }
        g1 = ng;
        bm = nb;
    }
    let (mut g, mut term) = (g1.clone(), g1);
    for _ in 0..200 {
        let mut next = vec![0.0; n];
        mat_vec(&bm, &term, &mut next);
        term = next;
        g.iter_mut().zip(&term).for_each(|(a, b)| *a += b);
    }
    g
}

fn cfg() -> MicropriceConfig {
    MicropriceConfig { n_imb: N_IMB, ..MicropriceConfig::default() }
}

#[test]
fn recovers_the_known_adjustment() {
    let slope = [0.6, 1.0];
    let tick = 0.5;
    let (m, s, i) = simulate(400_000, tick, slope, 7);
    let model = MicropriceModel::fit(&m, &s, &i, tick, &cfg()).unwrap();
    let want = truth(slope);
    let g = model.table();
    assert_eq!(model.n_transitions(), 399_999);
    assert_eq!(model.n_dropped(), 0);
    for x in 0..g.len() {
        assert!((g[x] - want[x]).abs() < 0.03, "state {x}: fitted {} true {}", g[x], want[x]);
    }
    for sp in 0..2 {
        let row = &g[sp * N_IMB..(sp + 1) * N_IMB];
        // right sign and monotonic in imbalance
        assert!(row.windows(2).all(|w| w[1] > w[0]), "{row:?}");
        assert!(row[0] < -0.1 && row[N_IMB - 1] > 0.1, "{row:?}");
        // symmetrised: g(b) = −g(n−1−b)
        for b in 0..N_IMB {
            assert!((row[b] + row[N_IMB - 1 - b]).abs() < 1e-12, "{row:?}");
        }
    }
    // the wider spread has the stronger drift here
    assert!(g[2 * N_IMB - 1] > g[N_IMB - 1]);
    // O(1) lookup: g(0.5) = 0, g(I) = −g(1 − I), price units = ticks × tick
    for s in [1.0, 2.0] {
        assert!(model.adjust_ticks(0.5, s).abs() < 1e-12);
        for k in 0..=20 {
            let x = f64::from(k) / 20.0;
            assert!((model.adjust_ticks(x, s) + model.adjust_ticks(1.0 - x, s)).abs() < 1e-12);
        }
    }
    assert!((model.adjust(0.9, 1.0) - tick * model.adjust_ticks(0.9, 1.0)).abs() < 1e-15);
    let micro = model.micro_price(100.0, 9.0, 100.5, 1.0);
    assert!(micro > 100.25 && micro < 100.5, "{micro}");
}

#[test]
fn unsymmetrised_drift_needs_truncation() {
    // up moves always more likely: the chain drifts, Σ Bᵏ G1 diverges
    let (m, s, i) = simulate(50_000, 1.0, [0.0, 0.0], 3);
    let drift: Vec<f64> = m.iter().enumerate().map(|(k, x)| x + 0.2 * k as f64).collect();
    let m2: Vec<f64> = drift.iter().map(|x| x.round()).collect();
    let raw = MicropriceConfig { symmetrise: false, ..cfg() };
    let e = MicropriceModel::fit(&m2, &s, &i, 1.0, &raw).unwrap_err();
    assert!(e.to_string().contains("did not converge"), "{e}");
    let six = MicropriceModel::fit(&m2, &s, &i, 1.0, &MicropriceConfig { n_terms: 6, ..raw }).unwrap();
    assert_eq!(six.terms(), 6);
    assert!(!six.symmetrised());
    // symmetrised, the same data converges
    let sym = MicropriceModel::fit(&m2, &s, &i, 1.0, &cfg()).unwrap();
    assert!(sym.terms() > 1 && sym.symmetrised());
}

#[test]
fn bad_and_degenerate_samples() {
    let n = 100;
    let flat = vec![100.0; n];
    let sp = vec![1.0; n];
    let im: Vec<f64> = (0..n).map(|k| (k % 10) as f64 / 10.0 + 0.05).collect();
    let e = MicropriceModel::fit(&flat, &sp, &im, 1.0, &cfg()).unwrap_err();
    assert!(e.to_string().contains("without a mid move"), "{e}");
    let e = MicropriceModel::fit(&flat, &vec![1.5; n], &im, 1.0, &cfg()).unwrap_err();
    assert_eq!(e.to_string(), "sample 0: spread 1.5 is not a multiple of the tick 1");
    let e = MicropriceModel::fit(&flat, &vec![5.0; n], &im, 1.0, &cfg()).unwrap_err();
    assert!(e.to_string().contains("no usable transition among 100 samples"), "{e}");
    let mut bad = im.clone();
    bad[3] = 1.5;
    assert!(MicropriceModel::fit(&flat, &sp, &bad, 1.0, &cfg()).is_err());
    let jumpy: Vec<f64> = (0..n).map(|k| 100.0 + 3.0 * (k % 2) as f64).collect();
    let e = MicropriceModel::fit(&jumpy, &sp, &im, 1.0, &cfg()).unwrap_err();
    assert!(e.to_string().contains("no usable transition"), "{e}");
    assert!(MicropriceModel::fit(&[], &[], &[], 1.0, &cfg()).is_err());
}

#[test]
fn fit_from_bbo_samples_the_grid() {
    let tick = 0.5;
    let (m, s, i) = simulate(20_000, tick, [0.8, 0.8], 11);
    // one BBO update per step at irregular times inside each 100 ns step, some steps with two updates
    let (mut t, mut bid, mut bq, mut ask, mut aq) = (vec![], vec![], vec![], vec![], vec![]);
    for k in 0..m.len() {
        let base = 100 * k as i64;
        for (off, dup) in [(1 + (k as i64 * 37) % 90, false), (95, k % 3 == 0)] {
            if off == 95 && !dup {
                continue;
            }
            t.push(base + off);
            bid.push(m[k] - s[k] / 2.0);
            ask.push(m[k] + s[k] / 2.0);
            bq.push(i[k] * 10.0);
            aq.push((1.0 - i[k]) * 10.0);
        }
    }
    let from_bbo = MicropriceModel::fit_bbo(&t, &bid, &bq, &ask, &aq, tick, 100, &cfg()).unwrap();
    // grid points 100, 200, … see the state of the previous step
    let direct = MicropriceModel::fit(&m[..m.len() - 1], &s[..s.len() - 1], &i[..i.len() - 1], tick, &cfg()).unwrap();
    assert_eq!(from_bbo.n_transitions(), direct.n_transitions());
    for (a, b) in from_bbo.table().iter().zip(direct.table()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    let e = MicropriceModel::fit_bbo(&[2, 1], &[1.0; 2], &[1.0; 2], &[2.0; 2], &[1.0; 2], 1.0, 1, &cfg()).unwrap_err();
    assert!(e.to_string().contains("non-decreasing"), "{e}");
    assert!(MicropriceModel::fit_bbo(&[1], &[1.0], &[-1.0], &[2.0], &[1.0], 1.0, 1, &cfg()).is_err());
}
