//! The forward recursion of [`super::hmm`]: emission constants, exact log-likelihood accumulators, an
//! `exp` for non-positive arguments, the general step (any K and d; the online filter) and batch kernels
//! specialised for small K × d.
//!
//! Every path runs the same floating-point operations in the same order (prediction `Σ_i α_i A_ij` in `i`
//! order, the emission sum in feature order, [`combine`] for the update), so the online filter and the
//! batch filter agree bit for bit; the specialised kernels only remove loop and bounds-check overhead
//! (K and d known at compile time), which matters because the wheel is built without cross-crate LTO.

use std::sync::OnceLock;

use super::hmm::GaussianHmm;

/// Below this the scaled step underflows and is redone in log space.
const TINY: f64 = 1e-290;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Per-state constants of the log emission density.
#[derive(Debug, Clone)]
pub(crate) struct Emission {
    d: usize,
    /// `−½ Σ_c ln(2π σ²_jc)` per state
    cst: Vec<f64>,
    /// `½ / σ²_jc`, K×d
    half_inv: Vec<f64>,
    means: Vec<f64>,
}

impl Emission {
    pub(crate) fn new(m: &GaussianHmm) -> Self {
        Self::from_parts(m.d, &m.means, &m.variances)
    }

    pub(crate) fn from_parts(d: usize, means: &[f64], variances: &[f64]) -> Self {
        let cst = variances.chunks_exact(d).map(|v| -0.5 * v.iter().map(|s| LN_2PI + s.ln()).sum::<f64>()).collect();
        let half_inv = variances.iter().map(|s| 0.5 / s).collect();
        Self { d, cst, half_inv, means: means.to_vec() }
    }

    /// `ln b_j(x)` for every state into `out[K]`.
    #[inline]
    pub(crate) fn log_density(&self, x: &[f64], out: &mut [f64]) {
        let d = self.d;
        for (j, o) in out.iter_mut().enumerate() {
            let mu = &self.means[j * d..(j + 1) * d];
            let hi = &self.half_inv[j * d..(j + 1) * d];
            let mut q = 0.0;
            for c in 0..d {
                let z = x[c] - mu[c];
                q += z * z * hi[c];
            }
            *o = self.cst[j] - q;
        }
    }
}

/// Neumaier-compensated running sum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KahanSum {
    sum: f64,
    comp: f64,
}

impl KahanSum {
    #[inline(always)]
    pub(crate) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    pub(crate) fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// `ln(Π c_t)` kept exactly as a mantissa in `[1, 2)` times a power of two: after every factor the binary
/// exponent moves into an integer (branch-free, exact), so the product never under- or overflows.
#[derive(Debug, Clone, Copy)]
struct LogProduct {
    mant: f64,
    exp2: i64,
}

impl LogProduct {
    const EXP_MASK: u64 = 0x7ff << 52;

    /// Multiply by a positive normal factor whose product with the mantissa stays normal.
    #[inline(always)]
    fn mul(&mut self, c: f64) {
        let bits = (self.mant * c).to_bits();
        self.exp2 += ((bits & Self::EXP_MASK) >> 52) as i64 - 1023;
        self.mant = f64::from_bits((bits & !Self::EXP_MASK) | (1023 << 52));
    }

    fn ln(&self) -> f64 {
        self.mant.ln() + (self.exp2 as f64) * std::f64::consts::LN_2
    }
}

/// The running `ln L = Σ m_t + ln Π c_t`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLik {
    shift: KahanSum,
    prod: LogProduct,
    /// an observation had zero density in every state (|x − μ|/σ beyond ~1e154): ln L = −∞
    zero: bool,
}

impl LogLik {
    pub(crate) fn new() -> Self {
        Self { shift: KahanSum::default(), prod: LogProduct { mant: 1.0, exp2: 0 }, zero: false }
    }

    pub(crate) fn value(&self) -> f64 {
        if self.zero {
            f64::NEG_INFINITY
        } else {
            self.shift.value() + self.prod.ln()
        }
    }
}

/// `2^(j/32)`, j = 0..32.
fn exp_table() -> &'static [f64; 32] {
    static TABLE: OnceLock<[f64; 32]> = OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|j| (j as f64 / 32.0).exp2()))
}

