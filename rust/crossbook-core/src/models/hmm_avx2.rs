//! The lane kernel of [`super::hmm_lanes`] written with AVX2 + FMA intrinsics (x86-64 only), called by
//! [`super::hmm_simd`] after it has checked that the CPU has both.
//!
//! The compiler's vectoriser, left with the generic kernel, packs some loops along the states instead of
//! the lanes (K = 4 is also the vector width) and fills the step with shuffles; written with explicit
//! vectors of four lanes, every operation is one instruction on four segments. The operations and their
//! order are exactly those of the generic kernel with fused multiply-adds (`hmm_lanes::run::<K, D, true>`),
//! so both give the same bits (a test checks it); the rare parts of a step (the log-space step, the
//! rescaling) are the generic kernel's own code, on the lanes spilled to arrays.
//!
//! The structure is the generic kernel's: per chunk of rows, the rows are transposed to the lane layout
//! (here with 4×4 register transposes), the emissions computed by the generic code (which vectorises well
//! as separate passes, and is compiled here with AVX2 and FMA), then the recursion runs with the state in
//! registers. One fused loop per row was slower: too many live constants for sixteen registers.
//!
//! No `unsafe` here: since Rust 1.86 intrinsics are safe to call inside a function that enables their
//! target features; loads and stores go through arrays (the compiler turns them into vector moves).

#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_castpd256_pd128, _mm256_cmp_pd, _mm256_div_pd, _mm256_extractf128_pd,
    _mm256_fmadd_pd, _mm256_movemask_pd, _mm256_mul_pd, _mm256_or_pd, _mm256_permute2f128_pd, _mm256_set1_pd,
    _mm256_set_pd, _mm256_setzero_pd, _mm256_sub_pd, _mm256_unpackhi_pd, _mm256_unpacklo_pd, _mm_cvtsd_f64,
    _mm_unpackhi_pd, _CMP_EQ_OQ, _CMP_NGE_UQ,
};

use super::hmm_forward::Emission;
use super::hmm_lanes::{checkpoints, emissions, rare, LaneModel, Segments, Snapshot, CHUNK, LANES, RESCALE_BELOW};

type V = __m256d;
/// Groups of four lanes.
const G: usize = LANES / 4;

#[inline]
#[target_feature(enable = "avx2,fma")]
fn splat(v: f64) -> V {
    _mm256_set1_pd(v)
}

/// Four consecutive values.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn load(a: &[f64]) -> V {
    _mm256_set_pd(a[3], a[2], a[1], a[0])
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn store(v: V, a: &mut [f64]) {
    let lo = _mm256_castpd256_pd128(v);
    let hi = _mm256_extractf128_pd::<1>(v);
    a[0] = _mm_cvtsd_f64(lo);
    a[1] = _mm_cvtsd_f64(_mm_unpackhi_pd(lo, lo));
    a[2] = _mm_cvtsd_f64(hi);
    a[3] = _mm_cvtsd_f64(_mm_unpackhi_pd(hi, hi));
}

/// 4×4 transpose: `out[c]` = element c of each input, in input order.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn transpose4(r: [V; 4]) -> [V; 4] {
    let t0 = _mm256_unpacklo_pd(r[0], r[1]); // r0[0] r1[0] r0[2] r1[2]
    let t1 = _mm256_unpackhi_pd(r[0], r[1]); // r0[1] r1[1] r0[3] r1[3]
    let t2 = _mm256_unpacklo_pd(r[2], r[3]);
    let t3 = _mm256_unpackhi_pd(r[2], r[3]);
    [
        _mm256_permute2f128_pd::<0x20>(t0, t2),
        _mm256_permute2f128_pd::<0x20>(t1, t3),
        _mm256_permute2f128_pd::<0x31>(t0, t2),
        _mm256_permute2f128_pd::<0x31>(t1, t3),
    ]
}

/// The state of the lanes, four per vector.
struct State<const K: usize> {
    alpha: [[V; K]; G],
    sum: [V; G],
    hi: [V; G],
    lo: [V; G],
    e2: [i64; LANES],
    zero: [bool; LANES],
}

