//! Hidden Markov model of market regimes with diagonal Gaussian emissions: the model, the batch forward
//! filter and the online filter (seed `heatmap-overlay-and-model-infrastructure.md` § 3.5).
//!
//! States are indexed `0..K`; for the four market regimes the order is [`MarketRegime::ALL`] (Quiet,
//! Trending, Volatile, Cascade), which [`crate::models::hmm_fit`] guarantees by sorting fitted states by the
//! mean of the volatility feature. Emissions are independent Gaussians per feature:
//!
//! ```text
//! ln b_j(x) = −½ · Σ_c [ ln(2π·σ²_jc) + (x_c − μ_jc)² / σ²_jc ]
//! ```
//!
//! The forward filter is the scaled recursion (Rabiner 1989, § V.A), O(K² + K·d) per observation:
//!
//! ```text
//! predicted_t = α̃_{t−1} · A            (π at t = 0)
//! α̃_t(j)      = predicted_t(j) · exp(ln b_j(x_t) − m_t),   m_t = max_j ln b_j(x_t)
//! P(state_t = j | x_0..x_t) = α̃_t(j) / Σ_i α̃_t(i);   ln L = Σ_t m_t + ln Σ_i α̃_t(i)
//! ```
//!
//! with `α̃` rescaled by exact powers of two whenever its sum falls below 2⁻⁶⁴ (tracked in ln L). Long
//! inputs are filtered by a segmented pass ([`crate::models`]' `hmm_kernel`): 8 segments per thread
//! advanced side by side in SIMD lanes, each segment's unknown starting belief corrected exactly by a
//! short sequential re-run that stops once the filter has forgotten its start (the probabilities and ln L
//! agree with the sequential recursion to ~1e-13, or the re-run covers the whole segment).
//!
//! The filtered probability is causal: it uses no observation after `t`. Shifting by `m_t` keeps the
//! emission ratios in `(0, 1]`; when even so `Σ α̃_t` underflows (an observation explained only by states
//! the past says are almost impossible), that step is redone in log space, so the result is never NaN or
//! −∞ for finite input (short of a density that is 0 in every state, |x − μ|/σ ≳ 1e154: ln L = −∞ then,
//! and the belief stays at the prediction). The log-likelihood is a compensated sum of the `m_t` plus the
//! exact rescalings and one `ln` at the end: accurate to ~1e-15 relative, more than hmmlearn's log-space
//! `score` (whose own rounding grows with n: ~1e-8 absolute at n = 20 000).

use super::hmm_forward::{Emission, Forward};
use super::hmm_kernel::filter_batch;
use crate::error::{CoreError, Result};

/// The four market regimes of the seed, in state-index order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarketRegime {
    /// low volatility, balanced flow, normal fill rates
    Quiet,
    /// directional momentum, elevated adverse selection
    Trending,
    /// high volatility, wide spreads, uncertain direction
    Volatile,
    /// liquidation cascade, extreme toxicity
    Cascade,
}

impl MarketRegime {
    /// All regimes in state-index order.
    pub const ALL: [Self; 4] = [Self::Quiet, Self::Trending, Self::Volatile, Self::Cascade];

    /// Lower-case name (`"quiet"`, ...), as in the simulator and the quote engine.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Quiet => "quiet",
            Self::Trending => "trending",
            Self::Volatile => "volatile",
            Self::Cascade => "cascade",
        }
    }

    /// The regime of state index `i` (0..4).
    #[must_use]
    pub fn from_index(i: usize) -> Option<Self> {
        Self::ALL.get(i).copied()
    }
}

/// The seed's transition initialisation (`initialize_hmm_params`): row = from, column = to, in
/// [`MarketRegime::ALL`] order, per observation step.
pub const SEED_TRANSMAT: [[f64; 4]; 4] =
    [[0.95, 0.03, 0.019, 0.001], [0.10, 0.85, 0.04, 0.01], [0.15, 0.10, 0.70, 0.05], [0.05, 0.05, 0.60, 0.30]];

/// The four features of the seed's `ObservationVector`, in column order.
pub const FEATURES: [&str; 4] = ["volatility", "trade_intensity", "imbalance", "adverse_selection"];

/// One regime's emission model as the seed writes it: mean and standard deviation of each feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeEmissionModel {
    pub volatility_mean: f64,
    pub volatility_std: f64,
    pub trade_intensity_mean: f64,
    pub trade_intensity_std: f64,
    pub imbalance_mean: f64,
    pub imbalance_std: f64,
    pub adverse_selection_mean: f64,
    pub adverse_selection_std: f64,
}

/// Tolerance on `Σ p = 1` for the start and transition probabilities.
pub const SUM_TOL: f64 = 1e-6;

/// A `K`-state HMM with diagonal Gaussian emissions over `d` features. Matrices are row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianHmm {
    pub(crate) k: usize,
    pub(crate) d: usize,
    pub(crate) startprob: Vec<f64>,
    pub(crate) transmat: Vec<f64>,
    pub(crate) means: Vec<f64>,
    pub(crate) variances: Vec<f64>,
}

