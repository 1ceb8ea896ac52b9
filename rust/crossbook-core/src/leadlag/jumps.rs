//! Jump pairing between two asynchronous price series (the asynchronous spot–perp study, Table 1).
//!
//! A *jump* is a log-price move of at least `threshold` (a log return; 7 bps = 0.0007). Jumps are
//! found either on native ticks (the return between consecutive distinct timestamps) or on a
//! forward-filled time grid (the return over `span` grid steps, see [`grid_jumps`]).
//!
//! **Pairing rule** (one-to-one, causal, O(n + m)). All jumps of both markets are visited in time
//! order (A before B at equal times). A visited jump of sign σ at time s pairs with the *earliest*
//! still-unpaired jump of sign σ of the other market at a time in `[s − W, s]`; the earlier jump is
//! the leader, the visited one the follower, and both are used up. If there is none, the visited
//! jump stays open and may later lead a jump of the other market. Consequences: each jump is in at
//! most one pair; a jump that followed can no longer lead; first-in-first-out matching recovers an
//! order-preserving echo (a copy with a constant delay) exactly even when several leader jumps fall
//! inside one window; a pair with equal times counts as *simultaneous* (neither leads).
//!
//! **Chance baseline.** Circularly shifting B's jump times by an offset far larger than W destroys
//! any causal link but keeps both jump rates and clustering; the pairs still found are coincidences.
//! [`jump_study`] reruns the pairing for a set of such shifts (see [`default_shifts`]).

use std::collections::VecDeque;

use rayon::prelude::*;

use super::grid::{ceil_div, to_grid};
use super::hayashi_yoshida::Ticks;
use crate::error::{CoreError, Result};

/// Rounding slack on the threshold comparison so that a move of exactly `threshold` counts even
/// when `ln(p1) − ln(p0)` rounds just below it (log-return units).
const THRESHOLD_SLACK: f64 = 1e-12;

/// Largest grid return span accepted (grid steps); each tick costs O(span) on the grid.
pub const MAX_SPAN: usize = 100_000;

/// Validate a price series and return it as log prices with duplicate times collapsed to the last.
///
/// # Errors
/// [`CoreError::InvalidInput`] for an empty series, mismatched lengths, unsorted times, or a price
/// that is not finite and positive.
pub fn log_ticks(name: &str, t: &[i64], p: &[f64]) -> Result<Ticks> {
    if t.is_empty() || p.is_empty() {
        return Err(CoreError::InvalidInput(format!("{name}: empty series (no ticks)")));
    }
    if let Some(k) = p.iter().position(|&x| !(x.is_finite() && x > 0.0)) {
        return Err(CoreError::InvalidInput(format!(
            "{name}: price at index {k} must be finite and positive (got {})",
            p[k]
        )));
    }
    let mut ticks = Ticks::new(name, t, p)?;
    for v in &mut ticks.v {
        *v = v.ln();
    }
    Ok(ticks)
}

/// Jumps of one market: times (ns), signs (±1) and the log return that made each jump.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Jumps {
    /// jump times (ns), non-decreasing
    pub t: Vec<i64>,
    /// +1 up, −1 down
    pub sign: Vec<i8>,
    /// the log return of the jump
    pub ret: Vec<f64>,
}

impl Jumps {
    fn push(&mut self, t: i64, r: f64) {
        self.t.push(t);
        self.sign.push(if r > 0.0 { 1 } else { -1 });
        self.ret.push(r);
    }

    /// Number of jumps.
    #[must_use]
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// True when there are no jumps.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }
}

fn is_jump(r: f64, threshold: f64) -> bool {
    r != 0.0 && r.abs() >= threshold - THRESHOLD_SLACK
}

/// Native-tick jumps: `|ln p_i − ln p_{i−1}| ≥ threshold` between consecutive distinct timestamps;
/// the jump is dated at the tick that completes it. `ticks` holds log prices ([`log_ticks`]).
#[must_use]
pub fn native_jumps(ticks: &Ticks, threshold: f64) -> Jumps {
    let mut j = Jumps::default();
    for i in 1..ticks.t.len() {
        let r = ticks.v[i] - ticks.v[i - 1];
        if is_jump(r, threshold) {
            j.push(ticks.t[i], r);
        }
    }
    j
}

