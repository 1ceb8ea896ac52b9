//! The forward recursion of [`super::hmm`]: emission constants, exact log-likelihood accumulators, a
//! branch-free `exp` for non-positive arguments and the sequential step (any K and d): the online filter,
//! the batch pass for short inputs and sizes without a specialised kernel, and the merge of the segmented
//! pass ([`super::hmm_kernel`]), which re-runs the head of each segment with this step.
//!
//! The recursion keeps unnormalised forward variables `α̃` and rescales them by an exact power of two only
//! when their sum drops below 2⁻⁶⁴, so the dependency chain from one step to the next is just the
//! prediction and one product (no division); the normalised probabilities are computed beside it.
//! The online filter and the batch filter run this same code for inputs shorter than the segmented pass's
//! threshold (8 × 512 rows), and agree bit for bit there; above it the batch filter is the segmented pass,
//! which agrees with this step to ~1e-13 (tested).

use super::hmm::GaussianHmm;

/// Below this the scaled step underflows and is redone in log space.
const TINY: f64 = 1e-290;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Per-state constants of the log emission density.
#[derive(Debug, Clone)]
pub(crate) struct Emission {
    d: usize,
    /// `−½ Σ_c ln(2π σ²_jc)` per state
    pub(super) cst: Vec<f64>,
    /// `½ / σ²_jc`, K×d
    pub(super) half_inv: Vec<f64>,
    pub(super) means: Vec<f64>,
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
    pub(super) sum: f64,
    pub(super) comp: f64,
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

/// Binary exponent of a positive normal f64.
#[inline(always)]
fn exponent(v: f64) -> i64 {
    ((v.to_bits() >> 52) & 0x7ff) as i64 - 1023
}

/// `2^e` for a normal result (−1022 <= e <= 1023).
#[inline(always)]
fn pow2(e: i64) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// `2^(j/32)`, j = 0..32, correctly rounded (computed with 60-digit decimals).
#[rustfmt::skip]
static EXP2_32: [f64; 32] = [
    1.0, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237,
    1.0905077326652577, 1.1143867425958924, 1.1387886347566916, 1.1637248587775775,
    1.189207115002721, 1.215247359980469, 1.241857812073484, 1.2690509571917332,
    1.2968395546510096, 1.3252366431597413, 1.3542555469368927, 1.383909881963832,
    std::f64::consts::SQRT_2, 1.4451808069770467, 1.4768261459394993, 1.5091644275934228,
    1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965,
    1.681792830507429, 1.718619298122478, 1.7562521603732995, 1.7947090750031072,
    1.8340080864093424, 1.8741676341103, 1.9152065613971474, 1.9571441241754002,
];

/// `e^x` for `x <= 0` within ~2 ulp of `f64::exp`, branch-free so loops over it vectorise (except the
/// table load): `x = (k/32)·ln 2 + r`, `|r| <= ln2/64` (k by the 1.5·2⁵² rounding trick, read back from the
/// bits), `e^x = 2^(k div 32) · 2^((k mod 32)/32) · P(r)` with P the degree-6 Taylor polynomial (truncation
/// < 4e-18). Arguments below −708 are clamped there (`e^x` ≈ 3e-308): such a state is negligible next to
/// the state at the maximum (factor 1), and a step where everything is that small goes to the log-space
/// path anyway.
#[inline(always)]
pub(crate) fn exp_le0(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
    const INV: f64 = 32.0 / std::f64::consts::LN_2;
    // fdlibm's ln2 split (hi has 32 significant bits, so k·hi is exact for |k| < 2^20), divided by 32
    const HI: f64 = 6.931_471_803_691_238e-1 / 32.0;
    const LO: f64 = 1.908_214_929_270_587_7e-10 / 32.0;
    let x = if x < -708.0 { -708.0 } else { x };
    let t = x * INV + MAGIC;
    let kf = t - MAGIC;
    let k = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let r = (x - kf * HI) - kf * LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    EXP2_32[(k & 31) as usize] * p * pow2(k >> 5)
}

/// `ln L` as `M + E·ln 2 + ln Σ α̃`: `M` the compensated sum of the emission shifts, `E` the exact
/// power-of-two rescalings of the unnormalised forward variables `α̃`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLik {
    pub(super) shift: KahanSum,
    pub(super) e2: i64,
    /// an observation had zero density in every state (|x − μ|/σ beyond ~1e154): ln L = −∞
    pub(super) zero: bool,
}

