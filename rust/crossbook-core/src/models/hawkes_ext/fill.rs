//! The full fill-intensity model of the seed (`HyperliquidFillIntensityModel`) and `intensity_to_kappa`.
//!
//! ```text
//! μ(t)   = μ₀·exp(w_F·F + w_OI·ΔOI + w_τ·sin(2π·τ/P))                     (Extension 1; P = 8 h)
//! a_j    = α_base·min((s_j/s̃)^p, cap)·m_same^[same]·m_aggr^[aggressor]     (Extension 2)
//! k_j(t) = β·e^(−β(t−t_j))·(1 + c·min(ΔQ_j/Q, 1))                          (Extension 3)
//! λ(t)   = (μ(t) + Σ_j a_j·k_j(t))·regime_multiplier
//! ```
//!
//! Kernels are normalised (`β·e^(−βt)` integrates to 1), so `α_base` is a branching weight. The seed
//! leaves open how a quote's depth enters the fill rate; we use the standard one: a trade arrival
//! fills a quote δ bps from the mid with probability `e^(−k·δ)` (k = `depth_decay_per_bp`, the
//! decay of the A·e^(−kδ) intensity that `crossbook.quote` calibrates). Expected fills over a window
//! then factor into expected trade arrivals (the closed-form Hawkes mean with the current excitation
//! decaying and future events branching with `α_base × mean_mark_multiplier`; the queue multiplier of
//! future events is taken as 1, the conservative choice) times `e^(−kδ)`.
//!
//! **Units of κ.** The seed's `intensity_to_kappa` divides by `eps/10 000`, so its κ is fills per
//! second per unit of relative price: κ = (F(δ−ε) − F(δ))/(ε·10⁻⁴) with ε = 0.1 bp, floored at 100.
//! For the exponential depth profile this is `F(δ)·(e^(kε) − 1)/(ε·10⁻⁴) ≈ k·F(δ)·10⁴`. Divide by
//! 10⁴ for a per-bp slope (the floor 100 is 0.01 per bp).

use super::super::hawkes::HawkesExp;
use crate::error::{CoreError, Result};

/// The seed's perturbation of `intensity_to_kappa`, bps.
pub const KAPPA_EPS_BPS: f64 = 0.1;
/// The seed's floor of κ (per unit of relative price), to keep GLFT away from division issues.
pub const KAPPA_FLOOR: f64 = 100.0;

/// Market state the baseline and the regime multiplier read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MarketState {
    /// funding rate F, in the unit `w_funding` was fitted in (crossbook uses bps per funding period)
    pub funding_rate: f64,
    /// OI change rate ΔOI, in the unit `w_oi_change` was fitted in (crossbook: % per minute)
    pub oi_change_rate: f64,
    /// time to the next funding settlement, hours
    pub time_to_settlement_h: f64,
    /// regime index: 0 quiet, 1 trending, 2 volatile, 3 cascade
    pub regime: usize,
}

/// One past trade as the excitation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeMark {
    /// time, seconds (same clock as the query time)
    pub t: f64,
    /// size, size units
    pub size: f64,
    /// on our side
    pub same_side: bool,
    /// an aggressor (market) order
    pub aggressor: bool,
    /// queue consumed at our level since this trade, size units
    pub queue_consumed_since: f64,
}

/// The seed's full model (see the module doc); defaults are the seed's numbers where it gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct FillIntensityModel {
    /// μ₀, trades per second
    pub mu_0: f64,
    /// weight of the funding rate
    pub w_funding: f64,
    /// weight of the OI change rate
    pub w_oi_change: f64,
    /// weight of sin(2π·τ/P)
    pub w_time_to_settlement: f64,
    /// settlement period P, hours (seed: 8)
    pub settlement_period_h: f64,
    /// α_base: branching weight of a reference trade (seed: 0.3)
    pub alpha_base: f64,
    /// size exponent p (seed: 0.5)
    pub alpha_size_power: f64,
    /// same-side multiplier relative to opposite side (seed: 1.5/0.8)
    pub alpha_same_side_mult: f64,
    /// aggressor multiplier (seed: 1.2)
    pub alpha_aggressor_mult: f64,
    /// cap of the size multiplier (seed: 3)
    pub size_cap: f64,
    /// reference trade size s̃ (the median), size units
    pub median_trade_size: f64,
    /// mean mark multiplier of future trades (the fitted `branching / alpha`; 1 if unknown)
    pub mean_mark_multiplier: f64,
    /// decay β, per second
    pub beta_time: f64,
    /// queue sensitivity c (seed: 0.5)
    pub beta_queue_sensitivity: f64,
    /// typical queue size Q, size units
    pub typical_queue: f64,
    /// intensity multiplier per regime (quiet, trending, volatile, cascade)
    pub regime_multipliers: [f64; 4],
    /// k: fill probability of an arrival at depth δ bps is e^(−kδ), per bp
    pub depth_decay_per_bp: f64,
}