/// Jumps on the forward-filled grid of step `grid_ns`: the grid log return over `span` steps,
/// `ln p(g_k) − ln p(g_{k−span})`, at each grid point `g_k` from the first point with a defined
/// value `span` steps back. With `span = 1` this is [`native_jumps`] on [`to_grid`]. With
/// `span > 1` one move is seen at up to `span` consecutive grid points, so a run of consecutive
/// grid points with jumps of the same sign counts once, at its first point (the study's "change
/// over the previous three grid points").
#[must_use]
pub fn grid_jumps(ticks: &Ticks, grid_ns: i64, span: usize, threshold: f64) -> Jumps {
    let g = to_grid(ticks, grid_ns);
    let span = span.max(1);
    if span == 1 {
        return native_jumps(&g, threshold);
    }
    let Some(&first) = g.t.first() else {
        return Jumps::default();
    };
    let idx: Vec<i64> = g.t.iter().map(|&t| t / grid_ns).collect();
    let k0 = first / grid_ns;
    let s = i64::try_from(span).unwrap_or(i64::MAX);
    // forward-filled value at grid index k (k ≥ k0)
    let value_at = |k: i64| -> f64 {
        let pos = idx.partition_point(|&x| x <= k);
        g.v[pos.saturating_sub(1)]
    };
    let mut out = Jumps::default();
    let mut next_k = k0.saturating_add(s); // first grid index with a value `span` steps back
    let mut last_jump: Option<(i64, i8)> = None; // (grid index, sign) of the last detection
    for &kj in &idx {
        let start = kj.max(next_k);
        let end = kj.saturating_add(s); // returns change only at kj..kj+span−1
        for k in start..end {
            let r = value_at(k) - value_at(k - s);
            if is_jump(r, threshold) {
                let sign: i8 = if r > 0.0 { 1 } else { -1 };
                let continues = matches!(last_jump, Some((lk, ls)) if lk == k - 1 && ls == sign);
                if !continues {
                    out.push(k.saturating_mul(grid_ns), r);
                }
                last_jump = Some((k, sign));
            }
        }
        next_k = next_k.max(end);
    }
    out
}

/// The pairing of A's and B's jumps: `a_partner[i]` is the index of the B jump paired with A jump
/// `i`, or −1 when it is unpaired (noise); `b_partner` likewise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairing {
    /// partner index into B's jumps, −1 when unpaired
    pub a_partner: Vec<i64>,
    /// partner index into A's jumps, −1 when unpaired
    pub b_partner: Vec<i64>,
}

fn as_i64(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// Pair A's and B's jumps with window `window_ns` (see the module docs for the rule). O(n + m).
#[must_use]
pub fn pair_jumps(a: &Jumps, b: &Jumps, window_ns: i64) -> Pairing {
    let mut pairing = Pairing { a_partner: vec![-1; a.len()], b_partner: vec![-1; b.len()] };
    // open (unpaired) jumps per market and sign, in time order: [market][sign up?]
    let mut open: [[VecDeque<usize>; 2]; 2] = Default::default();
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a.t[i] <= b.t[j]);
        let (me, k, s, sign) = if take_a { (0usize, i, a.t[i], a.sign[i]) } else { (1usize, j, b.t[j], b.sign[j]) };
        let other = 1 - me;
        let other_t = if other == 0 { &a.t } else { &b.t };
        let q = &mut open[other][usize::from(sign > 0)];
        while q.front().is_some_and(|&f| other_t[f] < s.saturating_sub(window_ns)) {
            q.pop_front();
        }
        if let Some(leader) = q.pop_front() {
            if me == 0 {
                pairing.a_partner[k] = as_i64(leader);
                pairing.b_partner[leader] = as_i64(k);
            } else {
                pairing.b_partner[k] = as_i64(leader);
                pairing.a_partner[leader] = as_i64(k);
            }
        } else {
            open[me][usize::from(sign > 0)].push_back(k);
        }
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairing
}