/// `hmm_lanes::run::<K, D, true>` (same bits).
#[target_feature(enable = "avx2,fma")]
pub(super) fn run<const K: usize, const D: usize>(
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
    let zero = _mm256_setzero_pd();
    let mut st = State::<K> {
        alpha: [[zero; K]; G],
        sum: [splat(1.0); G],
        hi: [zero; G],
        lo: [zero; G],
        e2: [0; LANES],
        zero: [false; LANES],
    };
    let mut trans = [[zero; K]; K];
    for i in 0..K {
        for j in 0..K {
            trans[i][j] = splat(m.trans[i][j]);
        }
    }
    let mut snaps = Vec::new();
    let mut t0 = 0;
    for cp in checkpoints(len) {
        while t0 < cp {
            let tn = CHUNK.min(cp - t0);
            transpose_rows::<D>(seg.x, len, t0, &mut xs[..tn]);
            emissions::<K, D, true>(m, &xs[..tn], &mut b[..tn], &mut mx[..tn]);
            recurse(&trans, em, seg, &mut st, t0, &b[..tn], &mx[..tn], probs.as_deref_mut());
            t0 += tn;
        }
        snaps.push(snapshot(&st));
    }
    snaps
}

#[target_feature(enable = "avx2,fma")]
fn snapshot<const K: usize>(st: &State<K>) -> [Snapshot<K>; LANES] {
    let mut alpha = [[0.0; LANES]; K];
    let (mut sum, mut hi, mut lo) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
    for g in 0..G {
        for j in 0..K {
            store(st.alpha[g][j], &mut alpha[j][4 * g..]);
        }
        store(st.sum[g], &mut sum[4 * g..]);
        store(st.hi[g], &mut hi[4 * g..]);
        store(st.lo[g], &mut lo[4 * g..]);
    }
    std::array::from_fn(|s| Snapshot {
        alpha: std::array::from_fn(|j| alpha[j][s]),
        sum: sum[s],
        shift_hi: hi[s],
        shift_lo: lo[s],
        e2: st.e2[s],
        zero: st.zero[s],
    })
}

/// Rows `t0..t0 + xs.len()` of every lane into the lane layout `xs[t][c][s]`.
/// (Closures, as in `array::from_fn`, would not inherit the target features: plain loops here.)
#[inline]
#[target_feature(enable = "avx2,fma")]
fn transpose_rows<const D: usize>(x: &[f64], len: usize, t0: usize, xs: &mut [[[f64; LANES]; D]]) {
    for (t, xt) in xs.iter_mut().enumerate() {
        for g in 0..G {
            let mut r = [0; 4];
            for i in 0..4 {
                r[i] = ((4 * g + i) * len + t0 + t) * D;
            }
            if D == 4 {
                let tr = transpose4([load(&x[r[0]..]), load(&x[r[1]..]), load(&x[r[2]..]), load(&x[r[3]..])]);
                for c in 0..D {
                    store(tr[c], &mut xt[c][4 * g..]);
                }
            } else {
                for c in 0..D {
                    for i in 0..4 {
                        xt[c][4 * g + i] = x[r[i] + c];
                    }
                }
            }
        }
    }
}

