//! The lane kernel of the segmented forward pass ([`super::hmm_kernel`]): [`LANES`] segments of the
//! sequence advanced side by side, segment `s` in SIMD lane `s`. This is the generic code (any CPU); on
//! x86-64 with AVX2 and FMA the dispatch ([`super::hmm_simd`]) runs the same kernel written with
//! intrinsics (`hmm_avx2`), which gives the same bits as `run::<K, D, true>` here.
//!
//! Every array here is indexed `[..][s]` with the lane last, so each operation of the recursion is the same
//! scalar operation on `LANES` independent values: a vertical SIMD operation with no horizontal sum or
//! gather. The step-to-step dependency of one lane (about twenty cycles: prediction, product, sum) is
//! hidden behind the other lanes' work, so the pass runs at the throughput of the arithmetic instead of
//! the latency of one chain.
//!
//! Per chunk of up to [`CHUNK`] steps: the rows of the chunk are transposed to `[t][c][s]`; the emissions
//! are computed for every lane in two passes (the shifted log densities, then one flat `exp` loop over the
//! chunk, which vectorises without a table), then the recursion of [`super::hmm`] runs over the chunk:
//!
//! ```text
//! ln b_j(x) = cst_j − Σ_c w_c²,   w_c = x_c·s_jc − μ_jc·s_jc,   s_jc = 1/(σ_jc √2)   (fused)
//! b̃_j = exp(ln b_j − m),   m = max_j ln b_j
//! predicted = α̃ · A  (the lane's start vector at its first row)
//! α̃ = predicted ∘ b̃,   c = Σ_j α̃_j,   ln L += m (compensated: Knuth's two-sum)
//! ```
//!
//! Computing `w` as one fused multiply-add from the pre-scaled mean rounds `μ·s` once: an error of
//! ~1e-16·|μ|/σ in the standardised value, the same order as the rounding of the input itself (x is known
//! to ~1e-16·|x|), so it costs no accuracy the data has.
//!
//! When some lane's `c` falls below 2⁻⁶⁴, every lane is rescaled by an exact power of two (tracked in the
//! exponent sum E, as in the sequential path): a branch taken every few dozen steps, which keeps the sum
//! and its exponent off the dependency chain and changes no rounding. A lane whose step underflows (`c`
//! below 1e-290) or whose observation has zero density in every state takes the sequential path's
//! log-space step for that step only ([`rare`]). With `F`, products and sums are fused (`mul_add`); the
//! same generic code without target features gives the same bits as the AVX2 kernel (IEEE fma is
//! correctly rounded everywhere), which the tests check.
//!
//! At the checkpoints ([`checkpoints`]) the kernel records each lane's state ([`Snapshot`]): the merge
//! compares it with the exact filter re-run from the true start of the segment.

// K×K and K×d arrays indexed by (i, j, c) and lanes by s on both sides; iterators would hide that.
// `!(c > TINY)` is meant: a NaN must take the rare path.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use super::hmm_forward::Emission;

/// Segments per kernel call: 8 f64 lanes (two AVX2 registers, one AVX-512 register).
pub(super) const LANES: usize = 8;
/// Steps per chunk (emission buffers: 128 × K × 8 × 8 bytes = 32 KiB for K = 4).
pub(super) const CHUNK: usize = 128;
/// First checkpoint; the next ones are 4× apart.
const FIRST_CHECK: usize = 32;
/// Below this the scaled step underflows and is redone in log space (as the sequential path).
pub(super) const TINY: f64 = 1e-290;
/// `2⁻⁶⁴`: lanes are rescaled when a sum falls below it.
pub(super) const RESCALE_BELOW: f64 = 1.0 / 18_446_744_073_709_551_616.0;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `a·b + c`, fused when `F`.
#[inline(always)]
fn madd<const F: bool>(a: f64, b: f64, c: f64) -> f64 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `2^e` for a normal result (−1022 <= e <= 1023); wrapping so garbage in (a NaN lane) cannot panic.
#[inline(always)]
fn pow2(e: i64) -> f64 {
    f64::from_bits((e.wrapping_add(1023) as u64) << 52)
}