/// `e^x` for `x <= 0`, within ~2 ulp of `f64::exp`: `x = (k/32)·ln 2 + r` with `|r| <= ln2/64`,
/// `e^x = 2^(k div 32) · 2^((k mod 32)/32) · P(r)`, P the degree-6 Taylor polynomial (truncation < 4e-18).
/// Inlined and branch-light, it is several times cheaper than a libm call in the forward loop.
#[inline(always)]
pub(crate) fn exp_le0(x: f64, tab: &[f64; 32]) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2^52: adding and subtracting it rounds to an integer
    const INV: f64 = 32.0 / std::f64::consts::LN_2;
    // fdlibm's ln2 split (hi has 32 significant bits, so k·hi is exact for |k| < 2^20), divided by 32
    const HI: f64 = 6.931_471_803_691_238e-1 / 32.0;
    const LO: f64 = 1.908_214_929_270_587_7e-10 / 32.0;
    if x.is_nan() || x < -708.0 {
        return exp_cold(x);
    }
    let kf = (x * INV + MAGIC) - MAGIC;
    let r = (x - kf * HI) - kf * LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let k = kf as i64;
    let scale = f64::from_bits((((k >> 5) + 1023) as u64) << 52);
    tab[(k & 31) as usize] * p * scale
}

#[cold]
fn exp_cold(x: f64) -> f64 {
    x.exp()
}

/// The update of one step: `α ∝ predicted · exp(ln b − max ln b)`, normalised, and the log-likelihood
/// increment; falls back to log space when the scaled sum underflows.
#[inline(always)]
pub(crate) fn combine(alpha: &mut [f64], pred: &[f64], lb: &[f64], ll: &mut LogLik, tab: &[f64; 32]) {
    let mut mx = f64::NEG_INFINITY;
    for &l in lb {
        if l > mx {
            mx = l;
        }
    }
    if mx == f64::NEG_INFINITY {
        // zero density everywhere: the observation carries no usable information, the likelihood is 0
        alpha.copy_from_slice(pred);
        ll.zero = true;
        return;
    }
    let mut c = 0.0;
    for j in 0..alpha.len() {
        let u = pred[j] * exp_le0(lb[j] - mx, tab);
        alpha[j] = u;
        c += u;
    }
    if c > TINY {
        let inv = 1.0 / c;
        for a in alpha.iter_mut() {
            *a *= inv;
        }
        ll.shift.add(mx);
        ll.prod.mul(c);
    } else {
        log_step(alpha, pred, lb, mx, ll);
    }
}

/// The same update in log space.
#[cold]
fn log_step(alpha: &mut [f64], pred: &[f64], lb: &[f64], mx: f64, ll: &mut LogLik) {
    for ((a, &p), &l) in alpha.iter_mut().zip(pred).zip(lb) {
        *a = if p > 0.0 { p.ln() + (l - mx) } else { f64::NEG_INFINITY };
    }
    let top = alpha.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for a in alpha.iter_mut() {
        *a = (*a - top).exp();
        s += *a;
    }
    let inv = 1.0 / s;
    alpha.iter_mut().for_each(|a| *a *= inv);
    ll.shift.add(mx + top);
    ll.prod.mul(s);
}

/// The forward recursion's state for any K and d: normalised α, scratch, and the running log-likelihood.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    pub(crate) alpha: Vec<f64>,
    pred: Vec<f64>,
    lb: Vec<f64>,
    ll: LogLik,
    pub(crate) n: u64,
}

impl Forward {
    pub(crate) fn new(k: usize) -> Self {
        Self { alpha: vec![0.0; k], pred: vec![0.0; k], lb: vec![0.0; k], ll: LogLik::new(), n: 0 }
    }

    pub(crate) fn loglik(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.ll.value()
        }
    }

    /// One-step-ahead state probabilities (π before the first observation).
    pub(crate) fn predict_into(&self, m: &GaussianHmm, out: &mut [f64]) {
        if self.n == 0 {
            out.copy_from_slice(&m.startprob);
        } else {
            predict(&self.alpha, &m.transmat, out);
        }
    }

    /// Advance by one (already checked, finite) observation row.
    #[inline]
    pub(crate) fn step(&mut self, m: &GaussianHmm, em: &Emission, x: &[f64]) {
        if self.n == 0 {
            self.pred.copy_from_slice(&m.startprob);
        } else {
            predict(&self.alpha, &m.transmat, &mut self.pred);
        }
        em.log_density(x, &mut self.lb);
        combine(&mut self.alpha, &self.pred, &self.lb, &mut self.ll, exp_table());
        self.n += 1;
    }
}