/// Counts of one pairing (the study's Table 1) and the pairing delays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// jumps in A / in B
    pub jumps_a: usize,
    pub jumps_b: usize,
    /// pairs (each pair counted once; = a_leads_b + b_leads_a + simultaneous)
    pub paired: usize,
    /// unpaired jumps in A / in B
    pub noise_a: usize,
    pub noise_b: usize,
    /// pairs where A's jump came first / B's came first / both at the same time
    pub a_leads_b: usize,
    pub b_leads_a: usize,
    pub simultaneous: usize,
    /// median and mean delay (ns) of A-leads-B pairs (NaN when none)
    pub a_leads_median_ns: f64,
    pub a_leads_mean_ns: f64,
    /// median and mean delay (ns) of B-leads-A pairs (NaN when none)
    pub b_leads_median_ns: f64,
    pub b_leads_mean_ns: f64,
}

fn median_mean(mut v: Vec<f64>) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let med = if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) };
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let mean = v.iter().sum::<f64>() / n as f64;
    (med, mean)
}

/// Summarise a pairing of `a` and `b`.
#[must_use]
#[allow(clippy::cast_precision_loss)] // ns delays far below 2^52
pub fn summarize(a: &Jumps, b: &Jumps, p: &Pairing) -> Summary {
    let (mut ab, mut ba, mut sim) = (Vec::new(), Vec::new(), 0usize);
    for (i, &pj) in p.a_partner.iter().enumerate() {
        let Ok(jb) = usize::try_from(pj) else {
            continue;
        };
        let d = b.t[jb].saturating_sub(a.t[i]);
        match d.cmp(&0) {
            std::cmp::Ordering::Greater => ab.push(d as f64),
            std::cmp::Ordering::Less => ba.push(-d as f64),
            std::cmp::Ordering::Equal => sim += 1,
        }
    }
    let (a_leads_b, b_leads_a) = (ab.len(), ba.len());
    let paired = a_leads_b + b_leads_a + sim;
    let (a_leads_median_ns, a_leads_mean_ns) = median_mean(ab);
    let (b_leads_median_ns, b_leads_mean_ns) = median_mean(ba);
    Summary {
        jumps_a: a.len(),
        jumps_b: b.len(),
        paired,
        noise_a: a.len() - paired,
        noise_b: b.len() - paired,
        a_leads_b,
        b_leads_a,
        simultaneous: sim,
        a_leads_median_ns,
        a_leads_mean_ns,
        b_leads_median_ns,
        b_leads_mean_ns,
    }
}