/// Binary exponent of a positive normal f64.
#[inline(always)]
fn exponent(v: f64) -> i64 {
    ((v.to_bits() >> 52) & 0x7ff) as i64 - 1023
}

/// `1.5·2⁵²`: adding it rounds to an integer (in the low bits of the sum).
const EXP_MAGIC: f64 = 6_755_399_441_055_744.0;
/// fdlibm's split of ln 2 (the high part has 32 significant bits, so k·hi is exact for |k| < 2²⁰).
const EXP_HI: f64 = 6.931_471_803_691_238e-1;
const EXP_LO: f64 = 1.908_214_929_270_587_7e-10;
/// `1/i!`, i = 12 down to 2: the Taylor coefficients of [`exp_neg`].
const EXP_C: [f64; 11] = [
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// `e^x` for `x <= 0` within ~2 ulp of `f64::exp`, with no table (a table lookup would be a gather in
/// SIMD): `x = k·ln 2 + r`, `|r| <= ln2/2`, `e^x = 2^k · P(r)` with P the degree-12 Taylor polynomial
/// (truncation < 1.8e-16 relative) in Horner form. Arguments below −708 are clamped there, as in the
/// sequential path's `exp`.
#[inline(always)]
pub(super) fn exp_neg<const F: bool>(x: f64) -> f64 {
    let x = if x < -708.0 { -708.0 } else { x };
    let t = madd::<F>(x, std::f64::consts::LOG2_E, EXP_MAGIC);
    let kf = t - EXP_MAGIC;
    let k = (t.to_bits() as i64).wrapping_sub(EXP_MAGIC.to_bits() as i64);
    let r = madd::<F>(-kf, EXP_LO, madd::<F>(-kf, EXP_HI, x));
    let mut p = EXP_C[0];
    for c in &EXP_C[1..] {
        p = madd::<F>(p, r, *c);
    }
    p = madd::<F>(p, r, 1.0);
    p = madd::<F>(p, r, 1.0);
    p * pow2(k)
}

/// The model in the kernel's layout.
pub(super) struct LaneModel<const K: usize, const D: usize> {
    pub(super) trans: [[f64; K]; K],
    /// `1 / (σ √2)`
    pub(super) scale: [[f64; D]; K],
    /// `μ / (σ √2)`
    pub(super) mu_scaled: [[f64; D]; K],
    /// `−½ Σ_c ln(2π σ²_jc)`
    pub(super) cst: [f64; K],
}

impl<const K: usize, const D: usize> LaneModel<K, D> {
    pub(super) fn new(transmat: &[f64], means: &[f64], variances: &[f64]) -> Self {
        let scale: [[f64; D]; K] =
            std::array::from_fn(|j| std::array::from_fn(|c| (0.5 / variances[j * D + c]).sqrt()));
        Self {
            trans: std::array::from_fn(|i| std::array::from_fn(|j| transmat[i * K + j])),
            mu_scaled: std::array::from_fn(|j| std::array::from_fn(|c| means[j * D + c] * scale[j][c])),
            scale,
            cst: std::array::from_fn(|j| -0.5 * (0..D).map(|c| LN_2PI + variances[j * D + c].ln()).sum::<f64>()),
        }
    }
}

/// A lane's state after some steps: unnormalised `α̃` with `Σ α̃ = sum`, and ln L so far as
/// `shift_hi + shift_lo + e2·ln 2 + ln sum`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Snapshot<const K: usize> {
    pub(super) alpha: [f64; K],
    pub(super) sum: f64,
    pub(super) shift_hi: f64,
    pub(super) shift_lo: f64,
    pub(super) e2: i64,
    /// an observation had zero density in every state
    pub(super) zero: bool,
}

/// Steps (rows of a segment) after which the state is recorded: 32, 128, 512, ... below `len`, then `len`.
pub(super) fn checkpoints(len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut w = FIRST_CHECK;
    while w < len {
        out.push(w);
        w *= 4;
    }
    out.push(len);
    out
}