impl Default for FillIntensityModel {
    fn default() -> Self {
        Self {
            mu_0: 1.0,
            w_funding: 0.0,
            w_oi_change: 0.0,
            w_time_to_settlement: 0.0,
            settlement_period_h: 8.0,
            alpha_base: 0.3,
            alpha_size_power: 0.5,
            alpha_same_side_mult: 1.5 / 0.8,
            alpha_aggressor_mult: 1.2,
            size_cap: 3.0,
            median_trade_size: 1.0,
            mean_mark_multiplier: 1.0,
            beta_time: 1.0,
            beta_queue_sensitivity: 0.5,
            typical_queue: 1.0,
            regime_multipliers: [1.0; 4],
            depth_decay_per_bp: 0.5,
        }
    }
}

impl FillIntensityModel {
    /// Check the parameters (positive rates and sizes, multipliers > 0, c > −1, finite numbers).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let pos = [
            ("mu_0", self.mu_0),
            ("settlement_period_h", self.settlement_period_h),
            ("alpha_same_side_mult", self.alpha_same_side_mult),
            ("alpha_aggressor_mult", self.alpha_aggressor_mult),
            ("median_trade_size", self.median_trade_size),
            ("mean_mark_multiplier", self.mean_mark_multiplier),
            ("beta_time", self.beta_time),
            ("typical_queue", self.typical_queue),
        ];
        for (name, v) in pos {
            if !(v.is_finite() && v > 0.0) {
                return Err(CoreError::InvalidInput(format!("{name} must be finite and > 0 (got {v})")));
            }
        }
        let fin = [
            ("w_funding", self.w_funding),
            ("w_oi_change", self.w_oi_change),
            ("w_time_to_settlement", self.w_time_to_settlement),
            ("alpha_size_power", self.alpha_size_power),
        ];
        for (name, v) in fin {
            if !v.is_finite() {
                return Err(CoreError::InvalidInput(format!("{name} must be finite (got {v})")));
            }
        }
        let nonneg = [("alpha_base", self.alpha_base), ("depth_decay_per_bp", self.depth_decay_per_bp)];
        for (name, v) in nonneg {
            if !(v.is_finite() && v >= 0.0) {
                return Err(CoreError::InvalidInput(format!("{name} must be finite and >= 0 (got {v})")));
            }
        }
        if !(self.size_cap.is_finite() && self.size_cap >= 1.0) {
            return Err(CoreError::InvalidInput(format!("size_cap must be >= 1 (got {})", self.size_cap)));
        }
        if !(self.beta_queue_sensitivity.is_finite() && self.beta_queue_sensitivity > -1.0) {
            return Err(CoreError::InvalidInput(format!(
                "beta_queue_sensitivity must be > -1 (got {})",
                self.beta_queue_sensitivity
            )));
        }
        if let Some(m) = self.regime_multipliers.iter().find(|m| !(m.is_finite() && **m >= 0.0)) {
            return Err(CoreError::InvalidInput(format!("regime multipliers must be >= 0 (got {m})")));
        }
        Ok(())
    }

    fn regime_mult(&self, s: &MarketState) -> f64 {
        self.regime_multipliers.get(s.regime).copied().unwrap_or(1.0)
    }

    /// State-dependent baseline μ(t), trades per second (before the regime multiplier).
    #[must_use]
    pub fn baseline(&self, s: &MarketState) -> f64 {
        let cycle = (s.time_to_settlement_h / self.settlement_period_h * std::f64::consts::TAU).sin();
        self.mu_0
            * (self.w_funding * s.funding_rate
                + self.w_oi_change * s.oi_change_rate
                + self.w_time_to_settlement * cycle)
                .exp()
    }

    /// Branching weight of one trade (the seed's `compute_excitation`, normalised).
    #[must_use]
    pub fn excitation_weight(&self, tr: &TradeMark) -> f64 {
        let size = (tr.size.max(0.0) / self.median_trade_size).powf(self.alpha_size_power).min(self.size_cap);
        let side = if tr.same_side { self.alpha_same_side_mult } else { 1.0 };
        let aggr = if tr.aggressor { self.alpha_aggressor_mult } else { 1.0 };
        self.alpha_base * size * side * aggr
    }

    /// Σ a_j·k_j(t) over trades strictly before `t`, trades per second (before the regime multiplier).
    #[must_use]
    pub fn excitation_at(&self, t: f64, trades: &[TradeMark]) -> f64 {
        trades
            .iter()
            .filter(|tr| tr.t < t)
            .map(|tr| {
                let q = 1.0
                    + self.beta_queue_sensitivity * (tr.queue_consumed_since.max(0.0) / self.typical_queue).min(1.0);
                self.excitation_weight(tr) * self.beta_time * (-self.beta_time * (t - tr.t)).exp() * q
            })
            .sum()
    }

    /// The seed's `intensity_at`: (μ(t) + excitation)·regime multiplier, trades per second.
    #[must_use]
    pub fn intensity_at(&self, t: f64, trades: &[TradeMark], s: &MarketState) -> f64 {
        (self.baseline(s) + self.excitation_at(t, trades)) * self.regime_mult(s)
    }

    /// Expected trade arrivals in `[now + t0, now + t1]` seconds given the excitation now (trades
    /// per second, e.g. from [`FillIntensityModel::excitation_at`]) and the state (held constant).
    #[must_use]
    pub fn expected_trades_in_window(&self, t0: f64, t1: f64, excitation_now: f64, s: &MarketState) -> f64 {
        let p = HawkesExp {
            mu: self.baseline(s),
            branching: self.alpha_base * self.mean_mark_multiplier,
            beta: self.beta_time,
        };
        let a = t0.max(0.0);
        let b = t1.max(a);
        let x = excitation_now.max(0.0);
        (p.expected_count(x, b) - p.expected_count(x, a)) * self.regime_mult(s)
    }

    /// The seed's `expected_fills_in_window`: expected fills of a quote `depth_bps` from the mid.
    #[must_use]
    pub fn expected_fills_in_window(
        &self,
        t0: f64,
        t1: f64,
        depth_bps: f64,
        excitation_now: f64,
        s: &MarketState,
    ) -> f64 {
        self.expected_trades_in_window(t0, t1, excitation_now, s) * (-self.depth_decay_per_bp * depth_bps).exp()
    }
}

