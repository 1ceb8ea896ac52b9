//! The batch forward pass: the sequential recursion for short inputs and sizes without a specialised
//! kernel, and for K×d in a fixed list and from [`LANES_MIN_ROWS`] rows on, the segmented pass.
//!
//! # Segmented forward pass
//!
//! The forward recursion is a chain: step t needs step t − 1, so one pass runs at the latency of a step
//! (tens of cycles) however wide the CPU is. The sequence is instead cut into segments of equal length
//! (8 on one thread; 64 on two, in blocks of 8), which the lane kernel ([`super::hmm_lanes`], or its AVX2
//! version) advances 8 at a time side by side, one SIMD lane each. Segment 0 starts from the model's start probabilities; segment g > 0 cannot know
//! its true starting belief (the filter at the end of segment g − 1) and starts from the uniform one.
//!
//! That guess is corrected exactly by a short sequential re-run, relying on the filter *forgetting its
//! initial condition*: two runs of the recursion over the same observations from different starting
//! beliefs approach each other geometrically, in the relative (Hilbert projective) sense, at a rate set by
//! how mixing the chain is and how informative the observations are (Le Gland & Mevel 2000, "Exponential
//! forgetting and geometric ergodicity in hidden Markov models", Math. Control Signals Systems 13:63–93).
//! The merge walks the segments in order, carrying the true belief at the end of the previous segment:
//!
//! 1. re-run segment g with the sequential step ([`Forward`], the online filter's code) from the true
//!    belief, up to the first checkpoint (32, 128, 512, … rows into the segment) at which its normalised
//!    belief equals the lane's to [`MATCH_TOL`] relative in every state (exact zeros must match exactly);
//! 2. from that checkpoint on the lane's values *are* the filter (the future of the recursion depends on
//!    the past only through the normalised belief): the segment's ln L is the re-run's plus the lane's
//!    increment after the checkpoint, its probabilities the re-run's rows then the lane's;
//! 3. if no checkpoint matches (a filter that forgets slowly, e.g. sticky transitions with uninformative
//!    emissions, or two indistinguishable states), the re-run covers the whole segment: the sequential
//!    pass, never an approximation.
//!
//! A belief that differs by at most ε relative in each state changes every later probability by at most
//! ~ε relative and the later ln L by at most ε (it is the log of a positive linear form in the belief), so
//! each merge adds at most `MATCH_TOL` = 1e-13 to ln L and to the probabilities. The filter stays causal:
//! a row's probabilities depend on the rows up to it only (a re-run stops at a checkpoint decided by rows
//! before the lane's rows that are used). The log-likelihood is accumulated with compensation and exact
//! power-of-two exponents across all pieces, so it is as accurate as the sequential pass's.
//!
//! The threads (two from [`THREADS_MIN_ROWS`] rows, if the machine has two cores) take blocks of 8
//! segments in turn from a shared counter, so a thread that gets less CPU on a busy machine does fewer;
//! the merge is sequential and short (32 rows per segment when the filter forgets quickly, as it does for
//! separated regimes). ln L and the probabilities depend on n and the thread count, not on which thread
//! ran which block.

// Belief vectors indexed by state on both sides; iterators would hide that.
#![allow(clippy::needless_range_loop)]

use super::hmm::GaussianHmm;
use super::hmm_forward::{Emission, Forward, KahanSum};
use super::hmm_lanes::{checkpoints, LaneModel, Segments, Snapshot, LANES};
use super::hmm_simd::run_best;

/// From this many rows on (and for K×d with a specialised kernel), the segmented pass.
const LANES_MIN_ROWS: usize = LANES * 512;
/// From this many rows on, the lanes run on two threads (64 segments).
const THREADS_MIN_ROWS: usize = 1 << 16;
/// Relative agreement of the re-run and the lane at a checkpoint.
pub(super) const MATCH_TOL: f64 = 1e-13;