impl LogLik {
    pub(crate) fn new() -> Self {
        Self { shift: KahanSum::default(), e2: 0, zero: false }
    }

    /// ln L given the current `Σ α̃`.
    pub(crate) fn value(&self, sum: f64) -> f64 {
        if self.zero {
            f64::NEG_INFINITY
        } else {
            self.shift.value() + (self.e2 as f64) * std::f64::consts::LN_2 + sum.ln()
        }
    }
}

/// One observation's log densities (`lb`), their maximum (returned) and the shifted densities
/// `b̃ = exp(lb − max)` (into `b`, unless every density is zero).
#[inline(always)]
fn shifted(lb: &[f64], b: &mut [f64]) -> f64 {
    let mut mx = f64::NEG_INFINITY;
    for &l in lb {
        if l > mx {
            mx = l;
        }
    }
    for (o, &l) in b.iter_mut().zip(lb) {
        *o = exp_le0(l - mx);
    }
    mx
}

/// The recursion step on shifted densities: `α̃ = predicted ∘ b̃`, rescaled by a power of two when its sum
/// falls below 2⁻⁶⁴ (exact); returns `Σ α̃`. Falls back to log space (needs the log densities `lb`) when the
/// scaled sum underflows, and to "no information" when every density is zero.
#[inline(always)]
pub(super) fn advance(
    alpha: &mut [f64],
    pred: &[f64],
    b: &[f64],
    mx: f64,
    lb: impl FnOnce() -> Vec<f64>,
    ll: &mut LogLik,
) -> f64 {
    if mx == f64::NEG_INFINITY {
        alpha.copy_from_slice(pred);
        ll.zero = true;
        return alpha.iter().sum();
    }
    let mut c = 0.0;
    for j in 0..alpha.len() {
        let u = pred[j] * b[j];
        alpha[j] = u;
        c += u;
    }
    if c.is_nan() || c <= TINY {
        return log_step(alpha, pred, &lb(), mx, ll);
    }
    ll.shift.add(mx);
    let e = exponent(c);
    if e < -64 {
        let s = pow2(-e);
        for a in alpha.iter_mut() {
            *a *= s;
        }
        c *= s;
        ll.e2 += e;
    }
    c
}

/// The same step in log space; returns `Σ α̃` (in `[1, K]`).
#[cold]
fn log_step(alpha: &mut [f64], pred: &[f64], lb: &[f64], mx: f64, ll: &mut LogLik) -> f64 {
    for ((a, &p), &l) in alpha.iter_mut().zip(pred).zip(lb) {
        *a = if p > 0.0 { p.ln() + (l - mx) } else { f64::NEG_INFINITY };
    }
    let top = alpha.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for a in alpha.iter_mut() {
        *a = (*a - top).exp();
        s += *a;
    }
    ll.shift.add(mx + top);
    s
}

/// `out_j = Σ_i α_i A_ij`, summed as (even i in order) + (odd i in order): two independent chains halve
/// the latency of the step-to-step dependency.
#[inline(always)]
fn predict(alpha: &[f64], trans: &[f64], out: &mut [f64]) {
    let k = alpha.len();
    for (j, p) in out.iter_mut().enumerate() {
        let (mut even, mut odd) = (0.0, 0.0);
        for i in (0..k).step_by(2) {
            even += alpha[i] * trans[i * k + j];
        }
        for i in (1..k).step_by(2) {
            odd += alpha[i] * trans[i * k + j];
        }
        *p = even + odd;
    }
}

/// `p = α̃ / Σ α̃`.
#[inline(always)]
pub(super) fn normalise(alpha: &[f64], sum: f64, out: &mut [f64]) {
    let inv = 1.0 / sum;
    for (o, &a) in out.iter_mut().zip(alpha) {
        *o = a * inv;
    }
}