fn invalid(msg: String) -> CoreError {
    CoreError::InvalidInput(msg)
}

fn check_probs(name: &str, p: &[f64]) -> Result<()> {
    if let Some((i, v)) = p.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(invalid(format!("{name}: entry {i} is not a probability ({v})")));
    }
    let s: f64 = p.iter().sum();
    if (s - 1.0).abs() > SUM_TOL {
        return Err(invalid(format!("{name} must sum to 1 (sums to {s})")));
    }
    Ok(())
}

impl GaussianHmm {
    /// A model from its parameters: `startprob[K]`, `transmat[K×K]` (rows sum to 1), `means[K×d]`,
    /// `variances[K×d]` (> 0).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for inconsistent lengths, probabilities that are negative, non-finite or
    /// do not sum to 1 (±[`SUM_TOL`]), non-finite means, or variances that are not finite and positive.
    pub fn new(startprob: Vec<f64>, transmat: Vec<f64>, means: Vec<f64>, variances: Vec<f64>) -> Result<Self> {
        let k = startprob.len();
        if k == 0 {
            return Err(invalid("startprob is empty: the model needs at least one state".into()));
        }
        if transmat.len() != k * k {
            return Err(invalid(format!("transmat must be {k}×{k} ({} entries given)", transmat.len())));
        }
        if means.is_empty() || !means.len().is_multiple_of(k) {
            return Err(invalid(format!("means must be {k}×d with d >= 1 ({} entries given)", means.len())));
        }
        let d = means.len() / k;
        if variances.len() != means.len() {
            return Err(invalid(format!("variances must be {k}×{d} like means ({} entries given)", variances.len())));
        }
        check_probs("startprob", &startprob)?;
        for (i, row) in transmat.chunks_exact(k).enumerate() {
            check_probs(&format!("transmat row {i}"), row)?;
        }
        if let Some(i) = means.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!("means[{}, {}] is not finite ({})", i / d, i % d, means[i])));
        }
        if let Some(i) = variances.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(invalid(format!(
                "variances[{}, {}] must be positive and finite ({})",
                i / d,
                i % d,
                variances[i]
            )));
        }
        Ok(Self { k, d, startprob, transmat, means, variances })
    }

    /// The seed's four-regime model: `initial_probs`, `transition_probs` and one [`RegimeEmissionModel`]
    /// per regime, features in [`FEATURES`] order.
    ///
    /// # Errors
    /// As [`Self::new`] (a standard deviation of 0 is rejected).
    pub fn from_regimes(
        initial_probs: [f64; 4],
        transition_probs: [[f64; 4]; 4],
        emissions: &[RegimeEmissionModel; 4],
    ) -> Result<Self> {
        let mut means = Vec::with_capacity(16);
        let mut variances = Vec::with_capacity(16);
        for e in emissions {
            means.extend([e.volatility_mean, e.trade_intensity_mean, e.imbalance_mean, e.adverse_selection_mean]);
            variances.extend(
                [e.volatility_std, e.trade_intensity_std, e.imbalance_std, e.adverse_selection_std].map(|s| s * s),
            );
        }
        Self::new(initial_probs.to_vec(), transition_probs.concat(), means, variances)
    }

    /// number of states K
    #[must_use]
    pub fn n_states(&self) -> usize {
        self.k
    }

    /// number of features d
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.d
    }

    #[must_use]
    pub fn startprob(&self) -> &[f64] {
        &self.startprob
    }

    /// K×K, row-major (row = from)
    #[must_use]
    pub fn transmat(&self) -> &[f64] {
        &self.transmat
    }

    /// K×d, row-major
    #[must_use]
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// K×d, row-major
    #[must_use]
    pub fn variances(&self) -> &[f64] {
        &self.variances
    }

    /// Check that `x` holds whole rows of `d` finite values; returns the number of rows.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the first bad row and column.
    pub fn check_obs(&self, x: &[f64]) -> Result<usize> {
        check_obs(x, self.d)
    }

    /// Filtered probabilities `P(state_t | x_0..x_t)` (n×K, row-major) and the total log-likelihood
    /// `ln P(x_0..x_{n−1})` of `x` (n×d, row-major). Empty `x` gives no rows and a log-likelihood of 0.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a length that is not a multiple of d or a non-finite value.
    pub fn filter(&self, x: &[f64]) -> Result<(Vec<f64>, f64)> {
        let n = check_len(x, self.d)?;
        let mut probs = vec![0.0; n * self.k];
        let ll = self.filter_into(x, &mut probs)?;
        Ok((probs, ll))
    }

    /// [`Self::filter`] writing the probabilities into `probs` (n×K, row-major; every value is
    /// overwritten, so it need not be initialised to anything in particular): a caller that owns the
    /// output buffer (numpy's `empty`) saves the pass that would zero a fresh one.
    ///
    /// # Errors
    /// As [`Self::filter`], and [`CoreError::InvalidInput`] when `probs` is not n×K long.
    pub fn filter_into(&self, x: &[f64], probs: &mut [f64]) -> Result<f64> {
        let n = check_len(x, self.d)?;
        if probs.len() != n * self.k {
            return Err(invalid(format!(
                "probabilities: {} values for {n} rows of {} states (need {})",
                probs.len(),
                self.k,
                n * self.k
            )));
        }
        let ll = filter_batch(self, &Emission::new(self), x, Some(probs));
        // a non-finite value gives a zero density in every state, hence ln L = −∞: only then is it worth
        // scanning the input for the error to report (saves a pass over the data)
        if !ll.is_finite() {
            self.check_obs(x)?;
        }
        Ok(ll)
    }

    /// The total log-likelihood of `x` (n×d), without keeping the probabilities.
    ///
    /// # Errors
    /// As [`Self::filter`].
    pub fn loglik(&self, x: &[f64]) -> Result<f64> {
        check_len(x, self.d)?;
        let ll = filter_batch(self, &Emission::new(self), x, None);
        if !ll.is_finite() {
            self.check_obs(x)?;
        }
        Ok(ll)
    }
}