/// The batch forward pass over `x` (checked n×d); writes the n×K probabilities into `probs` when given
/// (n×K long); returns ln L.
pub(crate) fn filter_batch(m: &GaussianHmm, em: &Emission, x: &[f64], probs: Option<&mut [f64]>) -> f64 {
    forward(m, em, x, probs, None).0
}

/// [`filter_batch`] returning also how many rows the merge re-ran sequentially (None: the sequential
/// path ran); `threads` overrides the number of threads of the segmented pass (tests).
pub(super) fn forward(
    m: &GaussianHmm,
    em: &Emission,
    x: &[f64],
    probs: Option<&mut [f64]>,
    threads: Option<usize>,
) -> (f64, Option<usize>) {
    let n = x.len() / m.d;
    if n >= LANES_MIN_ROWS {
        let threads = threads.unwrap_or(if n >= THREADS_MIN_ROWS { cores().min(2) } else { 1 });
        macro_rules! fixed {
            ($(($k:literal, $d:literal)),*) => {
                match (m.k, m.d) {
                    $(($k, $d) => {
                        let (ll, rerun) = segmented::<$k, $d>(m, em, x, probs, threads);
                        return (ll, Some(rerun));
                    })*
                    _ => {}
                }
            };
        }
        fixed!(
            (2, 1),
            (2, 2),
            (2, 3),
            (2, 4),
            (2, 5),
            (2, 6),
            (3, 1),
            (3, 2),
            (3, 3),
            (3, 4),
            (3, 5),
            (3, 6),
            (4, 1),
            (4, 2),
            (4, 3),
            (4, 4),
            (4, 5),
            (4, 6),
            (5, 4),
            (6, 4)
        );
    }
    (sequential(m, em, x, probs), None)
}

/// The sequential recursion (the online filter's step, row by row).
pub(super) fn sequential(m: &GaussianHmm, em: &Emission, x: &[f64], mut probs: Option<&mut [f64]>) -> f64 {
    let mut f = Forward::new(m.k);
    for (t, row) in x.chunks_exact(m.d).enumerate() {
        f.step(m, em, row);
        put(&mut probs, t, &f.probs);
    }
    f.loglik()
}

/// Cores available to this process (looked up once).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
}

/// ln L assembled from the pieces of the merge: a compensated sum of the shifts and logs, and the exact
/// power-of-two exponents.
#[derive(Default)]
struct Total {
    acc: KahanSum,
    e2: i64,
    zero: bool,
}

impl Total {
    /// A re-run's log-likelihood (given the belief it resumed from).
    fn add_forward(&mut self, f: &Forward) {
        self.acc.add(f.ll.shift.sum);
        self.acc.add(f.ll.shift.comp);
        self.acc.add(f.sum.ln());
        self.e2 += f.ll.e2;
        self.zero |= f.ll.zero;
    }

    /// A lane's log-likelihood from its start (`from` = None) or from a checkpoint to its end.
    fn add_lane<const K: usize>(&mut self, end: &Snapshot<K>, from: Option<&Snapshot<K>>) {
        self.acc.add(end.shift_hi);
        self.acc.add(end.shift_lo);
        self.acc.add(end.sum.ln());
        self.e2 += end.e2;
        self.zero |= end.zero;
        if let Some(c) = from {
            self.acc.add(-c.shift_hi);
            self.acc.add(-c.shift_lo);
            self.acc.add(-c.sum.ln());
            self.e2 -= c.e2;
        }
    }

    fn value(&self) -> f64 {
        if self.zero {
            f64::NEG_INFINITY
        } else {
            self.acc.value() + (self.e2 as f64) * std::f64::consts::LN_2
        }
    }
}

/// The number of segments (a multiple of [`LANES`]) and their length for `n` rows on `threads` threads:
/// one block of [`LANES`] segments on one thread, four blocks per thread otherwise.
pub(super) fn segments_for(n: usize, threads: usize) -> (usize, usize) {
    let count = if threads > 1 { 4 * threads * LANES } else { LANES };
    (count, n / count)
}