/// The forward recursion's state for any K and d (the online filter).
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    /// unnormalised forward variables α̃
    alpha: Vec<f64>,
    pub(super) sum: f64,
    /// `P(state_t | x_0..x_t)`
    pub(crate) probs: Vec<f64>,
    pred: Vec<f64>,
    lb: Vec<f64>,
    b: Vec<f64>,
    pub(super) ll: LogLik,
    pub(crate) n: u64,
}

impl Forward {
    pub(crate) fn new(k: usize) -> Self {
        let z = || vec![0.0; k];
        Self { alpha: z(), sum: 1.0, probs: z(), pred: z(), lb: z(), b: z(), ll: LogLik::new(), n: 0 }
    }

    /// The recursion continued from a belief `state` (K probabilities) about the previous observation's
    /// state: its log-likelihood is then that of the observations fed after it, given `state`.
    pub(crate) fn resume(state: &[f64]) -> Self {
        let mut f = Self::new(state.len());
        f.alpha.copy_from_slice(state);
        f.probs.copy_from_slice(state);
        f.sum = state.iter().sum();
        f.n = 1;
        f
    }

    pub(crate) fn loglik(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.ll.value(self.sum)
        }
    }

    /// One-step-ahead state probabilities (π before the first observation).
    pub(crate) fn predict_into(&self, m: &GaussianHmm, out: &mut [f64]) {
        if self.n == 0 {
            out.copy_from_slice(&m.startprob);
        } else {
            predict(&self.probs, &m.transmat, out);
        }
    }

    /// Advance by one (already checked, finite) observation row.
    pub(crate) fn step(&mut self, m: &GaussianHmm, em: &Emission, x: &[f64]) {
        if self.n == 0 {
            self.pred.copy_from_slice(&m.startprob);
        } else {
            predict(&self.alpha, &m.transmat, &mut self.pred);
        }
        em.log_density(x, &mut self.lb);
        let mx = shifted(&self.lb, &mut self.b);
        let lb = &self.lb;
        self.sum = advance(&mut self.alpha, &self.pred, &self.b, mx, || lb.clone(), &mut self.ll);
        normalise(&self.alpha, self.sum, &mut self.probs);
        self.n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_le0_is_within_two_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = 0.0;
        while x > -708.0 {
            for y in [x, x - 1e-9, x * 0.999_999_7] {
                let (a, b) = (exp_le0(y), y.exp());
                worst = worst.max(((a - b) / b).abs());
            }
            x -= 0.000_731_3;
        }
        assert!(worst < 4.5e-16, "max relative error {worst:e}");
        for (j, v) in EXP2_32.iter().enumerate() {
            assert!((v / (j as f64 / 32.0).exp2() - 1.0).abs() <= f64::EPSILON, "2^({j}/32)");
        }
        assert_eq!(exp_le0(0.0), 1.0);
        assert_eq!(exp_le0(-0.0), 1.0);
        // clamped below −708
        assert_eq!(exp_le0(-800.0), exp_le0(-708.0));
        assert_eq!(exp_le0(f64::NEG_INFINITY), exp_le0(-708.0));
        assert!(exp_le0(-708.0) > 0.0 && exp_le0(-708.0) < 4e-308);
    }

    #[test]
    fn rescaling_is_exact() {
        // α̃ shrinks by 1/3 per step: log-likelihood = n·ln(1/3) whatever the rescalings
        let mut ll = LogLik::new();
        let mut alpha = [1.0];
        let mut sum = 1.0;
        for _ in 0..100_000 {
            let pred = alpha;
            sum = advance(&mut alpha, &pred, &[1.0 / 3.0], 0.0, || vec![0.0], &mut ll);
        }
        let want = 100_000.0 * (1.0f64 / 3.0).ln();
        assert!((ll.value(sum) - want).abs() < 1e-9, "{} vs {want}", ll.value(sum));
        assert!(ll.e2 < -150_000);
    }
}