/// The seed's `intensity_to_kappa`: `(F(δ − 0.1 bp) − F(δ)) / (0.1·10⁻⁴)` with F the expected fills
/// over the next second, floored at [`KAPPA_FLOOR`]. Per unit of relative price (see the module doc).
///
/// # Errors
/// [`CoreError::InvalidInput`] for invalid model parameters or a non-finite depth or excitation.
pub fn intensity_to_kappa(
    model: &FillIntensityModel,
    state: &MarketState,
    excitation_now: f64,
    reference_depth_bps: f64,
) -> Result<f64> {
    model.validate()?;
    if !(reference_depth_bps.is_finite() && excitation_now.is_finite()) {
        return Err(CoreError::InvalidInput(format!(
            "reference depth and excitation must be finite (got {reference_depth_bps}, {excitation_now})"
        )));
    }
    let eps = KAPPA_EPS_BPS;
    let at = model.expected_fills_in_window(0.0, 1.0, reference_depth_bps, excitation_now, state);
    let tighter = model.expected_fills_in_window(0.0, 1.0, reference_depth_bps - eps, excitation_now, state);
    let kappa = (tighter - at) / (eps / 10_000.0);
    Ok(if kappa.is_finite() { kappa.max(KAPPA_FLOOR) } else { KAPPA_FLOOR })
}