/// The recursion state of all lanes.
struct State<const K: usize> {
    alpha: [[f64; LANES]; K],
    sum: [f64; LANES],
    hi: [f64; LANES],
    lo: [f64; LANES],
    e2: [i64; LANES],
    zero: [bool; LANES],
}

impl<const K: usize> State<K> {
    fn snapshot(&self) -> [Snapshot<K>; LANES] {
        std::array::from_fn(|s| Snapshot {
            alpha: std::array::from_fn(|j| self.alpha[j][s]),
            sum: self.sum[s],
            shift_hi: self.hi[s],
            shift_lo: self.lo[s],
            e2: self.e2[s],
            zero: self.zero[s],
        })
    }
}

/// Emissions of a chunk for every lane: `b[t][j][s] = exp(lb_j − mx[t][s])`.
#[inline(always)]
pub(super) fn emissions<const K: usize, const D: usize, const F: bool>(
    m: &LaneModel<K, D>,
    xs: &[[[f64; LANES]; D]],
    b: &mut [[[f64; LANES]; K]],
    mx: &mut [[f64; LANES]],
) {
    // three passes over the chunk, each a plain loop the compiler vectorises along the lanes (one pass
    // would let it pack the exp along the states instead, with shuffles)
    for ((xt, bt), mt) in xs.iter().zip(b.iter_mut()).zip(mx.iter_mut()) {
        let mut lb = [[0.0; LANES]; K];
        for j in 0..K {
            let mut q = [0.0; LANES];
            for c in 0..D {
                for s in 0..LANES {
                    let w = madd::<F>(xt[c][s], m.scale[j][c], -m.mu_scaled[j][c]);
                    q[s] = madd::<F>(w, w, q[s]);
                }
            }
            for s in 0..LANES {
                lb[j][s] = m.cst[j] - q[s];
            }
        }
        // the maximum, ignoring NaN (a NaN row keeps −∞ and takes the cold step)
        let mut top = [f64::NEG_INFINITY; LANES];
        for j in 0..K {
            for s in 0..LANES {
                top[s] = if lb[j][s] > top[s] { lb[j][s] } else { top[s] };
            }
        }
        for j in 0..K {
            for s in 0..LANES {
                lb[j][s] -= top[s];
            }
        }
        *bt = lb;
        *mt = top;
    }
    for v in b.as_flattened_mut().as_flattened_mut() {
        *v = exp_neg::<F>(*v);
    }
}

/// The sequential path's exceptional step for one lane (`advance`'s two rare branches): every density zero
/// (`mx = −∞`: the belief stays at the prediction, ln L = −∞), or the scaled step underflowed (redo it in
/// log space). Overwrites `u` and `c` for the lane; returns what to add to the log-likelihood shift.
#[allow(clippy::too_many_arguments)]
fn cold_step<const K: usize>(
    em: &Emission,
    row: &[f64],
    pred: &[[f64; LANES]; K],
    u: &mut [[f64; LANES]; K],
    c: &mut [f64; LANES],
    s: usize,
    mx: f64,
    zero: &mut bool,
) -> f64 {
    if mx == f64::NEG_INFINITY {
        *zero = true;
        c[s] = 0.0;
        for j in 0..K {
            u[j][s] = pred[j][s];
            c[s] += pred[j][s];
        }
        return 0.0;
    }
    let mut lb = [0.0; K];
    em.log_density(row, &mut lb);
    let v: [f64; K] =
        std::array::from_fn(|j| if pred[j][s] > 0.0 { pred[j][s].ln() + (lb[j] - mx) } else { f64::NEG_INFINITY });
    let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    c[s] = 0.0;
    for j in 0..K {
        u[j][s] = (v[j] - top).exp();
        c[s] += u[j][s];
    }
    mx + top
}