/// Shift jump times circularly by `shift` ns on the period `[lo, lo + period)`, re-sorted by time.
#[must_use]
pub fn circular_shift(j: &Jumps, shift: i64, lo: i64, period: i64) -> Jumps {
    let mut rows: Vec<(i64, i8, f64)> = (0..j.len())
        .map(|k| {
            // i128: a user's shift may be anywhere in i64; the result lies in [lo, lo + period)
            let off = (i128::from(j.t[k]) - i128::from(lo) + i128::from(shift)).rem_euclid(i128::from(period.max(1)));
            let t = lo.saturating_add(i64::try_from(off).unwrap_or(i64::MAX));
            (t, j.sign[k], j.ret[k])
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    Jumps {
        t: rows.iter().map(|r| r.0).collect(),
        sign: rows.iter().map(|r| r.1).collect(),
        ret: rows.iter().map(|r| r.2).collect(),
    }
}

/// `n` shifts spread evenly over the period, `k·period/(n+1)` for k = 1..n, keeping only those at
/// least `10·window_ns` away from zero in both circular directions and rounded to a multiple of
/// `step` (the grid, or 1 ns). Empty when the period is too short (the baseline is then NaN).
#[must_use]
pub fn default_shifts(period: i64, window_ns: i64, n: usize, step: i64) -> Vec<i64> {
    let min_gap = window_ns.saturating_mul(10).max(1);
    let step = step.max(1);
    let n64 = as_i64(n);
    (1..=n64)
        .filter_map(|k| {
            let raw = i128::from(period) * i128::from(k) / i128::from(n64 + 1);
            let d = i64::try_from(raw).ok()? / step * step;
            (d >= min_gap && period - d >= min_gap).then_some(d)
        })
        .collect()
}

/// Parameters of [`jump_study`].
#[derive(Debug, Clone, PartialEq)]
pub struct JumpParams {
    /// jump threshold as a log return (7 bps = 0.0007); must be > 0
    pub threshold: f64,
    /// pairing window W (ns); must be ≥ 0
    pub window_ns: i64,
    /// `None`: native ticks; `Some(g)`: forward-filled grid of step g ns
    pub grid_ns: Option<i64>,
    /// grid return span in grid steps (ignored on native ticks); 1..=[`MAX_SPAN`]
    pub span: usize,
    /// explicit circular shifts of B (ns) for the chance baseline; `None` → [`default_shifts`]
    pub shifts_ns: Option<Vec<i64>>,
    /// number of default shifts
    pub n_shifts: usize,
}

/// Everything [`jump_study`] finds.
#[derive(Debug, Clone)]
pub struct JumpStudy {
    pub a: Jumps,
    pub b: Jumps,
    pub pairing: Pairing,
    pub summary: Summary,
    /// the shifts used (ns) and the pairing summary under each (the chance baseline)
    pub shifts_ns: Vec<i64>,
    pub baseline: Vec<Summary>,
}

/// Find jumps in A and B, pair them, and rerun the pairing under circular shifts of B.
///
/// The circular period is the span of all ticks, `[min first tick, max last tick]` (on the grid:
/// from the first grid cell to the last, whole cells). A single tick or a constant series simply has
/// no jumps (all counts 0, delays NaN).
///
/// # Errors
/// [`CoreError::InvalidInput`] for bad series (see [`log_ticks`]), a threshold that is not
/// finite and positive, a negative window or a grid step ≤ 0.
pub fn jump_study(ta: &[i64], pa: &[f64], tb: &[i64], pb: &[f64], params: &JumpParams) -> Result<JumpStudy> {
    if !(params.threshold.is_finite() && params.threshold > 0.0) {
        return Err(CoreError::InvalidInput(format!("threshold must be finite and > 0 (got {})", params.threshold)));
    }
    if params.window_ns < 0 {
        return Err(CoreError::InvalidInput(format!("window must be >= 0 ns (got {})", params.window_ns)));
    }
    if !(1..=MAX_SPAN).contains(&params.span) {
        return Err(CoreError::InvalidInput(format!(
            "span must be between 1 and {MAX_SPAN} grid steps (got {})",
            params.span
        )));
    }
    if matches!(params.grid_ns, Some(g) if g <= 0) {
        return Err(CoreError::InvalidInput("grid step must be > 0 ns".to_string()));
    }
    let sa = log_ticks("a", ta, pa)?;
    let sb = log_ticks("b", tb, pb)?;
    let (a, b) = match params.grid_ns {
        None => (native_jumps(&sa, params.threshold), native_jumps(&sb, params.threshold)),
        Some(g) => {
            (grid_jumps(&sa, g, params.span, params.threshold), grid_jumps(&sb, g, params.span, params.threshold))
        }
    };
    let pairing = pair_jumps(&a, &b, params.window_ns);
    let summary = summarize(&a, &b, &pairing);

    // both series are non-empty (log_ticks checked); the period covers every jump time
    let lo_raw = sa.t[0].min(sb.t[0]);
    let hi_raw = sa.t[sa.t.len() - 1].max(sb.t[sb.t.len() - 1]);
    let (lo, period, step) = match params.grid_ns {
        None => (lo_raw, hi_raw.saturating_sub(lo_raw).saturating_add(1), 1),
        Some(g) => {
            let (k0, k1) = (ceil_div(lo_raw, g), ceil_div(hi_raw, g));
            (k0.saturating_mul(g), (k1 - k0 + 1).saturating_mul(g), g)
        }
    };
    let shifts_ns =
        params.shifts_ns.clone().unwrap_or_else(|| default_shifts(period, params.window_ns, params.n_shifts, step));
    let baseline = shifts_ns
        .par_iter()
        .map(|&d| {
            let bs = circular_shift(&b, d, lo, period);
            summarize(&a, &bs, &pair_jumps(&a, &bs, params.window_ns))
        })
        .collect();
    Ok(JumpStudy { a, b, pairing, summary, shifts_ns, baseline })
}

#[cfg(test)]
mod tests {
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
}