/// Whether the belief `p` equals the lane's normalised state to [`MATCH_TOL`] relative in every state.
fn same_belief<const K: usize>(p: &[f64], lane: &Snapshot<K>) -> bool {
    p.iter().zip(&lane.alpha).all(|(&p, &a)| {
        let q = a / lane.sum;
        (p - q).abs() <= MATCH_TOL * p.max(q)
    })
}

/// The segmented pass (module doc) for K×d known at compile time: ln L and the number of rows re-run.
fn segmented<const K: usize, const D: usize>(
    m: &GaussianHmm,
    em: &Emission,
    x: &[f64],
    mut out: Option<&mut [f64]>,
    threads: usize,
) -> (f64, usize) {
    let n = x.len() / D;
    let (count, len) = segments_for(n, threads);
    let blocks = count / LANES;
    let block = LANES * len; // rows per kernel call
    let lm = LaneModel::<K, D>::new(&m.transmat, &m.means, &m.variances);
    let segments = |b: usize| {
        let mut start = [[1.0 / K as f64; LANES]; K];
        if b == 0 {
            for j in 0..K {
                start[j][0] = m.startprob[j];
            }
        }
        Segments::<K> { x: &x[b * block * D..(b + 1) * block * D], len, start }
    };
    // blocks of LANES segments, taken in turn by the threads from a shared counter: a thread that gets
    // less CPU (a busy machine) takes fewer blocks
    let parts: Vec<Option<&mut [f64]>> = match out.as_deref_mut() {
        Some(p) => p[..blocks * block * K].chunks_mut(block * K).map(Some).collect(),
        None => (0..blocks).map(|_| None).collect(),
    };
    let parts = std::sync::Mutex::new(parts);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if b >= blocks {
                return done;
            }
            let p = parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[b].take();
            done.push((b, run_best(&lm, em, &segments(b), p)));
        }
    };
    let mut snaps: Vec<Vec<[Snapshot<K>; LANES]>> = vec![Vec::new(); blocks];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        for (b, s) in all {
            snaps[b] = s;
        }
    });

    let cps = checkpoints(len);
    let mut total = Total::default();
    let mut rerun = 0;
    let mut belief = [0.0; K];
    for g in 0..count {
        let lane = |c: usize| &snaps[g / LANES][c][g % LANES];
        let end = lane(cps.len() - 1);
        let mut met = g == 0; // segment 0 started from the true start: the lane is the filter
        if met {
            total.add_lane(end, None);
        } else {
            let mut f = Forward::resume(&belief);
            let mut done = 0;
            for (c, &w) in cps.iter().enumerate() {
                for r in g * len + done..g * len + w {
                    f.step(m, em, &x[r * D..(r + 1) * D]);
                    put(&mut out, r, &f.probs);
                }
                done = w;
                if c + 1 < cps.len() && same_belief(&f.probs, lane(c)) {
                    total.add_lane(end, Some(lane(c)));
                    met = true;
                    break;
                }
            }
            total.add_forward(&f);
            rerun += done;
            if !met {
                belief.copy_from_slice(&f.probs);
            }
        }
        if met {
            for j in 0..K {
                belief[j] = end.alpha[j] / end.sum;
            }
        }
    }
    // rows left over by the division into equal segments
    let covered = count * len;
    if covered < n {
        let mut f = Forward::resume(&belief);
        for r in covered..n {
            f.step(m, em, &x[r * D..(r + 1) * D]);
            put(&mut out, r, &f.probs);
        }
        total.add_forward(&f);
    }
    (total.value(), rerun)
}

/// Row `row` of the probabilities, when they are kept.
fn put(out: &mut Option<&mut [f64]>, row: usize, p: &[f64]) {
    if let Some(o) = out.as_deref_mut() {
        o[row * p.len()..(row + 1) * p.len()].copy_from_slice(p);
    }
}