/// `out_j = Σ_i α_i A_ij` (i in order).
#[inline(always)]
fn predict(alpha: &[f64], trans: &[f64], out: &mut [f64]) {
    let k = alpha.len();
    out.iter_mut().for_each(|p| *p = 0.0);
    for (i, &a) in alpha.iter().enumerate() {
        let row = &trans[i * k..(i + 1) * k];
        for (p, &t) in out.iter_mut().zip(row) {
            *p += a * t;
        }
    }
}

/// The batch forward pass over `x` (checked n×d); appends the n×K probabilities to `probs` when given;
/// returns ln L.
pub(crate) fn filter_batch(m: &GaussianHmm, em: &Emission, x: &[f64], probs: Option<&mut Vec<f64>>) -> f64 {
    macro_rules! fixed {
        ($(($k:literal, $d:literal)),*) => {
            match (m.k, m.d) {
                $(($k, $d) => return run_fixed::<$k, $d>(m, em, x, probs),)*
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
    let mut f = Forward::new(m.k);
    let mut probs = probs;
    for row in x.chunks_exact(m.d) {
        f.step(m, em, row);
        if let Some(p) = probs.as_deref_mut() {
            p.extend_from_slice(&f.alpha);
        }
    }
    f.loglik()
}

/// [`filter_batch`] with K and d known at compile time (same operations, same order).
fn run_fixed<const K: usize, const D: usize>(
    m: &GaussianHmm,
    em: &Emission,
    x: &[f64],
    mut probs: Option<&mut Vec<f64>>,
) -> f64 {
    let trans: [[f64; K]; K] = std::array::from_fn(|i| std::array::from_fn(|j| m.transmat[i * K + j]));
    let mu: [[f64; D]; K] = std::array::from_fn(|j| std::array::from_fn(|c| em.means[j * D + c]));
    let hi: [[f64; D]; K] = std::array::from_fn(|j| std::array::from_fn(|c| em.half_inv[j * D + c]));
    let cst: [f64; K] = std::array::from_fn(|j| em.cst[j]);
    let tab = exp_table();
    let mut ll = LogLik::new();
    let mut alpha = [0.0; K];
    let mut n = 0usize;
    for (t, row) in x.chunks_exact(D).enumerate() {
        let Ok(xr) = <&[f64; D]>::try_from(row) else { continue };
        let mut pred = [0.0; K];
        if t == 0 {
            pred.copy_from_slice(&m.startprob);
        } else {
            for i in 0..K {
                let a = alpha[i];
                for j in 0..K {
                    pred[j] += a * trans[i][j];
                }
            }
        }
        let mut lb = [0.0; K];
        for j in 0..K {
            let mut q = 0.0;
            for c in 0..D {
                let z = xr[c] - mu[j][c];
                q += z * z * hi[j][c];
            }
            lb[j] = cst[j] - q;
        }
        combine(&mut alpha, &pred, &lb, &mut ll, tab);
        if let Some(p) = probs.as_deref_mut() {
            p.extend_from_slice(&alpha);
        }
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        ll.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_le0_is_within_two_ulp() {
        let tab = exp_table();
        let mut worst: f64 = 0.0;
        let mut x = 0.0;
        while x > -745.5 {
            for y in [x, x - 1e-9, x * 0.999_999_7] {
                let (a, b) = (exp_le0(y, tab), y.exp());
                if b > 1e-300 {
                    worst = worst.max(((a - b) / b).abs());
                }
            }
            x -= 0.000_731_3;
        }
        assert!(worst < 4.5e-16, "max relative error {worst:e}");
        assert_eq!(exp_le0(0.0, tab), 1.0);
        assert_eq!(exp_le0(-0.0, tab), 1.0);
        assert_eq!(exp_le0(-800.0, tab), 0.0);
        assert_eq!(exp_le0(f64::NEG_INFINITY, tab), 0.0);
    }

    #[test]
    fn log_product_is_exact_over_many_factors() {
        let mut p = LogProduct { mant: 1.0, exp2: 0 };
        let mut want = KahanSum::default();
        for i in 0..100_000 {
            let c = 0.5 + (i % 7) as f64 * 0.0625; // exactly representable factors
            p.mul(c);
            want.add(c.ln());
        }
        assert!((p.ln() - want.value()).abs() < 1e-9, "{} vs {}", p.ln(), want.value());
        let mut q = LogProduct { mant: 1.0, exp2: 0 };
        for _ in 0..2000 {
            q.mul(1e-280);
        }
        assert!((q.ln() - 2000.0 * 1e-280f64.ln()).abs() < 1e-9 * q.ln().abs());
    }
}