/// The rare parts of a step, for all lanes: the exceptional steps ([`cold_step`]: `c` not above 1e-290,
/// or no density) and the rescaling by exact powers of two when some lane's sum fell below 2⁻⁶⁴ (a branch
/// taken every few dozen steps, which keeps the sum and its exponent off the step-to-step dependency).
/// Updates `u`, `c`, the shift to add, the zero flags and the exponents.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) fn rare<'r, const K: usize>(
    em: &Emission,
    row: impl Fn(usize) -> &'r [f64],
    pred: &[[f64; LANES]; K],
    u: &mut [[f64; LANES]; K],
    c: &mut [f64; LANES],
    mx: &[f64; LANES],
    add: &mut [f64; LANES],
    zero: &mut [bool; LANES],
    e2: &mut [i64; LANES],
) {
    for s in 0..LANES {
        if !(c[s] > TINY) || mx[s] == f64::NEG_INFINITY {
            add[s] = cold_step(em, row(s), pred, u, c, s, mx[s], &mut zero[s]);
        }
    }
    if c.iter().any(|&v| v < RESCALE_BELOW) {
        for s in 0..LANES {
            let e = exponent(c[s]);
            let scale = pow2(-e);
            e2[s] += e;
            c[s] *= scale;
            for j in 0..K {
                u[j][s] *= scale;
            }
        }
    }
}

/// Inputs of one kernel call: `LANES` segments of `len` rows each, lane `s` covering rows
/// `s·len .. (s+1)·len` of `x`.
pub(super) struct Segments<'a, const K: usize> {
    pub(super) x: &'a [f64],
    pub(super) len: usize,
    /// each lane's prediction for its first row (`start[j][s]`)
    pub(super) start: [[f64; LANES]; K],
}

/// Runs the recursion over all lanes; writes the filtered probabilities (rows as `x`, K per row) when
/// `probs` is given and returns the snapshots at [`checkpoints`]`(len)`.
#[inline(always)]
pub(super) fn run<const K: usize, const D: usize, const F: bool>(
    m: &LaneModel<K, D>,
    em: &Emission,
    seg: &Segments<'_, K>,
    mut probs: Option<&mut [f64]>,
) -> Vec<[Snapshot<K>; LANES]> {
    let len = seg.len;
    // 32 KiB buffers: on the heap rather than the caller's stack
    #[allow(clippy::useless_vec)]
    let mut xs = vec![[[0.0; LANES]; D]; CHUNK];
    #[allow(clippy::useless_vec)]
    let mut b = vec![[[0.0; LANES]; K]; CHUNK];
    let mut mx = vec![[0.0; LANES]; CHUNK];
    let mut st = State::<K> {
        alpha: [[0.0; LANES]; K],
        sum: [1.0; LANES],
        hi: [0.0; LANES],
        lo: [0.0; LANES],
        e2: [0; LANES],
        zero: [false; LANES],
    };
    let mut snaps = Vec::new();
    let mut t0 = 0;
    for cp in checkpoints(len) {
        while t0 < cp {
            let tn = CHUNK.min(cp - t0);
            for (t, xt) in xs[..tn].iter_mut().enumerate() {
                for s in 0..LANES {
                    let r = (s * len + t0 + t) * D;
                    let row = &seg.x[r..r + D];
                    for c in 0..D {
                        xt[c][s] = row[c];
                    }
                }
            }
            emissions::<K, D, F>(m, &xs[..tn], &mut b[..tn], &mut mx[..tn]);
            for t in 0..tn {
                let pred = if t0 + t == 0 { seg.start } else { predict::<K, F>(&m.trans, &st.alpha) };
                let row = |s: usize| &seg.x[(s * len + t0 + t) * D..(s * len + t0 + t + 1) * D];
                let out = probs.as_deref_mut().map(|p| (p, t0 + t));
                step::<K, F>(em, &mut st, &pred, &b[t], &mx[t], row, len, out);
            }
            t0 += tn;
        }
        snaps.push(st.snapshot());
    }
    snaps
}