/// The recursion over a chunk whose emissions are in `b` and `mx` (steps `t0..`), the state in registers.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn recurse<const K: usize>(
    trans: &[[V; K]; K],
    em: &Emission,
    seg: &Segments<'_, K>,
    st: &mut State<K>,
    t0: usize,
    b: &[[[f64; LANES]; K]],
    mx: &[[f64; LANES]],
    mut probs: Option<&mut [f64]>,
) {
    let len = seg.len;
    let mut alpha = st.alpha;
    let mut sum = st.sum;
    let mut hi = st.hi;
    let mut lo = st.lo;
    for (dt, (bt, mt)) in b.iter().zip(mx).enumerate() {
        let t = t0 + dt;
        let mut pred = [[splat(0.0); K]; G];
        let mut u = [[splat(0.0); K]; G];
        let mut c = [splat(0.0); G];
        let mut add = [splat(0.0); G];
        let mut flag = 0;
        for g in 0..G {
            if t == 0 {
                for j in 0..K {
                    pred[g][j] = load(&seg.start[j][4 * g..]);
                }
            } else {
                let a = &alpha[g];
                for j in 0..K {
                    let mut even = _mm256_mul_pd(a[0], trans[0][j]);
                    for i in (2..K).step_by(2) {
                        even = _mm256_fmadd_pd(a[i], trans[i][j], even);
                    }
                    let mut odd = splat(0.0);
                    if K > 1 {
                        odd = _mm256_mul_pd(a[1], trans[1][j]);
                        for i in (3..K).step_by(2) {
                            odd = _mm256_fmadd_pd(a[i], trans[i][j], odd);
                        }
                    }
                    pred[g][j] = _mm256_add_pd(even, odd);
                }
            }
            for j in 0..K {
                u[g][j] = _mm256_mul_pd(pred[g][j], load(&bt[j][4 * g..]));
                c[g] = _mm256_add_pd(c[g], u[g][j]);
            }
            add[g] = load(&mt[4 * g..]);
            // `!(c >= 2⁻⁶⁴) | (mx == −∞)`: the rare step (see `hmm_lanes::step`)
            let low = _mm256_cmp_pd::<_CMP_NGE_UQ>(c[g], splat(RESCALE_BELOW));
            let none = _mm256_cmp_pd::<_CMP_EQ_OQ>(add[g], splat(f64::NEG_INFINITY));
            flag |= _mm256_movemask_pd(_mm256_or_pd(low, none));
        }
        if flag != 0 {
            spilled_rare(em, seg, t, &pred, &mut u, &mut c, &mut add, &mut st.zero, &mut st.e2);
        }
        for g in 0..G {
            alpha[g] = u[g];
            sum[g] = c[g];
            // Knuth's two-sum
            let s = _mm256_add_pd(hi[g], add[g]);
            let bv = _mm256_sub_pd(s, hi[g]);
            let err = _mm256_add_pd(_mm256_sub_pd(hi[g], _mm256_sub_pd(s, bv)), _mm256_sub_pd(add[g], bv));
            lo[g] = _mm256_add_pd(lo[g], err);
            hi[g] = s;
        }
        if let Some(p) = probs.as_deref_mut() {
            write_probs(&u, &c, len, t, p);
        }
    }
    st.alpha = alpha;
    st.sum = sum;
    st.hi = hi;
    st.lo = lo;
}

/// Row `t` of the probabilities of every lane: `u / c`, transposed back to rows.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn write_probs<const K: usize>(u: &[[V; K]; G], c: &[V; G], len: usize, t: usize, p: &mut [f64]) {
    for g in 0..G {
        let inv = _mm256_div_pd(splat(1.0), c[g]);
        let mut pj = [splat(0.0); K];
        for j in 0..K {
            pj[j] = _mm256_mul_pd(u[g][j], inv);
        }
        if K == 4 {
            let rows = transpose4([pj[0], pj[1], pj[2], pj[3]]);
            for i in 0..4 {
                let r = ((4 * g + i) * len + t) * K;
                store(rows[i], &mut p[r..r + 4]);
            }
        } else {
            let mut a = [[0.0; 4]; K];
            for j in 0..K {
                store(pj[j], &mut a[j]);
            }
            for i in 0..4 {
                let r = ((4 * g + i) * len + t) * K;
                for j in 0..K {
                    p[r + j] = a[j][i];
                }
            }
        }
    }
}

/// The rare parts of the step ([`rare`]) on the lanes spilled to arrays.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
fn spilled_rare<const K: usize>(
    em: &Emission,
    seg: &Segments<'_, K>,
    t: usize,
    pred: &[[V; K]; G],
    u: &mut [[V; K]; G],
    c: &mut [V; G],
    add: &mut [V; G],
    zero: &mut [bool; LANES],
    e2: &mut [i64; LANES],
) {
    let (mut pa, mut ua) = ([[0.0; LANES]; K], [[0.0; LANES]; K]);
    let (mut ca, mut mxa) = ([0.0; LANES], [0.0; LANES]);
    for g in 0..G {
        for j in 0..K {
            store(pred[g][j], &mut pa[j][4 * g..]);
            store(u[g][j], &mut ua[j][4 * g..]);
        }
        store(c[g], &mut ca[4 * g..]);
        store(add[g], &mut mxa[4 * g..]);
    }
    let mut adda = mxa;
    let (len, d) = (seg.len, seg.x.len() / (LANES * seg.len));
    let row = |s: usize| &seg.x[(s * len + t) * d..(s * len + t + 1) * d];
    rare(em, row, &pa, &mut ua, &mut ca, &mxa, &mut adda, zero, e2);
    for g in 0..G {
        for j in 0..K {
            u[g][j] = load(&ua[j][4 * g..]);
        }
        c[g] = load(&ca[4 * g..]);
        add[g] = load(&adda[4 * g..]);
    }
}
