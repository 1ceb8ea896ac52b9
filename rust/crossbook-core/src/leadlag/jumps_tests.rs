//! Tests of jump pairing (kept apart to keep jumps.rs readable).
use super::*;
use rand::{Rng, SeedableRng};

const MS: i64 = 1_000_000;

/// Prices from (time ms, log return) steps starting at 100.
fn path(steps: &[(i64, f64)]) -> (Vec<i64>, Vec<f64>) {
    let mut lp = 100f64.ln();
    let mut t = Vec::new();
    let mut p = Vec::new();
    for &(ms, r) in steps {
        lp += r;
        t.push(ms * MS);
        p.push(lp.exp());
    }
    (t, p)
}

fn params(threshold: f64, window_ms: i64, grid_ms: Option<i64>, span: usize) -> JumpParams {
    JumpParams {
        threshold,
        window_ns: window_ms * MS,
        grid_ns: grid_ms.map(|g| g * MS),
        span,
        shifts_ns: None,
        n_shifts: 20,
    }
}

#[test]
fn hand_built_pairing() {
    // threshold 5 bps, W = 100 ms; 1 bp moves are not jumps
    let (ta, pa) = path(&[
        (0, 0.0),
        (10, 8e-4),   // A up: echoed by B at 90
        (150, 1e-4),  // small
        (300, -2e-3), // A down: echoed by B at 380
        (500, 6e-4),  // A up: nothing follows (noise)
        (1030, 7e-4), // A up 30 ms after B's up at 1000: B leads
        (2000, 1e-4),
    ]);
    let (tb, pb) = path(&[
        (0, 0.0),
        (90, 8e-4),
        (380, -2e-3),
        (450, -1e-4),
        (700, -9e-4), // B down: noise
        (1000, 5e-4), // exactly the threshold counts
        (2000, 0.0),
    ]);
    let st = jump_study(&ta, &pa, &tb, &pb, &params(5e-4, 100, None, 1)).unwrap();
    let s = st.summary;
    assert_eq!((s.jumps_a, s.jumps_b), (4, 4));
    assert_eq!(st.a.t, vec![10 * MS, 300 * MS, 500 * MS, 1030 * MS]);
    assert_eq!(st.a.sign, vec![1, -1, 1, 1]);
    assert_eq!((s.paired, s.a_leads_b, s.b_leads_a, s.simultaneous), (3, 2, 1, 0));
    assert_eq!((s.noise_a, s.noise_b), (1, 1));
    assert_eq!(st.pairing.a_partner, vec![0, 1, -1, 3]);
    assert_eq!(st.pairing.b_partner, vec![0, 1, -1, 3]);
    assert!((s.a_leads_median_ns - 80e6).abs() < 1.0);
    assert!((s.a_leads_mean_ns - 80e6).abs() < 1.0);
    assert!((s.b_leads_median_ns - 30e6).abs() < 1.0);
}

fn jumps(t: &[i64], sign: &[i8]) -> Jumps {
    Jumps { t: t.to_vec(), sign: sign.to_vec(), ret: sign.iter().map(|&s| f64::from(s) * 1e-3).collect() }
}

#[test]
fn fifo_each_jump_once_sign_window_and_ties() {
    // two leaders inside one window: first in, first out recovers the constant delay
    let p = pair_jumps(&jumps(&[0, 10], &[1, 1]), &jumps(&[80, 90], &[1, 1]), 100);
    assert_eq!((p.a_partner.clone(), p.b_partner.clone()), (vec![0, 1], vec![0, 1]));
    // one leader, two candidate followers: the first follower takes it, the second is noise
    let p = pair_jumps(&jumps(&[0], &[1]), &jumps(&[50, 60], &[1, 1]), 100);
    assert_eq!(p.b_partner, vec![0, -1]);
    // opposite signs never pair
    let p = pair_jumps(&jumps(&[0], &[1]), &jumps(&[50], &[-1]), 100);
    assert_eq!(p.a_partner, vec![-1]);
    // the window is inclusive: delay W pairs, W + 1 does not
    let p = pair_jumps(&jumps(&[0, 1000], &[1, -1]), &jumps(&[100, 1101], &[1, -1]), 100);
    assert_eq!(p.a_partner, vec![0, -1]);
    // equal times: a simultaneous pair, neither leads
    let (a, b) = (jumps(&[5], &[-1]), jumps(&[5], &[-1]));
    let s = summarize(&a, &b, &pair_jumps(&a, &b, 100));
    assert_eq!((s.paired, s.simultaneous, s.a_leads_b, s.b_leads_a), (1, 1, 0, 0));
    assert!(s.a_leads_median_ns.is_nan());
    // a jump that followed cannot lead: B@50 follows A@0, so A@120 finds no open B jump
    let p = pair_jumps(&jumps(&[0, 120], &[1, 1]), &jumps(&[50], &[1]), 100);
    assert_eq!(p.a_partner, vec![0, -1]);
}