/// `predicted_j = Σ_i α̃_i A_ij` for every lane, summed as (even i) + (odd i): two shorter chains.
#[inline(always)]
fn predict<const K: usize, const F: bool>(trans: &[[f64; K]; K], alpha: &[[f64; LANES]; K]) -> [[f64; LANES]; K] {
    let mut pred = [[0.0; LANES]; K];
    for j in 0..K {
        let mut even = [0.0; LANES];
        let mut odd = [0.0; LANES];
        for s in 0..LANES {
            even[s] = alpha[0][s] * trans[0][j];
        }
        for i in (2..K).step_by(2) {
            for s in 0..LANES {
                even[s] = madd::<F>(alpha[i][s], trans[i][j], even[s]);
            }
        }
        if K > 1 {
            for s in 0..LANES {
                odd[s] = alpha[1][s] * trans[1][j];
            }
            for i in (3..K).step_by(2) {
                for s in 0..LANES {
                    odd[s] = madd::<F>(alpha[i][s], trans[i][j], odd[s]);
                }
            }
        }
        for s in 0..LANES {
            pred[j][s] = even[s] + odd[s];
        }
    }
    pred
}

/// One recursion step of every lane (see the module doc); `out` = (probabilities, step index).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn step<'r, const K: usize, const F: bool>(
    em: &Emission,
    st: &mut State<K>,
    pred: &[[f64; LANES]; K],
    b: &[[f64; LANES]; K],
    mx: &[f64; LANES],
    row: impl Fn(usize) -> &'r [f64],
    len: usize,
    out: Option<(&mut [f64], usize)>,
) {
    let mut u = [[0.0; LANES]; K];
    let mut c = [0.0; LANES];
    for j in 0..K {
        for s in 0..LANES {
            u[j][s] = pred[j][s] * b[j][s];
            c[s] += u[j][s];
        }
    }
    let mut add = *mx;
    let mut rare_step = false;
    for s in 0..LANES {
        // (c below 1e-290, NaN or below 2⁻⁶⁴) or no density
        rare_step |= !(c[s] >= RESCALE_BELOW) | (mx[s] == f64::NEG_INFINITY);
    }
    if rare_step {
        rare(em, row, pred, &mut u, &mut c, mx, &mut add, &mut st.zero, &mut st.e2);
    }
    st.alpha = u;
    st.sum = c;
    // Knuth's two-sum: hi + lo carries the running sum of the shifts exactly
    for s in 0..LANES {
        let v = add[s];
        let sum = st.hi[s] + v;
        let bv = sum - st.hi[s];
        st.lo[s] += (st.hi[s] - (sum - bv)) + (v - bv);
        st.hi[s] = sum;
    }
    if let Some((p, t)) = out {
        let mut inv = [0.0; LANES];
        for s in 0..LANES {
            inv[s] = 1.0 / c[s];
        }
        for s in 0..LANES {
            let r = (s * len + t) * K;
            for (j, o) in p[r..r + K].iter_mut().enumerate() {
                *o = u[j][s] * inv[s];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_is_within_two_ulp() {
        let mut worst: [f64; 2] = [0.0; 2];
        let mut x: f64 = 0.0;
        while x > -708.0 {
            for y in [x, x - 1e-9, x * 0.999_999_7] {
                let want = y.exp();
                worst[0] = worst[0].max(((exp_neg::<false>(y) - want) / want).abs());
                worst[1] = worst[1].max(((exp_neg::<true>(y) - want) / want).abs());
            }
            x -= 0.000_731_3;
        }
        assert!(worst[0] < 5e-16 && worst[1] < 5e-16, "max relative error {worst:?}");
        assert_eq!(exp_neg::<true>(0.0), 1.0);
        assert_eq!(exp_neg::<false>(-0.0), 1.0);
        assert_eq!(exp_neg::<true>(-800.0), exp_neg::<true>(-708.0));
        assert!(exp_neg::<true>(-708.0) > 0.0 && exp_neg::<true>(-708.0) < 4e-308);
        // garbage in (the lanes of a NaN row) gives garbage out, never a panic
        let _ = exp_neg::<true>(f64::NAN);
        let _ = exp_neg::<false>(f64::NEG_INFINITY - f64::NEG_INFINITY);
    }

    #[test]
    fn checkpoints_are_geometric() {
        assert_eq!(checkpoints(10), vec![10]);
        assert_eq!(checkpoints(32), vec![32]);
        assert_eq!(checkpoints(600), vec![32, 128, 512, 600]);
    }
}
