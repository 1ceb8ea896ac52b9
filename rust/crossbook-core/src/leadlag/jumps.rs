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
#[path = "jumps_tests.rs"]
mod tests;