#[test]
fn grid_span_one_equals_native_when_ticks_fall_on_the_grid() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mk = |rng: &mut rand_chacha::ChaCha8Rng| {
        let mut steps = vec![(0i64, 0.0)];
        let mut t = 0;
        for _ in 0..3000 {
            t += rng.random_range(1..20);
            steps.push((t, rng.random_range(-1e-3..1e-3)));
        }
        path(&steps)
    };
    let (ta, pa) = mk(&mut rng);
    let (tb, pb) = mk(&mut rng);
    let native = jump_study(&ta, &pa, &tb, &pb, &params(5e-4, 5, None, 1)).unwrap();
    let grid = jump_study(&ta, &pa, &tb, &pb, &params(5e-4, 5, Some(1), 1)).unwrap();
    assert!(native.summary.jumps_a > 500 && native.summary.paired > 50);
    assert_eq!(native.a, grid.a);
    assert_eq!(native.b, grid.b);
    assert_eq!(native.pairing, grid.pairing);
}

#[test]
fn grid_span_three_counts_one_move_once_and_merges_a_cell() {
    // two +4 bp ticks inside one 10 ms cell (53, 57 ms) make one +8 bp grid move at 60 ms
    let (t, p) = path(&[(0, 0.0), (53, 4e-4), (57, 4e-4), (90, 0.0)]);
    let s = log_ticks("a", &t, &p).unwrap();
    assert_eq!(native_jumps(&s, 5e-4).len(), 0);
    let g1 = grid_jumps(&s, 10 * MS, 1, 5e-4);
    assert_eq!(g1.t, vec![60 * MS]);
    assert!((g1.ret[0] - 8e-4).abs() < 1e-12);
    // over 3 steps the move is visible at 60, 70 and 80 ms: one jump, at 60 ms
    let g3 = grid_jumps(&s, 10 * MS, 3, 5e-4);
    assert_eq!(g3.t, vec![60 * MS]);
    // 3 bp ticks at 10, 11, 12 ms on a 1 ms grid: no single step reaches 5 bp, three steps
    // do at 11 ms (6 bp), 12 ms (9 bp) and 13 ms (6 bp): one jump, at 11 ms
    let (t, p) = path(&[(0, 0.0), (10, 3e-4), (11, 3e-4), (12, 3e-4), (20, 0.0)]);
    let s = log_ticks("a", &t, &p).unwrap();
    assert_eq!(grid_jumps(&s, MS, 1, 5e-4).len(), 0);
    let g3 = grid_jumps(&s, MS, 3, 5e-4);
    assert_eq!(g3.t, vec![11 * MS]);
    assert!((g3.ret[0] - 6e-4).abs() < 1e-12);
}

/// Leader with Poisson-ish jumps; follower copies each with `delay` ms when `copy`,
/// both with independent noise jumps.
fn copied(seed: u64, copy: bool, delay: i64) -> (Vec<i64>, Vec<f64>, Vec<i64>, Vec<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut a = vec![(0i64, 0.0)];
    let mut b = vec![(0i64, 0.0)];
    let mut t = 0;
    for _ in 0..400 {
        t += rng.random_range(300..3000);
        let r = if rng.random_bool(0.5) { 1e-3 } else { -1e-3 };
        a.push((t, r));
        if copy {
            b.push((t + delay, r));
        }
        let tn = t + rng.random_range(100..150); // ≥ 150 ms before the next A jump
        a.push((tn + 1, 1e-5));
        b.push((tn, if rng.random_bool(0.5) { 2e-3 } else { -2e-3 }));
    }
    b.sort_by_key(|x| x.0);
    let (ta, pa) = path(&a);
    let (tb, pb) = path(&b);
    (ta, pa, tb, pb)
}