fn check_len(x: &[f64], d: usize) -> Result<usize> {
    if d == 0 || !x.len().is_multiple_of(d) {
        return Err(invalid(format!("observations: {} values is not a whole number of rows of {d} features", x.len())));
    }
    Ok(x.len() / d)
}

pub(crate) fn check_obs(x: &[f64], d: usize) -> Result<usize> {
    check_len(x, d)?;
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(invalid(format!("observations: row {} feature {} is not finite ({})", i / d, i % d, x[i])));
    }
    Ok(x.len() / d)
}

/// The seed's `OnlineHMMFilter`: the forward recursion one observation at a time, O(K² + K·d) per update.
#[derive(Debug, Clone)]
pub struct OnlineFilter {
    model: GaussianHmm,
    em: Emission,
    fwd: Forward,
}

impl OnlineFilter {
    #[must_use]
    pub fn new(model: GaussianHmm) -> Self {
        let em = Emission::new(&model);
        let fwd = Forward::new(model.k);
        Self { model, em, fwd }
    }

    /// Feed one observation (d features); returns `P(state_t | x_0..x_t)`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a wrong length or a non-finite value; the state is unchanged then.
    pub fn update(&mut self, x: &[f64]) -> Result<&[f64]> {
        if x.len() != self.model.d {
            return Err(invalid(format!("observation has {} features, the model {}", x.len(), self.model.d)));
        }
        check_obs(x, self.model.d)?;
        self.fwd.step(&self.model, &self.em, x);
        Ok(&self.fwd.probs)
    }

    /// Feed n observations (n×d, row-major); returns the n×K filtered probabilities. Identical to n calls
    /// of [`Self::update`].
    ///
    /// # Errors
    /// As [`Self::update`], checked for every row before any is applied (the state is unchanged then).
    pub fn update_many(&mut self, x: &[f64]) -> Result<Vec<f64>> {
        let n = check_obs(x, self.model.d)?;
        let mut out = Vec::with_capacity(n * self.model.k);
        for row in x.chunks_exact(self.model.d) {
            self.fwd.step(&self.model, &self.em, row);
            out.extend_from_slice(&self.fwd.probs);
        }
        Ok(out)
    }

    /// `P(state_t | x_0..x_t)` after the last update (the start probabilities before any).
    #[must_use]
    pub fn probs(&self) -> &[f64] {
        if self.fwd.n == 0 {
            &self.model.startprob
        } else {
            &self.fwd.probs
        }
    }

    /// `P(state_{t+1} | x_0..x_t)`: the belief pushed one step through the transition matrix.
    #[must_use]
    pub fn predicted(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.model.k];
        self.fwd.predict_into(&self.model, &mut out);
        out
    }

    /// The index of the most probable state (the first on ties).
    #[must_use]
    pub fn most_likely(&self) -> usize {
        let p = self.probs();
        let mut best = 0;
        for (i, &v) in p.iter().enumerate() {
            if v > p[best] {
                best = i;
            }
        }
        best
    }

    /// `ln P(x_0..x_t)` of everything fed so far (0 before any update).
    #[must_use]
    pub fn loglik(&self) -> f64 {
        self.fwd.loglik()
    }

    /// observations fed since creation or the last [`Self::reset`]
    #[must_use]
    pub fn n_updates(&self) -> u64 {
        self.fwd.n
    }

    #[must_use]
    pub fn model(&self) -> &GaussianHmm {
        &self.model
    }

    /// Forget every observation (back to the start probabilities).
    pub fn reset(&mut self) {
        self.fwd = Forward::new(self.model.k);
    }
}