#[test]
fn chance_baseline() {
    let (ta, pa, tb, pb) = copied(1, true, 80);
    let st = jump_study(&ta, &pa, &tb, &pb, &params(5e-4, 100, None, 1)).unwrap();
    assert_eq!(st.summary.jumps_a, 400);
    assert_eq!(st.summary.a_leads_b, 400);
    assert_eq!(st.summary.noise_b, 400);
    assert!((st.summary.a_leads_median_ns - 80e6).abs() < 1.0);
    assert_eq!(st.shifts_ns.len(), 20);
    assert!(st.shifts_ns.iter().all(|&d| d >= 1000 * MS));
    #[allow(clippy::cast_precision_loss)]
    let mean = st.baseline.iter().map(|s| s.paired as f64).sum::<f64>() / 20.0;
    // Poisson guess: 400 A jumps × (800 B jumps / ~660 s) × 0.2 s (±W) × ½ (sign) ≈ 48;
    // observed 38 (A jumps are spaced ≥ 300 ms apart): coincidences, ≪ the 400 true pairs
    assert!((15.0..60.0).contains(&mean), "chance pairs {mean}");
    let (ta, pa, tb, pb) = copied(2, false, 80);
    let st = jump_study(&ta, &pa, &tb, &pb, &params(5e-4, 5, None, 1)).unwrap();
    assert_eq!(st.summary.jumps_b, 400);
    let worst = st.baseline.iter().map(|s| s.paired).max().unwrap();
    assert!(worst <= 8, "independent, 5 ms window: {worst}");
}

#[test]
fn degenerate_and_bad_inputs() {
    let p = params(5e-4, 5, None, 1);
    let e = jump_study(&[], &[], &[1], &[1.0], &p).unwrap_err();
    assert_eq!(e.to_string(), "a: empty series (no ticks)");
    let e = jump_study(&[2, 1], &[1.0, 2.0], &[1], &[1.0], &p).unwrap_err();
    assert!(e.to_string().contains("must be sorted"), "{e}");
    let e = jump_study(&[1], &[1.0], &[1, 2], &[1.0, 0.0], &p).unwrap_err();
    assert!(e.to_string().starts_with("b: price at index 1 must be finite and positive"));
    let bad = params(0.0, 5, None, 1);
    assert!(jump_study(&[1], &[1.0], &[1], &[1.0], &bad).is_err());
    assert!(jump_study(&[1], &[1.0], &[1], &[1.0], &params(1e-3, 5, Some(0), 1)).is_err());
    let e = jump_study(&[1], &[1.0], &[1], &[1.0], &params(1e-3, 5, Some(1), 0)).unwrap_err();
    assert_eq!(e.to_string(), "span must be between 1 and 100000 grid steps (got 0)");
    // a single tick and a constant series: no jumps, NaN delays, baseline of zeros
    let st = jump_study(&[1], &[1.0], &[1, 2, 3], &[2.0; 3], &p).unwrap();
    assert_eq!((st.summary.jumps_a, st.summary.jumps_b, st.summary.paired), (0, 0, 0));
    assert!(st.summary.a_leads_median_ns.is_nan());
    assert!(st.shifts_ns.is_empty()); // 3 ns of data cannot be shifted by 10·W
    assert!(st.baseline.is_empty());
}

#[test]
fn shifts_and_circular_shift() {
    let d = default_shifts(1000, 10, 4, 1);
    assert_eq!(d, vec![200, 400, 600, 800]);
    assert_eq!(default_shifts(1000, 30, 4, 1), vec![400, 600]);
    assert_eq!(default_shifts(1000, 10, 4, 150), vec![150, 300, 600, 750]);
    let j = circular_shift(&jumps(&[0, 5, 9], &[1, -1, 1]), 3, 0, 10);
    assert_eq!(j.t, vec![2, 3, 8]);
    assert_eq!(j.sign, vec![1, 1, -1]); // 9 wraps to 2, 0 → 3, 5 → 8
                                        // extreme shifts neither overflow nor leave the period
    let j = circular_shift(&jumps(&[0, 5, 9], &[1, -1, 1]), i64::MAX, 0, 10);
    assert!(j.t.iter().all(|t| (0..10).contains(t)));
    let j = circular_shift(&jumps(&[0, 5, 9], &[1, -1, 1]), i64::MIN, 0, 10);
    assert!(j.t.iter().all(|t| (0..10).contains(t)));
}
